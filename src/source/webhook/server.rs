//! The Event Streams webhook-sink receiver: the HTTP(S) endpoint Twilio's webhook sink posts to.
//!
//! One route: `POST` on the path of `public_url` (anything else is 404, another method 405).
//! Every request goes through, in order:
//!
//! 1. optional HTTP Basic auth (`basic_auth_user`/`basic_auth_password`) → 401;
//! 2. the body-size limit `max_body_bytes` → 413 (checked on `Content-Length` first, then while
//!    reading, so an oversized body is never buffered);
//! 3. `X-Twilio-Signature` over `public_url` + `?` + the query string exactly as received (it
//!    holds Twilio's `bodySHA256`), and the body's SHA-256 → 403;
//! 4. JSON decoding (an array of CloudEvents or a single one) → 400.
//!
//! Every rejection is counted in `phiscan_webhook_rejected_total{reason}`; no response, log line
//! or metric ever carries body content. Accepted events are de-duplicated by CloudEvent `id`
//! against a bounded window of ids already *delivered*, handed to the pipeline, and the request
//! is answered 200 only once their alerts are accepted by the sinks (503 if that does not happen
//! within [`REPLY_TIMEOUT`], well inside Twilio's 5 s, so Twilio retries: at-least-once).
//! Twilio's sink test event goes through like any event (the scanner skips it) but is never
//! de-duplicated: all test events carry the Account SID as their id.

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use super::signature::{self, Rejection};
use crate::alert::SourceRef;
use crate::config::service::WebhookSourceConfig;
use crate::event::{self, DecodeError};
use crate::metrics::metrics;
use crate::scan::TEST_EVENT_TYPE;
use crate::service::pipeline::{Ack, Outcome, Payload, Submitter, Work};
use crate::service::{Health, Shutdown};

/// How long a request may wait for its alerts to be delivered before the receiver answers 503
/// (Twilio gives up after 5 s and retries).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(4);
/// How long reading a request body may take (a stalled client gets 408).
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long in-flight requests get to finish once the service stops.
const GRACE: Duration = Duration::from_secs(10);
/// The header Twilio signs requests with.
const SIGNATURE_HEADER: &str = "x-twilio-signature";

/// Runs the receiver until `stop` turns true, then lets in-flight requests finish.
pub async fn run(
    config: WebhookSourceConfig,
    submitter: Submitter,
    mut stop: Shutdown,
    health: Arc<Health>,
) -> Result<()> {
    let app = Arc::new(App::new(&config, submitter)?);
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(
            axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .with_context(|| {
                    format!(
                        "sources.webhook: cannot load the TLS certificate {} / key {} (PEM expected)",
                        cert.display(),
                        key.display()
                    )
                })?,
        ),
        (None, None) if config.plain_http_behind_proxy => None,
        (None, None) => bail!(
            "sources.webhook: no TLS configured: set `tls_cert` and `tls_key` (PEM files), or set \
             `plain_http_behind_proxy = true` if a TLS-terminating proxy forwards to this listener"
        ),
        _ => bail!("sources.webhook: `tls_cert` and `tls_key` must be set together"),
    };

    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("sources.webhook.listen: cannot listen on {}", config.listen))?;
    let local = listener.local_addr()?;
    let listener = listener.into_std()?;
    health.webhook_listening.store(true, Ordering::Relaxed);
    tracing::info!(
        addr = %local,
        path = %app.path,
        tls = tls.is_some(),
        basic_auth = app.basic_auth.is_some(),
        dedupe_window = config.dedupe_window,
        "webhook receiver listening"
    );

    let handle = axum_server::Handle::new();
    {
        let handle = handle.clone();
        tokio::spawn(async move {
            let _ = stop.wait_for(|s| *s).await;
            handle.graceful_shutdown(Some(GRACE));
        });
    }
    let router = Router::new().fallback(receive).with_state(app);
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let served = match tls {
        Some(tls) => {
            axum_server::from_tcp_rustls(listener, tls)?
                .handle(handle)
                .serve(service)
                .await
        }
        None => {
            axum_server::from_tcp(listener)?
                .handle(handle)
                .serve(service)
                .await
        }
    };
    health.webhook_listening.store(false, Ordering::Relaxed);
    served.context("webhook receiver")?;
    tracing::info!("webhook receiver stopped");
    Ok(())
}

struct App {
    /// The path of `public_url`, the only one served (`/` when it has none).
    path: String,
    /// What a signature may be over, before the request's query: `public_url` without query
    /// or fragment, plus the variants `App::new` explains.
    base_urls: Vec<String>,
    auth_token: String,
    /// The expected `Authorization` header value (`Basic base64(user:pass)`).
    basic_auth: Option<String>,
    max_body: usize,
    submitter: Submitter,
    dedupe: Mutex<Dedupe>,
    /// Request ids: a random per-process prefix and a counter (never derived from content).
    id_prefix: u32,
    next_id: AtomicU64,
}

impl App {
    fn new(config: &WebhookSourceConfig, submitter: Submitter) -> Result<App> {
        let auth_token = match config.auth_token.as_deref() {
            Some(t) if !t.is_empty() => t.to_string(),
            _ => bail!(
                "sources.webhook.auth_token is not set: signatures are mandatory, set the Auth Token \
                 that signs the sink's requests (preferably via PHISCAN_SOURCES__WEBHOOK__AUTH_TOKEN)"
            ),
        };
        let parts = UrlParts::parse(&config.public_url)?;
        let basic_auth = match (&config.basic_auth_user, &config.basic_auth_password) {
            (None, None) => None,
            (Some(user), password) => {
                let pass = password.as_deref().unwrap_or("");
                Some(format!("{user}:{pass}"))
            }
            (None, Some(_)) => {
                bail!("sources.webhook: `basic_auth_password` is set without `basic_auth_user`")
            }
        };
        let mut base_urls = vec![parts.base()];
        // With Basic auth the sink's destination URL carries `user:pass@`, and Twilio's SDKs sign
        // URLs with their userinfo. If `public_url` leaves the credentials out (so they are not
        // stored twice), accept the signature over the URL with them as well.
        if let Some(userinfo) = &basic_auth
            && parts.userinfo.is_empty()
        {
            base_urls.push(format!(
                "{}://{userinfo}@{}{}",
                parts.scheme, parts.host, parts.path
            ));
        }
        // `https://host` as the destination: whether Twilio signs it with the `/` it requests
        // is not documented, so accept both
        if parts.bare {
            let bare: Vec<String> = base_urls
                .iter()
                .map(|u| u.trim_end_matches('/').to_string())
                .collect();
            base_urls.extend(bare);
        }
        let mut prefix = [0u8; 4];
        getrandom::fill(&mut prefix).context("the OS random source")?;
        Ok(App {
            path: parts.path.clone(),
            base_urls,
            auth_token,
            basic_auth: basic_auth.map(|ui| {
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(ui)
                )
            }),
            max_body: config.max_body_bytes,
            submitter,
            dedupe: Mutex::new(Dedupe::new(config.dedupe_window)),
            id_prefix: u32::from_be_bytes(prefix),
            next_id: AtomicU64::new(1),
        })
    }

    fn request_id(&self) -> String {
        format!(
            "wh-{:08x}-{}",
            self.id_prefix,
            self.next_id.fetch_add(1, Ordering::Relaxed)
        )
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(expected) = &self.basic_auth else {
            return true;
        };
        let Some(got) = headers.get(header::AUTHORIZATION) else {
            return false;
        };
        let got = got.as_bytes();
        // the scheme name is case-insensitive
        if got.len() < 6 || !got[..6].eq_ignore_ascii_case(b"basic ") {
            return false;
        }
        let got_cred = got[6..].trim_ascii();
        constant_eq(got_cred, &expected.as_bytes()[6..])
    }

    fn verify(&self, query: Option<&str>, body: &[u8], sig: Option<&str>) -> Result<(), Rejection> {
        let mut worst = Rejection::MissingSignature;
        for base in &self.base_urls {
            let url = match query {
                Some(q) => format!("{base}?{q}"),
                None => base.clone(),
            };
            match signature::verify_json(&self.auth_token, &url, body, sig) {
                Ok(()) => return Ok(()),
                // a matching signature over a body that does not hash right is the telling reason
                Err(r) if worst != Rejection::BodyHashMismatch => worst = r,
                Err(_) => {}
            }
        }
        Err(worst)
    }
}

/// `scheme://[userinfo@]host[:port]/path[?query][#fragment]`, split without decoding.
struct UrlParts {
    scheme: String,
    userinfo: String,
    host: String,
    path: String,
    /// `public_url` has no path at all (`https://host`).
    bare: bool,
}

impl UrlParts {
    fn parse(url: &str) -> Result<UrlParts> {
        let Some((scheme, rest)) = url.split_once("://") else {
            bail!(
                "sources.webhook.public_url {url:?} is not an absolute URL (expected https://host/path)"
            );
        };
        if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
            bail!("sources.webhook.public_url must be an http(s) URL, got scheme {scheme:?}");
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let (userinfo, host) = match authority.rfind('@') {
            Some(i) => (&authority[..i], &authority[i + 1..]),
            None => ("", authority),
        };
        if host.is_empty() {
            bail!("sources.webhook.public_url {url:?} has no host");
        }
        let path = tail.split(['?', '#']).next().unwrap_or("");
        Ok(UrlParts {
            scheme: scheme.to_string(),
            userinfo: userinfo.to_string(),
            host: host.to_string(),
            path: if path.is_empty() {
                "/".to_string()
            } else {
                path.to_string()
            },
            bare: path.is_empty(),
        })
    }

    /// The URL without query and fragment: what the request's query string is appended to.
    fn base(&self) -> String {
        let at = if self.userinfo.is_empty() {
            String::new()
        } else {
            format!("{}@", self.userinfo)
        };
        format!("{}://{at}{}{}", self.scheme, self.host, self.path)
    }
}

/// The ids of recently delivered events (SHA-256 truncated to 128 bits, so memory per id is
/// fixed whatever the id), oldest evicted first.
struct Dedupe {
    capacity: usize,
    seen: HashSet<[u8; 16]>,
    order: VecDeque<[u8; 16]>,
}

impl Dedupe {
    fn new(capacity: usize) -> Dedupe {
        let pre = capacity.min(1 << 16);
        Dedupe {
            capacity,
            seen: HashSet::with_capacity(pre),
            order: VecDeque::with_capacity(pre),
        }
    }

    fn key(id: &str) -> [u8; 16] {
        let digest = Sha256::digest(id.as_bytes());
        let mut k = [0u8; 16];
        k.copy_from_slice(&digest[..16]);
        k
    }

    fn contains(&self, key: &[u8; 16]) -> bool {
        self.seen.contains(key)
    }

    fn insert(&mut self, key: [u8; 16]) {
        if self.capacity == 0 || !self.seen.insert(key) {
            return;
        }
        self.order.push_back(key);
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A short plain-text response; bodies never echo anything from the request.
fn reply(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

fn reject(
    request_id: &str,
    peer: SocketAddr,
    reason: &'static str,
    status: StatusCode,
    text: &'static str,
) -> Response {
    metrics()
        .webhook_rejected
        .with_label_values(&[reason])
        .inc();
    tracing::warn!(request_id, %peer, reason, status = status.as_u16(), "webhook request rejected");
    let mut r = reply(status, text);
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"phiscan\", charset=\"UTF-8\""),
        );
    }
    r
}

enum ReadError {
    TooLarge,
    Failed,
    TimedOut,
}

/// Reads the body, stopping as soon as it exceeds `limit` bytes.
async fn read_limited(mut body: Body, limit: usize) -> Result<Vec<u8>, ReadError> {
    let read = async {
        let mut buf = Vec::new();
        loop {
            match std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
                None => return Ok(buf),
                Some(Err(_)) => return Err(ReadError::Failed),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        if buf.len() + data.len() > limit {
                            return Err(ReadError::TooLarge);
                        }
                        buf.extend_from_slice(&data);
                    }
                }
            }
        }
    };
    tokio::time::timeout(BODY_TIMEOUT, read)
        .await
        .unwrap_or(Err(ReadError::TimedOut))
}

/// A description of a decoding failure that never quotes the input.
fn describe_decode(e: &DecodeError) -> String {
    match e {
        DecodeError::Json(what) => format!("not JSON: {what}"),
        DecodeError::NotAnEvent(what) => format!("JSON {what} is not a CloudEvent"),
        DecodeError::KinesisData(_) => "Kinesis record `Data` is not valid base64 JSON".to_string(),
    }
}

async fn receive(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let received = Instant::now();
    if req.uri().path() != app.path {
        return reply(StatusCode::NOT_FOUND, "not found\n");
    }
    if req.method() != Method::POST {
        let mut r = reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "only POST is accepted here\n",
        );
        r.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return r;
    }
    let request_id = app.request_id();
    let (parts, body) = req.into_parts();

    // 1. Basic auth
    if !app.authorized(&parts.headers) {
        return reject(
            &request_id,
            peer,
            "unauthorized",
            StatusCode::UNAUTHORIZED,
            "authentication required\n",
        );
    }

    // 2. size limit: the declared length first, then what actually arrives
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > app.max_body as u64) {
        return reject(
            &request_id,
            peer,
            "too_large",
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large\n",
        );
    }
    let body = match read_limited(body, app.max_body).await {
        Ok(b) => b,
        Err(ReadError::TooLarge) => {
            return reject(
                &request_id,
                peer,
                "too_large",
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large\n",
            );
        }
        Err(ReadError::TimedOut) => {
            return reject(
                &request_id,
                peer,
                "read_error",
                StatusCode::REQUEST_TIMEOUT,
                "timed out reading the request body\n",
            );
        }
        Err(ReadError::Failed) => {
            return reject(
                &request_id,
                peer,
                "read_error",
                StatusCode::BAD_REQUEST,
                "could not read the request body\n",
            );
        }
    };
    metrics()
        .bytes
        .with_label_values(&["webhook"])
        .inc_by(body.len() as u64);

    // 3. signature (a header that is not visible ASCII cannot be a valid signature)
    let sig = parts
        .headers
        .get(SIGNATURE_HEADER)
        .map(|v| v.to_str().unwrap_or("\u{0}invalid"));
    if let Err(r) = app.verify(parts.uri.query(), &body, sig) {
        let text = match r {
            Rejection::MissingSignature => "missing X-Twilio-Signature\n",
            Rejection::BadSignature => "invalid X-Twilio-Signature\n",
            Rejection::BodyHashMismatch => "request body does not match its signed bodySHA256\n",
        };
        return reject(&request_id, peer, r.as_str(), StatusCode::FORBIDDEN, text);
    }

    // 4. decoding
    let mut events = Vec::new();
    if let Err(e) = event::decode_bytes(&body, &mut events) {
        metrics()
            .webhook_rejected
            .with_label_values(&["malformed"])
            .inc();
        let why = describe_decode(&e);
        tracing::warn!(request_id, %peer, reason = "malformed", status = 400, error = %why, "webhook request rejected");
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("malformed body: {why}\n"),
        )
            .into_response();
    }
    drop(body);

    // de-duplication against ids already delivered (and within the batch)
    let total = events.len();
    let mut keys: Vec<[u8; 16]> = Vec::with_capacity(total);
    let mut duplicates = 0usize;
    {
        let seen = app.dedupe.lock().expect("dedupe lock");
        events.retain(|ev| {
            if ev.get("type").and_then(Value::as_str) == Some(TEST_EVENT_TYPE) {
                return true;
            }
            let Some(id) = ev
                .get("id")
                .and_then(Value::as_str)
                .filter(|id| !id.is_empty())
            else {
                return true;
            };
            let key = Dedupe::key(id);
            if seen.contains(&key) || keys.contains(&key) {
                duplicates += 1;
                false
            } else {
                keys.push(key);
                true
            }
        });
    }
    if duplicates > 0 {
        metrics().webhook_duplicates.inc_by(duplicates as u64);
        tracing::debug!(request_id, duplicates, "dropped redelivered events");
    }
    if events.is_empty() {
        tracing::debug!(
            request_id,
            events = total,
            duplicates,
            "webhook batch had nothing new"
        );
        return reply(StatusCode::OK, "ok\n");
    }

    // hand over and wait until the alerts are accepted by the sinks
    let kept = events.len();
    let (tx, rx) = oneshot::channel();
    let work = Work {
        payload: Payload::Events(events),
        source: SourceRef::Webhook {
            request_id: request_id.clone(),
        },
        source_kind: "webhook",
        ack: Ack::Reply(tx),
        received,
        max_bytes: app.max_body,
    };
    let deadline = tokio::time::Instant::from_std(received + REPLY_TIMEOUT);
    let submitted = match tokio::time::timeout_at(deadline, app.submitter.submit(work)).await {
        Ok(Ok(())) => true,
        Ok(Err(_)) => {
            tracing::warn!(
                request_id,
                "pipeline is shutting down: asking Twilio to retry"
            );
            return reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting down, retry later\n",
            );
        }
        Err(_) => false,
    };
    if !submitted {
        metrics()
            .webhook_rejected
            .with_label_values(&["timeout"])
            .inc();
        tracing::warn!(request_id, "pipeline queue full: asking Twilio to retry");
        return reply(StatusCode::SERVICE_UNAVAILABLE, "busy, retry later\n");
    }
    let mut rx = rx;
    match tokio::time::timeout_at(deadline, &mut rx).await {
        Ok(Ok(Outcome::Delivered { alerts })) => {
            let mut seen = app.dedupe.lock().expect("dedupe lock");
            for k in keys {
                seen.insert(k);
            }
            drop(seen);
            tracing::debug!(
                request_id,
                events = kept,
                duplicates,
                alerts,
                elapsed_ms = received.elapsed().as_millis() as u64,
                "webhook batch delivered"
            );
            reply(StatusCode::OK, "ok\n")
        }
        Ok(Ok(Outcome::Malformed(_))) => {
            metrics()
                .webhook_rejected
                .with_label_values(&["malformed"])
                .inc();
            reply(StatusCode::BAD_REQUEST, "malformed body\n")
        }
        Ok(Err(_)) => {
            tracing::warn!(
                request_id,
                "pipeline dropped the batch: asking Twilio to retry"
            );
            reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "not delivered, retry later\n",
            )
        }
        Err(_) => {
            metrics()
                .webhook_rejected
                .with_label_values(&["timeout"])
                .inc();
            tracing::warn!(
                request_id,
                timeout_ms = REPLY_TIMEOUT.as_millis() as u64,
                "alerts not delivered in time: asking Twilio to retry"
            );
            // Keep listening: once the batch is delivered its ids are remembered, so Twilio's
            // retry (if it comes later) is answered 200 without alerting twice.
            let app = app.clone();
            tokio::spawn(async move {
                if let Ok(Outcome::Delivered { .. }) = rx.await {
                    let mut seen = app.dedupe.lock().expect("dedupe lock");
                    for k in keys {
                        seen.insert(k);
                    }
                }
            });
            reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "alerts not delivered in time, retry later\n",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parts() {
        let p = UrlParts::parse("https://events.example.com/twilio/events?tenant=1").unwrap();
        assert_eq!(p.path, "/twilio/events");
        assert_eq!(p.base(), "https://events.example.com/twilio/events");
        let p = UrlParts::parse("https://u:p@events.example.com:8443").unwrap();
        assert_eq!(p.path, "/");
        assert_eq!(p.base(), "https://u:p@events.example.com:8443/");
        assert!(UrlParts::parse("events.example.com/x").is_err());
        assert!(UrlParts::parse("ftp://events.example.com/x").is_err());
    }

    #[test]
    fn dedupe_window_is_bounded() {
        let mut d = Dedupe::new(2);
        let (a, b, c) = (Dedupe::key("EZa"), Dedupe::key("EZb"), Dedupe::key("EZc"));
        d.insert(a);
        d.insert(b);
        d.insert(a);
        assert!(d.contains(&a) && d.contains(&b));
        d.insert(c);
        assert!(!d.contains(&a) && d.contains(&b) && d.contains(&c));
        assert_eq!(d.seen.len(), 2);
        let mut off = Dedupe::new(0);
        off.insert(a);
        assert!(!off.contains(&a));
    }
}
