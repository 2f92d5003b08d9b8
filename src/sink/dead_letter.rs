//! Dead-letter output (placeholder: being implemented).

use anyhow::{Result, bail};

use crate::config::Config;
use crate::config::service::DeadLetterConfig;

pub fn build(_d: &DeadLetterConfig, _config: &Config) -> Result<Box<dyn super::DeadLetterSink>> {
    bail!("the dead-letter output is not implemented yet")
}
