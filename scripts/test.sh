#!/usr/bin/env bash
# test.sh: install everything the tests need, then run every test CI runs.
#
#   scripts/test.sh            install what is missing, vet, run all tests
#   scripts/test.sh --no-install   skip the installs (tools already present)
#   SLUICE_LONG=1 scripts/test.sh  also run the long soak and fuzz runs
#
# Installs (idempotent; needs root for apt-get): Debian packages (ffmpeg,
# AWS CLI v2, GStreamer RTSP server for the fake camera), Go tools at pinned
# versions (versitygw for S3, nats-server for the external-NATS run).
# Starts the servers the tests need itself, on free loopback ports, and
# stops them on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

install=1
[ "${1:-}" = "--no-install" ] && install=0

readonly apt_packages=(
	ffmpeg                             # ffmpeg/ffprobe: publishers and media checks
	chromium                           # headless browser tests (playwright-core drives /usr/bin/chromium)
	mkvtoolnix                         # mkvinfo: checks the Matroska of GetMedia
	awscli                             # AWS CLI v2 at /usr/bin/aws
	python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-tools
	gstreamer1.0-plugins-base gstreamer1.0-plugins-good
	gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
)
readonly nats_server_version=v2.15.2

gobin() {
	local d
	d="$(go env GOBIN)"
	[ -n "$d" ] || d="$(go env GOPATH | cut -d: -f1)/bin"
	printf '%s\n' "$d"
}

if [ "$install" = 1 ]; then
	missing=()
	for p in "${apt_packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	command -v node >/dev/null || missing+=(nodejs npm) # the machine's Node.js when it has one
	if [ "${#missing[@]}" -gt 0 ]; then
		echo "== apt-get install ${missing[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
	echo "== npm (test tooling: playwright-core, hls.js, @aws-sdk/client-kinesis, esbuild, dynalite; pinned by package-lock.json)"
	(cd web/browsertest && npm ci --no-audit --no-fund --loglevel=error)
	echo "== go tools"
	bash scripts/versitygw.sh install >/dev/null
	if ! go version -m "$(gobin)/nats-server" 2>/dev/null | grep -q "nats-server/v2[[:space:]]*$nats_server_version"; then
		go install "github.com/nats-io/nats-server/v2@$nats_server_version"
	fi
fi
export PATH="$(gobin):$PATH"
for tool in ffmpeg ffprobe /usr/bin/aws versitygw nats-server /usr/bin/python3 /usr/bin/chromium node npm mkvinfo gst-launch-1.0; do
	command -v "$tool" >/dev/null || { echo "test.sh: $tool is missing (run without --no-install to install it)" >&2; exit 1; }
done
/usr/bin/python3 -c 'import gi; gi.require_version("GstRtspServer", "1.0"); from gi.repository import GstRtspServer' 2>/dev/null ||
	{ echo "test.sh: the GStreamer RTSP server for python3 is missing (python3-gi, gir1.2-gst-rtsp-server-1.0)" >&2; exit 1; }
[ -d web/browsertest/node_modules/playwright-core ] && [ -d web/browsertest/node_modules/hls.js ] && [ -d web/browsertest/node_modules/dynalite ] && [ -d web/browsertest/node_modules/esbuild ] && [ -d web/browsertest/node_modules/@aws-sdk/client-kinesis ] ||
	{ echo "test.sh: web/browsertest/node_modules is missing (run without --no-install: npm ci)" >&2; exit 1; }
export CI="${CI:-}" # tests fail, not skip, on a missing tool when CI is set

echo "== go vet"
go vet ./...

echo "== go test (embedded JetStream; the binary's end-to-end tests of security and media run beside the unit tests)"
go test -count=1 -timeout 20m $(go list ./... | grep -v '/cmd/sluice/e2e/browser$')

echo "== go test (end-to-end tests in headless Chromium, alone: the browser needs both cores for its timings)"
go test -count=1 -timeout 20m ./cmd/sluice/e2e/browser

echo "== go test -race (the in-process packages; the binary's end-to-end tests run without it: SLUICE_E2E_RACE=1 for those)"
go test -race -count=1 -timeout 20m ./fragments/... ./playback/... ./storage/... ./ingest/... ./web/... ./leases/... ./edge/... ./streams/... ./video/... ./spool/...

echo "== go test (stream core on an external nats-server $nats_server_version)"
natsdir="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
nats-server -a 127.0.0.1 -p "$port" -js -sd "$natsdir" >"$natsdir/log" 2>&1 &
natspid=$!
trap 'kill $natspid 2>/dev/null || true; wait $natspid 2>/dev/null || true; rm -rf "$natsdir"' EXIT
up=0
for _ in $(seq 100); do
	if (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then up=1; break; fi
	sleep 0.1
done
[ "$up" = 1 ] || { echo "test.sh: nats-server did not start:" >&2; cat "$natsdir/log" >&2; exit 1; }
SLUICE_TEST_NATS_URL="nats://127.0.0.1:$port" go test -count=1 -p 1 -timeout 10m ./streams/... ./web/kds/... ./leases/...

if [ "${SLUICE_LONG:-0}" = 1 ]; then
	echo "== long runs: fuzzing"
	go test -run '^$' -fuzz FuzzValidKey -fuzztime 60s ./storage/
	for f in FuzzParseAuthorization FuzzValidStreamName FuzzBearer; do
		go test -run '^$' -fuzz "^$f\$" -fuzztime 60s ./web/auth/
	done
	go test -run '^$' -fuzz '^FuzzAuthorization$' -fuzztime 60s ./web/
fi
echo "== all tests passed"
