#!/bin/bash
# Reproduces the figures of docs/performance.md for the mandos server (not run
# by ctest: it measures, it asserts nothing). Loopback (::1) only.
#
#   tests/bench/server/run-benchmarks.sh [--build DIR] [--server PATH] [--out DIR]
#       [--duration S] [--idle-window S] [--clients N] [--no-python] [--only LIST]
#
# --build        a Release build tree with targets mandos, mandos-tls-worker,
#                mandos-fake-client and mandos-server-bench
#                (default /work/build-bench), e.g.
#                  cmake -S . -B /work/build-bench -DCMAKE_BUILD_TYPE=Release
#                  cmake --build /work/build-bench -j2 --target mandos \
#                    mandos-tls-worker mandos-fake-client mandos-server-bench
# --server       the mandos binary to measure (default DIR/server/mandos; its
#                mandos-tls-worker is taken from the same directory)
# --out          where configurations, logs and results.txt go (default: a
#                new directory under /tmp, kept)
# --duration     seconds per concurrency level (default 10)
# --idle-window  seconds of the idle CPU measurement (default 60)
# --clients      size of the large configuration (default 10000)
# --no-python    skip Debian's Python server (needs tests/interop/install-reference.sh)
# --only         comma-separated subset of: throughput,large,python
#
# Must run as root: the server drops privileges to _mandos (else nobody) like
# the reference, so the state directory is chowned to that user.
#
# What is measured (each line of results.txt says how):
#  throughput  our full server (main process + workers, --no-dbus
#              --no-zeroconf), one configured client with an 800-byte secret;
#              mandos-server-bench at 1, 32 and 128 concurrent clients: every
#              exchange is a new TCP connection, version line, TLS 1.3
#              handshake with an Ed25519 raw public key, secret, close_notify.
#  large       N clients in clients.conf (distinct key IDs, 800-byte secrets,
#              checker `true`, default interval 2 min, default timeout): time
#              from exec to the listening socket (ss, polled every 20 ms), to
#              the first unlock,
#              RSS of the main process and of each worker, CPU (utime+stime
#              of the main process and its workers, not of checker children)
#              over an idle window, throughput at 32 with N clients, and
#              SIGTERM-to-exit (state saved). Then the same start again with
#              the saved state restored.
#  python      Debian's mandos 1.8.16 with one client at 32 concurrent, same
#              load generator (a private D-Bus system bus, as it needs one).
set -euo pipefail

BUILD=/work/build-bench
SERVER=""
OUT=""
DURATION=10
IDLE_WINDOW=60
CLIENTS=10000
PYTHON=yes
ONLY="throughput,large,python"
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD=$2; shift 2 ;;
    --server) SERVER=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --idle-window) IDLE_WINDOW=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --no-python) PYTHON=no; shift ;;
    --only) ONLY=$2; shift 2 ;;
    *) echo "run-benchmarks: unknown argument $1" >&2; exit 2 ;;
  esac
done

SERVER=${SERVER:-$BUILD/server/mandos}
BENCH=$BUILD/tests/bench/server/mandos-server-bench
FAKE=$BUILD/tests/integration/server-worker/mandos-fake-client
for program in "$SERVER" "$(dirname "$SERVER")/mandos-tls-worker" "$BENCH" "$FAKE"; do
  [ -x "$program" ] || { echo "run-benchmarks: $program missing (build it first)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "run-benchmarks: run as root" >&2; exit 1; }
if [ -z "$OUT" ]; then OUT=$(mktemp -d /tmp/mandos-server-bench.XXXXXX); fi
mkdir -p "$OUT"
chmod 755 "$OUT"
RESULTS=$OUT/results.txt
SERVER_USER=$(id -u _mandos >/dev/null 2>&1 && echo _mandos || echo nobody)
PIDS_TO_STOP=()
cleanup() {
  for pid in "${PIDS_TO_STOP[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

say() { echo "$*" | tee -a "$RESULTS"; }
now_ns() { date +%s%N; }
ms_since() { echo $(( ($(now_ns) - $1) / 1000000 )); }
load() { cut -d' ' -f1-3 /proc/loadavg; }
free_port() {
  local port
  while :; do
    # Below the ephemeral range (32768-60999 by default), where the load
    # generator's closed connections linger; no socket of any state on it.
    port=$((10000 + RANDOM % 20000))
    ss -Htan "sport = :$port" | grep -q . || { echo "$port"; return; }
  done
}
# Polled every 20 ms: forking ss much more often takes CPU from the
# start-up being timed (on 2 CPUs, a 5 ms poll added about 100 ms).
listening() { ss -Hltn "sport = :$1" | grep -q .; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# utime+stime (clock ticks) of one process; fields after the ")".
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
workers_of() { pgrep -P "$1" -x mandos-tls-work || true; }
# CPU ticks of the given processes (main process and workers; checker
# children, sh and true, are not counted). A process gone meanwhile counts 0.
ticks_of() {
  local total=0 pid
  for pid in "$@"; do
    if [ -r "/proc/$pid/stat" ]; then total=$((total + $(cpu_ticks "$pid"))); fi
  done
  echo "$total"
}

# --- keys and configurations -------------------------------------------------
KEYS=$OUT/keys
mkdir -p "$KEYS"
if [ ! -s "$KEYS/tls-pubkey.pem" ]; then
  certtool --generate-privkey --key-type=ed25519 --outfile "$KEYS/tls-privkey.pem" 2>/dev/null
  certtool --load-privkey "$KEYS/tls-privkey.pem" --pubkey-info \
    --outfile "$KEYS/tls-pubkey.pem" 2>/dev/null
fi
KEY_ID=$(certtool --key-id --hash=sha256 --load-pubkey "$KEYS/tls-pubkey.pem" 2>/dev/null |
  grep -Eo '[0-9a-f]{64}' | head -1)

# clients.conf with $1 filler clients plus the benchmark's own key last
# (the worst place for a linear search), each with an 800-byte secret.
make_config() {
  local dir=$1 fillers=$2
  mkdir -p "$dir"
  /usr/bin/python3 - "$dir/clients.conf" "$fillers" "$KEY_ID" <<'EOF'
import base64, os, sys
path, fillers, key_id = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def section(name, kid):
    b64 = base64.b64encode(os.urandom(800)).decode()
    lines = "".join("\n    " + b64[i:i + 64] for i in range(0, len(b64), 64))
    return (f"[{name}]\nhost = {name}.example\nkey_id = {kid}\n"
            f"fingerprint = {os.urandom(20).hex().upper()}\nsecret ={lines}\n"
            "checker = true\n\n")
with open(path, "w") as out:
    for i in range(fillers):
        out.write(section(f"client{i}", os.urandom(32).hex()))
    out.write(section("bench", key_id))
EOF
}

new_statedir() {
  rm -rf "$1"
  mkdir -p "$1"
  chown "$SERVER_USER" "$1"
  chmod 700 "$1"
}

# start_server CONFDIR STATEDIR LOG: sets SPID, SPORT, STARTUP_MS.
start_server() {
  SPORT=$(free_port)
  local t0
  t0=$(now_ns)
  "$SERVER" --configdir "$1" --statedir "$2" --no-dbus --no-zeroconf --foreground \
    --address ::1 --port "$SPORT" 2>"$3" &
  SPID=$!
  PIDS_TO_STOP+=("$SPID")
  until listening "$SPORT"; do
    kill -0 "$SPID" 2>/dev/null || { cat "$3" >&2; exit 1; }
    sleep 0.02
  done
  STARTUP_MS=$(ms_since "$t0")
}

first_unlock_ms() {
  local t0
  t0=$(now_ns)
  until "$FAKE" --connect="::1:$SPORT" --tls-pubkey="$KEYS/tls-pubkey.pem" \
      --tls-privkey="$KEYS/tls-privkey.pem" --timeout=10 >/dev/null 2>&1; do
    sleep 0.01
  done
  ms_since "$t0"
}

# stop_server: SIGTERM to exit; sets STOP_MS.
stop_server() {
  local t0
  t0=$(now_ns)
  kill -TERM "$SPID"
  wait "$SPID" || true
  STOP_MS=$(ms_since "$t0")
}

bench() {
  "$BENCH" --connect="::1:$1" --tls-pubkey="$KEYS/tls-pubkey.pem" \
    --tls-privkey="$KEYS/tls-privkey.pem" --concurrency="$2" --duration="$DURATION" |
    grep concurrency | tee -a "$RESULTS"
}

say "== mandos server benchmarks $(date -u +%FT%TZ)"
say "host: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')), $(uname -r)"
say "build: $BUILD ($(grep -m1 CMAKE_BUILD_TYPE "$BUILD/CMakeCache.txt" | cut -d= -f2)), server $SERVER"
say "load average at start: $(load)"

# --- throughput with one client ----------------------------------------------
if [[ ,$ONLY, == *,throughput,* ]]; then
  make_config "$OUT/conf-1" 0
  new_statedir "$OUT/state-1"
  start_server "$OUT/conf-1" "$OUT/state-1" "$OUT/server-1.log"
  say "-- throughput, 1 configured client (load before: $(load))"
  bench "$SPORT" 1,32,128
  say "   load after: $(load)"
  stop_server
fi

# --- N clients ------------------------------------------------------------------
if [[ ,$ONLY, == *,large,* ]]; then
  make_config "$OUT/conf-large" "$CLIENTS"
  new_statedir "$OUT/state-large"
  say "-- $((CLIENTS + 1)) configured clients ($(du -h "$OUT/conf-large/clients.conf" | cut -f1) clients.conf), checker true, interval 2 min (load before: $(load))"
  start_server "$OUT/conf-large" "$OUT/state-large" "$OUT/server-large.log"
  say "start-up, exec to listening socket: ${STARTUP_MS} ms"
  say "first unlock after listening: $(first_unlock_ms) ms"
  sleep 10
  say "RSS after 10 s: main $(rss_kb "$SPID") kB; workers $(for w in $(workers_of "$SPID"); do printf '%s kB ' "$(rss_kb "$w")"; done)"
  say "state file: $(du -h "$OUT/state-large/clients.json" | cut -f1)"
  WORKERS=$(workers_of "$SPID" | tr '\n' ' ')
  before=$(ticks_of "$SPID" $WORKERS)
  main_before=$(cpu_ticks "$SPID")
  load_before=$(load)
  t0=$(now_ns)
  sleep "$IDLE_WINDOW"
  after=$(ticks_of "$SPID" $WORKERS)
  main_after=$(cpu_ticks "$SPID")
  elapsed_ms=$(ms_since "$t0")
  ticks=$((after - before))
  [ "$(workers_of "$SPID" | tr '\n' ' ')" = "$WORKERS" ] || say "(a worker was replaced during the window: figure incomplete)"
  say "idle CPU over ${elapsed_ms} ms (main + workers $WORKERS, utime+stime): $ticks ticks = $(echo "scale=2; $ticks * 10 * 100 / $elapsed_ms" | bc) % of one core, of which main process $((main_after - main_before)) ticks (load before: $load_before, after: $(load))"
  say "throughput with $((CLIENTS + 1)) clients:"
  bench "$SPORT" 32
  say "RSS after load: main $(rss_kb "$SPID") kB"
  stop_server
  say "shutdown, SIGTERM to exit (state saved): ${STOP_MS} ms"
  start_server "$OUT/conf-large" "$OUT/state-large" "$OUT/server-large-restore.log"
  say "start-up with the saved state restored: ${STARTUP_MS} ms"
  sleep 2
  stop_server
  say "shutdown again: ${STOP_MS} ms"
fi

# --- Debian's Python server -------------------------------------------------
if [[ ,$ONLY, == *,python,* ]] && [ "$PYTHON" = yes ] && [ -x /usr/sbin/mandos ]; then
  PY=$OUT/python
  mkdir -p "$PY/conf"
  new_statedir "$PY/state"
  cp "$OUT/conf-1/clients.conf" "$PY/conf/clients.conf" 2>/dev/null || {
    make_config "$OUT/conf-1" 0
    cp "$OUT/conf-1/clients.conf" "$PY/conf/clients.conf"
  }
  printf '[DEFAULT]\n' >"$PY/conf/mandos.conf"
  cat >"$PY/dbus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=$PY/bus</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/>
<allow receive_sender="*"/></policy></busconfig>
EOF
  dbus-daemon --nofork --nopidfile --config-file="$PY/dbus.conf" 2>"$PY/dbus.log" &
  DBUS_PID=$!
  PIDS_TO_STOP+=("$DBUS_PID")
  until [ -S "$PY/bus" ]; do sleep 0.05; done
  SPORT=$(free_port)
  DBUS_SYSTEM_BUS_ADDRESS=unix:path=$PY/bus TMPDIR=$PY /usr/sbin/mandos --configdir "$PY/conf" \
    --statedir "$PY/state" --no-dbus --no-zeroconf --foreground --address ::1 --port "$SPORT" \
    >"$PY/server.log" 2>&1 &
  SPID=$!
  PIDS_TO_STOP+=("$SPID")
  until listening "$SPORT"; do sleep 0.05; done
  say "-- Debian's Python mandos 1.8.16, 1 client (load before: $(load))"
  bench "$SPORT" 32
  say "   load after: $(load)"
  kill -TERM "$SPID"
  wait "$SPID" || true
  kill -TERM "$DBUS_PID"
  wait "$DBUS_PID" || true
fi
say "results in $RESULTS"
