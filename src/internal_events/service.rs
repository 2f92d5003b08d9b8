//! The service itself (`crate::service`): start-up, shutdown, panics and the pipeline's scan
//! guard. Fields: listen addresses, a panic's code location (never its message: it may quote
//! what was being scanned), a record's position (its `source`, as JSON) and phiscan's own errors.

use std::net::SocketAddr;

use serde::Serialize;

use super::InternalEvent;
use crate::metrics::metrics;

const SERVICE: &str = "phiscan::service";
const PIPELINE: &str = "phiscan::service::pipeline";

/// No fingerprint key: fingerprints are keyed per process. `env` is the variable that sets one.
pub struct FingerprintKeyMissing {
    pub env: &'static str,
}

impl InternalEvent for FingerprintKeyMissing {
    fn emit(self) {
        tracing::warn!(
            target: SERVICE,
            "no fingerprint key configured ({} or [fingerprint] key): fingerprints will not correlate across restarts",
            self.env
        );
    }
}

pub struct MetricsListening {
    pub addr: SocketAddr,
}

impl InternalEvent for MetricsListening {
    fn emit(self) {
        tracing::info!(target: SERVICE, addr = %self.addr, "metrics and health endpoint listening");
    }
}

pub struct ShutdownRequested;

impl InternalEvent for ShutdownRequested {
    fn emit(self) {
        tracing::info!(target: SERVICE, "shutdown requested: draining in-flight events");
    }
}

/// A source task ended with an error: the others are stopped too.
pub struct SourceStopped<'a> {
    pub error: &'a anyhow::Error,
}

impl InternalEvent for SourceStopped<'_> {
    fn emit(self) {
        tracing::error!(target: SERVICE, error = %format!("{:#}", self.error), "source stopped");
    }
}

pub struct ServiceStopped;

impl InternalEvent for ServiceStopped {
    fn emit(self) {
        tracing::info!(target: SERVICE, "stopped");
    }
}

/// From the panic hook: where, and on which thread; the message is withheld.
pub struct Panicked<'a> {
    /// `file:line`
    pub location: &'a str,
    pub thread: Option<&'a str>,
}

impl InternalEvent for Panicked<'_> {
    fn emit(self) {
        tracing::error!(target: SERVICE, location = %self.location, thread = ?self.thread, "panic (message withheld: it may quote event content)");
    }
}

/// Scanning one event panicked: it is dead-lettered and the worker goes on. Counted in
/// `decode_errors_total{source, reason="scan_panic"}`.
pub struct ScanPanicked<'a, S: Serialize> {
    /// The event's `SourceRef` (its position).
    pub source: &'a S,
    /// The source's metric label.
    pub source_kind: &'a str,
}

impl<S: Serialize> InternalEvent for ScanPanicked<'_, S> {
    fn emit(self) {
        metrics()
            .decode_errors
            .with_label_values(&[self.source_kind, "scan_panic"])
            .inc();
        tracing::error!(target: PIPELINE, source = %serde_json::to_string(self.source).unwrap_or_default(), "scanning an event panicked (a phiscan bug): dead-lettering it and going on");
    }
}
