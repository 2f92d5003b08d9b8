//! The webhook-sink receiver (`crate::source::webhook`). Fields: the request id phiscan gives
//! each request, the peer address, the rejection reason (a fixed label), the HTTP status, counts,
//! and decoding reasons that never quote the body. Counters: `phiscan_webhook_rejected_total
//! {reason}` and `phiscan_webhook_duplicate_events_total`.

use std::fmt::Display;
use std::net::SocketAddr;

use super::InternalEvent;
use crate::metrics::metrics;

const TARGET: &str = "phiscan::source::webhook::server";

pub struct WebhookListening<'a> {
    pub addr: SocketAddr,
    /// The route's path (from `public_url`).
    pub path: &'a str,
    pub tls: bool,
    pub basic_auth: bool,
    pub dedupe_window: usize,
}

impl InternalEvent for WebhookListening<'_> {
    fn emit(self) {
        tracing::info!(
            target: TARGET,
            addr = %self.addr,
            path = %self.path,
            tls = self.tls,
            basic_auth = self.basic_auth,
            dedupe_window = self.dedupe_window,
            "webhook receiver listening"
        );
    }
}

pub struct WebhookStopped;

impl InternalEvent for WebhookStopped {
    fn emit(self) {
        tracing::info!(target: TARGET, "webhook receiver stopped");
    }
}

/// The warning a rejected request is logged with (each rejection picks one, or none when it
/// is only counted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectLog {
    /// Authentication, size, signature and body-read failures.
    Rejected,
    /// A body that is not JSON at all, with no dead-letter output to keep it.
    NoDeadLetter,
    QueueFull,
    NotDeliveredInTime,
    ShuttingDown,
    Dropped,
}

impl RejectLog {
    pub fn message(self) -> &'static str {
        match self {
            RejectLog::Rejected => "webhook request rejected",
            RejectLog::NoDeadLetter => {
                "webhook request rejected (no dead-letter output to keep it)"
            }
            RejectLog::QueueFull => "pipeline queue full: asking Twilio to retry",
            RejectLog::NotDeliveredInTime => "alerts not delivered in time: asking Twilio to retry",
            RejectLog::ShuttingDown => "pipeline is shutting down: asking Twilio to retry",
            RejectLog::Dropped => "pipeline dropped the batch: asking Twilio to retry",
        }
    }
}

/// A request turned away: counted under `reason` (when the request is at fault) and logged
/// with `log` (when it has a line).
pub struct WebhookRequestRejected<'a> {
    pub request_id: &'a str,
    pub peer: SocketAddr,
    /// The metric label; `None` when the request itself is not at fault (shutting down).
    pub reason: Option<&'static str>,
    pub status: u16,
    pub log: Option<RejectLog>,
    /// Why decoding failed (never quotes the body).
    pub error: Option<&'a str>,
}

impl InternalEvent for WebhookRequestRejected<'_> {
    fn emit(self) {
        if let Some(reason) = self.reason {
            metrics()
                .webhook_rejected
                .with_label_values(&[reason])
                .inc();
        }
        if let Some(log) = self.log {
            let (request_id, peer) = (self.request_id, self.peer);
            let reason = self.reason.unwrap_or("");
            let error = self.error.unwrap_or("");
            let log = log.message();
            tracing::warn!(target: TARGET, request_id, %peer, reason, status = self.status, error, "{log}");
        }
    }
}

/// An item of a (signed) batch that is not an event: dead-lettered, the rest is scanned.
/// Counted as `reason="malformed_item"`.
pub struct WebhookItemDeadLettered<'a> {
    pub request_id: &'a str,
    pub peer: SocketAddr,
    pub error: &'a dyn Display,
}

impl InternalEvent for WebhookItemDeadLettered<'_> {
    fn emit(self) {
        metrics()
            .webhook_rejected
            .with_label_values(&["malformed_item"])
            .inc();
        let (request_id, peer) = (self.request_id, self.peer);
        tracing::warn!(target: TARGET, request_id, %peer, error = %self.error, "webhook batch item is not an event: dead-lettering it");
    }
}

/// Events whose ids were delivered before (Twilio's redeliveries), dropped.
pub struct WebhookDuplicatesDropped<'a> {
    pub request_id: &'a str,
    pub duplicates: usize,
}

impl InternalEvent for WebhookDuplicatesDropped<'_> {
    fn emit(self) {
        metrics().webhook_duplicates.inc_by(self.duplicates as u64);
        let (request_id, duplicates) = (self.request_id, self.duplicates);
        tracing::debug!(target: TARGET, request_id, duplicates, "dropped redelivered events");
    }
}

/// A batch of redeliveries only: answered 200 without scanning.
pub struct WebhookBatchEmpty<'a> {
    pub request_id: &'a str,
    pub events: usize,
    pub duplicates: usize,
}

impl InternalEvent for WebhookBatchEmpty<'_> {
    fn emit(self) {
        let (request_id, duplicates) = (self.request_id, self.duplicates);
        tracing::debug!(
            target: TARGET,
            request_id,
            events = self.events,
            duplicates,
            "webhook batch had nothing new"
        );
    }
}

/// A batch whose alerts the sinks accepted: answered 200.
pub struct WebhookBatchDelivered<'a> {
    pub request_id: &'a str,
    pub events: usize,
    pub duplicates: usize,
    pub alerts: usize,
    pub elapsed_ms: u64,
}

impl InternalEvent for WebhookBatchDelivered<'_> {
    fn emit(self) {
        let (request_id, duplicates, alerts) = (self.request_id, self.duplicates, self.alerts);
        tracing::debug!(
            target: TARGET,
            request_id,
            events = self.events,
            duplicates,
            alerts,
            elapsed_ms = self.elapsed_ms,
            "webhook batch delivered"
        );
    }
}
