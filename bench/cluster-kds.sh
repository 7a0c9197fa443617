#!/usr/bin/env bash
# cluster-kds.sh: Kinesis Data Streams on one node (embedded JetStream)
# against three nodes on a three-server NATS cluster with R3, measured with
# the same kdsbench flags in one run, one after the other, on this machine.
# In the cluster run kdsbench puts through node 1 and reads (GetRecords and
# SubscribeToShard) through node 3. Appends the figures, with a
# description of the machine, to bench/results/cluster-kds.md.
#
#   bench/cluster-kds.sh          # needs go; nats-server on PATH (scripts/test.sh installs it)
#
# Environment: DURATION put phase [10s]; RESULTS results file.
# Every process listens on 127.0.0.1 only and is stopped at the end.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
results=${RESULTS:-$here/results/cluster-kds.md}
duration=${DURATION:-10s}
common=(--shards 4 --producers 4 --duration "$duration" --batch 500 --record-size 100
        --latency-samples 2000 --latency-rate 200 --stream kdsbench --timeout 10m)
command -v nats-server >/dev/null || { echo "nats-server is not on PATH (scripts/test.sh installs it in $(go env GOPATH)/bin)" >&2; exit 1; }

work=$(mktemp -d /tmp/sluice-cluster-bench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
(cd "$root" && go build -o "$work/sluice" ./cmd/sluice && go build -o "$work/kdsbench" ./bench/kdsbench)

cpu_of() { awk '{print ($14+$15)/100}' "/proc/$1/stat"; } # seconds of CPU (USER_HZ 100)
{
	echo
	echo "## $(date -u +%Y-%m-%dT%H:%MZ): $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3), nats-server $(nats-server --version | awk '{print $NF}')"
	echo
	echo '```'
} >>"$results"

# One node, embedded JetStream.
port=$(free_port)
"$work/sluice" serve --data-dir "$work/single" --http-addr "127.0.0.1:$port" --rtsp-addr "127.0.0.1:$(free_port)" \
	--rtsp-udp-rtp-addr 127.0.0.1:0 --rtsp-udp-rtcp-addr "" --webrtc-addr "" --throughput-limits=false >"$work/single.log" 2>&1 &
single=$!
pids+=("$single")
wait_ready "$port"
echo "== 1 node, embedded JetStream" | tee -a "$results"
"$work/kdsbench" --endpoint "http://127.0.0.1:$port" --label single "${common[@]}" 2>/dev/null | tee -a "$results"
echo "sluice CPU $(cpu_of "$single") s" | tee -a "$results"
kill "$single"; wait "$single" 2>/dev/null || true

# Three nats-servers in one cluster, three sluice nodes with R3.
routes=() clients=()
for i in 0 1 2; do clients+=("$(free_port)"); routes+=("nats://127.0.0.1:$(free_port)"); done
natsurl=""
for i in 0 1 2; do
	nats-server -a 127.0.0.1 -p "${clients[$i]}" -js -sd "$work/nats$i" -n "nats-$i" --cluster_name bench \
		--cluster "${routes[$i]}" --routes "$(IFS=,; echo "${routes[*]}")" >"$work/nats$i.log" 2>&1 &
	pids+=("$!")
	natsurl+="${natsurl:+,}nats://127.0.0.1:${clients[$i]}"
done
ports=() nodes=()
for i in 1 2 3; do
	p=$(free_port)
	ports+=("$p")
	"$work/sluice" serve --data-dir "$work/node$i" --http-addr "127.0.0.1:$p" --rtsp-addr "127.0.0.1:$(free_port)" \
		--rtsp-udp-rtp-addr 127.0.0.1:0 --rtsp-udp-rtcp-addr "" --webrtc-addr "" --throughput-limits=false \
		--nats-url "$natsurl" --replicas 3 --node-name "node$i" >"$work/node$i.log" 2>&1 &
	nodes+=("$!")
	pids+=("$!")
done
for p in "${ports[@]}"; do wait_ready "$p"; done
echo "== 3 nodes on a 3-server NATS cluster, R3 (put through node 1, read through node 3)" | tee -a "$results"
"$work/kdsbench" --endpoint "http://127.0.0.1:${ports[0]}" --read-endpoint "http://127.0.0.1:${ports[2]}" --label cluster-r3 "${common[@]}" 2>/dev/null | tee -a "$results"
cpus=""
for i in 0 1 2; do cpus+="node$((i + 1)) $(cpu_of "${nodes[$i]}") s; "; done
natscpu=0
for p in "${pids[@]:1:3}"; do natscpu=$(awk -v a="$natscpu" -v b="$(cpu_of "$p")" 'BEGIN{print a+b}'); done
echo "CPU: ${cpus}nats-servers together ${natscpu} s" | tee -a "$results"
echo '```' >>"$results"
