//! The Kafka broker of `scripts/services.sh` (tansu): topics, a test producer and reader, and
//! the `phiscan run` config for the Kafka source ([`ServiceConfig`]; [`super::launch::Service`]
//! runs it).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{DeliveryResult, Headers, Message};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::process::Command;

use super::{free_port, service_vars, unique};

pub struct Env {
    pub brokers: String,
    pub tansu: String,
}

/// The broker, or `None` after [`super::unavailable`] (a failure when the services were
/// promised).
pub fn env() -> Option<Env> {
    let mut v = service_vars(
        &["PHISCAN_TEST_KAFKA", "PHISCAN_TEST_TANSU"],
        "run scripts/services.sh start kafka",
    )?;
    let tansu = v.pop().unwrap();
    let brokers = v.pop().unwrap();
    Some(Env { brokers, tansu })
}

impl Env {
    pub fn create_topic(&self, name: &str, partitions: u32) {
        let out = Command::new(&self.tansu)
            .args([
                "topic",
                "create",
                "--broker",
                &format!("tcp://{}", self.brokers),
                "--partitions",
                &partitions.to_string(),
                name,
            ])
            .output()
            .expect("run tansu topic create");
        assert!(
            out.status.success(),
            "tansu topic create {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn producer(&self) -> TestProducer {
        self.producer_with(1)
    }

    /// `batch` records per batch. Tests use 1: tansu 0.6 loses records when a consumer resumes
    /// (restart, pause/resume) inside a batch. Only the benchmark may opt into more.
    pub fn producer_with(&self, batch: usize) -> TestProducer {
        let errors = Arc::new(AtomicUsize::new(0));
        let producer = ClientConfig::new()
            .set("bootstrap.servers", &self.brokers)
            .set("broker.address.family", "v4")
            .set("batch.num.messages", batch.to_string())
            .set("linger.ms", if batch > 1 { "20" } else { "0" })
            .set("queue.buffering.max.messages", "500000")
            .set("acks", "all")
            .set("enable.idempotence", "true")
            .create_with_context(Counting {
                errors: errors.clone(),
            })
            .expect("test producer");
        TestProducer { producer, errors }
    }

    /// Every record on `topic` (all partitions, from the beginning) until `done` says so or
    /// `timeout` passes.
    pub fn read_topic(
        &self,
        topic: &str,
        timeout: Duration,
        done: impl Fn(&[Record]) -> bool,
    ) -> Vec<Record> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.brokers)
            .set("broker.address.family", "v4")
            .set("group.id", unique("reader"))
            .set("enable.auto.commit", "false")
            .create()
            .expect("test consumer");
        let md = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .expect("metadata");
        let partitions = md.topics()[0].partitions().len() as i32;
        assert!(partitions > 0, "topic {topic} has no partitions");
        let mut tpl = TopicPartitionList::new();
        for p in 0..partitions {
            tpl.add_partition_offset(topic, p, Offset::Beginning)
                .unwrap();
        }
        consumer.assign(&tpl).expect("assign");
        drop(tpl);
        let deadline = Instant::now() + timeout;
        let mut out = Vec::new();
        while Instant::now() < deadline && !done(&out) {
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
                out.push(Record {
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(<[u8]>::to_vec),
                    value: m.payload().map(<[u8]>::to_vec).unwrap_or_default(),
                    headers: m
                        .headers()
                        .map(|hs| {
                            hs.iter()
                                .map(|h| (h.key.to_string(), h.value.unwrap_or_default().to_vec()))
                                .collect()
                        })
                        .unwrap_or_default(),
                });
            }
        }
        out
    }
}

#[derive(Debug, Clone)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Vec<u8>,
    pub headers: Vec<(String, Vec<u8>)>,
}

struct Counting {
    errors: Arc<AtomicUsize>,
}

impl ClientContext for Counting {}

impl ProducerContext for Counting {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if result.is_err() {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

pub struct TestProducer {
    producer: BaseProducer<Counting>,
    errors: Arc<AtomicUsize>,
}

impl TestProducer {
    /// Queue a record (to `partition`, or spread by key when `None`).
    pub fn send(&self, topic: &str, partition: Option<i32>, key: &str, value: &[u8]) {
        self.send_with_headers(topic, partition, key, value, &[]);
    }

    /// As `send`, with record headers (CloudEvents binary mode: `ce_*`).
    pub fn send_with_headers(
        &self,
        topic: &str,
        partition: Option<i32>,
        key: &str,
        value: &[u8],
        headers: &[(&str, &str)],
    ) {
        let mut record = BaseRecord::to(topic).key(key).payload(value);
        if !headers.is_empty() {
            let mut h = rdkafka::message::OwnedHeaders::new();
            for (k, v) in headers {
                h = h.insert(rdkafka::message::Header {
                    key: k,
                    value: Some(v.as_bytes()),
                });
            }
            record = record.headers(h);
        }
        if let Some(p) = partition {
            record = record.partition(p);
        }
        loop {
            match self.producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    self.producer.poll(Duration::from_millis(10));
                }
                Err((e, _)) => panic!("produce to {topic}: {e}"),
            }
        }
        self.producer.poll(Duration::ZERO);
    }

    /// Wait until everything queued was acknowledged, and check none failed.
    pub fn flush(&self) {
        self.producer
            .flush(Duration::from_secs(60))
            .expect("flush the test producer");
        assert_eq!(
            self.errors.load(Ordering::Relaxed),
            0,
            "test records failed to deliver"
        );
    }
}

/// What a test configures; `toml()` writes the service config.
pub struct ServiceConfig {
    pub brokers: String,
    pub topics: Vec<String>,
    pub group: String,
    pub alerts_file: PathBuf,
    pub alerts_topic: Option<String>,
    pub dead_letter_topic: Option<String>,
    pub dead_letter_file: Option<PathBuf>,
    pub max_record_bytes: Option<usize>,
    pub commit_interval_ms: u64,
    pub queue_capacity: Option<usize>,
    pub metrics_port: u16,
    pub extra: String,
}

impl ServiceConfig {
    pub fn new(env: &Env, topic: &str, group: &str, alerts_file: &Path) -> ServiceConfig {
        ServiceConfig {
            brokers: env.brokers.clone(),
            topics: vec![topic.to_string()],
            group: group.to_string(),
            alerts_file: alerts_file.to_path_buf(),
            alerts_topic: None,
            dead_letter_topic: None,
            dead_letter_file: None,
            max_record_bytes: None,
            commit_interval_ms: 200,
            queue_capacity: None,
            metrics_port: free_port(),
            extra: String::new(),
        }
    }

    pub fn toml(&self) -> String {
        let q = |s: &str| serde_json::to_string(s).unwrap();
        let mut t = String::new();
        t += "[service]\n";
        t += &format!(
            "metrics_listen = {}\nshutdown_timeout_secs = 20\n",
            q(&format!("127.0.0.1:{}", self.metrics_port))
        );
        if let Some(c) = self.queue_capacity {
            t += &format!("queue_capacity = {c}\n");
        }
        t += "\n[sources.kafka]\n";
        t += &format!(
            "brokers = {}\ngroup_id = {}\n",
            q(&self.brokers),
            q(&self.group)
        );
        t += &format!(
            "topics = [{}]\n",
            self.topics
                .iter()
                .map(|s| q(s))
                .collect::<Vec<_>>()
                .join(", ")
        );
        t += &format!("commit_interval_ms = {}\n", self.commit_interval_ms);
        if let Some(m) = self.max_record_bytes {
            t += &format!("max_record_bytes = {m}\n");
        }
        t += "[sources.kafka.properties]\n\"session.timeout.ms\" = \"6000\"\n\"broker.address.family\" = \"v4\"\n";
        t += "\n[sinks.jsonl]\n";
        t += &format!("path = {}\n", q(&self.alerts_file.display().to_string()));
        if let Some(topic) = &self.alerts_topic {
            t += &format!(
                "\n[sinks.kafka]\nbrokers = {}\ntopic = {}\n",
                q(&self.brokers),
                q(topic)
            );
            t += "[sinks.kafka.properties]\n\"broker.address.family\" = \"v4\"\n";
        }
        if self.dead_letter_topic.is_some() || self.dead_letter_file.is_some() {
            t += "\n[sinks.dead_letter]\n";
            if let Some(topic) = &self.dead_letter_topic {
                t += &format!("kafka_topic = {}\n", q(topic));
            }
            if let Some(p) = &self.dead_letter_file {
                t += &format!("path = {}\n", q(&p.display().to_string()));
            }
        }
        t += &self.extra;
        t
    }
}
