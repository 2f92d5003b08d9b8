//! Dead-letter output: records that could not be decoded (or were too large) are kept, raw, so
//! nothing is silently lost. A raw record may hold PHI, so the output stays inside the source's
//! boundary: a topic on the source Kafka cluster, or a local file. Nothing here logs a record.
//!
//! - `kafka_topic`: the record's bytes unchanged as the value, and headers `phiscan_error` (why;
//!   never quotes the record) and `phiscan_source` (JSON of where it came from).
//! - `path`: JSON Lines `{"kind": …, "source": …, "error": …, "raw": …}`, appended and synced
//!   to disk before the events are acknowledged; `raw` is the record as text when it is UTF-8,
//!   else base64 with `"raw_encoding": "base64"`.
//!
//! `kind` is `record` (a source record that could not be decoded or scanned: raw, may hold PHI)
//! or `alert` (an alert a sink refused for good: the alert document, masked like every alert;
//! `error` says which sink refused it and why). Kafka dead letters carry it in `phiscan_kind`.
//!
//! Both may be set; each dead letter then goes to both.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use base64::Engine as _;

use super::kafka::{Producer, Record};
use super::{BoxFuture, DeadLetter, DeadLetterSink, SinkError, SourceCluster};
use crate::internal_events::emit;
use crate::internal_events::sink::{
    DeadLetterOutputRefused, DeadLettersToFile, DeadLettersToKafka,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterConfig {
    /// A Kafka topic on the source cluster (keeps raw records inside the source's boundary)…
    pub kafka_topic: Option<String>,
    /// …or a local file (JSON Lines).
    pub path: Option<PathBuf>,
}

/// The dead-letter output `d` names (`cluster`: the Kafka source's, for `kafka_topic`).
pub fn build(
    d: &DeadLetterConfig,
    cluster: Option<&SourceCluster>,
) -> Result<Box<dyn DeadLetterSink>> {
    let mut outputs: Vec<Box<dyn DeadLetterSink>> = Vec::new();
    if let Some(path) = &d.path {
        outputs.push(Box::new(FileDeadLetter::open(path)?));
    }
    if let Some(topic) = &d.kafka_topic {
        let Some(source) = cluster else {
            bail!(
                "sinks.dead_letter.kafka_topic needs [sources.kafka]: dead letters go to the source cluster (use sinks.dead_letter.path otherwise)"
            );
        };
        if topic.is_empty() {
            bail!("sinks.dead_letter.kafka_topic is empty");
        }
        if (source.subscribes_to)(topic) {
            bail!(
                "sinks.dead_letter.kafka_topic `{topic}` is also a source topic (or matches a source pattern): dead letters would be consumed again"
            );
        }
        outputs.push(Box::new(KafkaDeadLetter::new(
            source.brokers,
            source.properties,
            topic,
        )?));
    }
    match outputs.len() {
        0 => bail!(
            "[sinks.dead_letter] needs kafka_topic (a topic on the source cluster) or path (a local file)"
        ),
        1 => Ok(outputs.pop().expect("one output")),
        _ => Ok(Box::new(Both(outputs))),
    }
}

/// Consumer-only librdkafka properties: the source's settings are reused for the dead-letter
/// producer (same cluster, same credentials), minus these, which a producer would warn about.
const CONSUMER_ONLY: &[&str] = &[
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "group.instance.id",
    "group.protocol",
    "group.protocol.type",
    "group.remote.assignor",
    "partition.assignment.strategy",
    "max.poll.interval.ms",
    "enable.auto.commit",
    "auto.commit.interval.ms",
    "enable.auto.offset.store",
    "auto.offset.reset",
    "queued.min.messages",
    "queued.max.messages.kbytes",
    "fetch.wait.max.ms",
    "fetch.queue.backoff.ms",
    "fetch.message.max.bytes",
    "max.partition.fetch.bytes",
    "fetch.max.bytes",
    "fetch.min.bytes",
    "fetch.error.backoff.ms",
    "isolation.level",
    "enable.partition.eof",
    "check.crcs",
    "consume.callback.max.messages",
    "coordinator.query.interval.ms",
    "offset.store.method",
    "statistics.interval.ms",
];

/// The source consumer's properties (cluster address, credentials) minus consumer-only ones,
/// for a producer writing back to the source cluster.
pub(crate) fn producer_properties(
    source_properties: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    source_properties
        .iter()
        .filter(|(k, _)| !CONSUMER_ONLY.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Raw records to a topic on the source cluster.
pub struct KafkaDeadLetter {
    producer: Producer,
    topic: String,
}

impl KafkaDeadLetter {
    pub fn new(
        brokers: &str,
        source_properties: &BTreeMap<String, String>,
        topic: &str,
    ) -> Result<KafkaDeadLetter> {
        let producer = Producer::new(
            brokers,
            &producer_properties(source_properties),
            "sinks.dead_letter",
        )?;
        Ok(KafkaDeadLetter {
            producer,
            topic: topic.to_string(),
        })
    }
}

impl DeadLetterSink for KafkaDeadLetter {
    fn send<'a>(&'a self, records: &'a [&'a DeadLetter]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            let sources: Vec<String> = records
                .iter()
                .map(|d| serde_json::to_string(&d.source).unwrap_or_default())
                .collect();
            let batch = records
                .iter()
                .zip(&sources)
                .map(|(d, source)| Record {
                    topic: &self.topic,
                    key: None,
                    payload: &d.raw,
                    headers: Some(super::kafka::headers(&[
                        ("phiscan_error", d.error.as_str()),
                        ("phiscan_source", source.as_str()),
                        ("phiscan_kind", d.kind.as_str()),
                    ])),
                })
                .collect();
            self.producer.send_all(batch).await?;
            emit(DeadLettersToKafka {
                records: records.len(),
                topic: &self.topic,
            });
            Ok(())
        })
    }
}

/// JSON Lines in a local file, appended and flushed per batch.
pub struct FileDeadLetter {
    path: PathBuf,
    out: Mutex<BufWriter<std::fs::File>>,
}

impl FileDeadLetter {
    pub fn open(path: &Path) -> Result<FileDeadLetter> {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("sinks.dead_letter.path: cannot open {}", path.display()))?;
        Ok(FileDeadLetter {
            path: path.to_path_buf(),
            out: Mutex::new(BufWriter::new(f)),
        })
    }
}

/// The JSON line for one dead letter.
pub fn to_json(d: &DeadLetter) -> serde_json::Value {
    let mut doc =
        serde_json::json!({ "kind": d.kind.as_str(), "source": d.source, "error": d.error });
    match std::str::from_utf8(&d.raw) {
        Ok(text) => doc["raw"] = text.into(),
        Err(_) => {
            doc["raw"] = base64::engine::general_purpose::STANDARD
                .encode(&d.raw)
                .into();
            doc["raw_encoding"] = "base64".into();
        }
    }
    doc
}

impl DeadLetterSink for FileDeadLetter {
    fn send<'a>(&'a self, records: &'a [&'a DeadLetter]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            let mut out = self.out.lock().expect("dead-letter file lock");
            let write = |out: &mut BufWriter<std::fs::File>| -> std::io::Result<()> {
                for d in records {
                    serde_json::to_writer(&mut *out, &to_json(d))?;
                    out.write_all(b"\n")?;
                }
                out.flush()?;
                // durable before the events it covers are acknowledged
                out.get_ref().sync_data()
            };
            // the io::Error names the failure (disk full, …), never the record
            write(&mut out).map_err(|e| {
                SinkError::Retryable(format!("dead-letter file {}: {e}", self.path.display()))
            })?;
            emit(DeadLettersToFile {
                records: records.len(),
                path: &self.path,
            });
            Ok(())
        })
    }
}

/// Both outputs: each batch goes to every one (the local file first). One refusing a batch for
/// good (a record too large for the topic) does not keep it from the other, and the batch counts
/// as kept when one output has it; a retryable failure
/// retries the batch (the file may then hold it twice: at-least-once).
struct Both(Vec<Box<dyn DeadLetterSink>>);

impl DeadLetterSink for Both {
    fn send<'a>(&'a self, records: &'a [&'a DeadLetter]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            let mut refused = None;
            let mut kept = false;
            for out in &self.0 {
                match out.send(records).await {
                    Ok(()) => kept = true,
                    Err(e @ SinkError::Retryable(_)) => return Err(e),
                    Err(e) => {
                        emit(DeadLetterOutputRefused {
                            error: &e,
                            records: records.len(),
                        });
                        refused = Some(e)
                    }
                }
            }
            // kept by one output: durable
            match refused {
                Some(e) if !kept => Err(e),
                _ => Ok(()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::SourceRef;

    fn dead(raw: &[u8]) -> DeadLetter {
        DeadLetter {
            source: SourceRef::Kafka {
                topic: "events".into(),
                partition: 2,
                offset: 41,
            },
            error: "not JSON: syntax error at line 1 column 1".into(),
            raw: raw.to_vec(),
            kind: crate::sink::DeadKind::Record,
        }
    }

    #[tokio::test]
    async fn file_output_keeps_text_and_base64_of_binary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dead.jsonl");
        let sink = build(
            &DeadLetterConfig {
                kafka_topic: None,
                path: Some(path.clone()),
            },
            None,
        )
        .unwrap();
        let (a, b) = (dead(b"not json {"), dead(&[0xff, 0xfe, 0x00, 0x41]));
        sink.send(&[&a, &b]).await.unwrap();
        drop(sink);
        let lines: Vec<serde_json::Value> = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["raw"], "not json {");
        assert_eq!(lines[0]["source"]["kind"], "kafka");
        assert_eq!(lines[0]["source"]["offset"], 41);
        assert!(lines[0].get("raw_encoding").is_none());
        assert_eq!(lines[1]["raw_encoding"], "base64");
        let raw = base64::engine::general_purpose::STANDARD
            .decode(lines[1]["raw"].as_str().unwrap())
            .unwrap();
        assert_eq!(raw, vec![0xff, 0xfe, 0x00, 0x41]);
    }

    #[test]
    fn kafka_topic_needs_a_kafka_source_and_a_target() {
        let e = build(
            &DeadLetterConfig {
                kafka_topic: Some("dlq".into()),
                path: None,
            },
            None,
        )
        .err()
        .unwrap();
        assert!(e.to_string().contains("[sources.kafka]"), "{e}");
        assert!(
            build(
                &DeadLetterConfig {
                    kafka_topic: None,
                    path: None
                },
                None
            )
            .is_err()
        );
    }
}
