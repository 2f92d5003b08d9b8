//! Kafka topics as replay objects: each partition's offset range, cut into chunks so a long
//! partition is resumable in steps and several workers read one topic at once.
//!
//! The range is resolved once, when the replay starts (offsets, or timestamps through
//! `offsets_for_times`; open ends are the log start and the high watermark at that moment), and
//! stored in the state file, so a resumed replay of a live topic reads the same range and skips
//! exactly the chunks it finished. Reading uses an assigned consumer with no group: nothing is
//! committed, a replay never disturbs the service's consumer group.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::{Context, Malformed, ObjectResult, time};
use crate::alert::SourceRef;
use crate::event::decode_bytes;
use crate::scan::ScanScratch;

/// Messages per replay object.
pub const CHUNK: i64 = 50_000;
const TIMEOUT: Duration = Duration::from_secs(30);

/// `kafka://broker[,broker]/topic`.
#[derive(Debug, Clone, PartialEq)]
pub struct KafkaSource {
    pub brokers: String,
    pub topic: String,
}

impl KafkaSource {
    pub fn parse(s: &str) -> Result<KafkaSource> {
        let rest = s.strip_prefix("kafka://").unwrap_or(s);
        match rest.split_once('/') {
            Some((b, t)) if !b.is_empty() && !t.is_empty() && !t.contains('/') => Ok(KafkaSource {
                brokers: b.to_string(),
                topic: t.to_string(),
            }),
            _ => bail!("`{s}`: expected kafka://BROKER[,BROKER]/TOPIC"),
        }
    }
}

/// A position given on the command line: an offset, or a time (RFC 3339, milliseconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Position {
    Offset(i64),
    Time(i64),
}

impl Position {
    pub fn parse(s: &str) -> Result<Position> {
        if let Ok(n) = s.parse::<i64>() {
            return Ok(Position::Offset(n.max(0)));
        }
        time::parse_millis(s)
            .map(Position::Time)
            .with_context(|| format!("`{s}` is neither an offset nor an RFC 3339 time"))
    }
}

/// Where to start and stop in every partition (`--kafka-from`, `--kafka-to`; by default the
/// `--since/--until` times, else the whole log up to now). `plan` holds the ranges already
/// resolved (from the state file) and receives new ones.
#[derive(Debug, Clone, Default)]
pub struct RangeArgs {
    pub from: Option<Position>,
    pub to: Option<Position>,
    pub plan: BTreeMap<String, (i64, i64)>,
}

/// One chunk of one partition: offsets `start..end`.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionRange {
    pub brokers: String,
    pub topic: String,
    pub partition: i32,
    pub start: i64,
    pub end: i64,
}

impl PartitionRange {
    pub fn id(&self) -> String {
        format!(
            "kafka://{}/{}/{}@{}-{}",
            self.brokers, self.topic, self.partition, self.start, self.end
        )
    }
}

fn consumer(brokers: &str) -> Result<BaseConsumer> {
    ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("client.id", "phiscan-replay")
        .set("group.id", "phiscan-replay-unused")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .with_context(|| format!("creating a Kafka consumer for {brokers}"))
}

/// The chunks of every partition of the topic; resolves and records ranges not yet in `plan`.
pub fn partition_ranges(src: &KafkaSource, args: &mut RangeArgs) -> Result<Vec<PartitionRange>> {
    let c = consumer(&src.brokers)?;
    let md = c
        .fetch_metadata(Some(&src.topic), TIMEOUT)
        .with_context(|| {
            format!(
                "reading metadata of topic {} from {}",
                src.topic, src.brokers
            )
        })?;
    let topic = md
        .topics()
        .first()
        .filter(|t| t.error().is_none() && !t.partitions().is_empty())
        .ok_or_else(|| anyhow!("topic `{}` not found on {}", src.topic, src.brokers))?;
    let mut out = Vec::new();
    for p in topic.partitions() {
        let key = format!("kafka://{}/{}/{}", src.brokers, src.topic, p.id());
        let (start, end) = match args.plan.get(&key) {
            Some(r) => *r,
            None => {
                let r = resolve(&c, &src.topic, p.id(), args.from, args.to)?;
                args.plan.insert(key, r);
                r
            }
        };
        let mut s = start;
        while s < end {
            let e = (s + CHUNK).min(end);
            out.push(PartitionRange {
                brokers: src.brokers.clone(),
                topic: src.topic.clone(),
                partition: p.id(),
                start: s,
                end: e,
            });
            s = e;
        }
    }
    Ok(out)
}

fn resolve(
    c: &BaseConsumer,
    topic: &str,
    partition: i32,
    from: Option<Position>,
    to: Option<Position>,
) -> Result<(i64, i64)> {
    let (low, high) = c
        .fetch_watermarks(topic, partition, TIMEOUT)
        .with_context(|| format!("reading offsets of {topic}/{partition}"))?;
    let at = |pos: Option<Position>, default: i64| -> Result<i64> {
        Ok(match pos {
            None => default,
            Some(Position::Offset(n)) => n.clamp(low, high),
            Some(Position::Time(ms)) => {
                let mut tpl = TopicPartitionList::new();
                tpl.add_partition_offset(topic, partition, Offset::Offset(ms))?;
                let found = c.offsets_for_times(tpl, TIMEOUT)?;
                match found.find_partition(topic, partition).map(|e| e.offset()) {
                    Some(Offset::Offset(n)) => n.clamp(low, high),
                    // no message at or after that time
                    _ => high,
                }
            }
        })
    };
    let start = at(from, low)?;
    let end = at(to, high)?;
    Ok((start, end.max(start)))
}

/// Read and scan offsets `start..end` of one partition; returns the next offset.
pub fn scan_range(
    ctx: &Context,
    r: &PartitionRange,
    scratch: &mut ScanScratch,
    out: &mut ObjectResult,
) -> Result<i64> {
    let c = consumer(&r.brokers)?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&r.topic, r.partition, Offset::Offset(r.start))?;
    c.assign(&tpl)?;
    let mut next = r.start;
    let mut last_progress = Instant::now();
    let mut events = Vec::new();
    while next < r.end {
        let Some(msg) = c.poll(Duration::from_millis(500)) else {
            if last_progress.elapsed() > TIMEOUT {
                bail!(
                    "{}: no message for {}s at offset {next} (broker down, or the range was deleted by retention?)",
                    r.id(),
                    TIMEOUT.as_secs()
                );
            }
            continue;
        };
        let msg = msg.with_context(|| format!("reading {}", r.id()))?;
        last_progress = Instant::now();
        let offset = msg.offset();
        if offset >= r.end {
            break;
        }
        next = offset + 1;
        let payload = msg.payload().unwrap_or_default();
        out.counts.bytes += payload.len() as u64;
        ctx.bytes
            .fetch_add(payload.len() as u64, std::sync::atomic::Ordering::Relaxed);
        events.clear();
        if let Err(e) = decode_bytes(payload, &mut events) {
            out.malformed.push(Malformed {
                line: offset as u64,
                error: e.to_string(),
                raw: payload.to_vec(),
            });
            continue;
        }
        for event in events.drain(..) {
            let source = SourceRef::Kafka {
                topic: r.topic.clone(),
                partition: r.partition,
                offset,
            };
            super::scan_one(ctx, event, source, scratch, out);
        }
    }
    out.stats.malformed = out.malformed.len() as u64;
    out.stats.bytes = out.counts.bytes;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_positions() {
        let k = KafkaSource::parse("kafka://a:9092,b:9092/events").unwrap();
        assert_eq!(
            (k.brokers.as_str(), k.topic.as_str()),
            ("a:9092,b:9092", "events")
        );
        assert!(KafkaSource::parse("kafka://a:9092").is_err());
        assert_eq!(Position::parse("42").unwrap(), Position::Offset(42));
        assert_eq!(
            Position::parse("1970-01-01T00:00:01Z").unwrap(),
            Position::Time(1000)
        );
        assert!(Position::parse("soon").is_err());
    }
}
