//! The Kafka source (`crate::source::kafka`): consumer set-up, rebalances, commits, pausing.
//! Fields: topics, partitions, offsets, counts, property names (never their values: they may
//! hold credentials) and librdkafka's error texts.

use std::collections::BTreeMap;
use std::fmt::Display;

use super::InternalEvent;
use crate::checkpoint::Partition;

const TARGET: &str = "phiscan::source::kafka";

/// A property the at-least-once contract fixes was set otherwise in `[sources.kafka.properties]`.
pub struct KafkaPropertyIgnored<'a> {
    pub property: &'a str,
}

impl InternalEvent for KafkaPropertyIgnored<'_> {
    fn emit(self) {
        tracing::warn!(
            target: TARGET,
            property = self.property,
            "sources.kafka: ignoring this property: offsets are committed only after alerts are delivered"
        );
    }
}

/// The consumer was created (its property names only).
pub struct KafkaConsumerCreated<'a> {
    pub group: &'a str,
    pub properties: &'a str,
    pub max_record_bytes: usize,
    pub commit_interval_ms: u64,
}

impl InternalEvent for KafkaConsumerCreated<'_> {
    fn emit(self) {
        tracing::debug!(
            target: TARGET,
            group = %self.group,
            properties = %self.properties,
            max_record_bytes = self.max_record_bytes,
            commit_interval_ms = self.commit_interval_ms,
            "kafka consumer created (property values not logged: they may hold credentials)"
        );
    }
}

/// The first metadata request answered.
pub struct KafkaConsumerConnected<'a> {
    pub brokers: usize,
    pub topics: &'a str,
    pub group: &'a str,
}

impl InternalEvent for KafkaConsumerConnected<'_> {
    fn emit(self) {
        tracing::info!(target: TARGET, brokers = self.brokers, topics = %self.topics, group = %self.group, "kafka consumer connected");
    }
}

pub struct KafkaMetadataFailed<'a> {
    pub error: &'a dyn Display,
}

impl InternalEvent for KafkaMetadataFailed<'_> {
    fn emit(self) {
        tracing::warn!(target: TARGET, error = %self.error, "kafka metadata request failed: will keep trying");
    }
}

pub struct KafkaPartitionsAssigned<'a> {
    /// `topic[0,1,2]`, as `describe` writes them.
    pub partitions: &'a str,
}

impl InternalEvent for KafkaPartitionsAssigned<'_> {
    fn emit(self) {
        tracing::info!(target: TARGET, partitions = %self.partitions, "kafka partitions assigned");
    }
}

/// The group took the partitions away without a revoke: nothing can be committed for them.
pub struct KafkaAssignmentLost<'a> {
    pub partitions: &'a str,
}

impl InternalEvent for KafkaAssignmentLost<'_> {
    fn emit(self) {
        tracing::warn!(target: TARGET, partitions = %self.partitions, "kafka assignment lost: in-flight events may be processed again by the new owner");
    }
}

pub struct KafkaRevokeNotDrained<'a> {
    pub partitions: &'a str,
    pub in_flight: usize,
}

impl InternalEvent for KafkaRevokeNotDrained<'_> {
    fn emit(self) {
        tracing::warn!(
            target: TARGET,
            partitions = %self.partitions,
            in_flight = self.in_flight,
            "revoked partitions did not drain in time: committing what finished (the rest will be processed again)"
        );
    }
}

pub struct KafkaRevokeCommitFailed<'a> {
    pub partitions: &'a str,
    pub error: &'a dyn Display,
}

impl InternalEvent for KafkaRevokeCommitFailed<'_> {
    fn emit(self) {
        tracing::warn!(target: TARGET, partitions = %self.partitions, error = %self.error, "commit on revoke failed: those events will be processed again");
    }
}

pub struct KafkaPartitionsRevoked<'a> {
    pub partitions: &'a str,
    pub committed: bool,
    pub drain_ms: u64,
}

impl InternalEvent for KafkaPartitionsRevoked<'_> {
    fn emit(self) {
        tracing::info!(
            target: TARGET,
            partitions = %self.partitions,
            committed = self.committed,
            drain_ms = self.drain_ms,
            "kafka partitions revoked"
        );
    }
}

pub struct KafkaRebalanceError<'a> {
    pub error: &'a dyn Display,
}

impl InternalEvent for KafkaRebalanceError<'_> {
    fn emit(self) {
        tracing::warn!(target: TARGET, error = %self.error, "kafka rebalance error");
    }
}

/// librdkafka reported an asynchronous commit as failed.
pub struct KafkaCommitCallbackFailed<'a> {
    pub error: &'a dyn Display,
}

impl InternalEvent for KafkaCommitCallbackFailed<'_> {
    fn emit(self) {
        tracing::warn!(target: TARGET, error = %self.error, "kafka offset commit failed (retried with the next commit)");
    }
}

pub struct KafkaStatisticsUnparsable<'a> {
    pub error: &'a dyn Display,
}

impl InternalEvent for KafkaStatisticsUnparsable<'_> {
    fn emit(self) {
        tracing::debug!(target: TARGET, error = %self.error, "cannot parse librdkafka statistics");
    }
}

/// An asynchronous commit of the offsets whose records all finished (debug: formatted only
/// when debug logging is on).
pub struct KafkaCommitRequested<'a> {
    pub positions: &'a BTreeMap<Partition, i64>,
}

impl InternalEvent for KafkaCommitRequested<'_> {
    fn emit(self) {
        tracing::debug!(target: TARGET, offsets = %Positions(self.positions), "kafka offsets commit requested");
    }
}

/// `events[0]=41 events[1]=7`: committed positions.
struct Positions<'a>(&'a BTreeMap<Partition, i64>);

impl Display for Positions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, ((t, p), o)) in self.0.iter().enumerate() {
            let sep = if i == 0 { "" } else { " " };
            write!(f, "{sep}{t}[{p}]={o}")?;
        }
        Ok(())
    }
}

pub struct KafkaCommitFailed<'a> {
    pub error: &'a dyn Display,
}

impl InternalEvent for KafkaCommitFailed<'_> {
    fn emit(self) {
        tracing::warn!(target: TARGET, error = %self.error, "kafka offset commit failed");
    }
}

/// A `^pattern` subscription matched the dead-letter topic (logged once per consumer).
pub struct KafkaDeadLetterTopicSkipped<'a> {
    pub topic: &'a str,
}

impl InternalEvent for KafkaDeadLetterTopicSkipped<'_> {
    fn emit(self) {
        tracing::warn!(
            target: TARGET,
            topic = self.topic,
            "the dead-letter topic matches a source pattern: skipping its records"
        );
    }
}

pub struct KafkaPartitionsPaused;

impl InternalEvent for KafkaPartitionsPaused {
    fn emit(self) {
        tracing::debug!(target: TARGET, "queue full: kafka partitions paused");
    }
}

pub struct KafkaPauseFailed<'a> {
    pub error: &'a dyn Display,
}

impl InternalEvent for KafkaPauseFailed<'_> {
    fn emit(self) {
        tracing::warn!(target: TARGET, error = %self.error, "cannot pause kafka partitions");
    }
}

pub struct KafkaResumeFailed<'a> {
    pub error: &'a dyn Display,
}

impl InternalEvent for KafkaResumeFailed<'_> {
    fn emit(self) {
        tracing::warn!(target: TARGET, error = %self.error, "cannot resume kafka partitions");
    }
}

pub struct KafkaAssignmentUnreadable<'a> {
    pub error: &'a dyn Display,
}

impl InternalEvent for KafkaAssignmentUnreadable<'_> {
    fn emit(self) {
        tracing::warn!(target: TARGET, error = %self.error, "cannot read the kafka assignment");
    }
}

/// At shutdown, in-flight events did not finish within the drain timeout.
pub struct KafkaShutdownNotDrained {
    pub in_flight: usize,
}

impl InternalEvent for KafkaShutdownNotDrained {
    fn emit(self) {
        tracing::warn!(
            target: TARGET,
            in_flight = self.in_flight,
            "in-flight events did not finish in time: committing what finished"
        );
    }
}

/// The final, synchronous commit at shutdown.
pub struct KafkaFinalCommit {
    pub partitions: usize,
    pub drain_ms: u64,
}

impl InternalEvent for KafkaFinalCommit {
    fn emit(self) {
        tracing::info!(
            target: TARGET,
            partitions = self.partitions,
            drain_ms = self.drain_ms,
            "kafka offsets committed"
        );
    }
}

pub struct KafkaFinalCommitFailed<'a> {
    pub error: &'a dyn Display,
}

impl InternalEvent for KafkaFinalCommitFailed<'_> {
    fn emit(self) {
        tracing::warn!(target: TARGET, error = %self.error, "final kafka offset commit failed: those events will be processed again");
    }
}

/// A consumer error (broker down, unknown topic), at most once per kind every 30 s:
/// `repeated` is how many were held back since the last line (`None` the first time).
pub struct KafkaConsumerError<'a> {
    pub error: &'a str,
    pub repeated: Option<u64>,
}

impl InternalEvent for KafkaConsumerError<'_> {
    fn emit(self) {
        match self.repeated {
            Some(repeated) => {
                tracing::warn!(target: TARGET, error = %self.error, repeated, "kafka consumer error")
            }
            None => tracing::warn!(target: TARGET, error = %self.error, "kafka consumer error"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_listed_in_order_without_allocating_a_list() {
        let mut m = BTreeMap::new();
        assert_eq!(Positions(&m).to_string(), "");
        m.insert(("events".to_string(), 1), 7);
        m.insert(("events".to_string(), 0), 41);
        assert_eq!(Positions(&m).to_string(), "events[0]=41 events[1]=7");
    }
}
