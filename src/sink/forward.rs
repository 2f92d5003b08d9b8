//! The redacted forward: every scanned event, with its detected values masked, published to a
//! Kafka topic for consumers that are not cleared for PHI (analytics, a non-HIPAA data
//! warehouse). One CloudEvent JSON (structured mode) per record, keyed by the source record's
//! key (or the event id), with headers `phiscan_masked` (how many values were masked) and
//! `phiscan_source` (JSON of where the event came from).
//!
//! Like alerts, a forwarded event must be accepted by the broker before its source offset is
//! committed (or its webhook request answered), so a crash re-sends rather than skips.

use anyhow::{Result, bail};

use super::kafka::{Producer, Record};
use super::{BoxFuture, SinkError, SourceCluster};
use crate::alert::SourceRef;
use crate::event::redact::Redaction;
use crate::internal_events::emit;
use crate::internal_events::sink::ForwardSent;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RedactedForwardConfig {
    /// Topic that receives every scanned event (one CloudEvent JSON per record) with its
    /// detected values masked.
    pub kafka_topic: String,
    /// `bootstrap.servers` of the cluster to write to [default: the source cluster, with the
    /// source's properties].
    pub brokers: Option<String>,
    /// librdkafka producer properties, used with `brokers`.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// `masked` (the alert's preview, `***-**-6789`) or `category` (`[ssn]`).
    #[serde(default)]
    pub style: crate::event::redact::Style,
    /// Also mask participant addresses (`to`, `from`, …: phone numbers and emails are
    /// identifiers too). Routing consumers that need them can turn this off.
    #[serde(default = "default_true")]
    pub mask_addresses: bool,
}

fn default_true() -> bool {
    true
}

/// One redacted event, ready to publish.
#[derive(Debug, Clone)]
pub struct Forwarded {
    pub source: SourceRef,
    pub key: Option<Vec<u8>>,
    /// The redacted CloudEvent, serialised.
    pub event: Vec<u8>,
    pub masked: usize,
}

pub struct RedactedForward {
    producer: Producer,
    topic: String,
    pub redaction: Redaction,
}

impl RedactedForward {
    /// The forward `f` configures (`cluster`: the Kafka source's, used without `brokers`).
    pub fn build(
        f: Option<&RedactedForwardConfig>,
        cluster: Option<&SourceCluster>,
    ) -> Result<Option<RedactedForward>> {
        let Some(f) = f else {
            return Ok(None);
        };
        let producer = match (&f.brokers, cluster) {
            (Some(brokers), _) => Producer::new(brokers, &f.properties, "sinks.redacted_forward")?,
            (None, Some(source)) => Producer::new(
                source.brokers,
                &super::dead_letter::producer_properties(source.properties),
                "sinks.redacted_forward",
            )?,
            (None, None) => bail!(
                "sinks.redacted_forward needs brokers (there is no [sources.kafka] cluster to default to)"
            ),
        };
        Ok(Some(RedactedForward {
            producer,
            topic: f.kafka_topic.clone(),
            redaction: Redaction {
                style: f.style,
                mask_addresses: f.mask_addresses,
            },
        }))
    }

    pub fn send<'a>(&'a self, events: &'a [&'a Forwarded]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            let meta: Vec<(String, String)> = events
                .iter()
                .map(|e| {
                    (
                        e.masked.to_string(),
                        serde_json::to_string(&e.source).unwrap_or_default(),
                    )
                })
                .collect();
            let records = events
                .iter()
                .zip(&meta)
                .map(|(e, (masked, source))| Record {
                    topic: &self.topic,
                    key: e.key.as_deref(),
                    payload: &e.event,
                    headers: Some(super::kafka::headers(&[
                        ("phiscan_masked", masked),
                        ("phiscan_source", source),
                    ])),
                })
                .collect();
            self.producer.send_all(records).await?;
            emit(ForwardSent {
                events: events.len(),
                topic: &self.topic,
            });
            Ok(())
        })
    }

    pub fn ready(&self) -> bool {
        self.producer.healthy()
    }
}
