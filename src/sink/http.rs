//! HTTP webhook alert sink: each batch is POSTed as a JSON array of `phiscan.alert/1` documents
//! (the same documents the JSONL sink writes: masked values and fingerprints, never a raw value).
//!
//! Outcome of one request:
//! - 2xx: accepted;
//! - 408, 429, 5xx, connection errors and timeouts: `SinkError::Retryable`;
//! - 401, 403, 404 and the like, and 3xx (redirects are not followed: configure the final URL):
//!   `SinkError::Refused`: the endpoint refuses whatever is sent;
//! - any other status (400, 413, 422, …): `SinkError::Permanent`: this content is refused.
//!
//! `Sinks::deliver` narrows a `Permanent` batch down by splitting it and dead-letters what is
//! still refused; with nowhere to put refused alerts it holds them (see `sink/mod.rs`).
//!
//! Retries happen on two levels. Inside one `send`, a retryable failure is retried up to
//! `max_retries` times with a short backoff (100 ms doubling to 1 s, or the server's
//! `Retry-After` up to 10 s), so a blip costs one slow batch rather than a trip through the
//! pipeline. When those are spent, `send` returns `Retryable` and `Sinks::deliver` backs off
//! (100 ms doubling to 10 s) and calls `send` again, for as long as it takes: alerts are never
//! dropped for a transient failure (at-least-once; receivers de-duplicate by `alert_id`).
//! `max_retries = 0` leaves all retrying to `Sinks::deliver`.
//!
//! Large batches are split into requests of at most `MAX_ALERTS_PER_REQUEST` alerts; a retry
//! inside `send` resumes at the chunk that failed.
//!
//! Error messages name the status or the kind of failure, never the URL (it may carry a token)
//! nor header values.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};

use super::{AlertSink, AlertSinkConfig, BoxFuture, SinkError};
use crate::alert::Alert;
use crate::internal_events::emit;
use crate::internal_events::sink::HttpDeliveryRetrying;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSinkConfig {
    pub url: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default = "default_retries")]
    pub max_retries: u32,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

impl AlertSinkConfig for HttpSinkConfig {
    fn build(&self) -> Result<Box<dyn AlertSink>> {
        Ok(Box::new(HttpSink::new(self)?))
    }
}

pub(crate) fn default_retries() -> u32 {
    5
}
pub(crate) fn default_timeout_ms() -> u64 {
    2000
}

/// Largest number of alerts in one request body.
pub const MAX_ALERTS_PER_REQUEST: usize = 500;
/// Backoff between retries inside one `send`.
const FIRST_WAIT: Duration = Duration::from_millis(100);
const MAX_WAIT: Duration = Duration::from_secs(1);
/// Longest `Retry-After` honoured inside `send` (longer ones are capped to this).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// Last outcome of a send, for `ready()`.
const STATE_UNKNOWN: u8 = 0;
const STATE_OK: u8 = 1;
const STATE_FAILING: u8 = 2;

pub struct HttpSink {
    client: reqwest::Client,
    url: reqwest::Url,
    headers: HeaderMap,
    max_retries: u32,
    state: AtomicU8,
}

impl HttpSink {
    pub fn new(config: &HttpSinkConfig) -> Result<HttpSink> {
        let url = parse_url(&config.url).context("sinks.http.url")?;
        let mut headers = HeaderMap::new();
        for (name, value) in &config.headers {
            let n = HeaderName::from_bytes(name.as_bytes()).with_context(|| {
                format!("sinks.http.headers: `{name}` is not a valid header name")
            })?;
            // the value may be a secret (Authorization): never quote it
            let mut v = HeaderValue::from_str(value).map_err(|_| {
                anyhow::anyhow!("sinks.http.headers.{name}: the value is not a valid header value")
            })?;
            v.set_sensitive(true);
            headers.insert(n, v);
        }
        if !headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        Ok(HttpSink {
            client: client(config.timeout_ms)?,
            url,
            headers,
            max_retries: config.max_retries,
            state: AtomicU8::new(STATE_UNKNOWN),
        })
    }

    async fn post_chunk(&self, chunk: &[&Alert]) -> Result<(), Failure> {
        let body = serde_json::to_vec(chunk)
            .map_err(|e| Failure::permanent(format!("cannot serialise alerts: {e}")))?;
        let request = self
            .client
            .post(self.url.clone())
            .headers(self.headers.clone())
            .body(body);
        let response = request.send().await.map_err(Failure::from_reqwest)?;
        Failure::check_status(response.status(), response.headers())
    }
}

impl AlertSink for HttpSink {
    fn name(&self) -> &'static str {
        "http"
    }

    fn send<'a>(&'a self, alerts: &'a [&'a Alert]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            let r = send_chunked(self.name(), alerts, self.max_retries, |chunk| {
                self.post_chunk(chunk)
            })
            .await;
            self.state.store(
                match &r {
                    // a permanent rejection means the endpoint is up and answering
                    Ok(()) | Err(SinkError::Permanent(_)) => STATE_OK,
                    // unreachable, or refusing everything (401, 404): alerts are not getting through
                    Err(SinkError::Retryable(_) | SinkError::Refused(_)) => STATE_FAILING,
                },
                Ordering::Relaxed,
            );
            r
        })
    }

    /// Ready unless the last delivery ended in a retryable failure (endpoint down, 5xx, 429).
    /// No request is made: `/readyz` stays cheap, and a sink that has not been used yet is
    /// presumed ready.
    fn ready(&self) -> BoxFuture<'_, bool> {
        let state = self.state.load(Ordering::Relaxed);
        Box::pin(async move { state != STATE_FAILING })
    }
}

/// One failed request, classified.
#[derive(Debug)]
pub(crate) struct Failure {
    pub retryable: bool,
    pub message: String,
    /// The server's `Retry-After`, when it sent one in seconds.
    pub retry_after: Option<Duration>,
    /// The endpoint refuses whatever is sent (401, 403, 404, redirects): splitting the batch
    /// cannot help, unlike a 413 or 422 about this content.
    pub refuses_everything: bool,
}

impl Failure {
    pub(crate) fn permanent(message: String) -> Failure {
        Failure {
            retryable: false,
            message,
            retry_after: None,
            refuses_everything: false,
        }
    }

    pub(crate) fn from_reqwest(e: reqwest::Error) -> Failure {
        let kind = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "cannot connect"
        } else if e.is_builder() {
            return Failure::permanent(format!("cannot build the request: {}", describe(e)));
        } else {
            "request failed"
        };
        Failure {
            retryable: true,
            message: format!("{kind}: {}", describe(e)),
            retry_after: None,
            refuses_everything: false,
        }
    }

    /// 2xx is `Ok`; 408, 429 and 5xx are retryable; everything else is permanent.
    pub(crate) fn check_status(status: StatusCode, headers: &HeaderMap) -> Result<(), Failure> {
        if status.is_success() {
            return Ok(());
        }
        let retryable = status == StatusCode::REQUEST_TIMEOUT
            || status == StatusCode::TOO_MANY_REQUESTS
            || status.is_server_error();
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
        let hint = if status.is_redirection() {
            " (redirects are not followed: configure the final URL)"
        } else {
            ""
        };
        let refuses_everything = status.is_redirection()
            || matches!(
                status.as_u16(),
                401 | 402 | 403 | 404 | 405 | 407 | 410 | 426
            );
        Err(Failure {
            retryable,
            message: format!("HTTP {status}{hint}"),
            retry_after,
            refuses_everything,
        })
    }

    fn into_sink_error(self, sink: &str, attempts: u32) -> SinkError {
        let tries = if attempts == 1 {
            String::new()
        } else {
            format!(" (after {attempts} attempts)")
        };
        let message = format!("{sink} sink: {}{tries}", self.message);
        if self.retryable {
            SinkError::Retryable(message)
        } else if self.refuses_everything {
            SinkError::Refused(message)
        } else {
            SinkError::Permanent(message)
        }
    }
}

/// Send `alerts` in chunks through `post`, retrying a retryable chunk failure up to
/// `max_retries` times with a short backoff (each retry counted in `phiscan_sink_retries_total`).
pub(crate) async fn send_chunked<'a, F, Fut>(
    sink: &'static str,
    alerts: &'a [&'a Alert],
    max_retries: u32,
    post: F,
) -> Result<(), SinkError>
where
    F: Fn(&'a [&'a Alert]) -> Fut,
    Fut: std::future::Future<Output = Result<(), Failure>>,
{
    for chunk in alerts.chunks(MAX_ALERTS_PER_REQUEST) {
        let mut attempts = 0u32;
        let mut wait = FIRST_WAIT;
        loop {
            attempts += 1;
            match post(chunk).await {
                Ok(()) => break,
                Err(f) if f.retryable && attempts <= max_retries => {
                    let pause = f.retry_after.map_or(wait, |ra| ra.max(wait));
                    emit(HttpDeliveryRetrying {
                        sink,
                        error: &f.message,
                        retry_in: pause,
                    });
                    tokio::time::sleep(pause).await;
                    wait = (wait * 2).min(MAX_WAIT);
                }
                Err(f) => return Err(f.into_sink_error(sink, attempts)),
            }
        }
    }
    Ok(())
}

/// A reqwest error without its URL, with its causes (`connection refused`, …).
pub(crate) fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut out = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// The HTTP client both HTTP-based sinks use: per-request timeout, no redirects, rustls with the
/// ring provider (installed here if the process has none yet, e.g. `phiscan config check`).
pub(crate) fn client(timeout_ms: u64) -> Result<reqwest::Client> {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    let timeout = Duration::from_millis(timeout_ms.max(1));
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("phiscan/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| anyhow::anyhow!("cannot build the HTTP client: {}", describe(e)))
}

/// An http(s) URL, checked at startup (the error does not quote it: it may carry a token).
pub(crate) fn parse_url(url: &str) -> Result<reqwest::Url> {
    let u = reqwest::Url::parse(url).map_err(|e| anyhow::anyhow!("not a valid URL ({e})"))?;
    if !matches!(u.scheme(), "http" | "https") {
        bail!(
            "the URL must be http:// or https:// (got scheme `{}`)",
            u.scheme()
        );
    }
    if u.host_str().is_none_or(str::is_empty) {
        bail!("the URL has no host");
    }
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        let h = HeaderMap::new();
        assert!(Failure::check_status(StatusCode::OK, &h).is_ok());
        assert!(Failure::check_status(StatusCode::ACCEPTED, &h).is_ok());
        for s in [500, 502, 503, 504, 429, 408] {
            let f = Failure::check_status(StatusCode::from_u16(s).unwrap(), &h).unwrap_err();
            assert!(f.retryable, "{s}");
        }
        for s in [400, 401, 403, 404, 413, 422, 301, 302] {
            let f = Failure::check_status(StatusCode::from_u16(s).unwrap(), &h).unwrap_err();
            assert!(!f.retryable, "{s}");
            let whole = matches!(s, 401 | 403 | 404 | 301 | 302);
            assert_eq!(f.refuses_everything, whole, "{s}");
        }
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        let f = Failure::check_status(StatusCode::TOO_MANY_REQUESTS, &h).unwrap_err();
        assert_eq!(f.retry_after, Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn config_errors_do_not_quote_secrets() {
        let cfg = |url: &str, value: &str| HttpSinkConfig {
            url: url.into(),
            headers: [("Authorization".to_string(), value.to_string())].into(),
            max_retries: 1,
            timeout_ms: 100,
        };
        let e = HttpSink::new(&cfg("ftp://h/x?token=s3cr3t", "Bearer ok"))
            .err()
            .unwrap();
        assert!(!format!("{e:#}").contains("s3cr3t"), "{e:#}");
        let e = HttpSink::new(&cfg("https://h/x", "Bearer s3cr3t\n"))
            .err()
            .unwrap();
        assert!(!format!("{e:#}").contains("s3cr3t"), "{e:#}");
        assert!(HttpSink::new(&cfg("https://h/x", "Bearer ok")).is_ok());
    }
}
