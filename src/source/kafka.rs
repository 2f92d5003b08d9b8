//! Kafka source (placeholder: being implemented).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};

use crate::config::service::{DeadLetterConfig, KafkaSourceConfig};
use crate::service::pipeline::Submitter;
use crate::service::{Health, Shutdown};

pub async fn run(
    _config: KafkaSourceConfig,
    _submitter: Submitter,
    _stop: Shutdown,
    _health: Arc<Health>,
    _drain_timeout: Duration,
    _dead_letter: Option<DeadLetterConfig>,
) -> Result<()> {
    bail!("the Kafka source is not implemented yet")
}
