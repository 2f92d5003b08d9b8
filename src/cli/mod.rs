//! The command-line front end: argument handling, progress and summaries. The work itself lives
//! in the library.

pub mod detect;
pub mod replay;
pub mod rules;
pub mod scan;
pub mod service;
mod summary;

use anyhow::Result;
use phiscan::config::Config;

use crate::CommonArgs;

/// The configuration file with command-line overrides applied.
pub fn load_config(common: &CommonArgs) -> Result<Config> {
    let mut config = Config::load(common.config.as_deref())?;
    if let Some(dir) = &common.detectors {
        config.detect.detectors_dir = Some(dir.clone());
    }
    if let Some(t) = common.threshold {
        config.detect.threshold = t;
    }
    config.validate()?;
    Ok(config)
}
