#!/usr/bin/env bash
# ingest-bucket-down.sh BINARY LABEL [N]: N RTSP publishers into a sluice
# archiving to versitygw, which is stopped before the publishers start
# (DOWN=0: left up); prints the harness line and the spool bytes after the
# window (SECS, default 20). Per-second RSS is in the run's samples.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
export PATH=$HOME/go/bin:$PATH
bin=$1; label=$2; n=${3:-50}
work=/tmp/bench-work/mem; mkdir -p $work
clip=$(clip720 "$work")
data=$work/data-$label; rm -rf "$data"
eval "$(bash scripts/versitygw.sh start)"
bucket=bench$RANDOM
AWS_ACCESS_KEY_ID=$SLUICE_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SLUICE_TEST_S3_SECRET_KEY /usr/bin/aws --endpoint-url "$SLUICE_TEST_S3_ENDPOINT" --region us-east-1 s3 mb "s3://$bucket" >/dev/null
http=$(free_port); rtsp=$(free_port)
AWS_ACCESS_KEY_ID=$SLUICE_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SLUICE_TEST_S3_SECRET_KEY AWS_REGION=us-east-1 \
"$bin" --data-dir "$data" --http-addr 127.0.0.1:$http --rtsp-addr 127.0.0.1:$rtsp --rtsp-udp=false --log-level warn \
  --storage "s3://$bucket/a?endpoint=$SLUICE_TEST_S3_ENDPOINT&region=us-east-1&path-style=true" >$work/$label.log 2>&1 &
pid=$!
wait_ready "$http"
[ "${DOWN:-1}" = 1 ] && bash scripts/versitygw.sh stop >/dev/null
bash ../shared/bench/rtsp-ingest.sh --url-prefix "rtsp://127.0.0.1:$rtsp/" --server-pid "$pid" --streams $n --seconds ${SECS:-20} --warmup 5 --clip "$clip" --workdir "$work/run-$label" --label "$label"
echo "spool_bytes=$(du -sb $data/spool | cut -f1) per_stream=$(( $(du -sb $data/spool | cut -f1) / n ))"
kill -TERM $pid; wait $pid || true
[ "${DOWN:-1}" = 1 ] || bash scripts/versitygw.sh stop >/dev/null
