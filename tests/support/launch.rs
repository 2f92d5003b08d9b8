//! The `phiscan` binary as every test starts it. phiscan reads each `PHISCAN_*` variable as a
//! config override, so a variable of the test's own environment (`PHISCAN_CONFIG`, or
//! `PHISCAN_TEST_SERVICES_RUNNING` — an unknown key) would change or break what is tested:
//! [`phiscan_command`] removes all of them but the tests' own `PHISCAN_TEST_*`, the same way for
//! the CLI tests and for a running service ([`Service`]).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::kafka::ServiceConfig;
use super::{tail, wait_until};

/// The `phiscan` binary with `fingerprint_key` and no inherited `PHISCAN_*` variable except the
/// tests' own `PHISCAN_TEST_*`.
pub fn phiscan_command(fingerprint_key: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_phiscan"));
    for (k, _) in std::env::vars() {
        if k.starts_with("PHISCAN_") && !k.starts_with("PHISCAN_TEST_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("PHISCAN_FINGERPRINT_KEY", fingerprint_key);
    cmd
}

/// A running `phiscan run` (any source). Killed (SIGKILL) on drop if still running.
pub struct Service {
    pub name: String,
    child: Child,
    pub metrics_port: u16,
    pub stderr_path: PathBuf,
}

impl Service {
    pub fn start(config: &ServiceConfig, dir: &Path, name: &str, log_level: &str) -> Service {
        Service::start_toml(
            &config.toml(),
            config.metrics_port,
            dir,
            name,
            log_level,
            &[],
        )
    }

    /// `phiscan run` with a config written by the caller (other sources than Kafka) and extra
    /// environment variables (e.g. AWS credentials for a local endpoint).
    pub fn start_toml(
        toml: &str,
        metrics_port: u16,
        dir: &Path,
        name: &str,
        log_level: &str,
        envs: &[(&str, &str)],
    ) -> Service {
        let config_path = dir.join(format!("{name}.toml"));
        std::fs::write(&config_path, toml).unwrap();
        let stderr_path = dir.join(format!("{name}.stderr"));
        let stderr = File::options()
            .create(true)
            .append(true)
            .open(&stderr_path)
            .unwrap();
        let mut cmd = phiscan_command("kafka-e2e-test-key");
        cmd.args(["run", "--config"]).arg(&config_path);
        cmd.env("PHISCAN_LOG", log_level)
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(stderr));
        let child = cmd.spawn().expect("start phiscan run");
        Service {
            name: name.to_string(),
            child,
            metrics_port,
            stderr_path,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait for the exit (at most `timeout`).
    pub fn sigterm(&mut self, timeout: Duration) -> ExitStatus {
        // the signal handler is installed before the metrics endpoint listens: wait for that
        // (a SIGTERM during start-up would otherwise kill it outright)
        let up = wait_until(Duration::from_secs(30), || {
            !self.running() || self.http_get("/healthz").is_some()
        });
        assert!(up, "{}: the metrics endpoint never came up", self.name);
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success(), "kill -TERM {}", self.child.id());
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "{}: did not exit within {timeout:?} of SIGTERM; stderr:\n{}",
                    self.name,
                    tail(&self.stderr(), 30)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// `GET path` on the metrics endpoint.
    pub fn http_get(&self, path: &str) -> Option<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.metrics_port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
        let mut buf = String::new();
        s.read_to_string(&mut buf).ok()?;
        buf.split_once("\r\n\r\n").map(|(_, body)| body.to_string())
    }

    pub fn metrics(&self) -> String {
        self.http_get("/metrics").unwrap_or_default()
    }

    /// Partitions of the latest "kafka partitions assigned" log line (topic[0,1] → {0,1}).
    pub fn assignment(&self) -> Option<HashSet<i32>> {
        let mut last = None;
        for line in self.stderr().lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let msg = v["fields"]["message"].as_str().unwrap_or("");
            if msg == "kafka partitions assigned" || msg == "kafka partitions revoked" {
                let parts = v["fields"]["partitions"].as_str().unwrap_or("");
                let set: HashSet<i32> = parts
                    .split(['[', ']', ',', ' '])
                    .filter_map(|s| s.parse().ok())
                    .collect();
                // eager rebalancing revokes everything, then assigns the new set
                last = Some(if msg == "kafka partitions assigned" {
                    set
                } else {
                    HashSet::new()
                });
            }
        }
        last
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Alerts in a JSONL file (a line cut by kill -9 is skipped).
pub fn read_alerts(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect()
}

/// Alert count per event id.
pub fn alerted_ids(alerts: &[Value]) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for a in alerts {
        if let Some(id) = a["event"]["id"].as_str() {
            *m.entry(id.to_string()).or_insert(0) += 1;
        }
    }
    m
}
