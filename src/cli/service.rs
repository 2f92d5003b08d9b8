use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use phiscan::config::Config;
use phiscan::scan::Scanner;

pub fn run(path: &Path) -> Result<ExitCode> {
    let config = Config::load(Some(path))?;
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PHISCAN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .thread_name("phiscan-io")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(phiscan::service::run(config))?;
    Ok(ExitCode::SUCCESS)
}

pub fn check(path: Option<&Path>) -> Result<ExitCode> {
    let config = Config::load(path)?;
    // building the scanner checks detectors, allow-lists and the area-code table too
    Scanner::new(&config)?;
    phiscan::service::build_sinks(&config)
        .map(drop)
        .or_else(|e| {
            if config.sources.kafka.is_none()
                && config.sources.webhook.is_none()
                && config.sources.kinesis.is_none()
            {
                Ok(()) // a scan-only config needs no sinks
            } else {
                Err(e)
            }
        })?;
    println!(
        "# effective configuration ({}; secrets masked)",
        path.map_or("defaults".into(), |p| p.display().to_string())
    );
    print!("{}", config.to_masked_toml());
    eprintln!("phiscan: config OK");
    Ok(ExitCode::SUCCESS)
}
