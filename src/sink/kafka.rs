//! The Kafka alerts topic: one JSON alert per record, keyed by `alert_id` (stable per event and
//! rule, so compacted topics and downstream consumers de-duplicate redeliveries). The producer is
//! idempotent with `acks=all`; a batch counts as accepted only once every record in it has been
//! acknowledged by the broker.
//!
//! `Producer` is shared with the dead-letter output (`dead_letter.rs`), which writes raw records
//! to a topic on the source cluster.

use std::collections::BTreeMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer as _};

use super::{AlertSink, AlertSinkConfig, BoxFuture, SinkError};
use crate::alert::Alert;
use crate::internal_events::emit;
use crate::internal_events::sink::{
    AlertsToKafka, ProducerFatalError, ProducerPropertyOverridden, ProducerRecreateFailed,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSinkConfig {
    pub brokers: String,
    pub topic: String,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

impl AlertSinkConfig for KafkaSinkConfig {
    fn build(&self) -> Result<Box<dyn AlertSink>> {
        Ok(Box::new(KafkaSink::new(self)?))
    }
}

/// librdkafka statistics are not wanted from producers (the default context would log them).
pub(crate) struct QuietContext;

impl ClientContext for QuietContext {
    fn stats_raw(&self, _statistics: &[u8]) {}
}

/// How long one send may wait for room in librdkafka's local queue before the batch is
/// reported as retryable (the pipeline then retries it with backoff).
const QUEUE_FULL_WAIT: Duration = Duration::from_secs(5);

/// An idempotent producer (`acks=all`) that awaits every delivery. After a fatal error (the
/// idempotent producer's sequence broke) it is rebuilt, as librdkafka requires.
pub(crate) struct Producer {
    config: ClientConfig,
    inner: RwLock<FutureProducer<QuietContext>>,
    /// Where it writes (for error messages; never a record's content).
    what: String,
}

/// One record to send. The payload may be a raw source record (dead letters): never log it.
pub(crate) struct Record<'a> {
    pub topic: &'a str,
    pub key: Option<&'a [u8]>,
    pub payload: &'a [u8],
    pub headers: Option<OwnedHeaders>,
}

impl Producer {
    /// `properties` are applied after the defaults, so an operator can override any of them
    /// (except idempotence and acks, which at-least-once delivery depends on).
    pub(crate) fn new(
        brokers: &str,
        properties: &BTreeMap<String, String>,
        what: &str,
    ) -> Result<Producer> {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", brokers)
            .set("message.timeout.ms", "30000")
            .set("linger.ms", "5");
        for (k, v) in properties {
            config.set(k, v);
        }
        for (k, v) in [("enable.idempotence", "true"), ("acks", "all")] {
            if config.get(k).is_some_and(|set| set != v) {
                emit(ProducerPropertyOverridden {
                    what,
                    property: k,
                    required: v,
                });
            }
            config.set(k, v);
        }
        let producer =
            create(&config).with_context(|| format!("{what}: cannot create the Kafka producer"))?;
        Ok(Producer {
            config,
            inner: RwLock::new(producer),
            what: what.to_string(),
        })
    }

    fn current(&self) -> FutureProducer<QuietContext> {
        self.inner.read().expect("producer lock").clone()
    }

    /// Replace the producer after a fatal error (only once per broken instance).
    fn recover(&self, broken: &FutureProducer<QuietContext>) {
        let Some((code, reason)) = broken.client().fatal_error() else {
            return;
        };
        let mut inner = self.inner.write().expect("producer lock");
        if inner.client().native_ptr() != broken.client().native_ptr() {
            return; // another task already replaced it
        }
        emit(ProducerFatalError {
            sink: &self.what,
            error: &code,
            reason: &reason,
        });
        match create(&self.config) {
            Ok(p) => *inner = p,
            Err(e) => emit(ProducerRecreateFailed {
                sink: &self.what,
                error: &e,
            }),
        }
    }

    /// Send every record and wait until the broker acknowledged all of them.
    pub(crate) async fn send_all(&self, records: Vec<Record<'_>>) -> Result<(), SinkError> {
        let producer = self.current();
        let mut pending: Vec<DeliveryFuture> = Vec::with_capacity(records.len());
        let mut first_error: Option<SinkError> = None;
        'records: for r in records {
            let mut record = FutureRecord::<[u8], [u8]>::to(r.topic).payload(r.payload);
            if let Some(k) = r.key {
                record = record.key(k);
            }
            if let Some(h) = r.headers {
                record = record.headers(h);
            }
            let deadline = Instant::now() + QUEUE_FULL_WAIT;
            loop {
                match producer.send_result(record) {
                    Ok(delivery) => {
                        pending.push(delivery);
                        break;
                    }
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back))
                        if Instant::now() < deadline =>
                    {
                        record = back;
                        // make room: wait for the oldest outstanding delivery, or briefly
                        if pending.is_empty() {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        } else {
                            let oldest = pending.remove(0);
                            if let Err(e) = delivered(oldest).await {
                                first_error.get_or_insert(e);
                            }
                        }
                    }
                    Err((e, _)) => {
                        first_error.get_or_insert(classify(&e, &self.what));
                        break 'records;
                    }
                }
            }
        }
        // await everything already handed to librdkafka, even after an error, so a retry does
        // not race the records still in flight
        for d in pending {
            if let Err(e) = delivered(d).await {
                // a retryable error wins: retrying the batch may still deliver the rest
                match (&first_error, &e) {
                    (None, _)
                    | (
                        Some(SinkError::Permanent(_) | SinkError::Refused(_)),
                        SinkError::Retryable(_),
                    ) => first_error = Some(e),
                    _ => {}
                }
            }
        }
        match first_error {
            None => Ok(()),
            Some(e) => {
                self.recover(&producer);
                Err(e)
            }
        }
    }

    /// Whether the producer is usable (no fatal error).
    pub(crate) fn healthy(&self) -> bool {
        self.current().client().fatal_error().is_none()
    }
}

/// Record headers from (name, text) pairs.
pub(crate) fn headers(pairs: &[(&str, &str)]) -> OwnedHeaders {
    pairs.iter().fold(
        OwnedHeaders::new_with_capacity(pairs.len()),
        |h, (key, value)| {
            h.insert(rdkafka::message::Header {
                key,
                value: Some(*value),
            })
        },
    )
}

fn create(config: &ClientConfig) -> Result<FutureProducer<QuietContext>, KafkaError> {
    config.create_with_context(QuietContext)
}

async fn delivered(d: DeliveryFuture) -> Result<(), SinkError> {
    match d.await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err((e, _message))) => Err(classify(&e, "kafka")),
        Err(_cancelled) => Err(SinkError::Retryable(
            "the Kafka producer was dropped before delivery".into(),
        )),
    }
}

/// Too large or refused by policy/authorisation: retrying the same record cannot help.
/// Everything else (queue full, timeouts, brokers down, leader changes) is worth retrying.
fn classify(e: &KafkaError, what: &str) -> SinkError {
    use RDKafkaErrorCode as C;
    let refused = matches!(
        e.rdkafka_error_code(),
        Some(
            C::InvalidTopic
                | C::InvalidRequiredAcks
                | C::TopicAuthorizationFailed
                | C::ClusterAuthorizationFailed
                | C::UnsupportedForMessageFormat
        )
    );
    let permanent = matches!(
        e.rdkafka_error_code(),
        Some(
            C::MessageSizeTooLarge
                | C::InvalidMessageSize
                | C::InvalidMessage
                | C::InvalidRecord
                | C::MessageBatchTooLarge
                | C::InvalidTopic
                | C::InvalidRequiredAcks
                | C::TopicAuthorizationFailed
                | C::ClusterAuthorizationFailed
                | C::UnsupportedForMessageFormat
                | C::PolicyViolation
                | C::InvalidArgument
        )
    );
    // KafkaError's text is the error code and librdkafka's reason: no record content
    let msg = format!("{what}: {e}");
    if refused {
        SinkError::Refused(msg)
    } else if permanent {
        SinkError::Permanent(msg)
    } else {
        SinkError::Retryable(msg)
    }
}

pub struct KafkaSink {
    producer: Producer,
    topic: String,
}

impl KafkaSink {
    pub fn new(config: &KafkaSinkConfig) -> Result<KafkaSink> {
        if config.topic.is_empty() {
            anyhow::bail!("sinks.kafka.topic is empty");
        }
        let producer = Producer::new(&config.brokers, &config.properties, "sinks.kafka")?;
        Ok(KafkaSink {
            producer,
            topic: config.topic.clone(),
        })
    }
}

impl super::AlertSink for KafkaSink {
    fn name(&self) -> &'static str {
        "kafka"
    }

    fn send<'a>(&'a self, alerts: &'a [&'a Alert]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            let payloads = alerts
                .iter()
                .map(|a| {
                    serde_json::to_vec(a).map_err(|e| {
                        SinkError::Permanent(format!("cannot serialise an alert: {e}"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let records = alerts
                .iter()
                .zip(&payloads)
                .map(|(a, p)| Record {
                    topic: &self.topic,
                    key: Some(a.alert_id.as_bytes()),
                    payload: p,
                    headers: None,
                })
                .collect();
            self.producer.send_all(records).await?;
            emit(AlertsToKafka {
                alerts: alerts.len(),
                topic: &self.topic,
            });
            Ok(())
        })
    }

    fn ready(&self) -> BoxFuture<'_, bool> {
        Box::pin(async move { self.producer.healthy() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_large_is_permanent_and_queue_full_is_retryable() {
        let big = KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge);
        assert!(matches!(classify(&big, "t"), SinkError::Permanent(_)));
        let full = KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull);
        assert!(matches!(classify(&full, "t"), SinkError::Retryable(_)));
        let down = KafkaError::MessageProduction(RDKafkaErrorCode::AllBrokersDown);
        assert!(matches!(classify(&down, "t"), SinkError::Retryable(_)));
        let timeout = KafkaError::MessageProduction(RDKafkaErrorCode::MessageTimedOut);
        assert!(matches!(classify(&timeout, "t"), SinkError::Retryable(_)));
    }
}
