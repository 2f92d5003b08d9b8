#!/usr/bin/env bash
# The one command that sets up everything the tests need and runs them all.
# Usage: scripts/test.sh            (from anywhere; CI calls it through .ci/run)
# A fresh machine needs only the Rust toolchain, Python 3 + pip and apt: scripts/services.sh
# installs (once) and starts the real services the integration tests talk to (the tansu Kafka
# broker, Alertmanager, a Python venv with Twilio's RequestValidator), and this script stops
# exactly those processes when it exits. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

if [ ! -d ../shared/corpora ]; then
  echo "note: ../shared/corpora is missing: the corpus evaluation will print that it skipped" >&2
fi

step "services (install once, then start)"
scripts/services.sh install
trap 'scripts/services.sh stop >/dev/null 2>&1 || true' EXIT
scripts/services.sh start
eval "$(scripts/services.sh env)"
# The services are up: an integration test that cannot reach one must fail, not skip.
export PHISCAN_TEST_SERVICES_RUNNING=1

step "build"
cargo build --locked --all-targets

step "detector examples (phiscan rules check)"
cargo run --locked --quiet -- rules check

step "tests"
# --nocapture: the corpus evaluation prints its recall/precision tables
cargo test --locked -- --nocapture

step "scan the shipped examples"
mkdir -p target  # CARGO_TARGET_DIR may point elsewhere
cargo run --locked --quiet -- scan --quiet examples/ > target/example-alerts.jsonl
echo "$(wc -l < target/example-alerts.jsonl) alerts from examples/"

echo
echo "all tests passed"
