//! The metrics and health endpoint: `/metrics` (Prometheus text), `/healthz` (the process is
//! alive), `/readyz` (sources connected and sinks reachable).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use super::{Health, Shutdown};
use crate::metrics::metrics;
use crate::sink::Sinks;

#[derive(Clone)]
struct AppState {
    health: Arc<Health>,
    sinks: Arc<Sinks>,
}

pub fn router(health: Arc<Health>, sinks: Arc<Sinks>) -> Router {
    Router::new()
        .route("/metrics", get(|| async { metrics().render() }))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(AppState { health, sinks })
}

async fn readyz(State(s): State<AppState>) -> (StatusCode, String) {
    let sources = s.health.sources_ready();
    let sinks = s.sinks.ready().await;
    let status = if sources && sinks {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut body = format!(
        "sources: {}\nsinks: {}\n",
        if sources { "ready" } else { "not ready" },
        if sinks { "ready" } else { "not ready" }
    );
    if s.health.kinesis_configured {
        body += &s.health.kinesis_status.lock().expect("status lock");
    }
    (status, body)
}

pub async fn serve(
    listener: tokio::net::TcpListener,
    health: Arc<Health>,
    sinks: Arc<Sinks>,
    mut stop: Shutdown,
) {
    let app = router(health, sinks);
    let _ = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await;
}
