#!/usr/bin/env bash
# ingest.sh: RTSP ingest benchmark of Sluice with the shared harness
# (../shared/bench/rtsp-ingest.sh and compare-frames.sh).
#
#   bench/ingest.sh [N ...]          default N = 1 10 25 50 100
#   STORAGE=s3 bench/ingest.sh 10    archive to a versitygw started for the run
#   SECONDS_RUN=20 WARMUP=5          measurement window and warm-up
#
# For each N: a fresh sluice (loopback ports, fresh data dir), N ffmpeg
# publishers of a pre-encoded 720p30 4 Mb/s H.264 clip (-c copy, RTSP/TCP),
# CPU and RSS sampled by the harness, then SIGTERM to the publishers (RTSP
# TEARDOWN) and to sluice (it flushes and indexes the last fragments), the
# archive assembled per stream (init + fragments) and frames counted against
# frames sent. Results go to bench/results/ingest.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
harness=${HARNESS:-../shared/bench}
work=${WORK:-/tmp/bench-work/sluice-ingest}
secs=${SECONDS_RUN:-20}
warm=${WARMUP:-5}
storage=${STORAGE:-fs}
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1 10 25 50 100)
mkdir -p "$work" bench/results
out=bench/results/ingest.md

clip=$(clip720 "$work")
go build -o "$work/sluice" ./cmd/sluice

if [ ! -s "$out" ]; then
	{
		echo "# RTSP ingest benchmark (bench/ingest.sh)"
		echo
		echo "| date | storage | N | srv CPU mean % (of one core) | p95 % | CPU %/stream | RSS base MB | RSS peak MB | RSS MB/stream | pub failures / lagging | frames sent | archived | lost | machine busy % |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	} >"$out"
fi

for n in "${counts[@]}"; do
	data=$work/data-$n
	rm -rf "$data" "$work/rec-$n" "$work/run-$n"
	http=$(free_port)
	rtsp=$(free_port)
	args=(--data-dir "$data" --http-addr "127.0.0.1:$http" --rtsp-addr "127.0.0.1:$rtsp"
		--rtsp-udp=false --log-level warn)
	envs=()
	if [ "$storage" = s3 ]; then
		eval "$(bash scripts/versitygw.sh start)"
		bucket=bench$RANDOM
		AWS_ACCESS_KEY_ID=$SLUICE_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SLUICE_TEST_S3_SECRET_KEY \
			/usr/bin/aws --endpoint-url "$SLUICE_TEST_S3_ENDPOINT" --region us-east-1 s3 mb "s3://$bucket" >/dev/null
		args+=(--storage "s3://$bucket/a?endpoint=$SLUICE_TEST_S3_ENDPOINT&region=us-east-1&path-style=true")
		envs=(AWS_ACCESS_KEY_ID="$SLUICE_TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$SLUICE_TEST_S3_SECRET_KEY" AWS_REGION=us-east-1)
	fi
	env "${envs[@]}" "$work/sluice" "${args[@]}" >"$work/sluice-$n.log" 2>&1 &
	pid=$!
	wait_ready "$http"
	line=$(bash "$harness/rtsp-ingest.sh" --url-prefix "rtsp://127.0.0.1:$rtsp/" --server-pid "$pid" \
		--streams "$n" --seconds "$secs" --warmup "$warm" --clip "$clip" --workdir "$work/run-$n" --label "sluice-$storage")
	echo "$line"
	kill -TERM "$pid"
	wait "$pid" || true
	# Assemble each stream's archive: init + fragments in time order.
	src=$data/archive/video
	if [ "$storage" = s3 ]; then
		src=$work/s3-$n
		AWS_ACCESS_KEY_ID=$SLUICE_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SLUICE_TEST_S3_SECRET_KEY \
			/usr/bin/aws --endpoint-url "$SLUICE_TEST_S3_ENDPOINT" --region us-east-1 s3 sync "s3://$bucket/a/video" "$src" >/dev/null
		bash scripts/versitygw.sh stop
	fi
	for d in "$src"/s-*; do
		name=${d##*/s-}
		mkdir -p "$work/rec-$n/$name"
		cat "$d"/*/init/*.mp4 $(ls "$d"/*/fragments/*.m4s | sort) >"$work/rec-$n/$name/all.mp4"
	done
	total=$(bash "$harness/compare-frames.sh" --sent "$work/run-$n/frames-sent.csv" --rec-glob "$work/rec-$n/{stream}/*.mp4" | tail -1)
	echo "$total"
	get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $line"; }
	IFS=, read -r _ sent rec lost _ <<<"$total"
	cpu=$(get srv_cpu_mean_pct)
	echo "| $(date -u +%F) | $storage | $n | $cpu | $(get srv_cpu_p95_pct) | $(awk -v c="$cpu" -v n="$n" 'BEGIN{printf "%.2f", c/n}') | $(get srv_rss_base_mb) | $(get srv_rss_peak_mb) | $(get rss_mb_per_stream) | $(get pub_failures) / $(get pub_lagging) | $sent | $rec | $lost | $(get machine_busy_pct_allcores) |" >>"$out"
done
echo "results: $out"
