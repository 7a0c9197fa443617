#!/usr/bin/env bash
# archive-puts.sh BINARY D [N]: N RTSP publishers (default 5) for SECS (default 130)
# into versitygw with --archive-object-duration D; counts the objects written
# (PUTs) per stream and hour, and reports CPU and RSS (shared harness).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
export PATH=$HOME/go/bin:$PATH
bin=$1; d=$2; n=${3:-5}; secs=${SECS:-130}
work=/tmp/bench-work/put; mkdir -p $work
clip=$(clip720 /tmp/bench-work/put)
data=$work/data-$d; rm -rf "$data"
eval "$(bash scripts/versitygw.sh start)"
bucket=put$RANDOM
export AWS_ACCESS_KEY_ID=$SLUICE_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SLUICE_TEST_S3_SECRET_KEY AWS_REGION=us-east-1
/usr/bin/aws --endpoint-url "$SLUICE_TEST_S3_ENDPOINT" s3 mb "s3://$bucket" >/dev/null
http=$(free_port); rtsp=$(free_port)
"$bin" --data-dir "$data" --http-addr 127.0.0.1:$http --rtsp-addr 127.0.0.1:$rtsp --rtsp-udp=false --webrtc-addr 127.0.0.1:$(free_port) --log-level warn \
  --archive-object-duration $d --storage "s3://$bucket/a?endpoint=$SLUICE_TEST_S3_ENDPOINT&region=us-east-1&path-style=true" >$work/$d.log 2>&1 &
pid=$!
wait_ready "$http"
bash ../shared/bench/rtsp-ingest.sh --url-prefix "rtsp://127.0.0.1:$rtsp/" --server-pid "$pid" --streams $n --seconds $secs --warmup 2 --clip "$clip" --workdir "$work/run-$d" --label "put-$d" | grep -o "label=.*rss_mb_per_stream=[0-9.]*"
sleep 3
kill -TERM $pid; wait $pid || true
frags=$(/usr/bin/aws --endpoint-url "$SLUICE_TEST_S3_ENDPOINT" s3 ls --recursive "s3://$bucket/a/" | grep -c "/fragments/" || true)
inits=$(/usr/bin/aws --endpoint-url "$SLUICE_TEST_S3_ENDPOINT" s3 ls --recursive "s3://$bucket/a/" | grep -c "/init/" || true)
echo "object_duration=$d streams=$n seconds=$((secs+2)) fragment_objects=$frags init_objects=$inits per_stream_per_hour=$(( (frags) * 3600 / n / (secs+2) ))"
bash scripts/versitygw.sh stop >/dev/null
