#!/usr/bin/env bash
# ingest-pair.sh BINARY LABEL [N]: one N-publisher RTSP ingest run (default 50)
# of a sluice binary with the shared harness, a 10 s CPU profile and a heap
# profile in the middle (/tmp/bench-work/mem/LABEL.{cpu,heap}); run two
# binaries alternately for a side-by-side comparison (BENCHMARKS.md). EXTRA adds
# flags to sluice; the environment (e.g. GOGC) is passed on.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bin=$1; label=$2; n=${3:-50}
work=/tmp/bench-work/mem; mkdir -p $work
clip=$(clip720 "$work")
data=$work/data-$label; rm -rf "$data"
http=$(free_port); rtsp=$(free_port)
"$bin" --data-dir "$data" --http-addr 127.0.0.1:$http --rtsp-addr 127.0.0.1:$rtsp --rtsp-udp=false --log-level warn --pprof ${EXTRA:-} >$work/$label.log 2>&1 &
pid=$!
wait_ready "$http"
( sleep 12; curl -s -o $work/$label.cpu "http://127.0.0.1:$http/debug/pprof/profile?seconds=10"; curl -s -o $work/$label.heap "http://127.0.0.1:$http/debug/pprof/heap" ) & cpid=$!
bash ../shared/bench/rtsp-ingest.sh --url-prefix "rtsp://127.0.0.1:$rtsp/" --server-pid "$pid" --streams $n --seconds 20 --warmup 5 --clip "$clip" --workdir "$work/run-$label" --label "$label"
wait $cpid
du -sb $data/spool 2>/dev/null || true
kill -TERM $pid; wait $pid || true
