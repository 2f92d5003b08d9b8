//! alertmanager alert sink (placeholder: being implemented).

use anyhow::{Result, bail};

use crate::config::service::AlertmanagerSinkConfig;

pub struct AlertmanagerSink;

impl AlertmanagerSink {
    pub fn new(_config: &AlertmanagerSinkConfig) -> Result<AlertmanagerSink> {
        bail!("the alertmanager sink is not implemented yet")
    }
}

impl super::AlertSink for AlertmanagerSink {
    fn name(&self) -> &'static str {
        "alertmanager"
    }
    fn send<'a>(&'a self, _alerts: &'a [&'a crate::alert::Alert]) -> super::BoxFuture<'a, Result<(), super::SinkError>> {
        Box::pin(async { Err(super::SinkError::Permanent("not implemented".into())) })
    }
}
