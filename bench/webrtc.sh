#!/usr/bin/env bash
# webrtc.sh: WHEP benchmarks of Sluice, on loopback (issue 5).
#
#   bench/webrtc.sh                 latency sessions, then CPU with 1 10 50 viewers
#   SLUICE=/path/to/sluice          a built binary (default: go build ./cmd/sluice)
#   SESSIONS=5 LAT_SECONDS=10       latency: fresh viewer sessions and their window
#   SECONDS_RUN=20 VIEWERS="1 10 50"  CPU: measurement window and viewer counts
#
# One sluice (fresh data dir, loopback ports, --webrtc-addr on a free UDP
# port) and one publisher: ffmpeg paints the wall clock into a 1280x720
# 30 fps test pattern (the stamp of ../shared/bench/hls-latency.sh: 32
# bits of ms, 20x16 px blocks) and pushes it over RTSP (libx264
# ultrafast/zerolatency, no B-frames, a keyframe a second, 1.5 Mb/s).
#   1. glass-to-glass: bench/whep-latency.mjs opens Sluice's /watch page in
#      headless Chromium SESSIONS times: time from the WHEP POST to the
#      first decoded picture, and for every presented frame its display
#      time minus its stamp (p50/p95).
#   2. CPU: bench/whepload watches with N pion viewers; the server's CPU
#      (utime+stime, % of one core) over the window, the viewers' apart.
# Results are appended to bench/results/webrtc.md, raw output kept in the
# work directory.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${WORK:-/tmp/bench-work/sluice-webrtc}
modules=${BENCH_BROWSER_MODULES:-$PWD/web/browsertest/node_modules}
sessions=${SESSIONS:-5}
latsecs=${LAT_SECONDS:-10}
secs=${SECONDS_RUN:-20}
read -r -a counts <<<"${VIEWERS:-1 10 50}"
mkdir -p "$work" bench/results
out=bench/results/webrtc.md

binary=${SLUICE:-}
if [ -z "$binary" ]; then
	binary=$work/sluice
	go build -o "$binary" ./cmd/sluice
fi
go build -o "$work/whepload" ./bench/whepload

free_port() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1]=="udp" else socket.SOCK_STREAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"; }
http=$(free_port tcp)
rtsp=$(free_port tcp)
udp=$(free_port udp)
data=$work/data
rm -rf "$data"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

"$binary" serve --data-dir "$data" --http-addr "127.0.0.1:$http" --rtsp-addr "127.0.0.1:$rtsp" --rtsp-udp=false \
	--webrtc-addr "127.0.0.1:$udp" --log-level warn >"$work/sluice.log" 2>&1 &
srv=$!
pids+=("$srv")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$http/readyz" >/dev/null && break; sleep 0.1; done

fps=30
stamp="settb=1/1000000,setpts=RTCTIME,split[a][b];[b]crop=iw:16:0:0,geq=lum='255*mod(floor(floor(T*1000)/pow(2\,floor(X/20)))\,2)*lt(X\,640)':cb=128:cr=128[s];[a][s]overlay=0:0,setpts=N/($fps*TB)"
ffmpeg -hide_banner -nostdin -loglevel warning -re -f lavfi -i "testsrc2=size=1280x720:rate=$fps" \
	-vf "$stamp" -r "$fps" -c:v libx264 -preset ultrafast -tune zerolatency -bf 0 -g "$fps" \
	-b:v 1500k -maxrate 1500k -bufsize 1500k -pix_fmt yuv420p \
	-rtsp_transport tcp -f rtsp "rtsp://127.0.0.1:$rtsp/lat" >"$work/publisher.log" 2>&1 &
pids+=("$!")
sleep 5

echo "== glass-to-glass latency ($sessions WHEP sessions in Chromium)"
lat=$(node bench/whep-latency.mjs --modules "$modules" --url "http://127.0.0.1:$http/watch/lat" \
	--sessions "$sessions" --seconds "$latsecs" --warmup 3 --out "$work/latency.json")
echo "$lat"

rm -f "$work/cpu.jsonl"
for n in "${counts[@]}"; do
	echo "== CPU with $n WHEP viewers"
	"$work/whepload" --url "http://127.0.0.1:$http" --stream lat --viewers "$n" --seconds "$secs" --warmup 5 \
		--server-pid "$srv" | tee -a "$work/cpu.jsonl"
	sleep 2
done

load=$(cut -d' ' -f1-3 /proc/loadavg)
model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
if [ ! -s "$out" ]; then
	echo "# WHEP benchmarks (bench/webrtc.sh)" >"$out"
fi
{
	echo
	echo "## $(date -u '+%Y-%m-%d %H:%M UTC'): $(nproc) cores ($model), load average after the run $load"
	echo
	echo "Glass-to-glass (1280x720 30 fps stamp, RTSP in, WHEP to Chromium): \`$lat\`"
	echo
	echo "| viewers | server CPU % of one core | viewers' CPU % | fps min / median | Mb/s each | first packet p50 / max ms |"
	echo "|---|---|---|---|---|---|"
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    print("| {viewers} | {server_cpu_pct} | {viewers_cpu_pct} | {fps_min} / {fps_median} | {received_mbit_s_each} | {first_packet_ms_p50} / {first_packet_ms_max} |".format(**d))
' "$work/cpu.jsonl"
} | tee -a "$out"
echo "raw: $work"
