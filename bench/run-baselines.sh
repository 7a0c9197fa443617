#!/usr/bin/env bash
# run-baselines.sh: measures the reference Kinesis emulators (kinesalite,
# in memory and on LevelDB; kinesis-mock from the npm package kinesis-local)
# with kdsbench, identical flags for each, plus the raw embedded JetStream
# publish rate (jsraw), and appends everything to bench/results/baselines.md
# under a description of this machine.
#
#   bench/run-baselines.sh            # from anywhere; needs go, node, npm
#
# Environment (defaults in brackets):
#   KDSBENCH_FLAGS  extra kdsbench flags, appended to the common ones
#   DURATION        put-phase length [10s]
#   RESULTS         results file [bench/results/baselines.md]
#   SKIP_JSRAW=1    skip the JetStream measurement
#
# Every server is started on a free 127.0.0.1 port, measured, and stopped
# (by its PID) before the next one starts. Only loopback is ever targeted.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
results=${RESULTS:-$here/results/baselines.md}
duration=${DURATION:-10s}
common=(--shards 4 --producers 4 --duration "$duration" --batch 500 --record-size 100
        --latency-samples 2000 --latency-rate 200 --poll-sleep 1ms --stream kdsbench --timeout 10m)
# shellcheck disable=SC2206
extra=(${KDSBENCH_FLAGS:-})

work=$(mktemp -d /tmp/sluice-baselines.XXXXXX)
server_pid=""
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- prerequisites -----------------------------------------------------------
cd "$here"
if [[ ! -x node_modules/.bin/kinesalite || ! -f node_modules/kinesis-local/main.js ]]; then
  echo "installing the pinned emulators (npm ci)..." >&2
  npm ci --no-audit --no-fund >&2
fi
echo "building kdsbench and jsraw..." >&2
(cd "$root" && go build -o "$work/kdsbench" ./bench/kdsbench && go build -o "$work/jsraw" ./bench/jsraw && go build -o "$work/sluice" ./cmd/sluice)

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

wait_port() { # port seconds
  local end=$((SECONDS + $2))
  while ((SECONDS < end)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    kill -0 "$server_pid" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

cpu_ticks() { # utime+stime of a pid, in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}

# --- machine description -----------------------------------------------------
mkdir -p "$(dirname "$results")"
if [[ ! -s $results ]]; then
  printf '# Baselines: reference Kinesis emulators and raw embedded JetStream\n\nAppended by bench/run-baselines.sh, newest last. Compare only figures taken in the same session on the same machine.\n' > "$results"
fi
{
  echo
  echo "## Baselines, $(date -u '+%Y-%m-%d %H:%M:%SZ')"
  echo
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r)"
  echo "- memory: $(free -h | awk '/^Mem:/ {print $2 " total, " $7 " available"}')"
  echo "- $(go version | cut -d' ' -f3-), node $(node --version), kinesalite $(node -p 'require("./node_modules/kinesalite/package.json").version'), kinesis-local $(node -p 'require("./node_modules/kinesis-local/package.json").version')"
  echo "- kdsbench flags: ${common[*]} ${extra[*]:-}"
  echo "- put: acknowledged records (payload MB, 10^6 B) over the phase's wall clock; get: all shards from TRIM_HORIZON, Limit 10000, one reader per shard; delivery: single records at 200/s stamped with the send time, latency = receive - send"
  echo "- client and server share the 2 cores: kdsbench's own CPU is in the figures; the machine is shared (other builds may run: see each run's load average)"
} >> "$results"

logs=()
# run_one NAME "EXTRA KDSBENCH FLAGS" COMMAND... : starts the server (COMMAND,
# with PORT in its environment), runs kdsbench against it, stops it.
run_one() {
  local name=$1 own=$2; shift 2
  local -a own_flags; read -r -a own_flags <<< "$own"
  local port; port=$(free_port)
  echo "== $name on 127.0.0.1:$port" >&2
  PORT=$port "$@" > "$work/$name.server.log" 2>&1 &
  server_pid=$!
  if ! wait_port "$port" 60; then
    echo "$name did not start; its log:" >&2; cat "$work/$name.server.log" >&2
    echo "| - | $name | did not start (see run log) |" >> "$results"
    server_pid=""; return 0
  fi
  local load0; load0=$(cut -d' ' -f1-3 /proc/loadavg)
  local t0; t0=$(cpu_ticks "$server_pid")
  local rc=0
  "$work/kdsbench" --endpoint "http://127.0.0.1:$port" --label "$name" --out "$results" \
    "${common[@]}" "${extra[@]}" "${own_flags[@]}" > "$work/$name.out" 2> "$work/$name.err" || rc=$?
  local t1; t1=$(cpu_ticks "$server_pid")
  local hwm; hwm=$(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' "/proc/$server_pid/status" 2>/dev/null || echo "?")
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  {
    cat "$work/$name.out"
    echo "load average before/after: $load0 / $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "server CPU over the whole run: $(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.1f s", t/hz}'), peak RSS $hwm; kdsbench exit code $rc"
    if [[ $rc -ne 0 ]]; then sed 's/^/stderr: /' "$work/$name.err"; fi
  } > "$work/$name.report"
  cat "$work/$name.report"
  logs+=("$work/$name.report")
}

sluice_run() { # durability data-dir
  exec "$work/sluice" serve --data-dir "$2" --durability "$1" --http-addr "127.0.0.1:$PORT" \
    --rtsp-addr 127.0.0.1:0 --rtsp-udp=false --throughput-limits=false --log-level warn
}
export -f sluice_run
export work
run_one sluice "" bash -c 'sluice_run process "$0"' "$work/sluice-data"
run_one sluice-fsync "--phases put" bash -c 'sluice_run fsync "$0"' "$work/sluice-fsync-data"
kinesalite_flags=(--createStreamMs 0 --deleteStreamMs 0 --updateStreamMs 0 --shardLimit 1000)
run_one kinesalite-memory "" sh -c 'exec node node_modules/kinesalite/cli.js --port "$PORT" "$@"' _ "${kinesalite_flags[@]}"
mkdir -p "$work/leveldb"
run_one kinesalite-leveldb "" sh -c 'exec node node_modules/kinesalite/cli.js --port "$PORT" --path "$0" "$@"' "$work/leveldb" "${kinesalite_flags[@]}"
# kinesis-mock (ScalaJS build, runs on node): plain HTTP on KINESIS_MOCK_PLAIN_PORT,
# in memory (SHOULD_PERSIST_DATA defaults to false); its TLS port is another free port.
kinesis_mock() {
  exec env KINESIS_MOCK_CERT_PATH="$here/node_modules/kinesis-local/server.json" \
    KINESIS_MOCK_TLS_PORT="$(free_port)" KINESIS_MOCK_PLAIN_PORT="$PORT" \
    CREATE_STREAM_DURATION=0ms DELETE_STREAM_DURATION=0ms UPDATE_SHARD_COUNT_DURATION=0ms \
    REGISTER_STREAM_CONSUMER_DURATION=0ms DEREGISTER_STREAM_CONSUMER_DURATION=0ms \
    SHARD_LIMIT=1000 LOG_LEVEL=WARN \
    node node_modules/kinesis-local/main.js
}
export -f kinesis_mock free_port
export here
run_one kinesis-mock "" bash -c kinesis_mock
# kinesis-mock's SubscribeToShard sends no initial-response event, which the
# SDK client requires, so the run above falls back to polling. Measure its
# enhanced fan-out too, with kdsbench's raw event-stream reader.
run_one kinesis-mock-efo-raw "--phases delivery --delivery efo --efo-client raw" bash -c kinesis_mock

if [[ ${SKIP_JSRAW:-} != 1 ]]; then
  echo "== jsraw" >&2
  load0=$(cut -d' ' -f1-3 /proc/loadavg)
  "$work/jsraw" --duration 5s --streams 4 --size 100 --window 256 --sync both --dir "$work" > "$work/jsraw.report"
  echo "load average before/after: $load0 / $(cut -d' ' -f1-3 /proc/loadavg)" >> "$work/jsraw.report"
  cat "$work/jsraw.report"
  logs+=("$work/jsraw.report")
fi

{
  echo
  echo '```text'
  for f in "${logs[@]}"; do cat "$f"; echo; done
  echo '```'
} >> "$results"
echo "appended to $results" >&2
