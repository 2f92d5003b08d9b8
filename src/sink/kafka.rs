//! kafka alert sink (placeholder: being implemented).

use anyhow::{Result, bail};

use crate::config::service::KafkaSinkConfig;

pub struct KafkaSink;

impl KafkaSink {
    pub fn new(_config: &KafkaSinkConfig) -> Result<KafkaSink> {
        bail!("the kafka sink is not implemented yet")
    }
}

impl super::AlertSink for KafkaSink {
    fn name(&self) -> &'static str {
        "kafka"
    }
    fn send<'a>(&'a self, _alerts: &'a [&'a crate::alert::Alert]) -> super::BoxFuture<'a, Result<(), super::SinkError>> {
        Box::pin(async { Err(super::SinkError::Permanent("not implemented".into())) })
    }
}
