//! The Event Streams webhook sink receiver.

pub mod server;
pub mod signature;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSourceConfig {
    /// Listen address, e.g. `0.0.0.0:8443`.
    pub listen: String,
    /// The URL configured as the sink destination in Twilio: what Twilio signs. The request's
    /// query string (with `bodySHA256`) is appended as received.
    pub public_url: String,
    /// Auth Token that signs requests (prefer PHISCAN_SOURCES__WEBHOOK__AUTH_TOKEN).
    pub auth_token: Option<String>,
    /// TLS certificate and key (PEM). Without them the listener is plain HTTP, which is only
    /// acceptable behind a TLS-terminating proxy: say so with `plain_http_behind_proxy = true`.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    #[serde(default)]
    pub plain_http_behind_proxy: bool,
    /// Optional HTTP Basic auth (user:pass in the sink URL).
    pub basic_auth_user: Option<String>,
    pub basic_auth_password: Option<String>,
    /// Largest request body. Twilio documents batches of at most 64 kB per request: the
    /// default, 1 MiB, leaves a 16× margin.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Requests handled at once; more are answered 503 (Twilio retries). With
    /// `max_body_bytes`, this bounds the memory request bodies can take.
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent_requests: usize,
    /// How many recent event ids are remembered to drop Twilio's redeliveries.
    #[serde(default = "default_dedupe")]
    pub dedupe_window: usize,
}

fn default_max_body() -> usize {
    1 << 20
}
fn default_max_concurrent() -> usize {
    128
}
fn default_dedupe() -> usize {
    100_000
}
