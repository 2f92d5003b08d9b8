//! JSON Lines alerts to stdout or a file: one alert a line, flushed at the end (and by the
//! caller at checkpoints) so a crash loses at most what was not yet acknowledged.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};

use crate::alert::Alert;

pub struct JsonlSink {
    out: BufWriter<Box<dyn Write + Send>>,
}

impl JsonlSink {
    pub fn stdout() -> JsonlSink {
        JsonlSink {
            out: BufWriter::new(Box::new(io::stdout())),
        }
    }

    pub fn file(path: &Path) -> Result<JsonlSink> {
        let f = std::fs::File::create(path)
            .with_context(|| format!("cannot create output file {}", path.display()))?;
        Ok(JsonlSink {
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
}

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
            sink.flush()
                .map_err(|e| super::SinkError::Retryable(format!("{e:#}")))
        })
    }
}
