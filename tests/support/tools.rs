//! Tools the tests shell out to (promtool, kubernetes-validate, hadolint, the test venv's Python
//! with PyYAML), found through the variables `scripts/services.sh env` prints. A missing tool
//! goes through [`super::unavailable`]: a skip saying how to install it, or a failure when the
//! test script started the services (`PHISCAN_TEST_SERVICES_RUNNING=1`) or in CI (`CI=true`).

use std::path::Path;
use std::process::{Command, Stdio};

use super::unavailable;

/// The executable named by `var`, or `None` after [`unavailable`].
pub fn tool(var: &str, install: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(p) if !p.is_empty() && Path::new(&p).exists() => Some(p),
        _ => {
            let why = format!(
                "{var} is not set or does not exist ({install}; then eval \"$(scripts/services.sh env)\")"
            );
            unavailable(&why);
            None
        }
    }
}

pub fn promtool() -> Option<String> {
    tool(
        "PHISCAN_TEST_PROMTOOL",
        "scripts/services.sh install alertmanager installs promtool",
    )
}

/// The test venv's Python, which has PyYAML (scripts/services.sh install deploytools).
pub fn python_with_yaml() -> Option<String> {
    let py = tool(
        "PHISCAN_TEST_PYTHON",
        "scripts/services.sh install python deploytools",
    )?;
    let ok = Command::new(&py)
        .args(["-c", "import yaml"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let why = format!("{py} has no PyYAML (scripts/services.sh install deploytools)");
        unavailable(&why);
        return None;
    }
    Some(py)
}

/// Run a command, feeding `stdin`; panic with its output unless it succeeds.
pub fn run_ok(cmd: &mut Command, stdin: &str) -> String {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut sin = child.stdin.take().unwrap();
        sin.write_all(stdin.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{text}",
        out.status
    );
    text
}
