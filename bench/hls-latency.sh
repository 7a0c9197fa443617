#!/usr/bin/env bash
# hls-latency.sh: live LL-HLS latency of Sluice with the shared harness
# (../shared/bench/hls-latency.sh: a wall-clock stamp painted into every
# frame; the poller times when each part is listed; hls.js sessions in
# headless Chromium time when each frame is presented).
#
#   bench/hls-latency.sh [PART_DURATION ...]     default: 200ms
#   SECONDS_RUN=30 PLAYER_RUNS=3                  window and hls.js sessions
#
# For each part duration: a fresh sluice on loopback ports with
# --part-duration set (PART-HOLD-BACK is three parts), the harness
# publishing to rtsp://…/lat and reading /hls/lat/index.m3u8. Output goes
# to bench/results/hls-latency-<part>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
harness=${HARNESS:-../shared/bench}
work=${WORK:-/tmp/bench-work/sluice-hls-latency}
secs=${SECONDS_RUN:-30}
runs=${PLAYER_RUNS:-3}
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(200ms)
mkdir -p "$work" bench/results
go build -o "$work/sluice" ./cmd/sluice
export BENCH_BROWSER_MODULES=${BENCH_BROWSER_MODULES:-$PWD/web/browsertest/node_modules}

for part in "${parts[@]}"; do
	rm -rf "$work/data"
	http=$(free_port)
	rtsp=$(free_port)
	"$work/sluice" --data-dir "$work/data" --http-addr "127.0.0.1:$http" --rtsp-addr "127.0.0.1:$rtsp" \
		--rtsp-udp=false --webrtc-addr "" --part-duration "$part" --log-level warn >"$work/sluice.log" 2>&1 &
	pid=$!
	wait_ready "$http"
	out=bench/results/hls-latency-$part.txt
	{
		echo "# bench/hls-latency.sh, --part-duration $part, $(date -u '+%F %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
		bash "$harness/hls-latency.sh" --publish-url "rtsp://127.0.0.1:$rtsp/lat" \
			--hls-url "http://127.0.0.1:$http/hls/lat/index.m3u8" --seconds "$secs" \
			--player-runs "$runs" --workdir "$work/run-$part" 2>&1
	} | tee "$out"
	kill -TERM "$pid"
	wait "$pid" || true
done
