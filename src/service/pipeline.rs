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
use tokio::sync::{mpsc, oneshot};

use crate::alert::{Alert, SourceRef};
use crate::checkpoint::{OffsetTracker, Token};
use crate::event::redact::Redaction;
use crate::event::{self, DecodeError};
use crate::metrics::{family, metrics};
use crate::scan::{ScanScratch, Scanner, Stats};
use crate::sink::forward::Forwarded;
use crate::sink::{DeadLetter, Sinks};

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

/// What became of an item: delivered, or undecodable (dead-lettered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered { alerts: usize },
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
}

struct Scanned {
    alerts: Vec<Alert>,
    dead: Option<DeadLetter>,
    /// Redacted copies of the events, when the redacted forward is configured.
    forward: Vec<Forwarded>,
    ack: Ack,
    source_kind: &'static str,
    received: Instant,
}

/// Handle sources use to submit work.
#[derive(Clone)]
pub struct Submitter {
    tx: mpsc::Sender<Work>,
    capacity: usize,
}

impl Submitter {
    /// Submit, waiting while the queue is full.
    pub async fn submit(&self, work: Work) -> Result<(), Work> {
        let r = self.tx.send(work).await.map_err(|e| e.0);
        metrics()
            .queue_depth
            .set((self.capacity - self.tx.capacity()) as i64);
        r
    }

    /// Submit without waiting: `Err(work)` when the queue is full (the caller pauses its input).
    #[allow(clippy::result_large_err)] // handing the work back to the caller is the point
    pub fn try_submit(&self, work: Work) -> Result<(), Work> {
        let r = self.tx.try_send(work).map_err(|e| match e {
            mpsc::error::TrySendError::Full(w) | mpsc::error::TrySendError::Closed(w) => w,
        });
        metrics()
            .queue_depth
            .set((self.capacity - self.tx.capacity()) as i64);
        r
    }

    pub fn is_full(&self) -> bool {
        self.tx.capacity() == 0
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
    ) -> Pipeline {
        let capacity = capacity.max(1);
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
            submitter: Submitter { tx, capacity },
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
    } = work;
    let mut alerts = Vec::new();
    let mut forward = Vec::new();
    let mut record_key = None;
    let (events, raw) = match payload {
        Payload::Events(events) => (Ok(events), Vec::new()),
        Payload::Record {
            value,
            headers,
            key,
        } => {
            record_key = key;
            m.bytes
                .with_label_values(&[source_kind])
                .inc_by(value.len() as u64);
            if value.len() > max_bytes {
                let reason = format!(
                    "record of {} bytes exceeds the {max_bytes}-byte limit",
                    value.len()
                );
                (Err(("too_large", reason)), value)
            } else {
                match decode_record(&value, &headers) {
                    Ok(ev) => (Ok(ev), Vec::new()),
                    Err(e) => (Err(("malformed", e.to_string())), value),
                }
            }
        }
    };
    let events = match events {
        Ok(ev) => ev,
        Err((reason, error)) => {
            m.decode_errors
                .with_label_values(&[source_kind, reason])
                .inc();
            let dead = DeadLetter {
                source: source.clone(),
                error,
                raw,
            };
            return Scanned {
                alerts,
                dead: Some(dead),
                forward,
                ack,
                source_kind,
                received,
            };
        }
    };
    let mut stats = Stats::default();
    for event in events {
        let started = Instant::now();
        let event_type = event
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        match redaction {
            None => scanner.scan_event(event, source.clone(), scratch, &mut stats, &mut |a| {
                alerts.push(a)
            }),
            Some(r) => {
                let mut event = event;
                let masked = scanner.scan_and_redact(
                    &mut event,
                    source.clone(),
                    scratch,
                    &mut stats,
                    &mut |a| alerts.push(a),
                    r,
                );
                // the record key is text beside the event: scanned and masked like a field
                let key = match &record_key {
                    Some(k) => Some(scanner.redact_record_key(k, r.style, scratch).0),
                    None => event
                        .get("id")
                        .and_then(Value::as_str)
                        .map(|id| id.as_bytes().to_vec()),
                };
                forward.push(Forwarded {
                    source: source.clone(),
                    key,
                    event: serde_json::to_vec(&event).expect("a JSON value serialises"),
                    masked,
                });
            }
        }
        m.scan_seconds.observe(started.elapsed().as_secs_f64());
        m.events
            .with_label_values(&[source_kind, family(&event_type)])
            .inc();
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
    Scanned {
        alerts,
        dead: None,
        forward,
        ack,
        source_kind,
        received,
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
        let dead: Vec<&DeadLetter> = batch.iter().filter_map(|s| s.dead.as_ref()).collect();
        sinks.deliver(&alerts, &dead).await;
        let forward: Vec<&Forwarded> = batch.iter().flat_map(|s| s.forward.iter()).collect();
        sinks.forward(&forward).await;
        let m = metrics();
        for s in batch.drain(..) {
            m.event_to_alert_seconds
                .with_label_values(&[s.source_kind])
                .observe(s.received.elapsed().as_secs_f64());
            let outcome = match &s.dead {
                Some(d) => Outcome::Malformed(d.error.clone()),
                None => Outcome::Delivered {
                    alerts: s.alerts.len(),
                },
            };
            s.ack.done(outcome);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
