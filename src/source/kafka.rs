//! Kafka source: a consumer group over a topic list or patterns (`^…`), feeding the pipeline.
//!
//! At-least-once: offsets are never auto-committed. Each record's offset is registered with an
//! `OffsetTracker` before it is submitted, and finished by the pipeline once its alerts were
//! accepted by every sink (or it was dead-lettered). What is committed, every
//! `commit_interval_ms`, on revoke and on shutdown, is the tracker's position: the lowest offset
//! still in flight, so a crash replays at most the unfinished tail (duplicates, never misses).
//!
//! The consumer runs on its own thread (librdkafka's `poll` blocks, and the rebalance callback
//! must be able to wait for revoked partitions to drain without stalling the async runtime).
//! Backpressure: when the pipeline's queue is full, the record waits in a submit task; if the
//! queue stays full, every assigned partition is paused (librdkafka stops fetching and drops
//! what it prefetched, so memory stays bounded) while the thread keeps polling to serve
//! rebalances and heartbeats; once the record is in, the partitions resume.
//!
//! Defaults an operator can override in `properties`: `auto.offset.reset=earliest` (a new group
//! scans what the topics retain) and `statistics.interval.ms=5000` (consumer lag for
//! `/metrics`). `enable.auto.commit` and `enable.auto.offset.store` are always false. Records of
//! the dead-letter topic are skipped if a `^pattern` subscription matches it.
//!
//! Nothing here logs a record's content: only topics, partitions, offsets and counts.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::{Headers, Message};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::alert::SourceRef;
use crate::checkpoint::{OffsetTracker, Partition};
use crate::event::DecodeError;
use crate::internal_events::emit;
use crate::internal_events::source_kafka::*;
use crate::metrics::metrics;
use crate::source::contract::{Ack, Health, Payload, Shutdown, Submitter, Work, decode_document};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSourceConfig {
    /// `bootstrap.servers`.
    pub brokers: String,
    #[serde(default = "default_group")]
    pub group_id: String,
    /// Topics to consume; entries starting with `^` are regex patterns (librdkafka syntax).
    pub topics: Vec<String>,
    /// Any librdkafka consumer property (SASL/TLS for MSK or Confluent, …). Secrets here are
    /// masked by `phiscan config check`.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// Largest record accepted; bigger ones are dead-lettered.
    #[serde(default = "default_max_record")]
    pub max_record_bytes: usize,
    /// Commit interval for completed offsets.
    #[serde(default = "default_commit_ms")]
    pub commit_interval_ms: u64,
}

impl KafkaSourceConfig {
    /// Whether the consumer's subscription (names and `^` patterns) covers `topic`.
    pub fn subscribes_to(&self, topic: &str) -> bool {
        self.topics.iter().any(|t| match t.strip_prefix('^') {
            Some(_) => regex::Regex::new(t).is_ok_and(|re| re.is_match(topic)),
            None => t == topic,
        })
    }
}

fn default_group() -> String {
    "phiscan".into()
}
fn default_max_record() -> usize {
    1 << 20
}
fn default_commit_ms() -> u64 {
    1000
}

/// How long `poll` blocks when there is nothing to read (bounds how fast a stop is noticed).
const POLL: Duration = Duration::from_millis(100);
/// How long a record may wait for room in the queue before the partitions are paused.
const PAUSE_AFTER: Duration = Duration::from_millis(200);
/// Default `statistics.interval.ms` (consumer lag for `/metrics`).
const STATS_INTERVAL_MS: &str = "5000";

pub async fn run(
    config: KafkaSourceConfig,
    submitter: Submitter,
    stop: Shutdown,
    health: Arc<Health>,
    drain_timeout: Duration,
    dead_letter_topic: Option<String>,
) -> Result<()> {
    if config.topics.is_empty() {
        bail!("sources.kafka.topics is empty: name at least one topic (or a `^regex` pattern)");
    }
    let runtime = tokio::runtime::Handle::current();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("phiscan-kafka".into())
        .spawn(move || {
            let r = consume(
                &config,
                &submitter,
                &stop,
                &health,
                drain_timeout,
                dead_letter_topic.as_deref(),
                &runtime,
            );
            let _ = done_tx.send(r);
        })
        .context("cannot start the Kafka consumer thread")?;
    done_rx
        .await
        .context("the Kafka consumer thread panicked")?
}

/// A Kafka record: CloudEvents binary mode (`ce_*` headers, value = data), or structured (any
/// of Twilio's wrappings, through the shared `decode_document`). The pipeline runs it on a scan
/// thread (this source's `Work::decode`).
fn decode_record(value: &[u8], headers: &[(String, Vec<u8>)]) -> Result<Vec<Value>, DecodeError> {
    let ce = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| Value::String(String::from_utf8_lossy(v).into_owned()))
    };
    if let (Some(spec), Some(ty)) = (ce("ce_specversion"), ce("ce_type")) {
        let data: Value = crate::event::parse_json(value)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(value).into_owned()));
        let mut ev = serde_json::Map::new();
        ev.insert("specversion".into(), spec);
        ev.insert("type".into(), ty);
        // every `ce_` header is an attribute (extensions too): scanned with the event
        for (name, v) in headers {
            if let Some(attr) = name
                .get(..3)
                .filter(|p| p.eq_ignore_ascii_case("ce_"))
                .map(|_| name[3..].to_ascii_lowercase())
                .filter(|a| !a.is_empty() && a != "specversion" && a != "type" && a != "data")
            {
                ev.entry(attr)
                    .or_insert_with(|| Value::String(String::from_utf8_lossy(v).into_owned()));
            }
        }
        ev.insert("data".into(), data);
        return Ok(vec![Value::Object(ev)]);
    }
    decode_document(value, headers)
}

/// librdkafka settings: safe defaults, then the operator's properties, then what at-least-once
/// depends on (never overridable).
fn client_config(config: &KafkaSourceConfig) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &config.brokers)
        .set("client.id", "phiscan")
        // a new group scans what the topic retains rather than only what arrives from now on
        .set("auto.offset.reset", "earliest")
        .set("statistics.interval.ms", STATS_INTERVAL_MS);
    for (k, v) in &config.properties {
        c.set(k, v);
    }
    c.set("group.id", &config.group_id);
    for (k, v) in [
        ("enable.auto.commit", "false"),
        ("enable.auto.offset.store", "false"),
    ] {
        if c.get(k).is_some_and(|set| set != v) {
            emit(KafkaPropertyIgnored { property: k });
        }
        c.set(k, v);
    }
    c
}

/// What the rebalance and statistics callbacks share with the consumer loop.
struct SourceContext {
    tracker: OffsetTracker,
    health: Arc<Health>,
    drain_timeout: Duration,
    /// Partitions are paused (backpressure): newly assigned ones are paused too.
    paused: AtomicBool,
    /// Closing: revoked partitions were already drained and committed.
    closing: AtomicBool,
    assigned: Mutex<HashSet<Partition>>,
}

impl ClientContext for SourceContext {
    fn stats_raw(&self, statistics: &[u8]) {
        let assigned = self.assigned.lock().expect("assignment lock").clone();
        export_lag(statistics, &assigned);
    }
}

impl ConsumerContext for SourceContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(tpl) = rebalance else {
            return;
        };
        let parts = partitions_of(tpl);
        if parts.is_empty() {
            return;
        }
        let started = Instant::now();
        let mut committed = false;
        if consumer.assignment_lost() {
            // another member may own them already: committing would fail; replays are harmless
            emit(KafkaAssignmentLost {
                partitions: &describe(&parts),
            });
        } else {
            let drained = self.closing.load(Ordering::Relaxed)
                || self.tracker.wait_drained(&parts, self.drain_timeout);
            if !drained {
                emit(KafkaRevokeNotDrained {
                    partitions: &describe(&parts),
                    in_flight: self.tracker.in_flight(&parts),
                });
            }
            let revoked: HashSet<&Partition> = parts.iter().collect();
            let positions: BTreeMap<Partition, i64> = self
                .tracker
                .positions()
                .into_iter()
                .filter(|(p, _)| revoked.contains(p))
                .collect();
            match commit(consumer, &positions, CommitMode::Sync) {
                Ok(()) => committed = true,
                Err(e) => emit(KafkaRevokeCommitFailed {
                    partitions: &describe(&parts),
                    error: &e,
                }),
            }
        }
        emit(KafkaPartitionsRevoked {
            partitions: &describe(&parts),
            committed,
            drain_ms: started.elapsed().as_millis() as u64,
        });
        self.tracker.forget(&parts);
        let mut assigned = self.assigned.lock().expect("assignment lock");
        for p in &parts {
            assigned.remove(p);
            let _ = metrics()
                .kafka_lag
                .remove_label_values(&[&p.0, &p.1.to_string()]);
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                let parts = partitions_of(tpl);
                if self.paused.load(Ordering::Relaxed) && tpl.count() > 0 {
                    let _ = consumer.pause(tpl);
                }
                self.assigned
                    .lock()
                    .expect("assignment lock")
                    .extend(parts.iter().cloned());
                if !parts.is_empty() {
                    self.health.kafka_connected.store(true, Ordering::Relaxed);
                }
                emit(KafkaPartitionsAssigned {
                    partitions: &describe(&parts),
                });
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => emit(KafkaRebalanceError { error: e }),
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, _offsets: &TopicPartitionList) {
        match result {
            Ok(())
            | Err(KafkaError::ConsumerCommit(rdkafka::error::RDKafkaErrorCode::NoOffset)) => {}
            Err(e) => emit(KafkaCommitCallbackFailed { error: &e }),
        }
    }
}

fn partitions_of(tpl: &TopicPartitionList) -> Vec<Partition> {
    tpl.elements()
        .iter()
        .map(|e| (e.topic().to_string(), e.partition()))
        .collect()
}

/// `events[0,1] other[3]`: for logs (topic names and numbers only).
fn describe(parts: &[Partition]) -> String {
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (t, p) in parts {
        by_topic.entry(t).or_default().push(*p);
    }
    by_topic
        .into_iter()
        .map(|(t, mut ps)| {
            ps.sort_unstable();
            format!(
                "{t}[{}]",
                ps.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn commit<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    positions: &BTreeMap<Partition, i64>,
    mode: CommitMode,
) -> KafkaResult<()> {
    if positions.is_empty() {
        return Ok(());
    }
    let mut tpl = TopicPartitionList::with_capacity(positions.len());
    for ((topic, partition), offset) in positions {
        tpl.add_partition_offset(topic, *partition, Offset::Offset(*offset))?;
    }
    let r = consumer.commit(&tpl, mode);
    drop(tpl);
    r
}

/// The part of librdkafka's statistics JSON that `/metrics` exports.
#[derive(Deserialize)]
struct Stats {
    #[serde(default)]
    topics: HashMap<String, TopicStats>,
}

#[derive(Deserialize)]
struct TopicStats {
    #[serde(default)]
    partitions: HashMap<String, PartitionStats>,
}

#[derive(Deserialize)]
struct PartitionStats {
    #[serde(default = "unknown")]
    consumer_lag: i64,
}

fn unknown() -> i64 {
    -1
}

/// Consumer lag per assigned partition (labels: topic and partition only).
fn export_lag(statistics: &[u8], assigned: &HashSet<Partition>) {
    let stats: Stats = match serde_json::from_slice(statistics) {
        Ok(s) => s,
        Err(e) => {
            emit(KafkaStatisticsUnparsable { error: &e });
            return;
        }
    };
    let lag = &metrics().kafka_lag;
    for (topic, t) in &stats.topics {
        for (partition, p) in &t.partitions {
            let Ok(number) = partition.parse::<i32>() else {
                continue;
            };
            // -1 is librdkafka's internal "unassigned" partition; a lag of -1 means unknown
            if number < 0 || p.consumer_lag < 0 || !assigned.contains(&(topic.clone(), number)) {
                continue;
            }
            lag.with_label_values(&[topic.as_str(), partition.as_str()])
                .set(p.consumer_lag);
        }
    }
}

/// Submissions waiting for room in the queue, in order (a task per record, chained).
type Pending = tokio::task::JoinHandle<bool>;

/// The consumer thread, in the steps the module docs describe: connect and subscribe; then,
/// until stopped, commit what finished every `commit_interval_ms`, resume once a waiting record
/// is in, poll, turn the record into `Work` and hand it in (pausing when the queue stays full);
/// finally drain what was read and commit.
fn consume(
    config: &KafkaSourceConfig,
    submitter: &Submitter,
    stop: &Shutdown,
    health: &Arc<Health>,
    drain_timeout: Duration,
    dead_letter_topic: Option<&str>,
    runtime: &tokio::runtime::Handle,
) -> Result<()> {
    let tracker = OffsetTracker::new();
    let consumer = connect(config, health, &tracker, drain_timeout)?;
    let mut run = Consuming {
        consumer: &consumer,
        tracker: &tracker,
        submitter,
        runtime,
        pending: None,
        errors: ErrorLog::default(),
        warned_dead_letter_topic: false,
    };
    let commit_every = Duration::from_millis(config.commit_interval_ms.max(10));
    let mut last_commit = Instant::now();
    let result = loop {
        if *stop.borrow() {
            break Ok(());
        }
        if last_commit.elapsed() >= commit_every {
            commit_finished(&consumer, &tracker);
            last_commit = Instant::now();
        }
        if let Err(e) = run.resume_when_in() {
            break Err(e);
        }
        match run.poll_one(config, dead_letter_topic) {
            Ok(None) => {}
            Ok(Some(work)) => {
                if let Err(e) = run.hand_in(work) {
                    break Err(e);
                }
            }
            Err(e) => break Err(e),
        }
    };
    let pending = run.pending.take();
    finish(&consumer, &tracker, pending, drain_timeout, runtime);
    // leaving the group runs the revoke callback (commits again: a no-op) before returning
    drop(consumer);
    result
}

/// Create the consumer, subscribe, and ask for metadata once (connected for `/readyz`).
fn connect(
    config: &KafkaSourceConfig,
    health: &Arc<Health>,
    tracker: &OffsetTracker,
    drain_timeout: Duration,
) -> Result<BaseConsumer<SourceContext>> {
    let context = SourceContext {
        tracker: tracker.clone(),
        health: health.clone(),
        drain_timeout,
        paused: AtomicBool::new(false),
        closing: AtomicBool::new(false),
        assigned: Mutex::new(HashSet::new()),
    };
    let consumer: BaseConsumer<SourceContext> = client_config(config)
        .create_with_context(context)
        .context("sources.kafka: cannot create the consumer (check brokers and properties)")?;
    emit(KafkaConsumerCreated {
        group: &config.group_id,
        properties: &config
            .properties
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(","),
        max_record_bytes: config.max_record_bytes,
        commit_interval_ms: config.commit_interval_ms,
    });
    let topics: Vec<&str> = config.topics.iter().map(String::as_str).collect();
    consumer
        .subscribe(&topics)
        .context("sources.kafka: cannot subscribe")?;
    match consumer.fetch_metadata(None, Duration::from_secs(5)) {
        Ok(md) => {
            health.kafka_connected.store(true, Ordering::Relaxed);
            emit(KafkaConsumerConnected {
                brokers: md.brokers().len(),
                topics: &config.topics.join(","),
                group: &config.group_id,
            });
        }
        Err(e) => emit(KafkaMetadataFailed { error: &e }),
    }
    Ok(consumer)
}

/// Commit (asynchronously) the offsets whose records all finished.
fn commit_finished(consumer: &BaseConsumer<SourceContext>, tracker: &OffsetTracker) {
    let positions = tracker.take_committable();
    match commit(consumer, &positions, CommitMode::Async) {
        Ok(()) if !positions.is_empty() => emit(KafkaCommitRequested {
            positions: &positions,
        }),
        Ok(()) => {}
        Err(e) => emit(KafkaCommitFailed { error: &e }),
    }
}

/// The consumer loop's state.
struct Consuming<'a> {
    consumer: &'a BaseConsumer<SourceContext>,
    tracker: &'a OffsetTracker,
    submitter: &'a Submitter,
    runtime: &'a tokio::runtime::Handle,
    /// A record waiting for room in the queue (the partitions are paused meanwhile).
    pending: Option<Pending>,
    errors: ErrorLog,
    warned_dead_letter_topic: bool,
}

impl Consuming<'_> {
    /// A record waiting for room: once it is in, resume.
    fn resume_when_in(&mut self) -> Result<()> {
        if !self.pending.as_ref().is_some_and(|p| p.is_finished()) {
            return Ok(());
        }
        let submitted = self
            .runtime
            .block_on(self.pending.take().expect("pending"))
            .unwrap_or(false);
        if !submitted {
            bail!("the pipeline stopped accepting events");
        }
        if self
            .consumer
            .context()
            .paused
            .swap(false, Ordering::Relaxed)
        {
            resume_all(self.consumer);
        }
        Ok(())
    }

    /// The next record as `Work`, if there is one to scan.
    fn poll_one(
        &mut self,
        config: &KafkaSourceConfig,
        dead_letter_topic: Option<&str>,
    ) -> Result<Option<Work>> {
        let poll = if self.pending.is_some() {
            Duration::from_millis(10)
        } else {
            POLL
        };
        let message = match self.consumer.poll(poll) {
            None => return Ok(None),
            Some(Ok(m)) => m,
            Some(Err(KafkaError::PartitionEOF(_))) => return Ok(None),
            Some(Err(e @ KafkaError::MessageConsumptionFatal(_))) => {
                return Err(anyhow::Error::new(e).context("fatal Kafka consumer error"));
            }
            Some(Err(e)) => {
                self.errors.warn(&e);
                return Ok(None);
            }
        };
        let (topic, partition, offset) = (message.topic(), message.partition(), message.offset());
        if dead_letter_topic == Some(topic) {
            // a `^pattern` subscription matched our own dead letters: never scan them again
            if !self.warned_dead_letter_topic {
                emit(KafkaDeadLetterTopicSkipped { topic });
                self.warned_dead_letter_topic = true;
            }
            self.tracker
                .finish(&self.tracker.begin(topic, partition, offset));
            return Ok(None);
        }
        let token = self.tracker.begin(topic, partition, offset);
        let mut work = Work::new(
            Payload::Record {
                value: message.payload().map(<[u8]>::to_vec).unwrap_or_default(),
                headers: headers_of(&message),
                key: message.key().map(<[u8]>::to_vec),
            },
            SourceRef::Kafka {
                topic: topic.to_string(),
                partition,
                offset,
            },
            "kafka",
            Ack::Offset(self.tracker.clone(), token),
            config.max_record_bytes,
        );
        work.decode = decode_record;
        Ok(Some(work))
    }

    /// Submit without blocking; when the queue is full, wait a little, then pause every
    /// partition until the record is in (polling goes on, for rebalances and heartbeats).
    fn hand_in(&mut self, work: Work) -> Result<()> {
        if let Some(prev) = self.pending.take() {
            // only while paused (a partition assigned meanwhile): keep the order
            let s = self.submitter.clone();
            self.pending =
                Some(self.runtime.spawn(async move {
                    prev.await.unwrap_or(false) && s.submit(work).await.is_ok()
                }));
            return Ok(());
        }
        let Err(work) = self.submitter.try_submit(work) else {
            return Ok(());
        };
        let s = self.submitter.clone();
        let mut task: Pending = self
            .runtime
            .spawn(async move { s.submit(work).await.is_ok() });
        match self
            .runtime
            .block_on(async { tokio::time::timeout(PAUSE_AFTER, &mut task).await })
        {
            Ok(Ok(true)) => {}
            Ok(_) => bail!("the pipeline stopped accepting events"),
            Err(_elapsed) => {
                self.consumer
                    .context()
                    .paused
                    .store(true, Ordering::Relaxed);
                pause_all(self.consumer);
                emit(KafkaPartitionsPaused);
                self.pending = Some(task);
            }
        }
        Ok(())
    }
}

/// A record's headers (CloudEvents binary mode keeps its attributes there).
fn headers_of(message: &rdkafka::message::BorrowedMessage<'_>) -> Vec<(String, Vec<u8>)> {
    message
        .headers()
        .map(|hs| {
            hs.iter()
                .map(|h| {
                    (
                        h.key.to_string(),
                        h.value.map(<[u8]>::to_vec).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Shutdown (or a fatal error): no more records; let what was read finish, then commit.
fn finish(
    consumer: &BaseConsumer<SourceContext>,
    tracker: &OffsetTracker,
    pending: Option<Pending>,
    drain_timeout: Duration,
    runtime: &tokio::runtime::Handle,
) {
    if let Some(p) = pending {
        let _ = runtime.block_on(async { tokio::time::timeout(drain_timeout, p).await });
    }
    let all: Vec<Partition> = tracker.positions().into_keys().collect();
    let started = Instant::now();
    if !tracker.wait_drained(&all, drain_timeout) {
        emit(KafkaShutdownNotDrained {
            in_flight: tracker.in_flight(&all),
        });
    }
    let positions = tracker.positions();
    match commit(consumer, &positions, CommitMode::Sync) {
        Ok(()) => emit(KafkaFinalCommit {
            partitions: positions.len(),
            drain_ms: started.elapsed().as_millis() as u64,
        }),
        Err(e) => emit(KafkaFinalCommitFailed { error: &e }),
    }
    consumer.context().closing.store(true, Ordering::Relaxed);
}

/// How often partitions were paused (for the tests).
static PAUSES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn pause_all(consumer: &BaseConsumer<SourceContext>) {
    PAUSES.fetch_add(1, Ordering::Relaxed);
    match consumer.assignment() {
        Ok(tpl) => {
            if let Err(e) = consumer.pause(&tpl) {
                emit(KafkaPauseFailed { error: &e });
            }
        }
        Err(e) => emit(KafkaAssignmentUnreadable { error: &e }),
    }
}

fn resume_all(consumer: &BaseConsumer<SourceContext>) {
    match consumer.assignment() {
        Ok(tpl) => {
            if let Err(e) = consumer.resume(&tpl) {
                emit(KafkaResumeFailed { error: &e });
            }
        }
        Err(e) => emit(KafkaAssignmentUnreadable { error: &e }),
    }
}

/// Consumer errors (broker down, unknown topic) repeat: log each kind at most every 30 s.
#[derive(Default)]
struct ErrorLog {
    last: HashMap<String, (Instant, u64)>,
}

impl ErrorLog {
    fn warn(&mut self, e: &KafkaError) {
        let key = e.to_string();
        let now = Instant::now();
        match self.last.get_mut(&key) {
            Some((at, suppressed)) if now.duration_since(*at) < Duration::from_secs(30) => {
                *suppressed += 1
            }
            Some((at, suppressed)) => {
                emit(KafkaConsumerError {
                    error: &key,
                    repeated: Some(*suppressed),
                });
                *at = now;
                *suppressed = 0;
            }
            None => {
                emit(KafkaConsumerError {
                    error: &key,
                    repeated: None,
                });
                self.last.insert(key, (now, 0));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_least_once_settings_cannot_be_overridden() {
        let mut config = KafkaSourceConfig {
            brokers: "127.0.0.1:9092".into(),
            group_id: "g".into(),
            topics: vec!["events".into()],
            properties: BTreeMap::new(),
            max_record_bytes: 1 << 20,
            commit_interval_ms: 1000,
        };
        config
            .properties
            .insert("enable.auto.commit".into(), "true".into());
        config
            .properties
            .insert("auto.offset.reset".into(), "latest".into());
        config
            .properties
            .insert("security.protocol".into(), "SASL_SSL".into());
        let c = client_config(&config);
        assert_eq!(c.get("enable.auto.commit"), Some("false"));
        assert_eq!(c.get("enable.auto.offset.store"), Some("false"));
        assert_eq!(c.get("auto.offset.reset"), Some("latest"));
        assert_eq!(c.get("security.protocol"), Some("SASL_SSL"));
        assert_eq!(c.get("group.id"), Some("g"));
    }

    #[test]
    fn lag_is_exported_for_assigned_partitions_only() {
        let json = br#"{"name":"x","topics":{"lagtest":{"topic":"lagtest","partitions":{
            "0":{"partition":0,"consumer_lag":42},
            "1":{"partition":1,"consumer_lag":7},
            "-1":{"partition":-1,"consumer_lag":-1}}}}}"#;
        let assigned: HashSet<Partition> = [("lagtest".to_string(), 0)].into_iter().collect();
        export_lag(json, &assigned);
        let lag = &metrics().kafka_lag;
        assert_eq!(lag.with_label_values(&["lagtest", "0"]).get(), 42);
        let text = metrics().render();
        assert!(
            !text.contains("partition=\"1\",topic=\"lagtest\""),
            "{text}"
        );
        assert!(!text.contains("partition=\"-1\""), "{text}");
    }

    /// An alert sink slower than the source (250 ms a batch), recording the event ids it got.
    struct SlowSink(Arc<Mutex<Vec<String>>>);

    impl crate::sink::AlertSink for SlowSink {
        fn name(&self) -> &'static str {
            "slow"
        }
        fn send<'a>(
            &'a self,
            alerts: &'a [&'a crate::alert::Alert],
        ) -> crate::sink::BoxFuture<'a, Result<(), crate::sink::SinkError>> {
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(250)).await;
                let mut got = self.0.lock().unwrap();
                got.extend(alerts.iter().map(|a| a.event.id.clone()));
                Ok(())
            })
        }
    }

    /// `n` events with an MRN in a tag, alternating over partitions 0 and 1 of `topic`.
    fn produce_mrn_events(brokers: &str, topic: &str, n: usize) {
        use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
        let producer: BaseProducer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .create()
            .unwrap();
        for i in 0..n {
            let mrn = format!("MRN-{:08}", 31_000_000 + i);
            let event = crate::test_fixtures::mrn_tag_event(&format!("EZ{i:032x}"), &mrn);
            let value = serde_json::to_vec(&event).unwrap();
            let record = BaseRecord::<(), _>::to(topic)
                .partition((i % 2) as i32)
                .payload(&value);
            producer.send(record).unwrap();
        }
        producer.flush(Duration::from_secs(10)).unwrap();
    }

    /// The offsets `group` committed on partitions 0 and 1 of `topic`.
    fn committed(brokers: &str, group: &str, topic: &str) -> Vec<Offset> {
        let reader: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("group.id", group)
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition(topic, 0);
        tpl.add_partition(topic, 1);
        let committed = reader
            .committed_offsets(tpl, Duration::from_secs(10))
            .unwrap();
        let offsets = committed.elements().iter().map(|e| e.offset()).collect();
        drop(committed);
        offsets
    }

    /// Waits up to a minute until `got` holds `n` distinct ids; returns them.
    async fn wait_for_ids(got: &Mutex<Vec<String>>, n: usize) -> HashSet<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ids: HashSet<String> = got.lock().unwrap().iter().cloned().collect();
            if ids.len() >= n || Instant::now() >= deadline {
                return ids;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// In-process (librdkafka's mock cluster): a sink slower than the source fills a queue of
    /// one, so partitions pause and resume; every event is still delivered, and what is
    /// committed at shutdown is exactly the end of each partition.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_pauses_partitions_without_losing_events() {
        use rdkafka::mocking::MockCluster;
        const N: usize = 12;
        let cluster = MockCluster::new(1).unwrap();
        cluster.create_topic("mock-events", 2, 1).unwrap();
        let brokers = cluster.bootstrap_servers();
        produce_mrn_events(&brokers, "mock-events", N);

        let got = Arc::new(Mutex::new(Vec::new()));
        let sinks =
            crate::sink::Sinks::new(vec![Box::new(SlowSink(got.clone()))], None, Duration::ZERO);
        let scanner = crate::test_fixtures::default_scanner();
        let pipeline =
            crate::service::pipeline::Pipeline::start(scanner, Arc::new(sinks), 1, 1, 1 << 20);
        let config = KafkaSourceConfig {
            brokers: brokers.clone(),
            group_id: "mock-group".into(),
            topics: vec!["mock-events".into()],
            properties: BTreeMap::new(),
            max_record_bytes: 1 << 20,
            commit_interval_ms: 100,
        };
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let health = Arc::new(Health {
            kafka_configured: true,
            ..Default::default()
        });
        let submitter = pipeline.submitter.clone();
        let timeout = Duration::from_secs(10);
        let source = tokio::spawn(run(
            config,
            submitter,
            stop_rx,
            health.clone(),
            timeout,
            None,
        ));

        let delivered = wait_for_ids(&got, N).await;
        assert_eq!(delivered.len(), N, "delivered {delivered:?}");
        assert!(health.kafka_connected.load(Ordering::Relaxed));
        assert!(
            PAUSES.load(Ordering::Relaxed) > 0,
            "the queue never filled long enough to pause"
        );
        stop_tx.send(true).unwrap();
        source.await.unwrap().unwrap();
        pipeline.drain().await;
        let half = Offset::Offset(N as i64 / 2);
        assert_eq!(
            committed(&brokers, "mock-group", "mock-events"),
            vec![half, half]
        );
    }

    #[test]
    fn describes_partitions_by_topic() {
        let parts = vec![
            ("b".to_string(), 1),
            ("a".to_string(), 3),
            ("a".to_string(), 0),
        ];
        assert_eq!(describe(&parts), "a[0,3] b[1]");
    }

    #[test]
    fn binary_mode_records_become_events() {
        let headers = vec![
            ("ce_specversion".to_string(), b"1.0".to_vec()),
            (
                "ce_type".to_string(),
                b"com.twilio.messaging.message.sent".to_vec(),
            ),
            ("ce_id".to_string(), b"EZ1".to_vec()),
        ];
        let ev = decode_record(br#"{"body":"hi"}"#, &headers).unwrap();
        assert_eq!(ev[0]["id"], "EZ1");
        assert_eq!(ev[0]["data"]["body"], "hi");
        let event = crate::test_fixtures::minimal_event("EZ2");
        let structured = decode_record(event.as_bytes(), &[]).unwrap();
        assert_eq!(structured.len(), 1);
        assert!(decode_record(b"not json", &[]).is_err());
    }
}
