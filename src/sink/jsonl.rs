//! JSON Lines alerts to stdout or a file: one alert a line, flushed at the end (and by the
//! caller at checkpoints) so a crash loses at most what was not yet acknowledged. The service's
//! file sink also syncs the file to disk (`sync_data`) before a batch counts as accepted, so an
//! acknowledged event's alerts survive a power loss, not only a crash.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};

use super::{AlertSink, AlertSinkConfig};
use crate::alert::Alert;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JsonlSinkConfig {
    pub path: String,
}

impl AlertSinkConfig for JsonlSinkConfig {
    fn build(&self) -> Result<Box<dyn AlertSink>> {
        Ok(Box::new(SharedJsonl::open(&self.path)?))
    }
}

pub struct JsonlSink {
    out: BufWriter<Box<dyn Write + Send>>,
    /// The file behind `out` (none for stdout), to sync.
    file: Option<std::fs::File>,
}

impl JsonlSink {
    pub fn stdout() -> JsonlSink {
        JsonlSink {
            out: BufWriter::new(Box::new(io::stdout())),
            file: None,
        }
    }

    pub fn file(path: &Path) -> Result<JsonlSink> {
        let f = std::fs::File::create(path)
            .with_context(|| format!("cannot create output file {}", path.display()))?;
        Ok(JsonlSink {
            file: f.try_clone().ok(),
            out: BufWriter::new(Box::new(f)),
        })
    }

    /// Append to a file (the service restarts and must not truncate what it wrote before).
    pub fn append(path: &Path) -> Result<JsonlSink> {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open alert file {}", path.display()))?;
        Ok(JsonlSink {
            file: Some(f.try_clone().context("alert file handle")?),
            out: BufWriter::new(Box::new(f)),
        })
    }

    pub fn write(&mut self, alert: &Alert) -> Result<()> {
        serde_json::to_writer(&mut self.out, alert)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    pub fn flush(&mut self) -> Result<()> {
        self.out.flush().context("writing alerts")
    }

    /// Flush and sync the file's data to disk (stdout: flush only).
    pub fn sync(&mut self) -> Result<()> {
        self.flush()?;
        if let Some(f) = &self.file {
            f.sync_data().context("syncing the alert file to disk")?;
            #[cfg(test)]
            SYNCS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(())
    }
}

/// Syncs done (for the tests).
#[cfg(test)]
static SYNCS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The service's JSONL sink: each batch is written and flushed before it counts as accepted.
pub struct SharedJsonl(std::sync::Mutex<JsonlSink>);

impl SharedJsonl {
    pub fn open(path: &str) -> Result<SharedJsonl> {
        let sink = if path == "-" {
            JsonlSink::stdout()
        } else {
            JsonlSink::append(Path::new(path))?
        };
        Ok(SharedJsonl(std::sync::Mutex::new(sink)))
    }
}

impl super::AlertSink for SharedJsonl {
    fn name(&self) -> &'static str {
        "jsonl"
    }

    fn send<'a>(
        &'a self,
        alerts: &'a [&'a Alert],
    ) -> super::BoxFuture<'a, Result<(), super::SinkError>> {
        Box::pin(async move {
            let mut sink = self.0.lock().expect("jsonl sink lock");
            for a in alerts {
                sink.write(a)
                    .map_err(|e| super::SinkError::Retryable(format!("{e:#}")))?;
            }
            // on disk before the events these alerts cover are acknowledged
            sink.sync()
                .map_err(|e| super::SinkError::Retryable(format!("{e:#}")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::AlertSink;
    use std::sync::atomic::Ordering;

    #[tokio::test]
    async fn a_batch_is_synced_to_disk_before_it_counts_as_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.jsonl");
        let sink = SharedJsonl::open(path.to_str().unwrap()).unwrap();
        let a = crate::sink::suppress::tests::alert("phi-in-tag", "AC1", "f1");
        let before = SYNCS.load(Ordering::SeqCst);
        sink.send(&[&a, &a]).await.unwrap();
        assert!(
            SYNCS.load(Ordering::SeqCst) > before,
            "send returned before sync_data"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
    }
}
