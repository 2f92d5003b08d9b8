//! The Event Streams webhook-sink receiver: the HTTP(S) endpoint Twilio's webhook sink posts to.
//!
//! One route: `POST` on the path of `public_url` (anything else is 404, another method 405).
//! Before a request reaches it, the connection must deliver its head within `HEADER_TIMEOUT`,
//! at most `max_concurrent_requests` are handled at once (more get 503 at once), and none is
//! handled longer than `REQUEST_TIMEOUT` (503). Every request then goes through, in order:
//!
//! 1. optional HTTP Basic auth (`basic_auth_user`/`basic_auth_password`) → 401;
//! 2. the declared body size against `max_body_bytes` → 413;
//! 3. `X-Twilio-Signature` over `public_url` + `?` + the query string exactly as received (it
//!    holds Twilio's `bodySHA256`) → 403, *before* any body byte is read or hashed;
//! 4. the body, read up to `max_body_bytes` (413 past it; 408 when it stalls), against its
//!    signed `bodySHA256` → 403;
//! 5. JSON decoding item by item: the events are scanned and items that are not events are
//!    dead-lettered (a signed batch is Twilio's, and Twilio discards anything answered 4xx but
//!    429). A body that is not JSON at all is dead-lettered whole, or answered 400 when no
//!    dead-letter output is configured.
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

use super::WebhookSourceConfig;
use super::signature::{self, Rejection};
use crate::alert::SourceRef;
use crate::event::TEST_EVENT_TYPE;
use crate::event::{self, DecodeError};
use crate::internal_events::emit;
use crate::internal_events::webhook::*;
use crate::metrics::metrics;
use crate::sink::DeadLetter;
use crate::source::contract::{
    Ack, Health, Outcome, Payload, Shutdown, Submitter, Work, count_received_bytes,
};

/// How long a request may wait for its alerts to be delivered before the receiver answers 503
/// (Twilio gives up after 5 s and retries).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(4);
/// How long reading a request body may take (a stalled client gets 408).
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send the request head (then the connection is closed).
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest any request is handled (then 503): past the body and reply timeouts.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// How long in-flight requests get to finish once the service stops.
const GRACE: Duration = Duration::from_secs(10);
/// The header Twilio signs requests with.
const SIGNATURE_HEADER: &str = "x-twilio-signature";

/// HTTP/1 connections: the head within `HEADER_TIMEOUT` and of bounded size; HTTP/2: a bounded
/// number of streams per connection. (A macro: the builder's type is hyper-util's.)
macro_rules! bound_connections {
    ($server:expr) => {{
        let builder = $server.http_builder();
        builder
            .http1()
            .header_read_timeout(HEADER_TIMEOUT)
            .max_buf_size(64 * 1024);
        builder.http2().max_concurrent_streams(32);
    }};
}

/// Runs the receiver until `stop` turns true, then lets in-flight requests finish.
pub async fn run(
    config: WebhookSourceConfig,
    submitter: Submitter,
    mut stop: Shutdown,
    health: Arc<Health>,
    dead_letter: bool,
) -> Result<()> {
    let mut app = App::new(&config, submitter)?;
    app.dead_letter = dead_letter;
    let app = Arc::new(app);
    let tls = tls_config(&config).await?;

    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("sources.webhook.listen: cannot listen on {}", config.listen))?;
    let local = listener.local_addr()?;
    let listener = listener.into_std()?;
    health.webhook_listening.store(true, Ordering::Relaxed);
    emit(WebhookListening {
        addr: local,
        path: &app.path,
        tls: tls.is_some(),
        basic_auth: app.basic_auth.is_some(),
        dedupe_window: config.dedupe_window,
    });

    let handle = axum_server::Handle::new();
    {
        let handle = handle.clone();
        tokio::spawn(async move {
            let _ = stop.wait_for(|s| *s).await;
            handle.graceful_shutdown(Some(GRACE));
        });
    }
    let router = limits(
        Router::new().fallback(receive).with_state(app),
        config.max_concurrent_requests,
    );
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let served = match tls {
        Some(tls) => {
            let mut server = axum_server::from_tcp_rustls(listener, tls)?;
            bound_connections!(server);
            server
                .first_request_timeout(HEADER_TIMEOUT)
                .handle(handle)
                .serve(service)
                .await
        }
        None => {
            let mut server = axum_server::from_tcp(listener)?;
            bound_connections!(server);
            server
                .first_request_timeout(HEADER_TIMEOUT)
                .handle(handle)
                .serve(service)
                .await
        }
    };
    health.webhook_listening.store(false, Ordering::Relaxed);
    served.context("webhook receiver")?;
    emit(WebhookStopped);
    Ok(())
}

/// The listener's TLS: the configured certificate and key, or none where a TLS-terminating
/// proxy is declared (`plain_http_behind_proxy`).
async fn tls_config(
    config: &WebhookSourceConfig,
) -> Result<Option<axum_server::tls_rustls::RustlsConfig>> {
    Ok(match (&config.tls_cert, &config.tls_key) {
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
    })
}

/// What no client may hold for long, whoever it is (before its signature can be checked):
/// the request head must arrive within `HEADER_TIMEOUT` (slow-loris connections are closed),
/// the whole request is answered within `REQUEST_TIMEOUT` (503, so Twilio retries), and at most
/// `max_concurrent` requests are handled at once; more are answered 503 at once (load shedding)
/// instead of queueing, so memory stays bounded by `max_concurrent` × `max_body_bytes`.
fn limits(router: Router, max_concurrent: usize) -> Router {
    use axum::error_handling::HandleErrorLayer;
    use tower::ServiceBuilder;
    router.layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                metrics()
                    .webhook_rejected
                    .with_label_values(&["overloaded"])
                    .inc();
                reply(StatusCode::SERVICE_UNAVAILABLE, "busy, retry later\n")
            }))
            .load_shed()
            .concurrency_limit(max_concurrent.max(1))
            .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                REQUEST_TIMEOUT,
            )),
    )
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
    /// A dead-letter output is configured: a signed body that cannot be read at all is kept
    /// there and answered 200; without one it is answered 400 (it cannot be kept anyway, and
    /// the 400 shows in Twilio's debugger).
    dead_letter: bool,
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
            dead_letter: false,
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
        signature::constant_eq(got_cred, &expected.as_bytes()[6..])
    }

    /// The signature over the URL (with its `bodySHA256`): checked before the body is read.
    fn verify_url(&self, query: Option<&str>, sig: Option<&str>) -> Result<(), Rejection> {
        let mut worst = Rejection::MissingSignature;
        for base in &self.base_urls {
            match signature::verify_json_url(&self.auth_token, &with_query(base, query), sig) {
                Ok(()) => return Ok(()),
                // a matching signature without a bodySHA256 is the telling reason
                Err(r) if worst != Rejection::BodyHashMismatch => worst = r,
                Err(_) => {}
            }
        }
        Err(worst)
    }

    /// The body against the signed `bodySHA256` (the query is the same for every base URL).
    fn verify_body(&self, query: Option<&str>, body: &[u8]) -> Result<(), Rejection> {
        signature::verify_body_hash(&with_query(&self.base_urls[0], query), body)
    }
}

fn with_query(base: &str, query: Option<&str>) -> String {
    match query {
        Some(q) => format!("{base}?{q}"),
        None => base.to_string(),
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

/// A short plain-text response; bodies never echo anything from the request.
fn reply(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// One way a request is turned away: its `phiscan_webhook_rejected_total{reason}` label, status,
/// body and log line, defined once so every rejection is counted, logged and answered alike.
/// Nothing in it comes from the request but the request id and peer address (and `error`, a
/// decoding reason that never quotes the body).
struct Reject {
    /// The metric label; `None` when the request itself is not at fault (shutting down).
    reason: Option<&'static str>,
    status: StatusCode,
    body: std::borrow::Cow<'static, str>,
    /// The warning logged; `None`: counted only.
    log: Option<RejectLog>,
    error: Option<String>,
}

impl Reject {
    fn new(reason: &'static str, status: StatusCode, body: &'static str) -> Reject {
        Reject {
            reason: Some(reason),
            status,
            body: body.into(),
            log: Some(RejectLog::Rejected),
            error: None,
        }
    }
    fn unauthorized() -> Reject {
        Reject::new(
            "unauthorized",
            StatusCode::UNAUTHORIZED,
            "authentication required\n",
        )
    }
    fn too_large() -> Reject {
        Reject::new(
            "too_large",
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large\n",
        )
    }
    fn unreadable(e: ReadError) -> Reject {
        match e {
            ReadError::TooLarge => Reject::too_large(),
            ReadError::TimedOut => Reject::new(
                "read_error",
                StatusCode::REQUEST_TIMEOUT,
                "timed out reading the request body\n",
            ),
            ReadError::Failed => Reject::new(
                "read_error",
                StatusCode::BAD_REQUEST,
                "could not read the request body\n",
            ),
        }
    }
    fn signature(r: Rejection) -> Reject {
        let text = match r {
            Rejection::MissingSignature => "missing X-Twilio-Signature\n",
            Rejection::BadSignature => "invalid X-Twilio-Signature\n",
            Rejection::BodyHashMismatch => "request body does not match its signed bodySHA256\n",
        };
        Reject::new(r.as_str(), StatusCode::FORBIDDEN, text)
    }
    /// A body that is not JSON at all, with no dead-letter output to keep it.
    fn malformed(why: String) -> Reject {
        Reject {
            body: format!("malformed body: {why}\n").into(),
            log: Some(RejectLog::NoDeadLetter),
            error: Some(why),
            ..Reject::new("malformed", StatusCode::BAD_REQUEST, "")
        }
    }
    /// The pipeline found the whole record undecodable (it was dead-lettered).
    fn malformed_record() -> Reject {
        Reject {
            log: None,
            ..Reject::new("malformed", StatusCode::BAD_REQUEST, "malformed body\n")
        }
    }
    fn queue_full() -> Reject {
        Reject {
            log: Some(RejectLog::QueueFull),
            ..Reject::new(
                "timeout",
                StatusCode::SERVICE_UNAVAILABLE,
                "busy, retry later\n",
            )
        }
    }
    fn not_delivered_in_time() -> Reject {
        Reject {
            log: Some(RejectLog::NotDeliveredInTime),
            ..Reject::new(
                "timeout",
                StatusCode::SERVICE_UNAVAILABLE,
                "alerts not delivered in time, retry later\n",
            )
        }
    }
    fn shutting_down() -> Reject {
        Reject {
            reason: None,
            log: Some(RejectLog::ShuttingDown),
            ..Reject::new(
                "",
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting down, retry later\n",
            )
        }
    }
    fn dropped() -> Reject {
        Reject {
            reason: None,
            log: Some(RejectLog::Dropped),
            ..Reject::new(
                "",
                StatusCode::SERVICE_UNAVAILABLE,
                "not delivered, retry later\n",
            )
        }
    }

    /// Count, log and answer.
    fn respond(self, request_id: &str, peer: SocketAddr) -> Response {
        emit(WebhookRequestRejected {
            request_id,
            peer,
            reason: self.reason,
            status: self.status.as_u16(),
            log: self.log,
            error: self.error.as_deref(),
        });
        let mut r = (
            self.status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.body,
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"phiscan\", charset=\"UTF-8\""),
            );
        }
        r
    }
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

/// The items that are not events: why (never quoting them), and their bytes.
pub type BadItems = Vec<(String, Vec<u8>)>;

/// A webhook body's events, item by item: a JSON array's items are decoded one at a time, so a
/// malformed item is set apart (with its bytes, for the dead-letter output) and the others kept.
/// Anything else (one event, base64, a Kinesis dump) is decoded whole. `Err` when nothing in the
/// body can be read as JSON items (the reason never quotes the body).
pub fn decode_items(body: &[u8]) -> Result<(Vec<Value>, BadItems), String> {
    let mut events = Vec::new();
    let items = match serde_json::from_slice::<Vec<&serde_json::value::RawValue>>(body) {
        Ok(items) => items,
        Err(_) => {
            return event::decode_bytes(body, &mut events)
                .map(|()| (events, Vec::new()))
                .map_err(|e| describe_decode(&e));
        }
    };
    let mut bad = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let raw = item.get().as_bytes();
        let mut one = Vec::new();
        match event::decode_bytes(raw, &mut one) {
            Ok(()) => events.append(&mut one),
            Err(e) => bad.push((
                format!("batch item {i}: {}", describe_decode(&e)),
                raw.to_vec(),
            )),
        }
    }
    Ok((events, bad))
}

/// Handles one request through the steps the module docs number; each step either passes what
/// the next needs or answers with a `Reject`.
async fn receive(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let received = Instant::now();
    if let Some(r) = route(&app, &req) {
        return r;
    }
    let request_id = app.request_id();
    match accept(&app, &request_id, peer, req).await {
        Ok(Accepted::Nothing) => reply(StatusCode::OK, "ok\n"),
        Ok(Accepted::Batch(batch)) => hand_over(&app, &request_id, batch, received)
            .await
            .unwrap_or_else(|r| r.respond(&request_id, peer)),
        Err(r) => r.respond(&request_id, peer),
    }
}

/// Only `POST` on the configured path is served.
fn route(app: &App, req: &Request) -> Option<Response> {
    if req.uri().path() != app.path {
        return Some(reply(StatusCode::NOT_FOUND, "not found\n"));
    }
    if req.method() != Method::POST {
        let mut r = reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "only POST is accepted here\n",
        );
        r.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return Some(r);
    }
    None
}

/// A request's events, ready for the pipeline.
struct Batch {
    events: Vec<Value>,
    dead: Vec<DeadLetter>,
    body_len: usize,
    /// Dedupe keys of `events`, remembered once they are delivered.
    keys: Vec<[u8; 16]>,
    duplicates: usize,
}

enum Accepted {
    /// Everything in it was delivered before (redeliveries only).
    Nothing,
    Batch(Batch),
}

/// Steps 1–5 and de-duplication: from the request to its new events.
async fn accept(
    app: &App,
    request_id: &str,
    peer: SocketAddr,
    req: Request,
) -> Result<Accepted, Reject> {
    let (parts, body) = req.into_parts();
    check_head(app, &parts)?;
    let body = read_body(app, &parts, body).await?;
    let (mut events, dead) = decode_body(app, request_id, peer, &body)?;
    let body_len = body.len();
    drop(body);
    let total = events.len();
    let (keys, duplicates) = drop_redeliveries(app, &mut events);
    if duplicates > 0 {
        emit(WebhookDuplicatesDropped {
            request_id,
            duplicates,
        });
    }
    if events.is_empty() && dead.is_empty() {
        emit(WebhookBatchEmpty {
            request_id,
            events: total,
            duplicates,
        });
        return Ok(Accepted::Nothing);
    }
    Ok(Accepted::Batch(Batch {
        events,
        dead,
        body_len,
        keys,
        duplicates,
    }))
}

/// Steps 1–3: Basic auth, the declared size, and the signature over the URL (it holds
/// bodySHA256), before any body is read: an unsigned or forged request costs neither a read
/// nor a hash (a header that is not visible ASCII cannot be a valid signature).
fn check_head(app: &App, parts: &axum::http::request::Parts) -> Result<(), Reject> {
    if !app.authorized(&parts.headers) {
        return Err(Reject::unauthorized());
    }
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > app.max_body as u64) {
        return Err(Reject::too_large());
    }
    let sig = parts
        .headers
        .get(SIGNATURE_HEADER)
        .map(|v| v.to_str().unwrap_or("\u{0}invalid"));
    app.verify_url(parts.uri.query(), sig)
        .map_err(Reject::signature)
}

/// Step 4: the body, read up to the limit, against its signed hash.
async fn read_body(
    app: &App,
    parts: &axum::http::request::Parts,
    body: Body,
) -> Result<Vec<u8>, Reject> {
    let body = read_limited(body, app.max_body)
        .await
        .map_err(Reject::unreadable)?;
    count_received_bytes("webhook", body.len());
    app.verify_body(parts.uri.query(), &body)
        .map_err(Reject::signature)?;
    Ok(body)
}

/// Step 5: decoding, item by item: a signed batch is Twilio's, and Twilio discards it on any
/// 4xx (but 429), so one bad item must not cost the good ones (they are scanned, it is
/// dead-lettered, and the reply waits until both are durable).
fn decode_body(
    app: &App,
    request_id: &str,
    peer: SocketAddr,
    body: &[u8],
) -> Result<(Vec<Value>, Vec<DeadLetter>), Reject> {
    let (events, bad_items) = match decode_items(body) {
        Ok(decoded) => decoded,
        Err(why) if !app.dead_letter => return Err(Reject::malformed(why)),
        Err(why) => (Vec::new(), vec![(why, body.to_vec())]),
    };
    let dead = bad_items
        .into_iter()
        .map(|(why, raw)| {
            emit(WebhookItemDeadLettered {
                request_id,
                peer,
                error: &why,
            });
            DeadLetter::record(
                SourceRef::Webhook {
                    request_id: request_id.to_string(),
                },
                why,
                raw,
            )
        })
        .collect();
    Ok((events, dead))
}

/// De-duplication against ids already delivered (and within the batch): drops redeliveries
/// from `events`, returning the kept events' keys and how many were dropped. Twilio's test
/// event is never de-duplicated (every one carries the Account SID as its id).
fn drop_redeliveries(app: &App, events: &mut Vec<Value>) -> (Vec<[u8; 16]>, usize) {
    let mut keys: Vec<[u8; 16]> = Vec::with_capacity(events.len());
    let mut duplicates = 0usize;
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
    (keys, duplicates)
}

impl App {
    fn remember(&self, keys: Vec<[u8; 16]>) {
        let mut seen = self.dedupe.lock().expect("dedupe lock");
        for k in keys {
            seen.insert(k);
        }
    }
}

/// Hand the batch to the pipeline and wait until its alerts are accepted by the sinks (200), or
/// answer 503 so Twilio retries.
async fn hand_over(
    app: &Arc<App>,
    request_id: &str,
    batch: Batch,
    received: Instant,
) -> Result<Response, Reject> {
    let Batch {
        events,
        dead,
        body_len,
        keys,
        duplicates,
    } = batch;
    let kept = events.len();
    let (tx, mut rx) = oneshot::channel();
    let mut work = Work::new(
        Payload::Events(events),
        SourceRef::Webhook {
            request_id: request_id.to_string(),
        },
        "webhook",
        Ack::Reply(tx),
        app.max_body,
    );
    work.received = received;
    work.dead = dead;
    // parsed JSON takes a few times its text
    work.extra_bytes = body_len * 4;
    let deadline = tokio::time::Instant::from_std(received + REPLY_TIMEOUT);
    match tokio::time::timeout_at(deadline, app.submitter.submit(work)).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) => return Err(Reject::shutting_down()),
        Err(_) => return Err(Reject::queue_full()),
    }
    match tokio::time::timeout_at(deadline, &mut rx).await {
        Ok(Ok(Outcome::Delivered { alerts, .. })) => {
            app.remember(keys);
            emit(WebhookBatchDelivered {
                request_id,
                events: kept,
                duplicates,
                alerts,
                elapsed_ms: received.elapsed().as_millis() as u64,
            });
            Ok(reply(StatusCode::OK, "ok\n"))
        }
        Ok(Ok(Outcome::Malformed(_))) => Err(Reject::malformed_record()),
        Ok(Err(_)) => Err(Reject::dropped()),
        Err(_) => {
            // Keep listening: once the batch is delivered its ids are remembered, so Twilio's
            // retry (if it comes later) is answered 200 without alerting twice.
            let app = app.clone();
            tokio::spawn(async move {
                if let Ok(Outcome::Delivered { .. }) = rx.await {
                    app.remember(keys);
                }
            });
            Err(Reject::not_delivered_in_time())
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
