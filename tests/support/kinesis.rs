//! Helpers for the Kinesis end-to-end tests: kinesis-local and moto (DynamoDB) from
//! `scripts/services.sh`, streams, records, the lease table as the service leaves it, and the
//! `phiscan run` config for the Kinesis source ([`super::launch::Service`] runs it).

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::StreamStatus;

use super::launch::Service;
use super::{free_port, service_vars, wait_until};

pub struct Env {
    pub kinesis_url: String,
    pub moto_url: String,
    pub rt: tokio::runtime::Runtime,
    pub kinesis: aws_sdk_kinesis::Client,
    pub dynamo: aws_sdk_dynamodb::Client,
}

/// Credentials for the local endpoints (any value is accepted there).
pub const AWS_ENV: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "test"),
    ("AWS_SECRET_ACCESS_KEY", "test"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
];

/// The services, or `None` after [`super::unavailable`] (a failure when the services were
/// promised).
pub fn services() -> Option<Env> {
    let mut v = service_vars(
        &["PHISCAN_TEST_KINESIS", "PHISCAN_TEST_MOTO"],
        "run scripts/services.sh start kinesis moto",
    )?;
    let moto_url = v.pop().unwrap();
    let kinesis_url = v.pop().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = |url: &str| {
        rt.block_on(
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .http_client(phiscan::aws::http_client())
                .region(aws_config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_kinesis::config::Credentials::new(
                    "test",
                    "test",
                    None,
                    None,
                    "phiscan-tests",
                ))
                .endpoint_url(url)
                .load(),
        )
    };
    let kinesis = aws_sdk_kinesis::Client::new(&config(&kinesis_url));
    let dynamo = aws_sdk_dynamodb::Client::new(&config(&moto_url));
    Some(Env {
        kinesis_url,
        moto_url,
        rt,
        kinesis,
        dynamo,
    })
}

/// A shard lease as the service wrote it.
#[derive(Debug, Clone)]
pub struct LeaseRow {
    pub shard: String,
    pub owner: Option<String>,
    pub checkpoint: String,
    pub parents: Vec<String>,
}

impl Env {
    pub fn create_stream(&self, name: &str, shards: i32) {
        self.rt.block_on(async {
            self.kinesis
                .create_stream()
                .stream_name(name)
                .shard_count(shards)
                .send()
                .await
                .unwrap();
        });
        self.wait_active(name);
    }

    pub fn wait_active(&self, name: &str) {
        let ok = wait_until(Duration::from_secs(30), || {
            self.rt.block_on(async {
                self.kinesis
                    .describe_stream_summary()
                    .stream_name(name)
                    .send()
                    .await
                    .ok()
                    .and_then(|d| {
                        d.stream_description_summary()
                            .map(|s| s.stream_status() == &StreamStatus::Active)
                    })
                    .unwrap_or(false)
            })
        });
        assert!(ok, "stream {name} did not become ACTIVE");
    }

    /// Put one record; returns (shard, sequence number).
    pub fn put(&self, stream: &str, key: &str, data: &[u8]) -> (String, String) {
        self.rt.block_on(async {
            let out = self
                .kinesis
                .put_record()
                .stream_name(stream)
                .partition_key(key)
                .data(Blob::new(data.to_vec()))
                .send()
                .await
                .unwrap();
            (
                out.shard_id().to_string(),
                out.sequence_number().to_string(),
            )
        })
    }

    /// PutRecords in batches of 500; returns the last (shard → sequence number) written.
    pub fn put_many(&self, stream: &str, records: &[(String, Vec<u8>)]) -> HashMap<String, String> {
        use aws_sdk_kinesis::types::PutRecordsRequestEntry;
        let mut last = HashMap::new();
        for chunk in records.chunks(500) {
            let entries: Vec<PutRecordsRequestEntry> = chunk
                .iter()
                .map(|(k, d)| {
                    PutRecordsRequestEntry::builder()
                        .partition_key(k)
                        .data(Blob::new(d.clone()))
                        .build()
                        .unwrap()
                })
                .collect();
            let out = self
                .rt
                .block_on(
                    self.kinesis
                        .put_records()
                        .stream_name(stream)
                        .set_records(Some(entries))
                        .send(),
                )
                .unwrap();
            assert_eq!(
                out.failed_record_count(),
                Some(0),
                "PutRecords refused records"
            );
            for r in out.records() {
                if let (Some(shard), Some(seq)) = (r.shard_id(), r.sequence_number()) {
                    last.insert(shard.to_string(), seq.to_string());
                }
            }
        }
        last
    }

    /// Every record's arrival time (ms, kinesis-local's own clock) by partition key, read from
    /// the start of every shard. Tests that seek by arrival time take their marks from here:
    /// kinesis-local's clock (Node's `performance.timeOrigin + performance.now()`) drifts from
    /// the wall clock when that is stepped, so a mark read from the test's clock may fall
    /// seconds away from the records it was meant to separate.
    pub fn arrivals(&self, stream: &str) -> HashMap<String, i64> {
        use aws_sdk_kinesis::types::ShardIteratorType;
        let mut out = HashMap::new();
        for shard in self.shards(stream) {
            self.rt.block_on(async {
                let mut it = self
                    .kinesis
                    .get_shard_iterator()
                    .stream_name(stream)
                    .shard_id(shard.shard_id())
                    .shard_iterator_type(ShardIteratorType::TrimHorizon)
                    .send()
                    .await
                    .unwrap()
                    .shard_iterator()
                    .map(str::to_string);
                while let Some(i) = it.take() {
                    let page = self
                        .kinesis
                        .get_records()
                        .shard_iterator(i)
                        .send()
                        .await
                        .unwrap();
                    for r in page.records() {
                        let ms = r
                            .approximate_arrival_timestamp()
                            .unwrap()
                            .to_millis()
                            .unwrap();
                        out.insert(r.partition_key().to_string(), ms);
                    }
                    if page.records().is_empty() {
                        break;
                    }
                    it = page.next_shard_iterator().map(str::to_string);
                }
            });
        }
        out
    }

    /// Open shards (no ending sequence number) and all shards with their hash-key ranges.
    pub fn shards(&self, stream: &str) -> Vec<aws_sdk_kinesis::types::Shard> {
        self.rt.block_on(async {
            self.kinesis
                .list_shards()
                .stream_name(stream)
                .send()
                .await
                .unwrap()
                .shards()
                .to_vec()
        })
    }

    /// Split `shard` at the middle of its hash-key range, and wait for the stream to settle.
    pub fn split(&self, stream: &str, shard: &str) {
        let s = self
            .shards(stream)
            .into_iter()
            .find(|s| s.shard_id() == shard)
            .expect("shard");
        let range = s.hash_key_range().expect("hash range");
        let lo: u128 = range.starting_hash_key().parse().unwrap();
        let hi: u128 = range.ending_hash_key().parse().unwrap();
        let mid = lo + (hi - lo) / 2;
        self.rt.block_on(async {
            self.kinesis
                .split_shard()
                .stream_name(stream)
                .shard_to_split(shard)
                .new_starting_hash_key(mid.to_string())
                .send()
                .await
                .unwrap();
        });
        self.wait_active(stream);
    }

    /// Every item of the lease table (a consistent read).
    fn table_items(
        &self,
        table: &str,
    ) -> Vec<HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        self.rt.block_on(async {
            let out = self
                .dynamo
                .scan()
                .table_name(table)
                .consistent_read(true)
                .send()
                .await
                .unwrap();
            out.items().to_vec()
        })
    }

    pub fn leases(&self, table: &str) -> Vec<LeaseRow> {
        self.table_items(table)
            .iter()
            .filter_map(|item| {
                let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
                let shard = text("leaseKey")?;
                if shard.starts_with("worker#") {
                    return None;
                }
                let parents = item
                    .get("parentShardIds")
                    .and_then(|v| v.as_l().ok())
                    .map(|l| l.iter().filter_map(|p| p.as_s().ok().cloned()).collect())
                    .unwrap_or_default();
                Some(LeaseRow {
                    shard,
                    owner: text("leaseOwner"),
                    checkpoint: text("checkpoint").unwrap_or_default(),
                    parents,
                })
            })
            .collect()
    }

    pub fn lease_map(&self, table: &str) -> HashMap<String, LeaseRow> {
        self.leases(table)
            .into_iter()
            .map(|l| (l.shard.clone(), l))
            .collect()
    }

    pub fn workers(&self, table: &str) -> Vec<String> {
        self.table_items(table)
            .iter()
            .filter_map(|i| i.get("leaseKey").and_then(|v| v.as_s().ok()))
            .filter_map(|k| k.strip_prefix("worker#").map(str::to_string))
            .collect()
    }

    /// A Kinesis-only service config (fast leases and polls for tests).
    pub fn service_toml(
        &self,
        stream: &str,
        table: &str,
        worker: &str,
        alerts: &Path,
        metrics_port: u16,
        lease_ms: u64,
    ) -> String {
        let q = |s: &str| serde_json::to_string(s).unwrap();
        format!(
            "[service]\nmetrics_listen = {}\nshutdown_timeout_secs = 20\n\n\
             [sources.kinesis]\nstream = {}\nregion = \"us-east-1\"\nendpoint_url = {}\n\
             dynamodb_endpoint_url = {}\nlease_table = {}\nworker_id = {}\n\
             lease_duration_ms = {lease_ms}\nshard_sync_interval_ms = 500\ncheckpoint_interval_ms = 200\nidle_poll_ms = 100\n\n\
             [sinks.jsonl]\npath = {}\n",
            q(&format!("127.0.0.1:{metrics_port}")),
            q(stream),
            q(&self.kinesis_url),
            q(&self.moto_url),
            q(table),
            q(worker),
            q(&alerts.display().to_string()),
        )
    }

    /// `phiscan run` as replica `worker` of `stream`, alerts to `dir/<worker>.jsonl`.
    pub fn start(
        &self,
        dir: &Path,
        stream: &str,
        table: &str,
        worker: &str,
        lease_ms: u64,
    ) -> Service {
        let port = free_port();
        let alerts = dir.join(format!("{worker}.jsonl"));
        let toml = self.service_toml(stream, table, worker, &alerts, port, lease_ms);
        Service::start_toml(&toml, port, dir, worker, "info,phiscan=debug", AWS_ENV)
    }
}
