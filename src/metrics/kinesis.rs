//! Kinesis metrics, registered in the process registry on first use (labels: stream and shard
//! ids only, which are few and carry no event content).

use std::sync::OnceLock;

use prometheus::{GaugeVec, IntCounterVec, IntGaugeVec, Opts};

pub struct KinesisMetrics {
    /// stream, shard
    pub millis_behind: IntGaugeVec,
    /// stream, shard: seconds between a checkpointed record's arrival and its checkpoint
    pub checkpoint_lag: GaugeVec,
    /// stream, shard: 1 while this replica holds the lease
    pub lease_held: IntGaugeVec,
    /// stream
    pub leases_held: IntGaugeVec,
    /// stream, how (free, expired)
    pub leases_taken: IntCounterVec,
    /// stream
    pub leases_lost: IntCounterVec,
    /// stream
    pub leases_released: IntCounterVec,
    /// stream
    pub checkpoints: IntCounterVec,
    /// stream
    pub records: IntCounterVec,
    /// stream
    pub throttled: IntCounterVec,
    /// stream
    pub shards_ended: IntCounterVec,
}

pub fn kinesis_metrics() -> &'static KinesisMetrics {
    static M: OnceLock<KinesisMetrics> = OnceLock::new();
    M.get_or_init(|| {
        let gauge =
            |n: &str, h: &str, l: &[&str]| IntGaugeVec::new(Opts::new(n, h), l).expect("metric");
        let counter =
            |n: &str, h: &str, l: &[&str]| IntCounterVec::new(Opts::new(n, h), l).expect("metric");
        let m = KinesisMetrics {
            millis_behind: gauge(
                "kinesis_millis_behind_latest",
                "MillisBehindLatest of the last GetRecords, per shard",
                &["stream", "shard"],
            ),
            checkpoint_lag: GaugeVec::new(
                Opts::new(
                    "kinesis_checkpoint_lag_seconds",
                    "Age of the newest checkpointed record when its checkpoint was written",
                ),
                &["stream", "shard"],
            )
            .expect("metric"),
            lease_held: gauge(
                "kinesis_lease_held",
                "1 for each shard lease this replica holds",
                &["stream", "shard"],
            ),
            leases_held: gauge(
                "kinesis_leases_held",
                "Shard leases this replica holds",
                &["stream"],
            ),
            leases_taken: counter(
                "kinesis_leases_taken_total",
                "Leases taken, free or expired (takeover)",
                &["stream", "how"],
            ),
            leases_lost: counter(
                "kinesis_leases_lost_total",
                "Leases another replica took from this one",
                &["stream"],
            ),
            leases_released: counter(
                "kinesis_leases_released_total",
                "Leases given up (rebalance, shard end, shutdown)",
                &["stream"],
            ),
            checkpoints: counter(
                "kinesis_checkpoints_total",
                "Checkpoints written",
                &["stream"],
            ),
            records: counter("kinesis_records_total", "Records read", &["stream"]),
            throttled: counter(
                "kinesis_throttled_total",
                "Calls refused for throughput (backed off)",
                &["stream"],
            ),
            shards_ended: counter(
                "kinesis_shards_ended_total",
                "Closed shards read to their end",
                &["stream"],
            ),
        };
        let r = &crate::metrics::metrics().registry;
        r.register(Box::new(m.millis_behind.clone()))
            .expect("unique metric");
        r.register(Box::new(m.checkpoint_lag.clone()))
            .expect("unique metric");
        r.register(Box::new(m.lease_held.clone()))
            .expect("unique metric");
        r.register(Box::new(m.leases_held.clone()))
            .expect("unique metric");
        for c in [
            &m.leases_taken,
            &m.leases_lost,
            &m.leases_released,
            &m.checkpoints,
            &m.records,
            &m.throttled,
            &m.shards_ended,
        ] {
            r.register(Box::new(c.clone())).expect("unique metric");
        }
        m
    })
}
