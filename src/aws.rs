//! One place that builds AWS SDK client configuration, so every AWS client (Kinesis, DynamoDB,
//! S3) resolves region and credentials the same way: the standard chain (environment, profile,
//! web identity for IRSA, ECS/IMDS), with an explicit region and an endpoint override from the
//! config for tests (kinesis-local, moto) and VPC endpoints.
//!
//! TLS goes through rustls with the ring provider, the one the rest of phiscan uses, so no
//! second crypto library (aws-lc) is built.

use anyhow::{Result, bail};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls;

/// Where an AWS client connects: both optional, the standard chain fills in the rest.
#[derive(Debug, Clone, Default)]
pub struct AwsTarget<'a> {
    /// Region; without it, `AWS_REGION` / the profile decide.
    pub region: Option<&'a str>,
    /// Endpoint override, e.g. `http://127.0.0.1:4568` or a VPC endpoint URL.
    pub endpoint_url: Option<&'a str>,
}

/// SDK configuration for `target`. Fails when no region can be found (an AWS call would fail
/// later with a far less helpful message). `what` names the config section for the error.
pub async fn sdk_config(target: &AwsTarget<'_>, what: &str) -> Result<SdkConfig> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http_client());
    if let Some(region) = target.region {
        loader = loader.region(Region::new(region.to_string()));
    }
    if let Some(url) = target.endpoint_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            bail!("{what}: endpoint URL `{url}` must start with http:// or https://");
        }
        loader = loader.endpoint_url(url);
    }
    let config = loader.load().await;
    if config.region().is_none() {
        bail!(
            "{what}: no AWS region: set `region` in the config, or AWS_REGION / AWS_DEFAULT_REGION, or a profile region"
        );
    }
    Ok(config)
}

/// The HTTPS (and plain HTTP, for local endpoints) client every AWS client uses.
pub fn http_client() -> aws_sdk_kinesis::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// `endpoint_url` for one service: its own override if set, else the shared one.
pub fn endpoint<'a>(own: Option<&'a str>, shared: Option<&'a str>) -> Option<&'a str> {
    own.or(shared)
}

/// An SDK error in one line for a person: a service error as `Code: message` (what AWS said),
/// anything else (connection, timeout, credentials) with its cause chain. Never the request
/// or response bodies, which the SDK's own `Debug` would print.
pub fn describe<E, R>(e: &aws_sdk_kinesis::error::SdkError<E, R>) -> String
where
    E: aws_sdk_kinesis::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    if let Some(service) = e.as_service_error() {
        let code = service.code().unwrap_or("service error");
        return match service.message() {
            Some(message) => format!("{code}: {message}"),
            None => code.to_string(),
        };
    }
    // the Display of each cause (the SDK's DisplayErrorContext appends a Debug dump of the
    // whole response, headers and body included: too much for a person, and not ours to print)
    let mut out = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}
