//! The Kinesis source (`crate::source::kinesis`): lease coordination, shard readers and
//! checkpoints. Fields: stream and shard ids, the lease table's name, replica (worker) ids,
//! where a reader starts (`checkpoint` rather than the sequence number), counts, and the AWS
//! SDK's error texts. Counters are the `phiscan_kinesis_*` families (`crate::metrics::kinesis`).

use std::fmt::Display;

use super::InternalEvent;
use crate::metrics::kinesis::kinesis_metrics;

const COORDINATOR: &str = "phiscan::source::kinesis";
const SHARD: &str = "phiscan::source::kinesis::shard";
const LEASE: &str = "phiscan::source::kinesis::lease";

pub struct KinesisSourceStarting<'a> {
    pub stream: &'a str,
    pub table: &'a str,
    pub worker: &'a str,
}

impl InternalEvent for KinesisSourceStarting<'_> {
    fn emit(self) {
        tracing::info!(target: COORDINATOR, stream = %self.stream, table = %self.table, worker = %self.worker, "kinesis source starting");
    }
}

pub struct KinesisLeaseTableCreated<'a> {
    pub table: &'a str,
}

impl InternalEvent for KinesisLeaseTableCreated<'_> {
    fn emit(self) {
        tracing::info!(target: LEASE, table = %self.table, "kinesis lease table created");
    }
}

/// One coordinator tick (heartbeat, renewals, shard sync, balancing) failed.
pub struct KinesisCoordinationFailed<'a> {
    pub error: &'a anyhow::Error,
    /// In a row (the source reports itself disconnected from the third).
    pub failures: u32,
}

impl InternalEvent for KinesisCoordinationFailed<'_> {
    fn emit(self) {
        tracing::warn!(target: COORDINATOR, error = %format!("{:#}", self.error), failures = self.failures, "kinesis lease coordination failed: retrying");
    }
}

pub struct KinesisLeaseCreated<'a> {
    pub shard: &'a str,
    /// Parent shard ids, comma-separated.
    pub parents: &'a str,
    /// `TRIM_HORIZON`, `LATEST` or `AT_TIMESTAMP`.
    pub from: &'a str,
}

impl InternalEvent for KinesisLeaseCreated<'_> {
    fn emit(self) {
        tracing::info!(target: COORDINATOR, shard = %self.shard, parents = %self.parents, from = self.from, "kinesis lease created for a new shard");
    }
}

/// Counted in `phiscan_kinesis_leases_taken_total{stream, how}`.
pub struct KinesisLeaseTaken<'a> {
    pub stream: &'a str,
    pub shard: &'a str,
    /// `free` or `expired`.
    pub how: &'static str,
    /// The replica that held it (empty when free).
    pub previous_owner: &'a str,
}

impl InternalEvent for KinesisLeaseTaken<'_> {
    fn emit(self) {
        kinesis_metrics()
            .leases_taken
            .with_label_values(&[self.stream, self.how])
            .inc();
        tracing::info!(target: COORDINATOR, shard = %self.shard, how = self.how, previous_owner = self.previous_owner, "kinesis lease taken");
    }
}

/// Balancing gives a lease up: its reader checkpoints before the lease is released.
pub struct KinesisLeaseGivenUp<'a> {
    pub shard: &'a str,
    /// Leases per replica the balance aims at.
    pub target: usize,
}

impl InternalEvent for KinesisLeaseGivenUp<'_> {
    fn emit(self) {
        tracing::info!(target: COORDINATOR, shard = %self.shard, target = self.target, "kinesis lease given up to rebalance: checkpointing first");
    }
}

/// Counted in `phiscan_kinesis_leases_lost_total{stream}`.
pub struct KinesisLeaseLost<'a> {
    pub stream: &'a str,
    pub shard: &'a str,
}

impl InternalEvent for KinesisLeaseLost<'_> {
    fn emit(self) {
        tracing::warn!(
            target: COORDINATOR,
            shard = self.shard,
            "kinesis lease lost to another replica: records in flight may be read again there"
        );
        kinesis_metrics()
            .leases_lost
            .with_label_values(&[self.stream])
            .inc();
    }
}

pub struct KinesisShardReaderFailed<'a> {
    pub shard: &'a str,
    pub error: &'a anyhow::Error,
}

impl InternalEvent for KinesisShardReaderFailed<'_> {
    fn emit(self) {
        tracing::warn!(target: COORDINATOR, shard = self.shard, error = %format!("{:#}", self.error), "kinesis shard reader failed: releasing its lease");
    }
}

/// Counted in `phiscan_kinesis_leases_released_total{stream}`.
pub struct KinesisLeaseReleased<'a> {
    pub stream: &'a str,
    pub shard: &'a str,
}

impl InternalEvent for KinesisLeaseReleased<'_> {
    fn emit(self) {
        kinesis_metrics()
            .leases_released
            .with_label_values(&[self.stream])
            .inc();
        tracing::info!(target: COORDINATOR, shard = self.shard, "kinesis lease released");
    }
}

/// At shutdown: the lease could not be released (another replica takes it once it expires).
pub struct KinesisLeaseReleaseFailed<'a> {
    pub shard: &'a str,
    pub error: &'a anyhow::Error,
}

impl InternalEvent for KinesisLeaseReleaseFailed<'_> {
    fn emit(self) {
        tracing::warn!(target: COORDINATOR, shard = %self.shard, error = %format!("{:#}", self.error), "releasing a kinesis lease failed: it will expire instead");
    }
}

pub struct KinesisWorkerRemovalFailed<'a> {
    pub error: &'a anyhow::Error,
}

impl InternalEvent for KinesisWorkerRemovalFailed<'_> {
    fn emit(self) {
        tracing::warn!(target: COORDINATOR, error = %format!("{:#}", self.error), "removing this replica from the lease table failed");
    }
}

pub struct KinesisSourceStopped;

impl InternalEvent for KinesisSourceStopped {
    fn emit(self) {
        tracing::info!(target: COORDINATOR, "kinesis source stopped: leases released");
    }
}

pub struct KinesisShardReaderStarted<'a> {
    pub shard: &'a str,
    /// `checkpoint` (a sequence number) or the lease's starting position.
    pub from: &'a str,
}

impl InternalEvent for KinesisShardReaderStarted<'_> {
    fn emit(self) {
        tracing::info!(
            target: SHARD,
            shard = self.shard,
            from = self.from,
            "kinesis shard reader started"
        );
    }
}

pub struct KinesisGetRecordsFailed<'a> {
    pub shard: &'a str,
    pub error: &'a dyn Display,
}

impl InternalEvent for KinesisGetRecordsFailed<'_> {
    fn emit(self) {
        tracing::warn!(target: SHARD, shard = self.shard, error = %self.error, "kinesis GetRecords failed: retrying");
    }
}

/// Counted in `phiscan_kinesis_checkpoints_total{stream}`.
pub struct KinesisCheckpointWritten<'a> {
    pub stream: &'a str,
    pub shard: &'a str,
}

impl InternalEvent for KinesisCheckpointWritten<'_> {
    fn emit(self) {
        kinesis_metrics()
            .checkpoints
            .with_label_values(&[self.stream])
            .inc();
        tracing::debug!(target: SHARD, shard = self.shard, "kinesis checkpoint written");
    }
}

pub struct KinesisCheckpointFailed<'a> {
    pub shard: &'a str,
    pub error: &'a anyhow::Error,
}

impl InternalEvent for KinesisCheckpointFailed<'_> {
    fn emit(self) {
        tracing::warn!(target: SHARD, shard = self.shard, error = %format!("{:#}", self.error), "kinesis checkpoint failed: retrying at the next interval");
    }
}

/// A closed shard read to its end and checkpointed `SHARD_END` (counted as a checkpoint).
pub struct KinesisShardEnded<'a> {
    pub stream: &'a str,
    pub shard: &'a str,
}

impl InternalEvent for KinesisShardEnded<'_> {
    fn emit(self) {
        kinesis_metrics()
            .checkpoints
            .with_label_values(&[self.stream])
            .inc();
        tracing::info!(
            target: SHARD,
            shard = self.shard,
            "kinesis shard read to its end: checkpointed SHARD_END"
        );
    }
}

/// A stopping reader's in-flight records did not finish within the drain timeout.
pub struct KinesisShardNotDrained<'a> {
    pub shard: &'a str,
}

impl InternalEvent for KinesisShardNotDrained<'_> {
    fn emit(self) {
        tracing::warn!(
            target: SHARD,
            shard = self.shard,
            "in-flight kinesis records did not finish in time: checkpointing what finished (the rest will be read again)"
        );
    }
}
