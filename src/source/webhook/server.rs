//! Webhook-sink receiver (placeholder: being implemented).

use std::sync::Arc;

use anyhow::{Result, bail};

use crate::config::service::WebhookSourceConfig;
use crate::service::pipeline::Submitter;
use crate::service::{Health, Shutdown};

pub async fn run(_config: WebhookSourceConfig, _submitter: Submitter, _stop: Shutdown, _health: Arc<Health>) -> Result<()> {
    bail!("the webhook receiver is not implemented yet")
}
