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
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use crate::alert::{Alert, SourceRef};
use crate::checkpoint::{OffsetTracker, Token};
use crate::event::redact::Redaction;
use crate::event::{self, DecodeError};
use crate::metrics::{family, metrics};
use crate::scan::{ScanScratch, Scanner, Stats};
use crate::sink::forward::Forwarded;
use crate::sink::{DeadLetter, Sinks, cap_findings};

/// What a source hands in.
pub enum Payload {
    /// A raw record (Kafka value, with headers for CloudEvents binary mode, and its key, which
    /// the redacted forward keeps).
    Record {
        value: Vec<u8>,
        headers: Vec<(String, Vec<u8>)>,
        key: Option<Vec<u8>>,
    },
    /// Events already parsed (the webhook receiver parses to answer 400 early).
    Events(Vec<Value>),
}

/// How to tell a source its item is done.
pub enum Ack {
    None,
    Offset(OffsetTracker, Token),
    Reply(oneshot::Sender<Outcome>),
}

/// What became of an item: delivered (its alerts accepted, or dead-lettered when a sink refused
/// them; `dead_letters` counts its parts kept in the dead-letter output or, without one, skipped),
/// or undecodable as a whole (dead-lettered, or skipped and counted without a dead-letter output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered { alerts: usize, dead_letters: usize },
    Malformed(String),
}

impl Ack {
    fn done(self, outcome: Outcome) {
        match self {
            Ack::None => {}
            Ack::Offset(tracker, token) => tracker.finish(&token),
            Ack::Reply(tx) => {
                let _ = tx.send(outcome);
            }
        }
    }
}

pub struct Work {
    pub payload: Payload,
    pub source: SourceRef,
    /// `kafka`, `webhook`, `file`: the metrics label.
    pub source_kind: &'static str,
    pub ack: Ack,
    pub received: Instant,
    /// Records larger than this are dead-lettered unscanned.
    pub max_bytes: usize,
    /// Parts of the item that could not be decoded (webhook batch items): dead-lettered with the
    /// item, which is acknowledged once both its alerts and these are durable.
    pub dead: Vec<DeadLetter>,
    /// Bytes the payload holds beyond what `size` sees (a parsed webhook body: its text size).
    pub extra_bytes: usize,
    /// The item's share of the queue's byte budget, held until it is acknowledged.
    pub permit: Option<OwnedSemaphorePermit>,
}

impl Work {
    /// A work item with no dead parts and no permit yet (`Submitter` takes one).
    pub fn new(
        payload: Payload,
        source: SourceRef,
        source_kind: &'static str,
        ack: Ack,
        max_bytes: usize,
    ) -> Work {
        Work {
            payload,
            source,
            source_kind,
            ack,
            received: Instant::now(),
            max_bytes,
            dead: Vec::new(),
            extra_bytes: 0,
            permit: None,
        }
    }

    /// Bytes this item holds, for the queue's byte budget (an estimate for parsed events).
    pub fn size(&self) -> usize {
        let payload = match &self.payload {
            Payload::Record {
                value,
                headers,
                key,
            } => {
                value.len()
                    + headers
                        .iter()
                        .map(|(k, v)| k.len() + v.len())
                        .sum::<usize>()
                    + key.as_ref().map_or(0, Vec::len)
            }
            // parsed JSON takes a few times its text: the webhook passes the body size here
            Payload::Events(_) => 0,
        };
        payload + self.dead.iter().map(|d| d.raw.len()).sum::<usize>() + self.extra_bytes
    }
}

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

/// Handle sources use to submit work. The queue is bounded twice: in items (`capacity`) and in
/// bytes (`max_bytes`, held from submission until the item is acknowledged), so a burst of large
/// records cannot grow memory past the budget.
#[derive(Clone)]
pub struct Submitter {
    tx: mpsc::Sender<Work>,
    capacity: usize,
    bytes: Arc<Semaphore>,
    max_bytes: usize,
}

impl Submitter {
    /// The permits an item needs: its size, at least 1, at most the whole budget (so one item
    /// larger than the budget still passes, alone).
    fn permits(&self, work: &Work) -> u32 {
        work.size().clamp(1, self.max_bytes).min(u32::MAX as usize) as u32
    }

    fn gauge(&self) {
        let m = metrics();
        m.queue_depth
            .set((self.capacity - self.tx.capacity()) as i64);
        m.queue_bytes
            .set((self.max_bytes - self.bytes.available_permits()) as i64);
    }

    /// Submit, waiting while the queue is full (in items or bytes).
    pub async fn submit(&self, mut work: Work) -> Result<(), Work> {
        let n = self.permits(&work);
        match self.bytes.clone().acquire_many_owned(n).await {
            Ok(p) => work.permit = Some(p),
            Err(_) => return Err(work),
        }
        let r = self.tx.send(work).await.map_err(|e| e.0);
        self.gauge();
        r
    }

    /// Submit without waiting: `Err(work)` when the queue is full (the caller pauses its input).
    #[allow(clippy::result_large_err)] // handing the work back to the caller is the point
    pub fn try_submit(&self, mut work: Work) -> Result<(), Work> {
        let n = self.permits(&work);
        match self.bytes.clone().try_acquire_many_owned(n) {
            Ok(p) => work.permit = Some(p),
            Err(_) => return Err(work),
        }
        let r = self.tx.try_send(work).map_err(|e| match e {
            mpsc::error::TrySendError::Full(mut w) | mpsc::error::TrySendError::Closed(mut w) => {
                w.permit = None;
                w
            }
        });
        self.gauge();
        r
    }

    pub fn is_full(&self) -> bool {
        self.tx.capacity() == 0 || self.bytes.available_permits() == 0
    }
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
            submitter: Submitter {
                tx,
                capacity,
                bytes: Arc::new(Semaphore::new(max_bytes)),
                max_bytes,
            },
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

fn scan_work(
    scanner: &Scanner,
    redaction: Option<Redaction>,
    work: Work,
    scratch: &mut ScanScratch,
) -> Scanned {
    let m = metrics();
    let Work {
        payload,
        source,
        source_kind,
        ack,
        received,
        max_bytes,
        mut dead,
        permit,
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
    let (events, raw, record_key) = match decode_payload(payload, source_kind, max_bytes) {
        Ok(decoded) => decoded,
        Err((reason, error, raw)) => {
            m.decode_errors
                .with_label_values(&[source_kind, reason])
                .inc();
            done.dead.push(DeadLetter::record(source, error, raw));
            done.whole_record_failed = true;
            return done;
        }
    };
    let mut stats = Stats::default();
    for event in events {
        let started = Instant::now();
        let family = family(event.get("type").and_then(Value::as_str).unwrap_or(""));
        let before = done.alerts.len();
        // a bug must not take the service down: the event is dead-lettered and scanning goes on
        let kept = (raw.is_none()).then(|| serde_json::to_vec(&event).unwrap_or_default());
        let scanned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            scan_one(
                scanner,
                redaction,
                event,
                &source,
                record_key.as_deref(),
                scratch,
                &mut stats,
                &mut done,
            )
        }));
        if scanned.is_err() {
            done.alerts.truncate(before);
            *scratch = ScanScratch::default();
            m.decode_errors
                .with_label_values(&[source_kind, "scan_panic"])
                .inc();
            tracing::error!(source = %serde_json::to_string(&source).unwrap_or_default(), "scanning an event panicked (a phiscan bug): dead-lettering it and going on");
            let bytes = kept.unwrap_or_else(|| raw.clone().unwrap_or_default());
            done.dead.push(DeadLetter::record(
                source.clone(),
                "scanning this event panicked (a phiscan bug): kept unscanned".into(),
                bytes,
            ));
        }
        m.scan_seconds.observe(started.elapsed().as_secs_f64());
        m.events.with_label_values(&[source_kind, family]).inc();
    }
    for ((category, location), n) in &stats.findings_by_category_location {
        m.findings
            .with_label_values(&[category.as_str(), location.as_str()])
            .inc_by(*n);
    }
    for ((rule, severity), n) in &stats.violations {
        m.violations
            .with_label_values(&[rule, severity.as_str()])
            .inc_by(*n);
    }
    done.dead.append(&mut dead);
    done
}

/// A decoded payload: its events, the raw record (kept to dead-letter it if scanning panics),
/// and the record key; or why it cannot be decoded: (reason label, error, raw record).
type Decoded = (Vec<Value>, Option<Vec<u8>>, Option<Vec<u8>>);

fn decode_payload(
    payload: Payload,
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
            metrics()
                .bytes
                .with_label_values(&[source_kind])
                .inc_by(value.len() as u64);
            if value.len() > max_bytes {
                let reason = format!(
                    "record of {} bytes exceeds the {max_bytes}-byte limit",
                    value.len()
                );
                return Err(("too_large", reason, value));
            }
            match decode_record(&value, &headers) {
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

/// A Kafka record: CloudEvents binary mode (`ce_*` headers, value = data), or structured.
fn decode_record(value: &[u8], headers: &[(String, Vec<u8>)]) -> Result<Vec<Value>, DecodeError> {
    let ce = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| Value::String(String::from_utf8_lossy(v).into_owned()))
    };
    if let (Some(spec), Some(ty)) = (ce("ce_specversion"), ce("ce_type")) {
        let data: Value = serde_json::from_slice(value)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(value).into_owned()));
        let mut ev = serde_json::Map::new();
        ev.insert("specversion".into(), spec);
        ev.insert("type".into(), ty);
        // every `ce_` header is an attribute (extensions too): scanned with the event
        for (name, v) in headers {
            if let Some(attr) = name
                .get(..3)
                .filter(|p| p.eq_ignore_ascii_case("ce_"))
                .map(|_| name[3..].to_ascii_lowercase())
                .filter(|a| !a.is_empty() && a != "specversion" && a != "type" && a != "data")
            {
                ev.entry(attr)
                    .or_insert_with(|| Value::String(String::from_utf8_lossy(v).into_owned()));
            }
        }
        ev.insert("data".into(), data);
        return Ok(vec![Value::Object(ev)]);
    }
    let mut out = Vec::new();
    event::decode_bytes(value, &mut out)?;
    Ok(out)
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
        serde_json::json!({
            "specversion": "1.0", "type": "com.twilio.messaging.message.sent", "id": id,
            "source": "/x", "data": {"accountSid": "AC9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
            "to": "+12125550147", "tags": {"patient_mrn": "MRN-31000417"}}
        })
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
        let scanner = Arc::new(Scanner::new(&crate::config::Config::default()).unwrap());
        let pipeline = Pipeline::start(scanner, sinks, 1, 4, 1 << 20);
        let mut bomb = phi_event("EZ0000000000000000000000000000000f");
        bomb["phiscan_test_panic"] = true.into();
        let mut outcomes = Vec::new();
        for events in [
            vec![phi_event("EZ00000000000000000000000000000001"), bomb, phi_event("EZ00000000000000000000000000000002")],
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
        assert_eq!(ids, ["EZ00000000000000000000000000000001", "EZ00000000000000000000000000000002", "EZ00000000000000000000000000000003"]);
        assert_eq!(dead.len(), 1);
        assert!(dead[0].error.contains("panicked"), "{}", dead[0].error);
        let kept: Value = serde_json::from_slice(&dead[0].raw).unwrap();
        assert_eq!(kept["id"], "EZ0000000000000000000000000000000f");
        pipeline.drain().await;
    }

    #[test]
    fn binary_mode_records_become_events() {
        let headers = vec![
            ("ce_specversion".to_string(), b"1.0".to_vec()),
            (
                "ce_type".to_string(),
                b"com.twilio.messaging.message.sent".to_vec(),
            ),
            ("ce_id".to_string(), b"EZ1".to_vec()),
        ];
        let ev = decode_record(br#"{"body":"hi"}"#, &headers).unwrap();
        assert_eq!(ev[0]["id"], "EZ1");
        assert_eq!(ev[0]["data"]["body"], "hi");
        let structured =
            decode_record(br#"{"specversion":"1.0","type":"t","data":{}}"#, &[]).unwrap();
        assert_eq!(structured.len(), 1);
        assert!(decode_record(b"not json", &[]).is_err());
    }
}
