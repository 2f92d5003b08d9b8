//! Kinesis streams as replay objects: every shard read from a start time (`AT_TIMESTAMP`, or
//! `TRIM_HORIZON` without one) up to a bound on the records' arrival time.
//!
//! Why arrival time: it is the only position Kinesis can seek to, and it is never earlier than an
//! event's own `time` by more than the producer's delay. So the read starts at `--since` (no event
//! at or after `--since` arrived before it) and runs until records arrive `GRACE` after
//! `--until`, and the window on the events' own `time` (as for every source) then selects exactly
//! the events asked for.
//!
//! The bound is resolved once, when the replay starts (an open end becomes "now"), and kept in
//! the state file, so a resumed replay of a live stream reads the same range. A shard ends at
//! the first record past the bound, at its end when it was closed by resharding (no next
//! iterator), or when the reader has caught up with the tip (`MillisBehindLatest` = 0 and no
//! records). Shards are the objects of resumption: a finished shard is never read again; one
//! interrupted mid-way is read again from its start. Nothing is checkpointed in the stream's
//! lease table: a replay never disturbs the service's readers.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::DateTime;
use aws_sdk_kinesis::types::ShardIteratorType;

use super::{Context, Malformed, ObjectResult};
use crate::alert::SourceRef;
use crate::aws::{AwsTarget, describe, sdk_config};
use crate::event::decode_bytes;
use crate::scan::ScanScratch;
use crate::source::kinesis::shard::unwrap_gzip;

/// How long after `--until` records may still arrive carrying events from before it.
pub const GRACE: Duration = Duration::from_secs(300);
/// Records per GetRecords call (the API's maximum).
const LIMIT: i32 = 10_000;
/// Largest decompressed record accepted (Kinesis records are at most 1 MiB; gzip inside).
const MAX_RECORD: usize = 16 << 20;

/// `kinesis://STREAM`.
#[derive(Debug, Clone, PartialEq)]
pub struct KinesisSource {
    pub stream: String,
}

impl KinesisSource {
    pub fn parse(s: &str) -> Result<KinesisSource> {
        let stream = s.strip_prefix("kinesis://").unwrap_or(s);
        let valid = !stream.is_empty()
            && stream.len() <= 128
            && stream
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid {
            bail!("`{s}`: expected kinesis://STREAM (the stream name: letters, digits, _ - .)");
        }
        Ok(KinesisSource {
            stream: stream.to_string(),
        })
    }

    fn id(&self) -> String {
        format!("kinesis://{}", self.stream)
    }
}

/// The arrival-time range asked for on the command line (see `bound`), and the ranges already resolved
/// (from the state file): stream id → (start ms or -1 for TRIM_HORIZON, bound ms).
#[derive(Debug, Clone, Default)]
pub struct RangeArgs {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub plan: BTreeMap<String, (i64, i64)>,
}

/// One shard's part of the replay.
#[derive(Debug, Clone)]
pub struct ShardRange {
    pub stream: String,
    pub shard: String,
    /// Arrival time to start at (ms since the epoch); `None`: the oldest record kept.
    pub from: Option<i64>,
    /// Records that arrived at or after this time (ms) are not read.
    pub to: i64,
}

impl ShardRange {
    pub fn id(&self) -> String {
        format!("kinesis://{}/{}", self.stream, self.shard)
    }
}

/// A Kinesis client with its own small runtime (replay workers are plain threads).
pub struct Kinesis {
    client: Client,
    rt: tokio::runtime::Runtime,
}

impl Kinesis {
    /// Region and credentials from the AWS chain; `endpoint` for kinesis-local or a VPC endpoint.
    pub fn connect(endpoint: Option<&str>, region: Option<&str>) -> Result<Kinesis> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("phiscan-kinesis")
            .enable_all()
            .build()
            .context("starting the Kinesis client runtime")?;
        let target = AwsTarget {
            region,
            endpoint_url: endpoint,
        };
        let config = rt.block_on(sdk_config(&target, "replay --kinesis-endpoint/--region"))?;
        // throttling (ProvisionedThroughputExceeded) is retried by the SDK's standard mode,
        // with exponential backoff and jitter; a replay may wait longer than a live reader
        let conf = aws_sdk_kinesis::config::Builder::from(&config)
            .retry_config(
                aws_sdk_kinesis::config::retry::RetryConfig::standard().with_max_attempts(10),
            )
            .build();
        Ok(Kinesis {
            client: Client::from_conf(conf),
            rt,
        })
    }

    /// Every shard of the stream (ListShards, all pages), in id order.
    fn shard_ids(&self, stream: &str) -> Result<Vec<String>> {
        self.rt.block_on(async {
            let mut ids = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let req = match &token {
                    Some(t) => self.client.list_shards().next_token(t),
                    None => self.client.list_shards().stream_name(stream),
                };
                let page = req.send().await.map_err(|e| {
                    anyhow!(
                        "listing the shards of Kinesis stream `{stream}`: {} (check the stream name, region, credentials and --kinesis-endpoint)",
                        describe(&e)
                    )
                })?;
                ids.extend(page.shards().iter().map(|s| s.shard_id().to_string()));
                token = page.next_token().map(str::to_string);
                if token.is_none() {
                    break;
                }
            }
            ids.sort();
            Ok(ids)
        })
    }
}

/// The arrival-time bound: `--kinesis-to` exactly, else `--until` plus `GRACE`, else none (the
/// tip when the replay starts).
pub fn bound(to: Option<i64>, until: Option<i64>) -> Option<i64> {
    to.or_else(|| until.map(|u| u.saturating_add(GRACE.as_millis() as i64)))
}

/// Now, in milliseconds since the epoch.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The shards of `src` with the range resolved now, or taken from the plan of a resumed replay.
pub fn shard_ranges(
    kinesis: &Kinesis,
    src: &KinesisSource,
    args: &mut RangeArgs,
) -> Result<Vec<ShardRange>> {
    let (from, to) = *args.plan.entry(src.id()).or_insert_with(|| {
        let to = args.to.unwrap_or_else(now_ms).min(now_ms());
        (args.from.unwrap_or(-1), to)
    });
    if from >= 0 && from >= to {
        bail!(
            "kinesis://{}: the start time is not before the end of the range",
            src.stream
        );
    }
    let ranges = kinesis
        .shard_ids(&src.stream)?
        .into_iter()
        .map(|shard| ShardRange {
            stream: src.stream.clone(),
            shard,
            from: (from >= 0).then_some(from),
            to,
        })
        .collect();
    Ok(ranges)
}

/// One GetRecords page, reduced to what the reader needs.
struct Page {
    records: Vec<(String, i64, Vec<u8>)>,
    next: Option<String>,
    caught_up: bool,
}

/// Read one shard's range and scan each record's events, as `scan` would.
pub fn scan_shard(
    ctx: &Context,
    kinesis: &Kinesis,
    r: &ShardRange,
    scratch: &mut ScanScratch,
    out: &mut ObjectResult,
) -> Result<()> {
    let mut iterator = kinesis.rt.block_on(first_iterator(&kinesis.client, r))?;
    while let Some(it) = iterator.take() {
        let page = kinesis
            .rt
            .block_on(get_records(&kinesis.client, &it))
            .with_context(|| format!("reading {}", r.id()))?;
        for (sequence, arrived, data) in page.records {
            if arrived >= r.to {
                return finish(out);
            }
            scan_record(ctx, r, sequence, &data, scratch, out);
        }
        if page.caught_up {
            break;
        }
        iterator = page.next;
    }
    finish(out)
}

fn finish(out: &mut ObjectResult) -> Result<()> {
    out.stats.malformed = out.malformed.len() as u64;
    out.stats.bytes = out.counts.bytes;
    Ok(())
}

/// Decode one record (gzip unwrapped, then one event, a JSON array or base64 text) and scan it.
fn scan_record(
    ctx: &Context,
    r: &ShardRange,
    sequence: String,
    data: &[u8],
    scratch: &mut ScanScratch,
    out: &mut ObjectResult,
) {
    out.counts.bytes += data.len() as u64;
    ctx.bytes
        .fetch_add(data.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let mut events = Vec::new();
    // gzip unwrapped as the live reader does (bounded just past the limit), then decoded
    let bytes = unwrap_gzip(data, MAX_RECORD);
    let decoded = match bytes.len() > MAX_RECORD {
        true => Err(format!("gzip record expands past {MAX_RECORD} bytes")),
        false => decode_bytes(&bytes, &mut events).map_err(|e| e.to_string()),
    };
    if let Err(error) = decoded {
        out.malformed.push(Malformed {
            line: out.malformed.len() as u64,
            error: format!("record {sequence}: {error}"),
            raw: data.to_vec(),
        });
        return;
    }
    for event in events {
        let source = SourceRef::Kinesis {
            stream: r.stream.clone(),
            shard: r.shard.clone(),
            sequence: sequence.clone(),
        };
        super::scan_one(ctx, event, source, scratch, out);
    }
}

async fn first_iterator(client: &Client, r: &ShardRange) -> Result<Option<String>> {
    let req = client
        .get_shard_iterator()
        .stream_name(&r.stream)
        .shard_id(&r.shard);
    let req = match r.from {
        Some(ms) => req
            .shard_iterator_type(ShardIteratorType::AtTimestamp)
            .timestamp(DateTime::from_millis(ms)),
        None => req.shard_iterator_type(ShardIteratorType::TrimHorizon),
    };
    let out = req
        .send()
        .await
        .map_err(|e| anyhow!("GetShardIterator for {}: {}", r.id(), describe(&e)))?;
    Ok(out.shard_iterator().map(str::to_string))
}

async fn get_records(client: &Client, it: &str) -> Result<Page> {
    let out = client
        .get_records()
        .shard_iterator(it)
        .limit(LIMIT)
        .send()
        .await
        .map_err(|e| anyhow!("GetRecords: {}", describe(&e)))?;
    let records: Vec<_> = out
        .records()
        .iter()
        .map(|rec| {
            let arrived = rec
                .approximate_arrival_timestamp()
                .and_then(|t| t.to_millis().ok())
                .unwrap_or(i64::MIN);
            (
                rec.sequence_number().to_string(),
                arrived,
                rec.data().as_ref().to_vec(),
            )
        })
        .collect();
    let caught_up = records.is_empty() && out.millis_behind_latest() == Some(0);
    Ok(Page {
        records,
        next: out.next_shard_iterator().map(str::to_string),
        caught_up,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_urls() {
        assert_eq!(
            KinesisSource::parse("kinesis://twilio-events")
                .unwrap()
                .stream,
            "twilio-events"
        );
        assert!(KinesisSource::parse("kinesis://").is_err());
        assert!(KinesisSource::parse("kinesis://a/b").is_err());
        let r = ShardRange {
            stream: "s".into(),
            shard: "shardId-000000000001".into(),
            from: None,
            to: 0,
        };
        assert_eq!(r.id(), "kinesis://s/shardId-000000000001");
    }
}
