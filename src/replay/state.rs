//! The resume file: which objects are finished, where each Kafka partition stands, how long the
//! alert file was after the last finished object, and the report's running totals.
//!
//! It is rewritten after each object, once that object's alerts are flushed: to a temporary
//! file in the same directory, synced, then renamed over the old one, so a crash at any moment
//! leaves either the old state or the new one, never half of one. On resume the alert file is
//! cut back to the recorded length, so alerts of an object that was written but not yet
//! recorded are not written twice: every object's alerts appear exactly once.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::report::ReportData;

pub const STATE_SCHEMA: &str = "phiscan.replay-state/1";

/// What was asked: a state file only resumes the same replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub sources: Vec<String>,
    pub since: Option<String>,
    pub until: Option<String>,
}

/// A finished object.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Finished {
    pub bytes: u64,
    pub events: u64,
    pub alerts: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub schema: String,
    pub job: Job,
    /// Object id (path, `s3://bucket/key`, `kafka://…/topic/partition`) → totals.
    pub done: BTreeMap<String, Finished>,
    /// Kafka partition (`kafka://brokers/topic/partition`) → the offset range resolved when
    /// the replay started: a resumed replay reads the same range even if the topic grew.
    #[serde(default)]
    pub kafka_ranges: BTreeMap<String, (i64, i64)>,
    /// Kinesis stream (`kinesis://stream`) → the arrival-time range (ms; start -1 = the oldest
    /// record) resolved when the replay started.
    #[serde(default)]
    pub kinesis_ranges: BTreeMap<String, (i64, i64)>,
    /// Length of the alert file (`--output`) after the last finished object.
    pub output_len: Option<u64>,
    pub report: ReportData,
}

impl State {
    pub fn new(job: Job) -> State {
        State {
            schema: STATE_SCHEMA.to_string(),
            report: ReportData::new(&job),
            job,
            done: BTreeMap::new(),
            kafka_ranges: BTreeMap::new(),
            kinesis_ranges: BTreeMap::new(),
            output_len: None,
        }
    }

    /// The state in `path`, or `None` when there is no such file yet.
    pub fn load(path: &Path) -> Result<Option<State>> {
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(e).with_context(|| format!("reading state file {}", path.display()));
            }
        };
        let state: State = serde_json::from_slice(&text).with_context(|| {
            format!(
                "state file {} is not a replay state (delete it to start over)",
                path.display()
            )
        })?;
        if state.schema != STATE_SCHEMA {
            bail!(
                "state file {} has schema `{}`, expected `{STATE_SCHEMA}` (written by another phiscan version?)",
                path.display(),
                state.schema
            );
        }
        Ok(Some(state))
    }

    /// Refuse to resume a different replay: its finished objects would be skipped wrongly.
    pub fn check_job(&self, job: &Job, path: &Path) -> Result<()> {
        if &self.job != job {
            bail!(
                "state file {} belongs to another replay (sources {:?}, since {:?}, until {:?}); \
                 rerun with the same sources and --since/--until, or use a new --state file",
                path.display(),
                self.job.sources,
                self.job.since,
                self.job.until
            );
        }
        Ok(())
    }

    /// Write atomically: temp file in the same directory, fsync, rename.
    pub fn save(&self, path: &Path) -> Result<()> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            serde_json::to_writer(&mut f, self)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().with_context(|| format!("writing state file {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_atomically_and_refuses_another_job() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert!(State::load(&path).unwrap().is_none());
        let job = Job {
            sources: vec!["a".into()],
            since: None,
            until: None,
        };
        let mut s = State::new(job.clone());
        s.done.insert("a/x.jsonl".into(), Finished::default());
        s.save(&path).unwrap();
        let back = State::load(&path).unwrap().unwrap();
        assert!(back.done.contains_key("a/x.jsonl"));
        back.check_job(&job, &path).unwrap();
        let other = Job {
            sources: vec!["b".into()],
            ..job
        };
        let err = back.check_job(&other, &path).unwrap_err().to_string();
        assert!(err.contains("another replay"), "{err}");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp file left behind");
        std::fs::write(&path, "nonsense").unwrap();
        assert!(
            State::load(&path)
                .unwrap_err()
                .to_string()
                .contains("delete it")
        );
    }
}
