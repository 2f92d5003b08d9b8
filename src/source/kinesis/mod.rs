//! Kinesis source: every shard of one stream, shared by any number of replicas through a
//! DynamoDB lease table (`lease`), read by one task per held shard (`shard`), into the same
//! pipeline as Kafka and the webhook receiver.
//!
//! A coordinator loop runs every third of the lease duration: it heartbeats this replica,
//! renews the leases it holds (a failed renewal means another replica took the shard: its
//! reader stops), refreshes the shard list (ListShards, paged) so new shards of a split or merge
//! get leases, and takes or gives up leases to spread the readable shards evenly
//! (`balance`). Giving a lease up is graceful: the reader stops reading, waits for its in-flight
//! records' alerts to be delivered, checkpoints, and only then is the lease released. On SIGTERM
//! every lease is given up that way. A replica killed outright stops renewing: the others take
//! its leases once they expire and resume from its last checkpoints, so only records after the
//! last checkpoint are read twice (duplicates, never misses).
//!
//! Nothing here logs record content: only stream, shard ids, counts and positions.

pub mod balance;
pub mod config;
pub mod lease;
pub mod shard;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use aws_sdk_kinesis::primitives::{DateTime, DateTimeFormat};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use self::config::InitialPosition;
use self::lease::{Lease, LeaseTable, Write};
use self::shard::{End, Readers};
use crate::aws::{AwsTarget, sdk_config};
use crate::checkpoint::OffsetTracker;
use crate::internal_events::emit;
use crate::internal_events::source_kinesis::*;
use crate::metrics::kinesis::kinesis_metrics;
use crate::source::contract::{Health, Shutdown, Submitter};
use config::KinesisSourceConfig;

/// A lease this replica holds, and its reader.
struct Held {
    counter: u64,
    stop: watch::Sender<bool>,
    reader: JoinHandle<End>,
    /// Being given up: the reader was told to stop and checkpoint.
    releasing: bool,
}

/// When each lease counter / worker heartbeat was last seen to change (expiry by observation).
#[derive(Default)]
struct Seen(HashMap<String, (u64, Instant)>);

impl Seen {
    fn observe(&mut self, key: &str, value: u64, now: Instant) {
        if self.0.get(key).is_none_or(|(v, _)| *v != value) {
            self.0.insert(key.to_string(), (value, now));
        }
    }
    fn stale(&self, key: &str, after: Duration) -> bool {
        self.0.get(key).is_some_and(|(_, at)| at.elapsed() > after)
    }
}

struct Coordinator {
    readers: Arc<Readers>,
    health: Arc<Health>,
    held: HashMap<String, Held>,
    seen: Seen,
    beat: u64,
    lease_duration: Duration,
    last_sync: Option<Instant>,
}

pub async fn run(
    config: KinesisSourceConfig,
    submitter: Submitter,
    stop: Shutdown,
    health: Arc<Health>,
    drain_timeout: Duration,
) -> Result<()> {
    config.validate()?;
    let kinesis_sdk = sdk_config(
        &AwsTarget {
            region: config.region.as_deref(),
            endpoint_url: config.endpoint_url.as_deref(),
        },
        "sources.kinesis",
    )
    .await?;
    let dynamo_sdk = sdk_config(
        &AwsTarget {
            region: config.region.as_deref(),
            endpoint_url: config
                .dynamodb_endpoint_url
                .as_deref()
                .or(config.endpoint_url.as_deref()),
        },
        "sources.kinesis (DynamoDB lease table)",
    )
    .await?;
    let table = LeaseTable::new(
        aws_sdk_dynamodb::Client::new(&dynamo_sdk),
        config.lease_table(),
    );
    table.ensure(config.create_lease_table).await?;
    let at_timestamp = match &config.initial_timestamp {
        Some(t) => Some(DateTime::from_str(t, DateTimeFormat::DateTime).with_context(|| {
            format!("sources.kinesis.initial_timestamp `{t}` is not an RFC 3339 time (e.g. 2026-05-01T00:00:00Z)")
        })?),
        None => None,
    };
    let me = config.worker_id.clone().unwrap_or_else(default_worker_id);
    let lease_duration = Duration::from_millis(config.lease_duration_ms);
    emit(KinesisSourceStarting {
        stream: &config.stream,
        table: table.name(),
        worker: &me,
    });
    let readers = Arc::new(Readers {
        kinesis: aws_sdk_kinesis::Client::new(&kinesis_sdk),
        table,
        me,
        config,
        submitter,
        tracker: OffsetTracker::new(),
        drain_timeout,
        at_timestamp,
    });
    let mut c = Coordinator {
        readers,
        health,
        held: HashMap::new(),
        seen: Seen::default(),
        beat: 0,
        lease_duration,
        last_sync: None,
    };
    let result = c.run(stop).await;
    c.shutdown().await;
    result
}

fn default_worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "phiscan".into());
    let mut b = [0u8; 4];
    let _ = getrandom::fill(&mut b);
    format!("{host}-{}-{}", std::process::id(), hex::encode(b))
}

impl Coordinator {
    async fn run(&mut self, mut stop: Shutdown) -> Result<()> {
        let tick = self.lease_duration / 3;
        let mut failures = 0u32;
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            match self.tick().await {
                Ok(()) => {
                    failures = 0;
                    self.health.kinesis_connected.store(true, Ordering::Relaxed);
                }
                Err(e) => {
                    failures += 1;
                    emit(KinesisCoordinationFailed {
                        error: &e,
                        failures,
                    });
                    if failures >= 3 {
                        self.health
                            .kinesis_connected
                            .store(false, Ordering::Relaxed);
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(tick) => {}
                _ = stop.wait_for(|s| *s) => return Ok(()),
            }
        }
    }

    async fn tick(&mut self) -> Result<()> {
        let r = self.readers.clone();
        self.beat += 1;
        r.table.heartbeat(&r.me, self.beat).await?;
        self.renew().await?;
        self.reap().await?;
        let due = self
            .last_sync
            .is_none_or(|t| t.elapsed() >= Duration::from_millis(r.config.shard_sync_interval_ms));
        if due {
            self.sync_shards().await?;
            self.last_sync = Some(Instant::now());
        }
        let (leases, workers) = r.table.scan().await?;
        let now = Instant::now();
        for l in &leases {
            self.seen.observe(&l.shard, l.counter, now);
        }
        let mut alive = BTreeSet::new();
        for w in &workers {
            let key = format!("worker#{}", w.id);
            self.seen.observe(&key, w.heartbeat, now);
            if w.id == r.me || !self.seen.stale(&key, self.lease_duration) {
                alive.insert(w.id.clone());
            } else if self.seen.stale(&key, self.lease_duration * 3) {
                // long gone (killed): tidy its heartbeat item up
                let _ = r.table.remove_worker(&w.id, Some(w.heartbeat)).await;
            }
        }
        // a lease we hold that the table says is someone else's: lost
        for l in &leases {
            if self.held.contains_key(&l.shard) && l.owner.as_deref() != Some(&r.me) {
                self.lost(&l.shard);
            }
        }
        let busy: HashSet<String> = self
            .held
            .iter()
            .filter(|(_, h)| h.releasing)
            .map(|(s, _)| s.clone())
            .collect();
        let seen = &self.seen;
        let duration = self.lease_duration;
        let expired = |l: &Lease| seen.stale(&l.shard, duration);
        let plan = balance::plan(&r.me, &leases, &alive, &expired, &busy);
        for shard in &plan.release {
            if let Some(h) = self.held.get_mut(shard) {
                emit(KinesisLeaseGivenUp {
                    shard,
                    target: plan.target,
                });
                h.releasing = true;
                let _ = h.stop.send(true);
            }
        }
        for (shard, counter) in &plan.take {
            let lease = leases
                .iter()
                .find(|l| &l.shard == shard)
                .expect("planned from these leases");
            self.take(lease, *counter).await?;
        }
        self.publish(&leases, alive.len());
        Ok(())
    }

    async fn renew(&mut self) -> Result<()> {
        let r = self.readers.clone();
        let shards: Vec<String> = self.held.keys().cloned().collect();
        for shard in shards {
            let counter = self.held[&shard].counter;
            match r.table.renew(&shard, &r.me, counter).await? {
                Write::Done => self.held.get_mut(&shard).expect("held").counter += 1,
                Write::Lost => self.lost(&shard),
            }
        }
        Ok(())
    }

    /// Another replica holds `shard` now: stop its reader (its checkpoints would be refused).
    fn lost(&mut self, shard: &str) {
        if let Some(h) = self.held.remove(shard) {
            emit(KinesisLeaseLost {
                stream: &self.readers.config.stream,
                shard,
            });
            let _ = h.stop.send(true);
            let _ = kinesis_metrics()
                .lease_held
                .remove_label_values(&[self.readers.config.stream.as_str(), shard]);
        }
    }

    /// Readers that finished: release their leases (after SHARD_END, a rebalance or a failure).
    async fn reap(&mut self) -> Result<()> {
        let done: Vec<String> = self
            .held
            .iter()
            .filter(|(_, h)| h.reader.is_finished())
            .map(|(s, _)| s.clone())
            .collect();
        for shard in done {
            let h = self.held.remove(&shard).expect("held");
            let end = h
                .reader
                .await
                .unwrap_or_else(|e| End::Failed(anyhow::anyhow!("reader panicked: {e}")));
            self.release(&shard, h.counter, &end).await?;
        }
        Ok(())
    }

    async fn release(&mut self, shard: &str, counter: u64, end: &End) -> Result<()> {
        let r = &self.readers;
        let stream = r.config.stream.as_str();
        let m = kinesis_metrics();
        let _ = m.lease_held.remove_label_values(&[stream, shard]);
        match end {
            End::Lost => return Ok(()),
            End::Failed(e) => emit(KinesisShardReaderFailed { shard, error: e }),
            End::Ended => {
                m.shards_ended.with_label_values(&[stream]).inc();
                // children may start now
                self.last_sync = None;
            }
            End::Stopped => {}
        }
        if r.table.release(shard, &r.me, counter).await? == Write::Done {
            emit(KinesisLeaseReleased { stream, shard });
        }
        Ok(())
    }

    async fn take(&mut self, lease: &Lease, counter: u64) -> Result<()> {
        let r = self.readers.clone();
        let how = if lease.owner.is_none() {
            "free"
        } else {
            "expired"
        };
        if r.table.take(&lease.shard, &r.me, counter).await? != Write::Done {
            return Ok(()); // another replica was quicker
        }
        let stream = r.config.stream.as_str();
        let m = kinesis_metrics();
        emit(KinesisLeaseTaken {
            stream,
            shard: &lease.shard,
            how,
            previous_owner: lease.owner.as_deref().unwrap_or(""),
        });
        m.lease_held
            .with_label_values(&[stream, lease.shard.as_str()])
            .set(1);
        let (stop_tx, stop_rx) = watch::channel(false);
        let reader = tokio::spawn(shard::read(
            r.clone(),
            lease.shard.clone(),
            lease.checkpoint.clone(),
            stop_rx,
        ));
        self.held.insert(
            lease.shard.clone(),
            Held {
                counter: counter + 1,
                stop: stop_tx,
                reader,
                releasing: false,
            },
        );
        Ok(())
    }

    /// Leases for shards the table does not know yet (paged ListShards).
    async fn sync_shards(&mut self) -> Result<()> {
        let r = self.readers.clone();
        let mut shards = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let req = r.kinesis.list_shards();
            let req = match &token {
                Some(t) => req.next_token(t),
                None => req.stream_name(&r.config.stream),
            };
            let out = req.send().await.map_err(lease::aws_error).with_context(|| {
                format!("kinesis: ListShards for stream {} failed (does the stream exist? check endpoint, region and credentials)", r.config.stream)
            })?;
            shards.extend(out.shards().iter().cloned());
            match out.next_token() {
                Some(t) => token = Some(t.to_string()),
                None => break,
            }
        }
        let (leases, _) = r.table.scan().await?;
        let known: HashSet<&str> = leases.iter().map(|l| l.shard.as_str()).collect();
        let listed: HashSet<&str> = shards.iter().map(|s| s.shard_id()).collect();
        for s in &shards {
            if known.contains(s.shard_id()) {
                continue;
            }
            let parents: Vec<String> = [s.parent_shard_id(), s.adjacent_parent_shard_id()]
                .into_iter()
                .flatten()
                .filter(|p| listed.contains(p) || known.contains(p))
                .map(str::to_string)
                .collect();
            // a child starts at its beginning, so nothing between parent and child is skipped
            let from = if !parents.is_empty() {
                lease::TRIM_HORIZON
            } else {
                match r.config.initial_position {
                    InitialPosition::TrimHorizon => lease::TRIM_HORIZON,
                    InitialPosition::Latest => lease::LATEST,
                    InitialPosition::AtTimestamp => lease::AT_TIMESTAMP,
                }
            };
            if r.table.create(s.shard_id(), &parents, from).await? == Write::Done {
                emit(KinesisLeaseCreated {
                    shard: s.shard_id(),
                    parents: &parents.join(","),
                    from,
                });
            }
        }
        Ok(())
    }

    /// Lease and checkpoint state for /metrics and /readyz.
    fn publish(&self, leases: &[Lease], replicas: usize) {
        let r = &self.readers;
        kinesis_metrics()
            .leases_held
            .with_label_values(&[r.config.stream.as_str()])
            .set(self.held.len() as i64);
        let mut text = format!(
            "kinesis: stream {} worker {} replicas {} leases held {}/{}\n",
            r.config.stream,
            r.me,
            replicas,
            self.held.len(),
            leases.iter().filter(|l| !l.ended()).count()
        );
        for l in leases {
            let state = match (&l.owner, self.held.contains_key(&l.shard)) {
                (_, true) => "held",
                (_, _) if l.ended() => "ended",
                (Some(_), false) => "other",
                (None, false) => "free",
            };
            text += &format!(
                "kinesis shard {} {state} checkpoint {}\n",
                l.shard, l.checkpoint
            );
        }
        *self.health.kinesis_status.lock().expect("status lock") = text;
    }

    /// Give every lease up gracefully: readers drain and checkpoint, then the leases are released.
    async fn shutdown(&mut self) {
        for h in self.held.values() {
            let _ = h.stop.send(true);
        }
        let held: Vec<(String, Held)> = self.held.drain().collect();
        for (shard, h) in held {
            let end = h
                .reader
                .await
                .unwrap_or_else(|e| End::Failed(anyhow::anyhow!("reader panicked: {e}")));
            if let Err(e) = self.release(&shard, h.counter, &end).await {
                emit(KinesisLeaseReleaseFailed {
                    shard: &shard,
                    error: &e,
                });
            }
        }
        let r = &self.readers;
        if let Err(e) = r.table.remove_worker(&r.me, None).await {
            emit(KinesisWorkerRemovalFailed { error: &e });
        }
        emit(KinesisSourceStopped);
    }
}
