//! Where alerts go. Every sink implements `AlertSink`; `Sinks` fans a batch out to all of them,
//! retrying each until it accepts (at-least-once: an event is acknowledged only after that),
//! applies the suppression window first, and writes undecodable records to the dead-letter
//! output.

pub mod alertmanager;
pub mod dead_letter;
pub mod forward;
pub mod http;
pub mod jsonl;
pub mod kafka;
pub mod suppress;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::alert::{Alert, SourceRef};
use crate::metrics::metrics;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a delivery failed: worth retrying, or never going to work for this batch.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("{0}")]
    Retryable(String),
    #[error("{0}")]
    Permanent(String),
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

/// A record that could not be decoded, kept with where it came from. `raw` is the record as
/// received: it may hold PHI, so the dead-letter output must stay inside the source's boundary,
/// and `error` never quotes it.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub source: SourceRef,
    pub error: String,
    pub raw: Vec<u8>,
}

pub trait DeadLetterSink: Send + Sync {
    fn send<'a>(&'a self, records: &'a [&'a DeadLetter]) -> BoxFuture<'a, Result<(), SinkError>>;
}

pub struct Sinks {
    pub alerts: Vec<Box<dyn AlertSink>>,
    pub dead_letter: Option<Box<dyn DeadLetterSink>>,
    /// The redacted forward, when configured: scanning then also redacts every event.
    pub forward: Option<forward::RedactedForward>,
    pub suppression: suppress::Suppressor,
    /// First and longest wait between retries.
    pub backoff: (Duration, Duration),
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
        }
    }

    /// Deliver alerts (after suppression) to every sink and dead letters to the dead-letter
    /// output. Returns when all have accepted; retries transient failures with backoff, and
    /// drops a batch a sink permanently rejects (counted and logged, not retried forever).
    pub async fn deliver(&self, alerts: &[&Alert], dead: &[&DeadLetter]) {
        let m = metrics();
        let to_send: Vec<&Alert> = alerts
            .iter()
            .copied()
            .filter(|a| {
                let keep = self.suppression.admit(a);
                if !keep {
                    m.alerts_suppressed.with_label_values(&[a.rule]).inc();
                }
                keep
            })
            .collect();
        if !to_send.is_empty() {
            for sink in &self.alerts {
                self.retry(sink.name(), || sink.send(&to_send)).await;
            }
            for a in &to_send {
                m.alerts_sent
                    .with_label_values(&[a.rule, a.severity.as_str()])
                    .inc();
            }
        }
        if !dead.is_empty() {
            if let Some(dl) = &self.dead_letter {
                self.retry("dead_letter", || dl.send(dead)).await;
            }
            for d in dead {
                m.dead_letters
                    .with_label_values(&[source_kind(&d.source)])
                    .inc();
            }
        }
    }

    /// Publish redacted events to the forward topic (retrying until accepted).
    pub async fn forward(&self, events: &[&forward::Forwarded]) {
        let Some(f) = &self.forward else {
            return;
        };
        if events.is_empty() {
            return;
        }
        self.retry("redacted_forward", || f.send(events)).await;
        let m = metrics();
        for e in events {
            let kind = source_kind(&e.source);
            m.forwarded.with_label_values(&[kind]).inc();
            m.forwarded_masked
                .with_label_values(&[kind])
                .inc_by(e.masked as u64);
        }
    }

    async fn retry<'a>(
        &self,
        name: &'static str,
        mut attempt: impl FnMut() -> BoxFuture<'a, Result<(), SinkError>>,
    ) {
        let m = metrics();
        let mut wait = self.backoff.0;
        loop {
            match attempt().await {
                Ok(()) => return,
                Err(SinkError::Permanent(e)) => {
                    m.sink_errors.with_label_values(&[name]).inc();
                    tracing::error!(sink = name, error = %e, "sink rejected the batch permanently; dropping it");
                    return;
                }
                Err(SinkError::Retryable(e)) => {
                    m.sink_errors.with_label_values(&[name]).inc();
                    m.sink_retries.with_label_values(&[name]).inc();
                    tracing::warn!(sink = name, error = %e, retry_in_ms = wait.as_millis() as u64, "delivery failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(self.backoff.1);
                }
            }
        }
    }

    pub async fn ready(&self) -> bool {
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
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Flaky {
        calls: Arc<AtomicUsize>,
        fail_first: usize,
        permanent: bool,
    }

    impl AlertSink for Flaky {
        fn name(&self) -> &'static str {
            "test"
        }
        fn send<'a>(&'a self, _alerts: &'a [&'a Alert]) -> BoxFuture<'a, Result<(), SinkError>> {
            Box::pin(async move {
                let n = self.calls.fetch_add(1, Ordering::SeqCst);
                if n < self.fail_first {
                    Err(if self.permanent {
                        SinkError::Permanent("no".into())
                    } else {
                        SinkError::Retryable("later".into())
                    })
                } else {
                    Ok(())
                }
            })
        }
    }

    fn alert(fp: &str) -> Alert {
        crate::sink::suppress::tests::alert("phi-in-tag", "AC1", fp)
    }

    #[tokio::test]
    async fn retries_until_accepted_and_gives_up_on_permanent_errors() {
        let calls = Arc::new(AtomicUsize::new(0));
        let mut sinks = Sinks::new(
            vec![Box::new(Flaky {
                calls: calls.clone(),
                fail_first: 3,
                permanent: false,
            })],
            None,
            Duration::ZERO,
        );
        sinks.backoff = (Duration::from_millis(1), Duration::from_millis(2));
        let a = alert("f1");
        sinks.deliver(&[&a], &[]).await;
        assert_eq!(calls.load(Ordering::SeqCst), 4);

        let calls = Arc::new(AtomicUsize::new(0));
        let sinks = Sinks::new(
            vec![Box::new(Flaky {
                calls: calls.clone(),
                fail_first: 100,
                permanent: true,
            })],
            None,
            Duration::ZERO,
        );
        sinks.deliver(&[&a], &[]).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
