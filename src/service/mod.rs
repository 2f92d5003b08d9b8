//! `phiscan run`: the long-running service. Wires configured sources (Kafka, the webhook-sink
//! receiver) through the pipeline to the sinks, serves metrics and health, and shuts down
//! cleanly on SIGTERM: sources stop taking work, everything in flight is delivered, Kafka
//! offsets are committed, then the process exits.

mod alerting_series;
pub mod http;
pub mod pipeline;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::Config;
use crate::internal_events::emit;
use crate::internal_events::service::*;
use crate::scan::Scanner;
use crate::sink::{AlertSink, DeadLetterSink, Sinks, SourceCluster};

use crate::source::contract::Submitter;
pub use crate::source::contract::{Health, Shutdown};

/// Build the sinks the configuration names.
pub fn build_sinks(config: &Config) -> Result<Sinks> {
    let s = &config.sinks;
    let alerts = s
        .alert_outputs()
        .into_iter()
        .map(|output| output.build())
        .collect::<Result<Vec<Box<dyn AlertSink>>>>()?;
    if alerts.is_empty() {
        bail!(
            "no alert sink configured: add [sinks.jsonl] path = \"-\" (stdout), or [sinks.kafka], [sinks.http], [sinks.alertmanager]"
        );
    }
    let subscribes_to = |topic: &str| {
        config
            .sources
            .kafka
            .as_ref()
            .is_some_and(|k| k.subscribes_to(topic))
    };
    let cluster = config.sources.kafka.as_ref().map(|k| SourceCluster {
        brokers: &k.brokers,
        properties: &k.properties,
        subscribes_to: &subscribes_to,
    });
    let dead_letter: Option<Box<dyn DeadLetterSink>> = match &s.dead_letter {
        None => None,
        Some(d) => Some(crate::sink::dead_letter::build(d, cluster.as_ref())?),
    };
    let mut sinks = Sinks::new(
        alerts,
        dead_letter,
        Duration::from_secs(s.suppression_window_secs),
    );
    sinks.forward = crate::sink::forward::RedactedForward::build(
        s.redacted_forward.as_ref(),
        cluster.as_ref(),
    )?;
    Ok(sinks)
}

/// Panics are caught per event by the scan workers (the event is dead-lettered); the default
/// hook would print the panic message, which can quote the text being scanned (a bad string
/// slice names it). Log where it happened, never the message.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        emit(Panicked {
            location: &at,
            thread: std::thread::current().name(),
        });
    }));
}

/// The service, in the order it starts: check that a source is configured; build the scanner,
/// the sinks and the pipeline; watch for SIGTERM; serve metrics and health; start the sources;
/// wait for them (one failing stops the others); drain the pipeline.
pub async fn run(config: Config) -> Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    install_panic_hook();
    require_a_source(&config)?;
    let (pipeline, sinks) = start_pipeline(&config)?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let stop_tx = Arc::new(stop_tx);
    stop_on_signal(stop_tx.clone());
    let health = Arc::new(Health {
        kafka_configured: config.sources.kafka.is_some(),
        webhook_configured: config.sources.webhook.is_some(),
        kinesis_configured: config.sources.kinesis.is_some(),
        ..Default::default()
    });
    serve_metrics(&config, &health, &sinks, &stop_rx).await?;
    let tasks = start_sources(&config, &pipeline.submitter, &stop_rx, &health);
    let result = wait_for_sources(tasks, &stop_tx).await;
    tokio::time::timeout(
        Duration::from_secs(config.service.shutdown_timeout_secs),
        pipeline.drain(),
    )
    .await
    .context("timed out draining the pipeline")?;
    emit(ServiceStopped);
    result
}

fn require_a_source(config: &Config) -> Result<()> {
    if config.sources.kafka.is_none()
        && config.sources.webhook.is_none()
        && config.sources.kinesis.is_none()
    {
        bail!(
            "no source configured: add [sources.kafka] (brokers, topics), [sources.kinesis] (stream) and/or [sources.webhook] (listen, public_url) to the config"
        );
    }
    Ok(())
}

/// The scanner, the sinks, and the scan threads between them.
fn start_pipeline(config: &Config) -> Result<(pipeline::Pipeline, Arc<Sinks>)> {
    let scanner = Arc::new(Scanner::new(config)?);
    if !scanner.keyed {
        emit(FingerprintKeyMissing {
            env: crate::config::FINGERPRINT_KEY_ENV,
        });
    }
    let sinks = Arc::new(build_sinks(config)?);
    alerting_series::init_alerting_series(config);
    let workers = config
        .service
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let pipeline = pipeline::Pipeline::start(
        scanner,
        sinks.clone(),
        workers,
        config.service.queue_capacity,
        config.service.queue_max_bytes,
    );
    Ok((pipeline, sinks))
}

fn stop_on_signal(stop_tx: Arc<watch::Sender<bool>>) {
    tokio::spawn(async move {
        wait_for_signal().await;
        emit(ShutdownRequested);
        let _ = stop_tx.send(true);
    });
}

async fn serve_metrics(
    config: &Config,
    health: &Arc<Health>,
    sinks: &Arc<Sinks>,
    stop: &Shutdown,
) -> Result<()> {
    let Some(addr) = &config.service.metrics_listen else {
        return Ok(());
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("service.metrics_listen: cannot listen on {addr}"))?;
    emit(MetricsListening {
        addr: listener.local_addr()?,
    });
    tokio::spawn(http::serve(
        listener,
        health.clone(),
        sinks.clone(),
        stop.clone(),
    ));
    Ok(())
}

/// Every configured source, each a task feeding `submitter`.
fn start_sources(
    config: &Config,
    submitter: &Submitter,
    stop: &Shutdown,
    health: &Arc<Health>,
) -> JoinSet<Result<()>> {
    let mut tasks = JoinSet::new();
    let timeout = Duration::from_secs(config.service.shutdown_timeout_secs);
    let (sub, stop, health) = (submitter.clone(), stop.clone(), health.clone());
    if let Some(k) = config.sources.kafka.clone() {
        let (sub, stop, health) = (sub.clone(), stop.clone(), health.clone());
        let dlq = config
            .sinks
            .dead_letter
            .as_ref()
            .and_then(|d| d.kafka_topic.clone());
        tasks.spawn(async move {
            crate::source::kafka::run(k, sub, stop, health, timeout, dlq)
                .await
                .context("kafka source")
        });
    }
    if let Some(w) = config.sources.webhook.clone() {
        let (sub, stop, health) = (sub.clone(), stop.clone(), health.clone());
        let dead_letter = config.sinks.dead_letter.is_some();
        tasks.spawn(async move {
            crate::source::webhook::server::run(w, sub, stop, health, dead_letter)
                .await
                .context("webhook source")
        });
    }
    if let Some(k) = config.sources.kinesis.clone() {
        tasks.spawn(async move {
            crate::source::kinesis::run(k, sub, stop, health, timeout)
                .await
                .context("kinesis source")
        });
    }
    tasks
}

/// Waits for every source; the first that fails stops the others (an operator must notice)
/// and is the service's result.
async fn wait_for_sources(
    mut tasks: JoinSet<Result<()>>,
    stop_tx: &watch::Sender<bool>,
) -> Result<()> {
    let mut result = Ok(());
    while let Some(done) = tasks.join_next().await {
        let r = done.context("source task panicked").and_then(|r| r);
        if let Err(e) = r {
            emit(SourceStopped { error: &e });
            result = Err(e);
            let _ = stop_tx.send(true);
        }
    }
    result
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
