//! http alert sink (placeholder: being implemented).

use anyhow::{Result, bail};

use crate::config::service::HttpSinkConfig;

pub struct HttpSink;

impl HttpSink {
    pub fn new(_config: &HttpSinkConfig) -> Result<HttpSink> {
        bail!("the http sink is not implemented yet")
    }
}

impl super::AlertSink for HttpSink {
    fn name(&self) -> &'static str {
        "http"
    }
    fn send<'a>(&'a self, _alerts: &'a [&'a crate::alert::Alert]) -> super::BoxFuture<'a, Result<(), super::SinkError>> {
        Box::pin(async { Err(super::SinkError::Permanent("not implemented".into())) })
    }
}
