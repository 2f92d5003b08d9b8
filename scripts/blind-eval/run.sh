#!/usr/bin/env bash
# The blind evaluation set (see NOTES.md and the README's "Accuracy"): generate, scan, score.
# Usage: scripts/blind-eval/run.sh [SEED] [EVENTS] [OUTDIR]   (Python 3.11, stdlib only)
# PHISCAN=path picks the binary (default: the newer of target/release/phiscan and target/debug/phiscan).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SEED=${1:-1}; N=${2:-3000}; D=${3:-${TMPDIR:-/tmp}/phiscan-blind-seed$SEED}
# the newer of the release and debug builds (a stale release binary would score old detectors)
BIN=${PHISCAN:-$(ls -t "$ROOT/target/release/phiscan" "$ROOT/target/debug/phiscan" 2>/dev/null | head -n 1)}
[ -n "$BIN" ] && [ -x "$BIN" ] || { echo "no phiscan binary: cargo build first, or set PHISCAN=path" >&2; exit 2; }
python3 "$HERE/gen.py" --seed "$SEED" --events "$N" --out "$D"
for f in events sms-events query-events; do
  "$BIN" scan -j 1 --config "$D/config.toml" "$D/$f.jsonl" > "$D/alerts-$f.jsonl" 2> "$D/scan-$f.stderr"
  echo "scan $f: exit $? ($(wc -l < "$D/alerts-$f.jsonl") alerts)"
done
for f in sms queries; do
  "$BIN" detect --config "$D/config.toml" "$D/$f.jsonl" > "$D/detect-$f.jsonl" 2> "$D/detect-$f.stderr"
  echo "detect $f: exit $?"
done
python3 "$HERE/score.py" "$D" "$D/alerts-events.jsonl" \
  --sms-alerts "$D/alerts-sms-events.jsonl" --query-alerts "$D/alerts-query-events.jsonl" \
  --sms-detect "$D/detect-sms.jsonl" --query-detect "$D/detect-queries.jsonl" > "$D/score.md"
echo "score written to $D/score.md"
