//! The service pipeline: sources → bounded queue → scanning threads → delivery → ack.
//!
//! Sources hand in `Work` (raw records or decoded events, where they came from, and how to
//! acknowledge them). Scanning runs on plain threads (it is CPU work), one per core. Delivery
//! runs on the async runtime: it batches scanned work, applies the suppression window, hands
//! alerts to every sink (retrying until accepted) and dead letters to the dead-letter output, and
//! only then acknowledges each item: a Kafka offset becomes committable, a webhook request gets
//! its 200. The queue is bounded, so a slow sink slows the sources instead of growing memory.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use crate::alert::{Alert, SourceRef};
use crate::event::redact::Redaction;
use crate::internal_events::emit;
use crate::internal_events::service::ScanPanicked;
use crate::metrics::{family, metrics};
use crate::scan::{ScanScratch, Scanner, Stats};
use crate::sink::forward::Forwarded;
use crate::sink::{DeadLetter, Sinks, cap_findings};
use crate::source::contract::count_received_bytes;
pub use crate::source::contract::{Ack, Decoder, Outcome, Payload, Submitter, Work};

struct Scanned {
    alerts: Vec<Alert>,
    dead: Vec<DeadLetter>,
    /// The whole record could not be decoded (its one dead letter is the record).
    whole_record_failed: bool,
    /// Released (dropped) once the item is acknowledged.
    _permit: Option<OwnedSemaphorePermit>,
    /// Redacted copies of the events, when the redacted forward is configured.
    forward: Vec<Forwarded>,
    ack: Ack,
    source_kind: &'static str,
    received: Instant,
}

/// A running pipeline. Drop every `Submitter` and await `finished` to drain it.
pub struct Pipeline {
    pub submitter: Submitter,
    pub finished: tokio::task::JoinHandle<()>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Pipeline {
    pub fn start(
        scanner: Arc<Scanner>,
        sinks: Arc<Sinks>,
        workers: usize,
        capacity: usize,
        max_bytes: usize,
    ) -> Pipeline {
        let capacity = capacity.max(1);
        let max_bytes = max_bytes.clamp(1, Semaphore::MAX_PERMITS);
        let (tx, rx) = mpsc::channel::<Work>(capacity);
        let (done_tx, done_rx) = mpsc::channel::<Scanned>(capacity);
        let rx = Arc::new(Mutex::new(rx));
        let redaction = sinks.forward.as_ref().map(|f| f.redaction);
        let workers = (0..workers.max(1))
            .map(|i| {
                let (rx, done_tx, scanner) = (rx.clone(), done_tx.clone(), scanner.clone());
                std::thread::Builder::new()
                    .name(format!("phiscan-scan-{i}"))
                    .spawn(move || scan_loop(&scanner, redaction, &rx, &done_tx))
                    .expect("spawn scan worker")
            })
            .collect();
        drop(done_tx);
        let finished = tokio::spawn(deliver_loop(done_rx, sinks));
        Pipeline {
            submitter: Submitter::new(tx, capacity, max_bytes),
            finished,
            workers,
        }
    }

    /// Stop accepting work, let everything in flight finish, and wait for it.
    pub async fn drain(self) {
        drop(self.submitter);
        let _ = self.finished.await;
        for w in self.workers {
            let _ = tokio::task::spawn_blocking(move || w.join()).await;
        }
    }
}

fn scan_loop(
    scanner: &Scanner,
    redaction: Option<Redaction>,
    rx: &Mutex<mpsc::Receiver<Work>>,
    done: &mpsc::Sender<Scanned>,
) {
    let mut scratch = ScanScratch::default();
    loop {
        let Some(work) = rx.lock().expect("work queue lock").blocking_recv() else {
            return;
        };
        let scanned = scan_work(scanner, redaction, work, &mut scratch);
        if done.blocking_send(scanned).is_err() {
            return;
        }
    }
}

/// One work item through the steps the module docs name: decode it (a record that cannot be
/// decoded is dead-lettered whole), scan each event (a panicking event is dead-lettered alone),
/// count what was found.
fn scan_work(
    scanner: &Scanner,
    redaction: Option<Redaction>,
    work: Work,
    scratch: &mut ScanScratch,
) -> Scanned {
    let Work {
        payload,
        source,
        source_kind,
        ack,
        received,
        max_bytes,
        mut dead,
        permit,
        decode,
        ..
    } = work;
    let mut done = Scanned {
        alerts: Vec::new(),
        dead: Vec::new(),
        _permit: permit,
        whole_record_failed: false,
        forward: Vec::new(),
        ack,
        source_kind,
        received,
    };
    let (events, raw, record_key) = match decode_payload(payload, decode, source_kind, max_bytes) {
        Ok(decoded) => decoded,
        Err((reason, error, raw)) => {
            metrics()
                .decode_errors
                .with_label_values(&[source_kind, reason])
                .inc();
            done.dead.push(DeadLetter::record(source, error, raw));
            done.whole_record_failed = true;
            return done;
        }
    };
    let item = Item {
        scanner,
        redaction,
        source: &source,
        source_kind,
        raw: raw.as_deref(),
        record_key: record_key.as_deref(),
    };
    let mut stats = Stats::default();
    for event in events {
        item.scan_guarded(event, scratch, &mut stats, &mut done);
    }
    count_findings(&stats);
    done.dead.append(&mut dead);
    done
}

/// What every event of one work item shares while it is scanned.
struct Item<'a> {
    scanner: &'a Scanner,
    redaction: Option<Redaction>,
    source: &'a SourceRef,
    source_kind: &'static str,
    /// The raw record, kept to dead-letter an event whose scan panics.
    raw: Option<&'a [u8]>,
    record_key: Option<&'a [u8]>,
}

impl Item<'_> {
    /// Scan one event; a bug must not take the service down: a panicking event is
    /// dead-lettered, its partial alerts dropped, and scanning goes on.
    fn scan_guarded(
        &self,
        event: Value,
        scratch: &mut ScanScratch,
        stats: &mut Stats,
        done: &mut Scanned,
    ) {
        let m = metrics();
        let started = Instant::now();
        let family = family(event.get("type").and_then(Value::as_str).unwrap_or(""));
        let before = done.alerts.len();
        let kept = (self.raw.is_none()).then(|| serde_json::to_vec(&event).unwrap_or_default());
        let scanned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            scan_one(
                self.scanner,
                self.redaction,
                event,
                self.source,
                self.record_key,
                scratch,
                stats,
                done,
            )
        }));
        if scanned.is_err() {
            done.alerts.truncate(before);
            *scratch = ScanScratch::default();
            emit(ScanPanicked {
                source: self.source,
                source_kind: self.source_kind,
            });
            let bytes = kept.unwrap_or_else(|| self.raw.unwrap_or_default().to_vec());
            done.dead.push(DeadLetter::record(
                self.source.clone(),
                "scanning this event panicked (a phiscan bug): kept unscanned".into(),
                bytes,
            ));
        }
        m.scan_seconds.observe(started.elapsed().as_secs_f64());
        m.events
            .with_label_values(&[self.source_kind, family])
            .inc();
    }
}

/// Findings (by detector category and location) and policy violations (by policy rule and
/// severity) of one work item, added to the counters once.
fn count_findings(stats: &Stats) {
    let m = metrics();
    for ((category, location), n) in &stats.findings_by_category_location {
        m.findings
            .with_label_values(&[category.as_str(), location.as_str()])
            .inc_by(*n);
    }
    for ((policy_rule, severity), n) in &stats.violations {
        m.violations
            .with_label_values(&[policy_rule, severity.as_str()])
            .inc_by(*n);
    }
}

/// A decoded payload: its events, the raw record (kept to dead-letter it if scanning panics),
/// and the record key; or why it cannot be decoded: (reason label, error, raw record).
type Decoded = (Vec<Value>, Option<Vec<u8>>, Option<Vec<u8>>);

fn decode_payload(
    payload: Payload,
    decode: Decoder,
    source_kind: &'static str,
    max_bytes: usize,
) -> Result<Decoded, (&'static str, String, Vec<u8>)> {
    match payload {
        Payload::Events(events) => Ok((events, None, None)),
        Payload::Record {
            value,
            headers,
            key,
        } => {
            count_received_bytes(source_kind, value.len());
            if value.len() > max_bytes {
                let reason = format!(
                    "record of {} bytes exceeds the {max_bytes}-byte limit",
                    value.len()
                );
                return Err(("too_large", reason, value));
            }
            match decode(&value, &headers) {
                Ok(ev) => Ok((ev, Some(value), key)),
                Err(e) => Err(("malformed", e.to_string(), value)),
            }
        }
    }
}

/// Scan (and, with the redacted forward, redact) one event into `done`.
#[allow(clippy::too_many_arguments)]
fn scan_one(
    scanner: &Scanner,
    redaction: Option<Redaction>,
    event: Value,
    source: &SourceRef,
    record_key: Option<&[u8]>,
    scratch: &mut ScanScratch,
    stats: &mut Stats,
    done: &mut Scanned,
) {
    #[cfg(test)]
    if event.get("phiscan_test_panic").is_some() {
        panic!("test hook: a scanner bug");
    }
    let alerts = &mut done.alerts;
    match redaction {
        None => scanner.scan_event(event, source.clone(), scratch, stats, &mut |a| {
            alerts.push(cap_findings(a))
        }),
        Some(r) => {
            let mut event = event;
            let masked = scanner.scan_and_redact(
                &mut event,
                source.clone(),
                scratch,
                stats,
                &mut |a| alerts.push(cap_findings(a)),
                r,
            );
            // the record key is text beside the event: scanned and masked like a field
            let key = match record_key {
                Some(k) => Some(scanner.redact_record_key(k, r.style, scratch).0),
                None => event
                    .get("id")
                    .and_then(Value::as_str)
                    .map(|id| id.as_bytes().to_vec()),
            };
            done.forward.push(Forwarded {
                source: source.clone(),
                key,
                event: serde_json::to_vec(&event).expect("a JSON value serialises"),
                masked,
            });
        }
    }
}

/// Most scanned items delivered in one sink call.
const DELIVERY_BATCH: usize = 1024;

async fn deliver_loop(mut rx: mpsc::Receiver<Scanned>, sinks: Arc<Sinks>) {
    let mut batch: Vec<Scanned> = Vec::with_capacity(DELIVERY_BATCH);
    loop {
        batch.clear();
        if rx.recv_many(&mut batch, DELIVERY_BATCH).await == 0 {
            return;
        }
        let alerts: Vec<&Alert> = batch.iter().flat_map(|s| s.alerts.iter()).collect();
        let dead: Vec<&DeadLetter> = batch.iter().flat_map(|s| s.dead.iter()).collect();
        // returns once every alert and dead letter is durable (or held until it is)
        sinks.deliver(&alerts, &dead).await;
        let forward: Vec<&Forwarded> = batch.iter().flat_map(|s| s.forward.iter()).collect();
        sinks.forward(&forward).await;
        let m = metrics();
        for s in batch.drain(..) {
            m.event_to_alert_seconds
                .with_label_values(&[s.source_kind])
                .observe(s.received.elapsed().as_secs_f64());
            let outcome = match (&s.dead[..], s.whole_record_failed) {
                ([d], true) => Outcome::Malformed(d.error.clone()),
                _ => Outcome::Delivered {
                    alerts: s.alerts.len(),
                    dead_letters: s.dead.len(),
                },
            };
            s.ack.done(outcome);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::{AlertSink, BoxFuture, DeadLetterSink, SinkError};
    use std::time::Duration;
    use tokio::sync::oneshot;

    #[derive(Clone, Default)]
    struct Memory(Arc<Mutex<(Vec<String>, Vec<DeadLetter>)>>);

    impl AlertSink for Memory {
        fn name(&self) -> &'static str {
            "memory"
        }
        fn send<'a>(&'a self, alerts: &'a [&'a Alert]) -> BoxFuture<'a, Result<(), SinkError>> {
            let ids = alerts.iter().map(|a| a.event.id.clone());
            self.0.lock().unwrap().0.extend(ids);
            Box::pin(async { Ok(()) })
        }
    }

    impl DeadLetterSink for Memory {
        fn send<'a>(
            &'a self,
            records: &'a [&'a DeadLetter],
        ) -> BoxFuture<'a, Result<(), SinkError>> {
            let dead = records.iter().map(|d| (*d).clone());
            self.0.lock().unwrap().1.extend(dead);
            Box::pin(async { Ok(()) })
        }
    }

    fn phi_event(id: &str) -> Value {
        crate::test_fixtures::mrn_tag_event(id, "MRN-31000417")
    }

    /// Before: a panic while scanning killed the scan thread; its event was never acknowledged
    /// and, with every worker gone, the service stopped scanning. Now the event is
    /// dead-lettered, its neighbours are scanned, and the same worker goes on.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panic_in_one_event_dead_letters_it_and_scanning_goes_on() {
        let memory = Memory::default();
        let sinks = Arc::new(Sinks::new(
            vec![Box::new(memory.clone())],
            Some(Box::new(memory.clone())),
            Duration::ZERO,
        ));
        let scanner = crate::test_fixtures::default_scanner();
        let pipeline = Pipeline::start(scanner, sinks, 1, 4, 1 << 20);
        let mut bomb = phi_event("EZ0000000000000000000000000000000f");
        bomb["phiscan_test_panic"] = true.into();
        let mut outcomes = Vec::new();
        for events in [
            vec![
                phi_event("EZ00000000000000000000000000000001"),
                bomb,
                phi_event("EZ00000000000000000000000000000002"),
            ],
            vec![phi_event("EZ00000000000000000000000000000003")],
        ] {
            let (tx, rx) = oneshot::channel();
            let source = SourceRef::Webhook {
                request_id: "r1".into(),
            };
            let work = Work::new(
                Payload::Events(events),
                source,
                "webhook",
                Ack::Reply(tx),
                1 << 20,
            );
            assert!(pipeline.submitter.submit(work).await.is_ok());
            let outcome = tokio::time::timeout(Duration::from_secs(30), rx)
                .await
                .expect("acknowledged")
                .expect("not dropped");
            outcomes.push(outcome);
        }
        assert!(
            matches!(outcomes[0], Outcome::Delivered { alerts, dead_letters: 1 } if alerts >= 2),
            "{outcomes:?}"
        );
        assert!(
            matches!(outcomes[1], Outcome::Delivered { alerts, dead_letters: 0 } if alerts >= 1),
            "{outcomes:?}"
        );
        let (mut ids, dead) = memory.0.lock().unwrap().clone();
        ids.dedup();
        assert_eq!(
            ids,
            [
                "EZ00000000000000000000000000000001",
                "EZ00000000000000000000000000000002",
                "EZ00000000000000000000000000000003"
            ]
        );
        assert_eq!(dead.len(), 1);
        assert!(dead[0].error.contains("panicked"), "{}", dead[0].error);
        let kept: Value = serde_json::from_slice(&dead[0].raw).unwrap();
        assert_eq!(kept["id"], "EZ0000000000000000000000000000000f");
        pipeline.drain().await;
    }
}
