#!/usr/bin/env bash
# hls-memory.sh: memory of serving live LL-HLS (issue 4's "< 4 MB per
# stream with 50 live streams each watched").
#
#   bench/hls-memory.sh [N]          default N = 50
#   SECONDS_RUN=30 WARMUP=8          measurement window and warm-up
#   LABEL=text                       names the build in the results (default: the commit)
#   PART=200ms                       --part-duration of the server
#
# Two runs on a fresh sluice each, side by side: N ffmpeg publishers of the
# 720p30 4 Mb/s clip of bench/ingest.sh (through ../shared/bench/rtsp-ingest.sh,
# which samples the server's RSS every second), first unwatched, then with
# one LL-HLS player per stream (bench/hlswatch: blocking playlist reloads,
# every part downloaded). Reported per stream: (peak RSS - RSS before
# publishing) / N for both runs, and the difference, which is what serving
# the viewers costs. Rows are appended to the table in
# bench/results/hls-memory.md; the serving-cost line is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
harness=${HARNESS:-../shared/bench}
work=${WORK:-/tmp/bench-work/sluice-hls-memory}
secs=${SECONDS_RUN:-30}
warm=${WARMUP:-8}
n=${1:-50}
label=${LABEL:-$(git rev-parse --short HEAD)}
part=${PART:-200ms}
mkdir -p "$work" bench/results
out=bench/results/hls-memory.md

clip=$(clip720 "$work")
go build -o "$work/sluice" ./cmd/sluice
go build -o "$work/hlswatch" ./bench/hlswatch

if [ ! -s "$out" ]; then
	{
		echo "# Live HLS memory benchmark (bench/hls-memory.sh)"
		echo
		echo "| date | build | N | viewers | RSS base MB | RSS peak MB | RSS MB/stream | srv CPU mean % | parts fetched | player errors | pub failures / lagging | machine busy % |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
	} >"$out"
fi

declare -A perstream
for viewers in 0 "$n"; do
	data=$work/data
	rm -rf "$data" "$work/run-$viewers"
	http=$(free_port)
	rtsp=$(free_port)
	"$work/sluice" --data-dir "$data" --http-addr "127.0.0.1:$http" --rtsp-addr "127.0.0.1:$rtsp" \
		--rtsp-udp=false --webrtc-addr "" --part-duration "$part" --log-level warn >"$work/sluice-$viewers.log" 2>&1 &
	pid=$!
	wait_ready "$http"
	watch_line="parts=0 errors=0"
	if [ "$viewers" -gt 0 ]; then
		# Players start with the publishers and stop after the window.
		"$work/hlswatch" --url-template "http://127.0.0.1:$http/hls/bench%d/index.m3u8" --streams "$n" \
			--duration "$((warm + secs + 2))s" >"$work/hlswatch.out" 2>&1 &
		wpid=$!
	fi
	line=$(bash "$harness/rtsp-ingest.sh" --url-prefix "rtsp://127.0.0.1:$rtsp/" --server-pid "$pid" \
		--streams "$n" --seconds "$secs" --warmup "$warm" --clip "$clip" --workdir "$work/run-$viewers" --label "sluice-hls-$viewers")
	echo "$line"
	if [ "$viewers" -gt 0 ]; then
		wait "$wpid" || true
		watch_line=$(tail -1 "$work/hlswatch.out")
		echo "$watch_line"
	fi
	kill -TERM "$pid"
	wait "$pid" || true
	get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }
	perstream[$viewers]=$(get rss_mb_per_stream "$line")
	echo "| $(date -u +%F) | $label | $n | $viewers | $(get srv_rss_base_mb "$line") | $(get srv_rss_peak_mb "$line") | $(get rss_mb_per_stream "$line") | $(get srv_cpu_mean_pct "$line") | $(get parts "$watch_line") | $(get errors "$watch_line") | $(get pub_failures "$line") / $(get pub_lagging "$line") | $(get machine_busy_pct_allcores "$line") |" >>"$out"
done
awk -v a="${perstream[0]}" -v b="${perstream[$n]}" -v n="$n" -v l="$label" 'BEGIN{printf "%s, %s streams: serving one LL-HLS viewer each costs %.2f MB per stream (%.2f MB/stream watched vs %.2f unwatched)\n", l, n, b-a, b, a}'
echo "results: $out"
