//! One shard's reader: GetShardIterator from the lease's checkpoint, GetRecords in a loop within
//! the shard's limits (5 calls/s; back off with jitter on throughput errors), each record handed
//! to the pipeline with an ack, and checkpoints that only cover records whose alerts were
//! delivered.
//!
//! Sequence numbers are decimal strings up to 128 bits, so the completion tracking (the same
//! `OffsetTracker` the Kafka source uses) counts records by a per-reader ordinal, and a queue
//! maps ordinals back to sequence numbers when a checkpoint is written.
//!
//! A closed shard (no next iterator) is read to its end, drained, and checkpointed as
//! `SHARD_END`; its children become readable once all their parents have ended.

use std::collections::VecDeque;
use std::io::Read as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::operation::get_records::GetRecordsOutput;
use aws_sdk_kinesis::primitives::DateTime;
use aws_sdk_kinesis::types::ShardIteratorType;
use tokio::sync::watch;

use super::config::KinesisSourceConfig;
use super::lease::{self, LeaseTable, Write};
use crate::alert::SourceRef;
use crate::checkpoint::{OffsetTracker, Partition};
use crate::internal_events::emit;
use crate::internal_events::source_kinesis::*;
use crate::metrics::kinesis::kinesis_metrics;
use crate::source::contract::{Ack, Payload, Submitter, Work};

/// Shared by every reader of this replica.
pub struct Readers {
    pub kinesis: Client,
    pub table: LeaseTable,
    pub me: String,
    pub config: KinesisSourceConfig,
    pub submitter: Submitter,
    pub tracker: OffsetTracker,
    pub drain_timeout: Duration,
    /// `initial_timestamp`, parsed.
    pub at_timestamp: Option<DateTime>,
}

/// How a reader finished.
#[derive(Debug)]
pub enum End {
    /// Read to its end and checkpointed SHARD_END.
    Ended,
    /// Asked to stop: drained and checkpointed.
    Stopped,
    /// Another replica owns the lease now.
    Lost,
    Failed(anyhow::Error),
}

/// Fewest milliseconds between two GetRecords calls on a shard (its limit is 5 calls/s).
const MIN_CALL_GAP: Duration = Duration::from_millis(200);

/// Exponential backoff with jitter (`backon`): 50 ms doubling to 2.5 s, each delay plus a random
/// share of itself (up to 100%), so at most 5 s. Endless: a throttled shard is retried for as
/// long as it takes; each retry loop takes a fresh one, and a success starts over.
pub fn backoff() -> backon::ExponentialBackoff {
    use backon::BackoffBuilder as _;
    backon::ExponentialBuilder::new()
        .with_min_delay(Duration::from_millis(50))
        .with_max_delay(Duration::from_millis(2_500))
        .with_jitter()
        .without_max_times()
        .build()
}

/// The next delay of `delays` (never ends: built `without_max_times`).
fn next_delay(delays: &mut backon::ExponentialBackoff) -> Duration {
    delays.next().unwrap_or(Duration::from_secs(5))
}

/// Records of one reader session: ordinal → sequence number, for checkpoints.
struct Progress {
    key: Partition,
    next: i64,
    pending: VecDeque<(i64, String, Option<DateTime>)>,
    /// Last sequence number read (to re-open an expired iterator after it).
    last_read: Option<String>,
    checkpointed: Option<String>,
    /// A checkpoint whose write failed: retried with the next one.
    unwritten: Option<(String, Option<DateTime>)>,
}

impl Progress {
    /// The newest sequence number whose record and every one before it are done.
    fn done_upto(&mut self, tracker: &OffsetTracker) -> Option<(String, Option<DateTime>)> {
        let pos = tracker.positions().get(&self.key).copied()?;
        let mut last = None;
        while self.pending.front().is_some_and(|(o, _, _)| *o < pos) {
            let (_, seq, at) = self.pending.pop_front().expect("front");
            last = Some((seq, at));
        }
        last
    }
}

/// Read `shard` from `checkpoint` until it ends, `stop` is set, or the lease is lost.
pub async fn read(
    r: Arc<Readers>,
    shard: String,
    checkpoint: String,
    mut stop: watch::Receiver<bool>,
) -> End {
    static SESSION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let session = SESSION.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut p = Progress {
        key: (format!("{shard}@{session}"), 0),
        next: 0,
        pending: VecDeque::new(),
        last_read: None,
        checkpointed: None,
        unwritten: None,
    };
    let end = match run(&r, &shard, &checkpoint, &mut stop, &mut p).await {
        // stopping or the shard ended: let what was read finish, then checkpoint
        End::Stopped => finish(&r, &shard, &mut p, false).await,
        End::Ended => finish(&r, &shard, &mut p, true).await,
        other => other,
    };
    r.tracker.forget(std::slice::from_ref(&p.key));
    let m = kinesis_metrics();
    let _ = m
        .millis_behind
        .remove_label_values(&[r.config.stream.as_str(), shard.as_str()]);
    end
}

async fn finish(r: &Readers, shard: &str, p: &mut Progress, ended: bool) -> End {
    let deadline = Instant::now() + r.drain_timeout;
    while r.tracker.in_flight(std::slice::from_ref(&p.key)) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drained = r.tracker.in_flight(std::slice::from_ref(&p.key)) == 0;
    if ended && drained {
        return match r.table.checkpoint(shard, &r.me, lease::SHARD_END).await {
            Ok(Write::Done) => {
                emit(KinesisShardEnded {
                    stream: &r.config.stream,
                    shard,
                });
                End::Ended
            }
            Ok(Write::Lost) => End::Lost,
            Err(e) => End::Failed(e),
        };
    }
    if !drained {
        emit(KinesisShardNotDrained { shard });
    }
    match checkpoint(r, shard, p).await {
        Ok(true) => End::Stopped,
        Ok(false) => End::Lost,
        Err(e) => End::Failed(e),
    }
}

/// Write the checkpoint if it moved. Ok(false): the lease was lost.
async fn checkpoint(r: &Readers, shard: &str, p: &mut Progress) -> anyhow::Result<bool> {
    let Some((seq, at)) = p.done_upto(&r.tracker).or_else(|| p.unwritten.take()) else {
        return Ok(true);
    };
    if p.checkpointed.as_ref() == Some(&seq) {
        return Ok(true);
    }
    let written = r.table.checkpoint(shard, &r.me, &seq).await;
    if written.is_err() {
        p.unwritten = Some((seq.clone(), at));
    }
    match written? {
        Write::Done => {
            emit(KinesisCheckpointWritten {
                stream: &r.config.stream,
                shard,
            });
            if let Some(at) = at {
                let lag =
                    DateTime::from(std::time::SystemTime::now()).as_secs_f64() - at.as_secs_f64();
                kinesis_metrics()
                    .checkpoint_lag
                    .with_label_values(&[r.config.stream.as_str(), shard])
                    .set(lag.max(0.0));
            }
            p.checkpointed = Some(seq);
            Ok(true)
        }
        Write::Lost => Ok(false),
    }
}

async fn iterator(r: &Readers, shard: &str, from: &str) -> anyhow::Result<Option<String>> {
    let mut req = r
        .kinesis
        .get_shard_iterator()
        .stream_name(&r.config.stream)
        .shard_id(shard);
    req = match from {
        lease::TRIM_HORIZON => req.shard_iterator_type(ShardIteratorType::TrimHorizon),
        lease::LATEST => req.shard_iterator_type(ShardIteratorType::Latest),
        lease::AT_TIMESTAMP => req
            .shard_iterator_type(ShardIteratorType::AtTimestamp)
            .set_timestamp(r.at_timestamp),
        seq => req
            .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
            .starting_sequence_number(seq),
    };
    let mut delays = backoff();
    loop {
        match req.clone().send().await {
            Ok(out) => return Ok(out.shard_iterator().map(str::to_string)),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_provisioned_throughput_exceeded_exception()) =>
            {
                kinesis_metrics()
                    .throttled
                    .with_label_values(&[r.config.stream.as_str()])
                    .inc();
                tokio::time::sleep(next_delay(&mut delays)).await;
            }
            Err(e) => {
                return Err(lease::aws_error(e).context(format!(
                    "kinesis: GetShardIterator for shard {shard} of stream {} failed",
                    r.config.stream
                )));
            }
        }
    }
}

/// Records are one CloudEvent JSON each as Twilio writes them; gzip is unwrapped here (JSON
/// arrays and base64 text are the pipeline's decoder's job). Output is capped just above the
/// record limit so a compression bomb is dead-lettered as too large instead of filling memory.
pub(crate) fn unwrap_gzip(data: &[u8], max: usize) -> Vec<u8> {
    if !data.starts_with(&[0x1f, 0x8b]) {
        return data.to_vec();
    }
    let mut out = Vec::new();
    let mut dec = flate2::read::MultiGzDecoder::new(data).take(max as u64 + 1);
    match dec.read_to_end(&mut out) {
        Ok(_) => out,
        Err(_) => data.to_vec(), // not gzip after all: the decoder reports it as malformed
    }
}

/// A checkpoint (errors are logged and retried at the next interval); `Some(End::Lost)` when
/// the lease was taken over meanwhile.
async fn checkpoint_or_lost(r: &Readers, shard: &str, p: &mut Progress) -> Option<End> {
    match checkpoint(r, shard, p).await {
        Ok(true) => None,
        Ok(false) => Some(End::Lost),
        Err(e) => {
            emit(KinesisCheckpointFailed { shard, error: &e });
            None
        }
    }
}

/// Each record of a GetRecords answer as `Work`: registered with the tracker in read order (so
/// checkpoints cover only finished records) and handed in, waiting while the queue is full.
async fn submit_records(
    r: &Readers,
    shard: &str,
    records: &[aws_sdk_kinesis::types::Record],
    p: &mut Progress,
) -> Result<(), End> {
    let stream = r.config.stream.as_str();
    for rec in records {
        let ordinal = p.next;
        p.next += 1;
        let seq = rec.sequence_number().to_string();
        p.pending.push_back((
            ordinal,
            seq.clone(),
            rec.approximate_arrival_timestamp().copied(),
        ));
        p.last_read = Some(seq.clone());
        let token = r.tracker.begin(&p.key.0, 0, ordinal);
        let work = Work::new(
            Payload::Record {
                value: unwrap_gzip(rec.data().as_ref(), r.config.max_record_bytes),
                headers: Vec::new(),
                key: Some(rec.partition_key().as_bytes().to_vec()),
            },
            SourceRef::Kinesis {
                stream: stream.to_string(),
                shard: shard.to_string(),
                sequence: seq,
            },
            "kinesis",
            Ack::Offset(r.tracker.clone(), token),
            r.config.max_record_bytes,
        );
        if r.submitter.submit(work).await.is_err() {
            return Err(End::Failed(anyhow::anyhow!(
                "the pipeline stopped accepting events"
            )));
        }
    }
    Ok(())
}

/// The reader's loop, in the steps the module doc describes: open an iterator at the lease's
/// checkpoint, then GetRecords (recovering from a failed call), hand the records in, checkpoint
/// when due, and pace the next call within the shard's limits, until the shard ends, `stop` is
/// set, or the lease is lost.
async fn run(
    r: &Readers,
    shard: &str,
    from: &str,
    stop: &mut watch::Receiver<bool>,
    p: &mut Progress,
) -> End {
    let mut s = match Session::open(r, shard, from).await {
        Ok(s) => s,
        Err(end) => return end,
    };
    loop {
        if *stop.borrow() {
            return End::Stopped;
        }
        let started = Instant::now();
        let out = match s.get_records(stop, p).await {
            Ok(Some(out)) => out,
            Ok(None) => continue,
            Err(end) => return end,
        };
        let got = match s.hand_in(&out, p).await {
            Ok(got) => got,
            Err(end) => return end,
        };
        if let Some(end) = s.checkpoint_if_due(p).await {
            return end;
        }
        match out.next_shard_iterator() {
            Some(next) => s.it = next.to_string(),
            None => return End::Ended,
        }
        if s.pace(started, got, stop).await {
            return End::Stopped;
        }
    }
}

/// One reader session's position in the shard and its timers.
struct Session<'a> {
    r: &'a Readers,
    shard: &'a str,
    /// Where the lease said to start (re-used when an iterator expires before any record).
    from: &'a str,
    /// The shard iterator for the next GetRecords call.
    it: String,
    delays: backon::ExponentialBackoff,
    last_checkpoint: Instant,
}

impl<'a> Session<'a> {
    /// Step 1: GetShardIterator at the lease's checkpoint. `Err(End::Ended)`: the shard is
    /// closed and nothing is left to read.
    async fn open(r: &'a Readers, shard: &'a str, from: &'a str) -> Result<Session<'a>, End> {
        let it = match iterator(r, shard, from).await {
            Ok(Some(it)) => it,
            Ok(None) => return Err(End::Ended),
            Err(e) => return Err(End::Failed(e)),
        };
        emit(KinesisShardReaderStarted {
            shard,
            from: if from.chars().all(|c| c.is_ascii_digit()) {
                "checkpoint"
            } else {
                from
            },
        });
        Ok(Session {
            r,
            shard,
            from,
            it,
            delays: backoff(),
            last_checkpoint: Instant::now(),
        })
    }

    /// Step 2: one GetRecords call. `Ok(None)`: it failed and was recovered from (call again).
    async fn get_records(
        &mut self,
        stop: &mut watch::Receiver<bool>,
        p: &Progress,
    ) -> Result<Option<GetRecordsOutput>, End> {
        let sent = self
            .r
            .kinesis
            .get_records()
            .shard_iterator(&self.it)
            .limit(self.r.config.max_records_per_call)
            .send()
            .await;
        match sent {
            Ok(out) => {
                self.delays = backoff();
                Ok(Some(out))
            }
            Err(e) => {
                let (shard, from) = (self.shard, self.from);
                let failed = Failed { shard, from, p };
                match failed
                    .recover(self.r, e, &mut self.it, &mut self.delays, stop)
                    .await
                {
                    Some(end) => Err(end),
                    None => Ok(None),
                }
            }
        }
    }

    /// Step 3: the answer's records to the pipeline (waiting while its queue is full); how
    /// many there were.
    async fn hand_in(&self, out: &GetRecordsOutput, p: &mut Progress) -> Result<usize, End> {
        let (stream, m) = (self.r.config.stream.as_str(), kinesis_metrics());
        if let Some(ms) = out.millis_behind_latest() {
            m.millis_behind
                .with_label_values(&[stream, self.shard])
                .set(ms);
        }
        let got = out.records().len();
        submit_records(self.r, self.shard, out.records(), p).await?;
        m.records.with_label_values(&[stream]).inc_by(got as u64);
        Ok(got)
    }

    /// Step 4: a checkpoint of what finished, every `checkpoint_interval_ms`.
    async fn checkpoint_if_due(&mut self, p: &mut Progress) -> Option<End> {
        let every = Duration::from_millis(self.r.config.checkpoint_interval_ms.max(10));
        if self.last_checkpoint.elapsed() < every {
            return None;
        }
        let end = checkpoint_or_lost(self.r, self.shard, p).await;
        self.last_checkpoint = Instant::now();
        end
    }

    /// Step 5: wait before the next call: at least [`MIN_CALL_GAP`] after the last one began,
    /// and `idle_poll_ms` when it returned nothing. True when stopping.
    async fn pace(&self, started: Instant, got: usize, stop: &mut watch::Receiver<bool>) -> bool {
        let gap = MIN_CALL_GAP.saturating_sub(started.elapsed());
        let idle = Duration::from_millis(self.r.config.idle_poll_ms);
        let wait = if got == 0 { idle.max(gap) } else { gap };
        sleep_or_stop(wait, stop).await
    }
}

/// A shard reader whose GetRecords call failed.
struct Failed<'a> {
    shard: &'a str,
    from: &'a str,
    p: &'a Progress,
}

impl Failed<'_> {
    /// An expired iterator is renewed from the last record read; a throttled or failed call is
    /// retried after the next backoff delay. `Some` when the reader must end instead.
    async fn recover<E>(
        &self,
        r: &Readers,
        e: aws_sdk_kinesis::error::SdkError<
            aws_sdk_kinesis::operation::get_records::GetRecordsError,
            E,
        >,
        it: &mut String,
        delays: &mut backon::ExponentialBackoff,
        stop: &mut watch::Receiver<bool>,
    ) -> Option<End>
    where
        E: std::fmt::Debug + Send + Sync + 'static,
    {
        let service = e.as_service_error();
        if service.is_some_and(|s| s.is_expired_iterator_exception()) {
            let from = self
                .p
                .last_read
                .clone()
                .unwrap_or_else(|| self.from.to_string());
            return match iterator(r, self.shard, &from).await {
                Ok(Some(next)) => {
                    *it = next;
                    None
                }
                Ok(None) => Some(End::Ended),
                Err(e) => Some(End::Failed(e)),
            };
        }
        if service.is_some_and(|s| s.is_provisioned_throughput_exceeded_exception()) {
            kinesis_metrics()
                .throttled
                .with_label_values(&[r.config.stream.as_str()])
                .inc();
        } else {
            emit(KinesisGetRecordsFailed {
                shard: self.shard,
                error: &lease::aws_error(e),
            });
        }
        sleep_or_stop(next_delay(delays), stop)
            .await
            .then_some(End::Stopped)
    }
}

/// Sleep, waking early when `stop` is set. True when stopping.
async fn sleep_or_stop(d: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    if d.is_zero() {
        return *stop.borrow();
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = stop.wait_for(|s| *s) => return true,
    }
    *stop.borrow()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_records_are_unwrapped_and_capped() {
        use flate2::{Compression, write::GzEncoder};
        use std::io::Write as _;
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        let event = crate::test_fixtures::minimal_event("EZ1");
        e.write_all(event.as_bytes()).unwrap();
        let gz = e.finish().unwrap();
        assert_eq!(unwrap_gzip(&gz, 1 << 20), event.as_bytes());
        assert_eq!(
            unwrap_gzip(&gz, 10).len(),
            11,
            "capped just above the limit"
        );
        assert_eq!(unwrap_gzip(b"{}", 10), b"{}");
    }

    #[test]
    fn backoff_is_jittered_and_capped() {
        for d in backoff().take(20) {
            assert!(d <= Duration::from_millis(5_000));
        }
        let spread: std::collections::HashSet<_> =
            (0..20).map(|_| backoff().nth(5).unwrap()).collect();
        assert!(spread.len() > 1);
    }

    #[test]
    fn checkpoints_cover_only_finished_records() {
        let t = OffsetTracker::new();
        let mut p = Progress {
            key: ("s@0".into(), 0),
            next: 0,
            pending: VecDeque::new(),
            last_read: None,
            checkpointed: None,
            unwritten: None,
        };
        let toks: Vec<_> = (0..3)
            .map(|o| {
                p.pending.push_back((o, format!("seq{o}"), None));
                t.begin("s@0", 0, o)
            })
            .collect();
        t.finish(&toks[1]);
        assert_eq!(p.done_upto(&t), None, "record 0 is still in flight");
        t.finish(&toks[0]);
        assert_eq!(p.done_upto(&t).map(|x| x.0), Some("seq1".into()));
        t.finish(&toks[2]);
        assert_eq!(p.done_upto(&t).map(|x| x.0), Some("seq2".into()));
        assert_eq!(p.done_upto(&t), None);
    }
}
