//! The contract between sources and the service (Vector's `SourceContext`/`SourceSender` idea):
//! everything a source needs to hand events in, and nothing about how they are scanned.
//!
//! Sources depend on this module only; `service` implements the other side (it creates the
//! queue behind `Submitter`, reads `Work` from it, calls `Work::decode` on a scan thread and
//! acknowledges through `Ack`). So a new source needs no import from `service`, and the service
//! never needs to know a source's wrapping: each source names its decoder (`Decoder`), which
//! runs on the scan threads (decoding is CPU work, kept off the source's thread).
//!
//! Counting is here too, so it happens once for every source: bytes as received
//! (`count_received_bytes`) and the queue gauges; events are counted by the pipeline as it scans.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot, watch};

use crate::alert::SourceRef;
use crate::checkpoint::{OffsetTracker, Token};
use crate::event::{self, DecodeError};
use crate::metrics::metrics;
use crate::sink::DeadLetter;

/// What `/readyz` reports: each configured source sets its flag once it is connected/listening.
#[derive(Debug, Default)]
pub struct Health {
    pub kafka_configured: bool,
    pub kafka_connected: AtomicBool,
    pub webhook_configured: bool,
    pub webhook_listening: AtomicBool,
    pub kinesis_configured: bool,
    /// The lease table and stream answered on the last coordination round.
    pub kinesis_connected: AtomicBool,
    /// Lease and checkpoint state, for `/readyz`.
    pub kinesis_status: std::sync::Mutex<String>,
}

impl Health {
    pub fn sources_ready(&self) -> bool {
        (!self.kafka_configured || self.kafka_connected.load(Ordering::Relaxed))
            && (!self.webhook_configured || self.webhook_listening.load(Ordering::Relaxed))
            && (!self.kinesis_configured || self.kinesis_connected.load(Ordering::Relaxed))
    }
}

/// A shutdown signal every task watches.
pub type Shutdown = watch::Receiver<bool>;

/// Turns one record (its value and headers) into CloudEvents. Runs on a scan thread.
pub type Decoder = fn(&[u8], &[(String, Vec<u8>)]) -> Result<Vec<Value>, DecodeError>;

/// The shared decoder entry point: the record's bytes are a document in one of Twilio's
/// wrappings (`event::decode_bytes`); headers carry nothing. Kinesis uses it as is, Kafka adds
/// its binary mode in front of it, the webhook calls `event::decode_bytes` item by item.
pub fn decode_document(
    value: &[u8],
    _headers: &[(String, Vec<u8>)],
) -> Result<Vec<Value>, DecodeError> {
    let mut out = Vec::new();
    event::decode_bytes(value, &mut out)?;
    Ok(out)
}

/// Bytes a source received, by source kind (`phiscan_bytes_total`). The pipeline calls it for
/// every record it decodes; a source that parses before handing in (the webhook) calls it on
/// read, so bodies it rejects are counted too.
pub fn count_received_bytes(source_kind: &'static str, bytes: usize) {
    metrics()
        .bytes
        .with_label_values(&[source_kind])
        .inc_by(bytes as u64);
}

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
    /// Tell the source its item is done (the service calls this once the item is durable).
    pub fn done(self, outcome: Outcome) {
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
    /// How a `Payload::Record` becomes events ([`decode_document`] unless the source says).
    pub decode: Decoder,
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
            decode: decode_document,
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
    /// The sending half of a queue of `capacity` items and `max_bytes` bytes (the service
    /// creates it with the receiving half).
    pub fn new(tx: mpsc::Sender<Work>, capacity: usize, max_bytes: usize) -> Submitter {
        Submitter {
            tx,
            capacity,
            bytes: Arc::new(Semaphore::new(max_bytes)),
            max_bytes,
        }
    }

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
