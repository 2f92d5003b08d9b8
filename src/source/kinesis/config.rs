//! `[sources.kinesis]`: the stream, where AWS is, and the lease table that lets several
//! replicas share the stream's shards. Defaults follow the KCL's (10 s leases, 1 s idle polls,
//! checkpoints every second) so an operator who knows the KCL finds no surprises.

use serde::{Deserialize, Serialize};

/// Where a shard without a checkpoint starts (children of a split/merge always start at
/// TRIM_HORIZON, whatever this says, so nothing between parent and child is skipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InitialPosition {
    /// The oldest retained record: scan what the stream retains (like Kafka `earliest`).
    #[default]
    TrimHorizon,
    /// Only records written from now on.
    Latest,
    /// Records from `initial_timestamp` on.
    AtTimestamp,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KinesisSourceConfig {
    /// Stream name.
    pub stream: String,
    /// AWS region [default: the standard chain: AWS_REGION, profile].
    #[serde(default)]
    pub region: Option<String>,
    /// Endpoint override for Kinesis (tests, VPC endpoints), e.g. `http://127.0.0.1:4568`.
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// Endpoint override for DynamoDB (the lease table).
    #[serde(default)]
    pub dynamodb_endpoint_url: Option<String>,
    /// DynamoDB table of shard leases and checkpoints [default: `phiscan-<stream>`]. Replicas
    /// that share a table share the stream's shards.
    #[serde(default)]
    pub lease_table: Option<String>,
    /// Create the lease table (on-demand billing) when it does not exist.
    #[serde(default = "default_true")]
    pub create_lease_table: bool,
    /// This replica's name in the lease table [default: hostname-pid-random].
    #[serde(default)]
    pub worker_id: Option<String>,
    #[serde(default)]
    pub initial_position: InitialPosition,
    /// RFC 3339 time for `initial_position = "at_timestamp"`.
    #[serde(default)]
    pub initial_timestamp: Option<String>,
    /// A lease not renewed for this long is expired: another replica takes it over.
    #[serde(default = "default_lease_ms")]
    pub lease_duration_ms: u64,
    /// How often the shard list is refreshed (new shards after a split or merge).
    #[serde(default = "default_shard_sync_ms")]
    pub shard_sync_interval_ms: u64,
    /// How often each shard's checkpoint is written (when it moved).
    #[serde(default = "default_checkpoint_ms")]
    pub checkpoint_interval_ms: u64,
    /// Wait after a GetRecords call that returned nothing (the per-shard limit is 5 calls/s).
    #[serde(default = "default_poll_ms")]
    pub idle_poll_ms: u64,
    /// GetRecords `Limit` (at most 10000).
    #[serde(default = "default_max_records")]
    pub max_records_per_call: i32,
    /// Largest record accepted (after gunzip); bigger ones are dead-lettered.
    #[serde(default = "default_max_record")]
    pub max_record_bytes: usize,
}

impl KinesisSourceConfig {
    pub fn lease_table(&self) -> String {
        self.lease_table
            .clone()
            .unwrap_or_else(|| format!("phiscan-{}", self.stream))
    }

    /// Problems a replica would only hit at run time, said up front.
    pub fn validate(&self) -> anyhow::Result<()> {
        use anyhow::bail;
        if self.stream.is_empty() {
            bail!("sources.kinesis.stream is empty: name the Kinesis stream to read");
        }
        if self.initial_position == InitialPosition::AtTimestamp && self.initial_timestamp.is_none()
        {
            bail!(
                "sources.kinesis.initial_position = \"at_timestamp\" needs initial_timestamp (RFC 3339, e.g. \"2026-05-01T00:00:00Z\")"
            );
        }
        if !(1..=10_000).contains(&self.max_records_per_call) {
            bail!("sources.kinesis.max_records_per_call must be 1..=10000 (the GetRecords limit)");
        }
        if self.lease_duration_ms < 300 {
            bail!(
                "sources.kinesis.lease_duration_ms must be at least 300 (it is renewed every third of it)"
            );
        }
        Ok(())
    }
}

fn default_true() -> bool {
    true
}
fn default_lease_ms() -> u64 {
    10_000
}
fn default_shard_sync_ms() -> u64 {
    10_000
}
fn default_checkpoint_ms() -> u64 {
    1_000
}
fn default_poll_ms() -> u64 {
    1_000
}
fn default_max_records() -> i32 {
    1_000
}
fn default_max_record() -> usize {
    1 << 20
}
