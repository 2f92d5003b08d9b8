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

    pub fn write(&mut self, alert: &Alert) -> Result<()> {
        serde_json::to_writer(&mut self.out, alert)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    pub fn flush(&mut self) -> Result<()> {
        self.out.flush().context("writing alerts")
    }
}
