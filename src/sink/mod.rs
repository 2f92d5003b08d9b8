//! Where alerts go. Every sink implements `AlertSink`; `Sinks` fans a batch out to all of them
//! and returns only once every alert is durable somewhere, so the caller may then acknowledge
//! the events (at-least-once):
//!
//! - a transient failure is retried with backoff, for as long as it takes;
//! - a permanent refusal (HTTP 413/422/400, a Kafka record too large) is narrowed down by
//!   splitting the batch, so one bad alert never takes its neighbours with it; what a sink still
//!   refuses goes to the dead-letter output with the reason (the alert itself, masked as always,
//!   never anywhere else);
//! - without a dead-letter output a refused alert is *held*: `deliver` keeps retrying it at the
//!   longest backoff, `/readyz` fails and an error log says what to configure, and nothing
//!   after it is acknowledged (Kafka offsets stay put, webhook requests get 503 so Twilio
//!   retries). Fixing the sink (a rotated credential) or adding `[sinks.dead_letter]` and
//!   restarting lets it go through: nothing acknowledged is lost.
//!
//! The suppression window starts for an alert only once a sink accepted it. Undecodable records
//! go to the dead-letter output; without one they are logged by position and counted in
//! `phiscan_records_dropped_total` (they cannot be scanned either way).

pub mod alertmanager;
pub mod dead_letter;
pub mod forward;
pub mod http;
pub mod jsonl;
pub mod kafka;
pub mod suppress;

use std::future::Future;
use std::ops::Range;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::alert::{Alert, SourceRef};
use crate::internal_events::emit;
use crate::internal_events::sink::*;
use crate::metrics::metrics;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Most findings listed in one alert; the rest are counted in `findings_omitted`. An event with
/// thousands of values still makes an alert of bounded size, which no sink refuses for size.
pub const MAX_FINDINGS: usize = 100;

/// Why a delivery failed: worth retrying, refused for this content, or refused whatever is sent.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// Down, overloaded, timed out: the same batch may go through later.
    #[error("{0}")]
    Retryable(String),
    /// This content is refused (too large, invalid): a smaller batch may go through.
    #[error("{0}")]
    Permanent(String),
    /// Everything is refused (unauthorised, no such endpoint or topic): splitting cannot help.
    #[error("{0}")]
    Refused(String),
}

pub trait AlertSink: Send + Sync {
    /// Short fixed name for metrics and logs (`jsonl`, `kafka`, `http`, `alertmanager`).
    fn name(&self) -> &'static str;
    /// Deliver a batch; `Ok` means every alert in it was accepted.
    fn send<'a>(&'a self, alerts: &'a [&'a Alert]) -> BoxFuture<'a, Result<(), SinkError>>;
    /// Whether the sink can currently accept alerts (for `/readyz`).
    fn ready(&self) -> BoxFuture<'_, bool> {
        Box::pin(async { true })
    }
}

/// An alert output's configuration (`[sinks.jsonl]`, `[sinks.kafka]`, …): each builds its own
/// sink, so the service builds every configured one in a loop and a new output touches only its
/// own module and `config::service::SinksConfig::alert_outputs`.
pub trait AlertSinkConfig {
    fn build(&self) -> anyhow::Result<Box<dyn AlertSink>>;
}

/// The Kafka source's cluster: outputs that keep raw or forwarded records inside the source's
/// boundary (the dead-letter topic, the redacted forward without `brokers`) write there.
pub struct SourceCluster<'a> {
    pub brokers: &'a str,
    pub properties: &'a std::collections::BTreeMap<String, String>,
    /// Whether the source consumes `topic` (an output there would be read back).
    pub subscribes_to: &'a dyn Fn(&str) -> bool,
}

/// What a dead letter holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadKind {
    /// A source record that could not be decoded or scanned: `raw` is the record as received.
    Record,
    /// An alert a sink refused for good: `raw` is the alert document (masked values only).
    Alert,
}

impl DeadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeadKind::Record => "record",
            DeadKind::Alert => "alert",
        }
    }
}

/// A record that could not be decoded (or an alert no sink would take), kept with where it came
/// from. A record's `raw` may hold PHI, so the dead-letter output must stay inside the source's
/// boundary, and `error` never quotes it.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub source: SourceRef,
    pub error: String,
    pub raw: Vec<u8>,
    pub kind: DeadKind,
}

impl DeadLetter {
    /// A record that could not be decoded or scanned.
    pub fn record(source: SourceRef, error: String, raw: Vec<u8>) -> DeadLetter {
        DeadLetter {
            source,
            error,
            raw,
            kind: DeadKind::Record,
        }
    }

    /// An alert the `sink` refused for good, with the sink's reason.
    pub fn alert(alert: &Alert, sink: &str, reason: &str) -> DeadLetter {
        DeadLetter {
            source: alert.source.clone(),
            error: format!("alert refused by the {sink} sink: {reason}"),
            raw: serde_json::to_vec(alert).expect("an alert serialises"),
            kind: DeadKind::Alert,
        }
    }
}

pub trait DeadLetterSink: Send + Sync {
    fn send<'a>(&'a self, records: &'a [&'a DeadLetter]) -> BoxFuture<'a, Result<(), SinkError>>;
}

/// List the first `MAX_FINDINGS` findings and count the rest in `findings_omitted`.
pub fn cap_findings(mut alert: Alert) -> Alert {
    if alert.findings.len() > MAX_FINDINGS {
        let omitted = alert.findings.len() - MAX_FINDINGS;
        alert.findings.truncate(MAX_FINDINGS);
        alert.findings.shrink_to_fit();
        alert.findings_omitted = Some(alert.findings_omitted.unwrap_or(0) + omitted);
    }
    alert
}

/// What became of a batch handed to `Sinks::deliver` (all of it is durable, or was dropped and
/// counted, by the time it returns).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// Alerts sent (after suppression) and accepted by every sink.
    pub alerts: usize,
    /// Alerts some sink refused for good, kept by the dead-letter output.
    pub dead_lettered_alerts: usize,
    /// Records written to the dead-letter output.
    pub dead_records: usize,
    /// Records skipped because no dead-letter output would take them (logged, counted).
    pub dropped_records: usize,
}

/// An alert a sink refused: (sink index, alert index, reason).
type Refusal = (usize, usize, String);

pub struct Sinks {
    pub alerts: Vec<Box<dyn AlertSink>>,
    pub dead_letter: Option<Box<dyn DeadLetterSink>>,
    /// The redacted forward, when configured: scanning then also redacts every event.
    pub forward: Option<forward::RedactedForward>,
    pub suppression: suppress::Suppressor,
    /// First and longest wait between retries (held alerts are retried at the longest).
    pub backoff: (Duration, Duration),
    /// Alerts are held (refused, nowhere to put them): not ready.
    held: AtomicBool,
}

impl Sinks {
    pub fn new(
        alerts: Vec<Box<dyn AlertSink>>,
        dead_letter: Option<Box<dyn DeadLetterSink>>,
        window: Duration,
    ) -> Sinks {
        Sinks {
            alerts,
            dead_letter,
            forward: None,
            suppression: suppress::Suppressor::new(window),
            backoff: (Duration::from_millis(100), Duration::from_secs(10)),
            held: AtomicBool::new(false),
        }
    }

    /// Deliver alerts (after suppression) to every sink and dead letters to the dead-letter
    /// output; returns once all of it is durable (see the module docs).
    pub async fn deliver(&self, alerts: &[&Alert], dead: &[&DeadLetter]) -> Delivered {
        let m = metrics();
        let mut to_send: Vec<&Alert> = Vec::with_capacity(alerts.len());
        let mut keys: Vec<String> = Vec::with_capacity(alerts.len());
        let mut in_batch: std::collections::HashSet<String> = Default::default();
        for a in alerts {
            match self.suppression.check(a) {
                // a repeat inside this batch is suppressed like one from an earlier batch
                Some(k) if k.is_empty() || in_batch.insert(k.clone()) => {
                    to_send.push(a);
                    keys.push(k);
                }
                _ => m.alerts_suppressed.with_label_values(&[a.rule]).inc(),
            }
        }
        let mut refused: Vec<Refusal> = Vec::new();
        for (s, sink) in self.alerts.iter().enumerate() {
            let name = sink.name();
            let rejected = self
                .split_send(name, to_send.len(), |r| sink.send(&to_send[r]))
                .await;
            m.alert_outcomes
                .with_label_values(&[name, "delivered"])
                .inc_by((to_send.len() - rejected.len()) as u64);
            if let Some((_, why)) = rejected.first() {
                emit(SinkRefusedAlerts {
                    sink: name,
                    alerts: rejected.len(),
                    error: why,
                });
            }
            refused.extend(rejected.into_iter().map(|(i, why)| (s, i, why)));
        }
        let refused = self.hold_without_dead_letter(refused, &to_send).await;
        let mut out = Delivered::default();
        let mut refusals = vec![0usize; to_send.len()];
        for (_, i, _) in &refused {
            refusals[*i] += 1;
        }
        for ((a, key), n) in to_send.iter().zip(keys).zip(&refusals) {
            if *n < self.alerts.len() {
                self.suppression.remember(key);
            }
            if *n == 0 {
                out.alerts += 1;
                m.alerts_sent
                    .with_label_values(&[a.rule, a.severity.as_str()])
                    .inc();
            }
        }
        out.dead_lettered_alerts = refusals.iter().filter(|n| **n > 0).count();
        let refused_letters: Vec<DeadLetter> = refused
            .iter()
            .map(|(s, i, why)| DeadLetter::alert(to_send[*i], self.alerts[*s].name(), why))
            .collect();
        self.keep_alerts(&refused_letters).await;
        for (s, _, _) in &refused {
            m.alert_outcomes
                .with_label_values(&[self.alerts[*s].name(), "dead_lettered"])
                .inc();
        }
        let (kept, dropped) = self.keep_records(dead).await;
        out.dead_records = kept;
        out.dropped_records = dropped;
        out
    }

    /// Send items `0..n` through `send`, retrying transient failures and splitting a batch that
    /// is refused for its content until only the refused items are left: returns those, with
    /// the reason.
    async fn split_send<'a>(
        &self,
        name: &'static str,
        n: usize,
        mut send: impl FnMut(Range<usize>) -> BoxFuture<'a, Result<(), SinkError>>,
    ) -> Vec<(usize, String)> {
        let mut rejected = Vec::new();
        let mut todo: Vec<Range<usize>> = Vec::with_capacity(8);
        todo.push(0..n);
        while let Some(r) = todo.pop() {
            if r.is_empty() {
                continue;
            }
            match self.retry(name, || send(r.clone())).await {
                Ok(()) => {}
                Err(SinkError::Permanent(why)) if r.len() > 1 => {
                    emit(SinkBatchSplit {
                        sink: name,
                        error: &why,
                        batch: r.len(),
                    });
                    let mid = r.start + r.len() / 2;
                    todo.push(mid..r.end);
                    todo.push(r.start..mid);
                }
                Err(e) => rejected.extend(r.map(|i| (i, e.to_string()))),
            }
        }
        rejected
    }

    /// Without a dead-letter output, refused alerts have nowhere to go: keep offering them to
    /// the sinks that refused them (the operator may fix the sink) while `/readyz` fails, and
    /// return only what is left once there is somewhere to put it, i.e. never, or nothing.
    async fn hold_without_dead_letter(
        &self,
        mut refused: Vec<Refusal>,
        alerts: &[&Alert],
    ) -> Vec<Refusal> {
        if self.dead_letter.is_some() || refused.is_empty() {
            return refused;
        }
        let m = metrics();
        self.held.store(true, Ordering::Relaxed);
        while !refused.is_empty() {
            emit(AlertsHeldNoDeadLetter {
                alerts: refused.len(),
                error: &refused[0].2,
                retry_in: self.backoff.1,
            });
            tokio::time::sleep(self.backoff.1).await;
            let mut still = Vec::new();
            for (s, sink) in self.alerts.iter().enumerate() {
                let idx: Vec<usize> = refused.iter().filter(|r| r.0 == s).map(|r| r.1).collect();
                let batch: Vec<&Alert> = idx.iter().map(|&i| alerts[i]).collect();
                let rejected = self
                    .split_send(sink.name(), batch.len(), |r| sink.send(&batch[r]))
                    .await;
                m.alert_outcomes
                    .with_label_values(&[sink.name(), "delivered"])
                    .inc_by((batch.len() - rejected.len()) as u64);
                still.extend(rejected.into_iter().map(|(j, why)| (s, idx[j], why)));
            }
            refused = still;
        }
        m.alerts_held.set(0);
        self.held.store(false, Ordering::Relaxed);
        emit(HeldAlertsAccepted);
        refused
    }

    /// Refused alerts to the dead-letter output; if it refuses them too, hold (as without one).
    async fn keep_alerts(&self, letters: &[DeadLetter]) {
        let Some(dl) = &self.dead_letter else {
            return;
        };
        let mut todo: Vec<&DeadLetter> = letters.iter().collect();
        while !todo.is_empty() {
            let rejected = self
                .split_send("dead_letter", todo.len(), |r| dl.send(&todo[r]))
                .await;
            for (i, d) in todo.iter().enumerate() {
                if !rejected.iter().any(|(j, _)| *j == i) {
                    metrics()
                        .dead_letters
                        .with_label_values(&[source_kind(&d.source)])
                        .inc();
                }
            }
            if rejected.is_empty() {
                break;
            }
            self.held.store(true, Ordering::Relaxed);
            emit(DeadLetterRefusedAlerts {
                alerts: rejected.len(),
                error: &rejected[0].1,
            });
            tokio::time::sleep(self.backoff.1).await;
            todo = rejected.into_iter().map(|(i, _)| todo[i]).collect();
        }
        metrics().alerts_held.set(0);
        self.held.store(false, Ordering::Relaxed);
    }

    /// Undecodable records to the dead-letter output. Without one (or one that refuses them
    /// for good), they are logged by position only and counted as dropped: they could not be
    /// scanned, and a record is never quoted anywhere but the dead-letter output.
    async fn keep_records(&self, dead: &[&DeadLetter]) -> (usize, usize) {
        if dead.is_empty() {
            return (0, 0);
        }
        let rejected: Vec<(usize, String)> = match &self.dead_letter {
            Some(dl) => {
                self.split_send("dead_letter", dead.len(), |r| dl.send(&dead[r]))
                    .await
            }
            None => (0..dead.len())
                .map(|i| (i, "no dead-letter output configured".to_string()))
                .collect(),
        };
        let m = metrics();
        let mut dropped = vec![false; dead.len()];
        for (i, why) in &rejected {
            dropped[*i] = true;
            let d = dead[*i];
            emit(RecordSkipped {
                source: &d.source,
                source_kind: source_kind(&d.source),
                error: &d.error,
                why,
            });
        }
        for (d, _) in dead.iter().zip(&dropped).filter(|(_, x)| !**x) {
            m.dead_letters
                .with_label_values(&[source_kind(&d.source)])
                .inc();
        }
        (dead.len() - rejected.len(), rejected.len())
    }

    /// Publish redacted events to the forward topic (retrying until accepted).
    pub async fn forward(&self, events: &[&forward::Forwarded]) {
        let Some(f) = &self.forward else {
            return;
        };
        if events.is_empty() {
            return;
        }
        if let Err(e) = self.retry("redacted_forward", || f.send(events)).await {
            emit(ForwardRefused {
                error: &e,
                events: events.len(),
            });
            return;
        }
        let m = metrics();
        for e in events {
            let kind = source_kind(&e.source);
            m.forwarded.with_label_values(&[kind]).inc();
            m.forwarded_masked
                .with_label_values(&[kind])
                .inc_by(e.masked as u64);
        }
    }

    /// Retry transient failures with backoff until the attempt succeeds or is refused for good:
    /// `backon`'s exponential backoff from `backoff.0`, doubling up to `backoff.1` (no jitter, so
    /// `backoff.1` stays the longest wait), never giving up on a transient failure.
    async fn retry<'a>(
        &self,
        name: &'static str,
        attempt: impl FnMut() -> BoxFuture<'a, Result<(), SinkError>>,
    ) -> Result<(), SinkError> {
        use backon::Retryable as _;
        let m = metrics();
        let policy = backon::ExponentialBuilder::new()
            .with_min_delay(self.backoff.0)
            .with_max_delay(self.backoff.1)
            .without_max_times();
        attempt
            .retry(policy)
            .sleep(tokio::time::sleep)
            .when(|e| matches!(e, SinkError::Retryable(_)))
            .notify(|e, wait| {
                emit(SinkDeliveryRetrying {
                    sink: name,
                    error: e,
                    retry_in: wait,
                });
            })
            .await
            .inspect_err(|_| m.sink_errors.with_label_values(&[name]).inc())
    }

    /// Ready unless alerts are held or a sink reports trouble.
    pub async fn ready(&self) -> bool {
        if self.held.load(Ordering::Relaxed) {
            return false;
        }
        if self.forward.as_ref().is_some_and(|f| !f.ready()) {
            return false;
        }
        for s in &self.alerts {
            if !s.ready().await {
                return false;
            }
        }
        true
    }

    /// Whether refused alerts are being held (no dead-letter output to take them).
    pub fn holding(&self) -> bool {
        self.held.load(Ordering::Relaxed)
    }
}

fn source_kind(s: &SourceRef) -> &'static str {
    match s {
        SourceRef::File { .. } => "file",
        SourceRef::Kafka { .. } => "kafka",
        SourceRef::Kinesis { .. } => "kinesis",
        SourceRef::Webhook { .. } => "webhook",
        SourceRef::S3 { .. } => "s3",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    /// Refuses, for its content, every batch holding an alert whose first fingerprint is
    /// "bad"; refuses everything while `refuse_all` calls remain; fails transiently first.
    #[derive(Default)]
    struct Picky {
        calls: AtomicUsize,
        transient: usize,
        refuse_all: AtomicUsize,
        accepted: Mutex<Vec<String>>,
    }

    impl AlertSink for Arc<Picky> {
        fn name(&self) -> &'static str {
            "test"
        }
        fn send<'a>(&'a self, alerts: &'a [&'a Alert]) -> BoxFuture<'a, Result<(), SinkError>> {
            Box::pin(async move {
                let n = self.calls.fetch_add(1, Ordering::SeqCst);
                if n < self.transient {
                    return Err(SinkError::Retryable("later".into()));
                }
                if self.refuse_all.load(Ordering::SeqCst) > 0 {
                    self.refuse_all.fetch_sub(1, Ordering::SeqCst);
                    return Err(SinkError::Refused("HTTP 401 Unauthorized".into()));
                }
                if alerts.iter().any(|a| a.findings[0].fingerprint == "bad") {
                    return Err(SinkError::Permanent("HTTP 413 Payload Too Large".into()));
                }
                let mut got = self.accepted.lock().unwrap();
                got.extend(alerts.iter().map(|a| a.findings[0].fingerprint.clone()));
                Ok(())
            })
        }
    }

    #[derive(Default)]
    struct Letters(Mutex<Vec<DeadLetter>>);

    impl DeadLetterSink for Arc<Letters> {
        fn send<'a>(
            &'a self,
            records: &'a [&'a DeadLetter],
        ) -> BoxFuture<'a, Result<(), SinkError>> {
            Box::pin(async move {
                self.0
                    .lock()
                    .unwrap()
                    .extend(records.iter().map(|d| (*d).clone()));
                Ok(())
            })
        }
    }

    fn alert(fp: &str) -> Alert {
        crate::sink::suppress::tests::alert("phi-in-tag", "AC0123456789abcdef0123456789abcdef", fp)
    }

    fn sinks(sink: &Arc<Picky>, dl: Option<&Arc<Letters>>, window: Duration) -> Sinks {
        let dl = dl.map(|d| Box::new(d.clone()) as Box<dyn DeadLetterSink>);
        let mut s = Sinks::new(vec![Box::new(sink.clone())], dl, window);
        s.backoff = (Duration::from_millis(1), Duration::from_millis(20));
        s
    }

    #[tokio::test]
    async fn transient_failures_are_retried_until_accepted() {
        let sink = Arc::new(Picky {
            transient: 3,
            ..Default::default()
        });
        let a = alert("f1");
        let out = sinks(&sink, None, Duration::ZERO).deliver(&[&a], &[]).await;
        assert_eq!(sink.calls.load(Ordering::SeqCst), 4);
        assert_eq!(out.alerts, 1);
    }

    /// Before: the whole batch was dropped (and then acknowledged). Now the refused alert goes
    /// to the dead-letter output with the reason, and its neighbours are delivered.
    #[tokio::test]
    async fn a_refused_alert_is_dead_lettered_and_its_neighbours_delivered() {
        let sink = Arc::new(Picky::default());
        let dl = Arc::new(Letters::default());
        let alerts: Vec<Alert> = ["f1", "f2", "bad", "f4", "f5"].map(alert).into();
        let refs: Vec<&Alert> = alerts.iter().collect();
        let out = sinks(&sink, Some(&dl), Duration::ZERO)
            .deliver(&refs, &[])
            .await;
        assert_eq!(out.alerts, 4);
        assert_eq!(out.dead_lettered_alerts, 1);
        let mut got = sink.accepted.lock().unwrap().clone();
        got.sort();
        assert_eq!(got, ["f1", "f2", "f4", "f5"]);
        let letters = dl.0.lock().unwrap();
        assert_eq!(letters.len(), 1);
        assert_eq!(letters[0].kind, DeadKind::Alert);
        assert!(letters[0].error.contains("test sink") && letters[0].error.contains("413"));
        let doc: serde_json::Value = serde_json::from_slice(&letters[0].raw).unwrap();
        assert_eq!(doc["findings"][0]["fingerprint"], "bad");
    }

    /// Before: dropped at once. Now, with nowhere to put them, refused alerts are held: not
    /// ready, `deliver` does not return (the events are not acknowledged) until the sink takes
    /// them.
    #[tokio::test]
    async fn without_a_dead_letter_output_refused_alerts_are_held_until_accepted() {
        let sink = Arc::new(Picky {
            refuse_all: AtomicUsize::new(3),
            ..Default::default()
        });
        let s = Arc::new(sinks(&sink, None, Duration::ZERO));
        let a = alert("f1");
        let task = {
            let s = s.clone();
            tokio::spawn(async move { s.deliver(&[&a], &[]).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(
            !task.is_finished(),
            "returned (acknowledged) a refused alert"
        );
        assert!(!s.ready().await, "ready while holding a refused alert");
        assert!(s.holding());
        let out = tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("delivered once the sink accepts")
            .unwrap();
        assert_eq!(out.alerts, 1);
        assert_eq!(*sink.accepted.lock().unwrap(), ["f1"]);
        assert!(s.ready().await);
    }

    /// Before: the window started when the alert was *offered*, so a refused alert also
    /// suppressed its repeat. Now it starts once a sink accepted it.
    #[tokio::test]
    async fn the_suppression_window_starts_only_once_a_sink_accepted() {
        let sink = Arc::new(Picky {
            refuse_all: AtomicUsize::new(1),
            ..Default::default()
        });
        let dl = Arc::new(Letters::default());
        let s = sinks(&sink, Some(&dl), Duration::from_secs(60));
        let a = alert("f1");
        let out = s.deliver(&[&a], &[]).await;
        assert_eq!((out.alerts, out.dead_lettered_alerts), (0, 1));
        let out = s.deliver(&[&a, &a], &[]).await;
        assert_eq!(
            out.alerts, 1,
            "the repeat of a refused alert is sent (once)"
        );
        let out = s.deliver(&[&a], &[]).await;
        assert_eq!(out.alerts, 0, "suppressed once accepted");
    }

    #[tokio::test]
    async fn records_without_a_dead_letter_output_are_counted_as_dropped() {
        let sink = Arc::new(Picky::default());
        let d = DeadLetter::record(
            SourceRef::Kafka {
                topic: "events".into(),
                partition: 0,
                offset: 7,
            },
            "not JSON".into(),
            b"{".to_vec(),
        );
        let before = metrics()
            .records_dropped
            .with_label_values(&["kafka", "no_dead_letter"])
            .get();
        let out = sinks(&sink, None, Duration::ZERO).deliver(&[], &[&d]).await;
        assert_eq!((out.dead_records, out.dropped_records), (0, 1));
        assert!(
            metrics()
                .records_dropped
                .with_label_values(&["kafka", "no_dead_letter"])
                .get()
                > before
        );
    }

    #[test]
    fn thousands_of_findings_are_capped_and_counted() {
        let mut a = alert("f1");
        a.findings[0].fingerprint = "0123456789abcdef0123456789abcdef".into();
        a.alert_id = "0123456789abcdef0123456789abcdef".into();
        a.findings = (0..5000).map(|_| a.findings[0].clone()).collect();
        let a = cap_findings(a);
        assert_eq!(a.findings.len(), MAX_FINDINGS);
        assert_eq!(a.findings_omitted, Some(5000 - MAX_FINDINGS));
        let doc = serde_json::to_value(&a).unwrap();
        assert_eq!(doc["findings_omitted"], 5000 - MAX_FINDINGS);
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../schema/alert.schema.json")).unwrap();
        let errors: Vec<String> = jsonschema::validator_for(&schema)
            .unwrap()
            .iter_errors(&doc)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "a capped alert matches the schema: {errors:?}"
        );
        let small = serde_json::to_value(cap_findings(alert("f2"))).unwrap();
        assert!(small.get("findings_omitted").is_none());
    }
}
