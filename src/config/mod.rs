//! Configuration: one TOML file, every key optional, every key overridable from the environment
//! (`env`). `phiscan scan` needs no file at all; the defaults are policy.md's rules and
//! severities. `service` holds what only `phiscan run` reads.

pub mod env;
pub mod service;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

pub use crate::policy::config::PolicyConfig;

/// The environment variable that holds the fingerprint key when the file does not.
pub const FINGERPRINT_KEY_ENV: &str = "PHISCAN_FINGERPRINT_KEY";

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub detect: DetectConfig,
    pub policy: PolicyConfig,
    pub allow: AllowConfig,
    pub fingerprint: FingerprintConfig,
    pub service: service::ServiceConfig,
    pub sources: service::SourcesConfig,
    pub sinks: service::SinksConfig,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectConfig {
    /// Findings below this confidence are ignored (0–1).
    pub threshold: f32,
    /// Load detectors from this folder instead of the built-in set (same layout as `detectors/`).
    pub detectors_dir: Option<PathBuf>,
    /// Rule ids (from `detectors/*.toml`) to switch off.
    pub disabled: Vec<String>,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            threshold: crate::detect::engine::DEFAULT_THRESHOLD,
            detectors_dir: None,
            disabled: Vec::new(),
        }
    }
}

/// Things that are known and accepted: they never produce findings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AllowConfig {
    /// Exact values (e.g. your clinic's public phone number).
    pub values: Vec<String>,
    /// Fingerprints from earlier alerts: accept a value without writing it down.
    pub fingerprints: Vec<String>,
    /// JSON pointers; `*` matches one segment, a trailing `/**` everything below.
    pub fields: Vec<String>,
    /// Event types (exact, or a prefix ending in `.`).
    pub event_types: Vec<String>,
    /// Detector (rule) ids whose findings are ignored.
    pub detectors: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FingerprintConfig {
    /// HMAC key for fingerprints. Prefer the PHISCAN_FINGERPRINT_KEY environment variable.
    pub key: Option<String>,
}

impl Config {
    /// The file (if any) with `PHISCAN_*` environment overrides applied.
    pub fn load(path: Option<&Path>) -> Result<Config> {
        Config::load_with_env(path, std::env::vars())
    }

    pub fn load_with_env(
        path: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config> {
        let (text, origin) = match path {
            Some(p) => (
                std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read config file {}", p.display()))?,
                p.display().to_string(),
            ),
            None => (String::new(), "defaults".to_string()),
        };
        let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let at = e
                .span()
                .map(|s| line_col(&text, s.start))
                .unwrap_or_else(|| "?".into());
            anyhow::anyhow!("config file {origin}, {at}: {}", e.message())
        })?;
        let mut from_env = env::apply(&mut table, vars)?;
        let config = deserialize_typed(table, &mut from_env, &origin)?;
        config.validate()?;
        Ok(config)
    }

    /// The effective configuration as TOML, every secret replaced by `"***"`.
    pub fn to_masked_toml(&self) -> String {
        let mut value = toml::Value::try_from(self).expect("config serialises");
        mask_secrets(&mut value);
        toml::to_string_pretty(&value).expect("config serialises")
    }

    pub fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.detect.threshold) {
            // the value is not shown: it may come from the environment (found by fuzzing)
            bail!("detect.threshold must be between 0 and 1");
        }
        for rule in self
            .policy
            .severity
            .keys()
            .chain(&self.policy.disabled_rules)
        {
            if !crate::policy::RULES.iter().any(|r| r.id == rule) {
                let known: Vec<_> = crate::policy::RULES.iter().map(|r| r.id).collect();
                bail!(
                    "policy: unknown rule `{rule}`; known rules: {}",
                    known.join(", ")
                );
            }
        }
        if let Some(f) = &self.sinks.redacted_forward {
            if f.kafka_topic.is_empty() {
                bail!("sinks.redacted_forward.kafka_topic is empty");
            }
            match (&f.brokers, &self.sources.kafka) {
                (None, None) => bail!(
                    "sinks.redacted_forward needs brokers = \"host:port\" (there is no [sources.kafka] cluster to default to)"
                ),
                (None, Some(k)) if k.subscribes_to(&f.kafka_topic) => bail!(
                    "sinks.redacted_forward.kafka_topic `{}` is also a source topic (or matches a source pattern): phiscan would scan its own output forever",
                    f.kafka_topic
                ),
                _ => {}
            }
        }
        for (i, sid) in self.policy.hipaa_accounts.iter().enumerate() {
            if !(sid.starts_with("AC") && sid.len() == 34) {
                bail!(
                    "policy.hipaa_accounts[{i}] is not an Account SID (AC followed by 32 hex digits; the value is not shown)"
                );
            }
        }
        Ok(())
    }

    /// The fingerprint key from the file or the environment, or `None` (use a random key).
    pub fn fingerprint_key(&self) -> Option<Vec<u8>> {
        std::env::var(FINGERPRINT_KEY_ENV)
            .ok()
            .filter(|k| !k.is_empty())
            .or_else(|| self.fingerprint.key.clone())
            .map(String::into_bytes)
    }
}

/// Deserialize, letting the schema type the environment overrides: where one was read as a
/// number or boolean but the config wants a string there (an all-digit token), it is put back as
/// its text and tried again. An error at a path an override set names the variable and what was
/// expected, never the value.
fn deserialize_typed(
    mut table: toml::Table,
    overrides: &mut [env::Override],
    origin: &str,
) -> Result<Config> {
    loop {
        let value = toml::Value::Table(table.clone());
        let e = match serde_path_to_error::deserialize::<_, Config>(value) {
            Ok(c) => return Ok(c),
            Err(e) => e,
        };
        let path = e.path().to_string();
        let message = e.inner().to_string();
        // the override that set this value, or a table or array holding it (found by fuzzing:
        // `PHISCAN_SOURCES=["…"]` failed at `sources[0]`, and the message quoted the value)
        let covers = |o: &env::Override| {
            let d = o.dotted();
            path == d || path.starts_with(&format!("{d}.")) || path.starts_with(&format!("{d}["))
        };
        let Some(o) = overrides.iter_mut().rev().find(|o| covers(o)) else {
            let names: Vec<&str> = overrides.iter().map(|o| o.name.as_str()).collect();
            let hint = if names.is_empty() {
                String::new()
            } else {
                format!(" (environment overrides: {})", names.join(", "))
            };
            bail!("config ({origin}){hint}: {path}: {message}");
        };
        if !o.text && o.dotted() == path && message.contains("expected a string") {
            o.as_text(&mut table)?;
            continue;
        }
        let expected = message
            .split_once("expected ")
            .map_or("another type", |(_, x)| x);
        bail!(
            "environment variable {}: not a valid value for `{path}` (expected {expected}); the value is not shown",
            o.name
        );
    }
}

/// Keys whose values are secrets, wherever they are (librdkafka's `sasl.password` included).
fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["password", "secret", "token", "key"]
        .iter()
        .any(|s| k.contains(s))
        && !k.ends_with("_path")
        && k != "tls_key"
}

fn mask_secrets(v: &mut toml::Value) {
    if let toml::Value::Table(t) = v {
        for (k, child) in t.iter_mut() {
            // HTTP headers carry credentials under any name (Authorization, X-Api-Key …)
            if k == "headers"
                && let toml::Value::Table(h) = child
            {
                h.iter_mut()
                    .for_each(|(_, v)| *v = toml::Value::String("***".into()));
            } else if is_secret_key(k) && matches!(child, toml::Value::String(_)) {
                *child = toml::Value::String("***".into());
            } else {
                mask_secrets(child);
            }
        }
    }
}

fn line_col(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("line {line}, column {col}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::Severity;
    use crate::event::Channel;

    #[test]
    fn defaults_need_no_file_and_unknown_keys_are_errors() {
        let load = |p: Option<&Path>| Config::load_with_env(p, std::iter::empty());
        let c = load(None).unwrap();
        assert!(c.policy.ineligible_channels.contains(&Channel::Whatsapp));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "[policy]\nhipaa_acounts = []\n").unwrap();
        let err = format!("{:#}", load(Some(&p)).unwrap_err());
        assert!(err.contains("hipaa_acounts"), "{err}");
        std::fs::write(&p, "[policy.severity]\nphi-in-tagz = \"high\"\n").unwrap();
        let err = format!("{:#}", load(Some(&p)).unwrap_err());
        assert!(err.contains("unknown rule `phi-in-tagz`"), "{err}");
        std::fs::write(
            &p,
            "[policy]\nalert_info = true\n[policy.severity]\nphi-in-url = \"high\"\n",
        )
        .unwrap();
        let c = load(Some(&p)).unwrap();
        assert!(c.policy.alert_info);
        assert_eq!(c.policy.severity["phi-in-url"], Severity::High);
    }

    #[test]
    fn redacted_forward_needs_a_cluster_and_must_not_feed_itself() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        let load = |text: &str| {
            std::fs::write(&p, text).unwrap();
            Config::load_with_env(Some(&p), std::iter::empty())
        };
        let err = format!(
            "{:#}",
            load("[sinks.redacted_forward]\nkafka_topic = \"r\"\n").unwrap_err()
        );
        assert!(err.contains("needs brokers"), "{err}");
        let source = "[sources.kafka]\nbrokers = \"b:9092\"\ntopics = [\"^twilio-.*\"]\n";
        let err = format!(
            "{:#}",
            load(&format!(
                "{source}[sinks.redacted_forward]\nkafka_topic = \"twilio-redacted\"\n"
            ))
            .unwrap_err()
        );
        assert!(err.contains("matches a source pattern"), "{err}");
        let c = load(&format!(
            "{source}[sinks.redacted_forward]\nkafka_topic = \"clean-events\"\nstyle = \"category\"\n"
        ))
        .unwrap();
        let f = c.sinks.redacted_forward.unwrap();
        assert_eq!(f.style, crate::event::redact::Style::Category);
        assert!(f.mask_addresses);
    }

    #[test]
    fn environment_overrides_and_masked_output() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "[sources.webhook]\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://x/e\"\n[sources.kafka]\nbrokers = \"b:9092\"\ntopics = [\"t\"]\nproperties = { \"sasl.password\" = \"hunter2\" }\n[sinks.http]\nurl = \"http://x\"\nheaders = { Authorization = \"Bearer abc123\" }\n").unwrap();
        let vars = [
            ("PHISCAN_SOURCES__WEBHOOK__AUTH_TOKEN", "tok123"),
            ("PHISCAN_DETECT__THRESHOLD", "0.8"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let c = Config::load_with_env(Some(&p), vars).unwrap();
        assert_eq!(
            c.sources.webhook.as_ref().unwrap().auth_token.as_deref(),
            Some("tok123")
        );
        assert_eq!(c.detect.threshold, 0.8);
        let shown = c.to_masked_toml();
        assert!(
            !shown.contains("tok123") && !shown.contains("hunter2"),
            "{shown}"
        );
        assert!(shown.contains("***"));
        let bad = Config::load_with_env(
            None,
            [("PHISCAN_DETECT__TRESHOLD".to_string(), "1".to_string())],
        );
        assert!(format!("{:#}", bad.unwrap_err()).contains("PHISCAN_DETECT__TRESHOLD"));
    }

    /// Found by fuzzing (`tests/fuzz.rs`, env target): a variable that sets an array or table
    /// failed below its own path (`sources[0]`), and that error quoted the value.
    #[test]
    fn a_bad_item_inside_an_environment_value_is_not_shown() {
        for value in ["[\"s3cr3t-value\"]", "{ kafka = \"s3cr3t-value\" }"] {
            let vars = [("PHISCAN_SOURCES".to_string(), value.to_string())];
            let e = Config::load_with_env(None, vars).unwrap_err();
            let text = format!("{e:#} {e:?}");
            assert!(!text.contains("s3cr3t-value"), "{text}");
            assert!(text.contains("PHISCAN_SOURCES"), "{text}");
        }
        // and values the schema accepts but validation refuses
        for (name, value) in [
            ("PHISCAN_DETECT__THRESHOLD", "31337"),
            ("PHISCAN_POLICY__HIPAA_ACCOUNTS", "[\"s3cr3t-value\"]"),
        ] {
            let vars = [(name.to_string(), value.to_string())];
            let e = Config::load_with_env(None, vars).unwrap_err();
            let value = value.trim_matches(['[', ']', '"']);
            let text = format!("{e:#} {e:?}");
            assert!(!text.contains(value), "{text}");
        }
    }

    /// Before: an all-digit token was read as a TOML integer and the config refused it, and a
    /// bad value's error quoted the value.
    #[test]
    fn environment_values_are_typed_by_the_schema_and_errors_hide_them() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "[sources.webhook]\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://x/e\"\n[sinks.http]\nurl = \"http://x\"\n").unwrap();
        let vars = [
            ("PHISCAN_SOURCES__WEBHOOK__AUTH_TOKEN", "0123456789"),
            ("PHISCAN_SOURCES__WEBHOOK__BASIC_AUTH_USER", "true"),
            ("PHISCAN_SOURCES__WEBHOOK__BASIC_AUTH_PASSWORD", "4242"),
            ("PHISCAN_SOURCES__WEBHOOK__MAX_BODY_BYTES", "2048"),
            ("PHISCAN_SINKS__HTTP__HEADERS__AUTHORIZATION", "31337"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let c = Config::load_with_env(Some(&p), vars).unwrap();
        let w = c.sources.webhook.as_ref().unwrap();
        assert_eq!(w.auth_token.as_deref(), Some("0123456789"));
        assert_eq!(w.basic_auth_user.as_deref(), Some("true"));
        assert_eq!(w.basic_auth_password.as_deref(), Some("4242"));
        assert_eq!(w.max_body_bytes, 2048);
        assert_eq!(
            c.sinks.http.as_ref().unwrap().headers["authorization"],
            "31337"
        );

        for (name, value) in [
            ("PHISCAN_DETECT__THRESHOLD", "s3cr3t-value"),
            ("PHISCAN_SOURCES__WEBHOOK__MAX_BODY_BYTES", "s3cr3t-value"),
            ("PHISCAN_SOURCES__WEBHOOK__MAX_BODY_BYTES", "-77123"),
        ] {
            let e = Config::load_with_env(Some(&p), [(name.to_string(), value.to_string())])
                .unwrap_err();
            let text = format!("{e:#}");
            assert!(text.contains(name), "{text}");
            assert!(!text.contains(value) && !text.contains("77123"), "{text}");
        }
    }
}
