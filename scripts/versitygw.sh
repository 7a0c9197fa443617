#!/usr/bin/env bash
# versitygw.sh: install and run versitygw, the real, SigV4-checking S3 server
# that Sluice's S3 tests run against (posix backend, loopback only).
#
#   scripts/versitygw.sh install   install versitygw v1.8.0 with `go install`
#                                  unless that version is already there; prints
#                                  the binary's path
#   scripts/versitygw.sh start     install if needed, start it in the background
#                                  on 127.0.0.1:<free port> with a new temporary
#                                  posix root and random root credentials; prints
#                                  `export` lines for eval
#   scripts/versitygw.sh stop      stop the gateway that `start` exported
#                                  (VERSITYGW_PID) and remove its directory
#
# CI needs only `install`: the storage/s3 tests start and stop their own
# gateway. To test against a long-lived one instead:
#
#   eval "$(scripts/versitygw.sh start)"
#   go test ./storage/...          # reads SLUICE_TEST_S3_ENDPOINT/_ACCESS_KEY/_SECRET_KEY
#   scripts/versitygw.sh stop
set -euo pipefail

readonly module=github.com/versity/versitygw
readonly version=v1.8.0

bin_dir() {
	local d
	d="$(go env GOBIN)"
	if [ -z "$d" ]; then
		d="$(go env GOPATH)"
		d="${d%%:*}/bin"
	fi
	printf '%s\n' "$d"
}

# installed_bin prints the path of versitygw $version if present.
installed_bin() {
	local b
	for b in "$(bin_dir)/versitygw" "$(command -v versitygw || true)"; do
		if [ -n "$b" ] && [ -x "$b" ] &&
			go version -m "$b" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+$module[[:space:]]+$version([[:space:]]|$)"; then
			printf '%s\n' "$b"
			return 0
		fi
	done
	return 1
}

cmd_install() {
	if installed_bin; then
		return 0
	fi
	echo "installing $module/cmd/versitygw@$version" >&2
	(cd / && go install "$module/cmd/versitygw@$version") >&2
	installed_bin || { echo "versitygw.sh: install did not produce versitygw $version" >&2; exit 1; }
}

random_hex() {
	head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'
}

port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

cmd_start() {
	local bin dir log port pid access secret try i
	bin="$(cmd_install)"
	access="sluice$(random_hex 6)"
	secret="$(random_hex 20)"
	for try in 1 2 3 4 5; do
		port=$((20000 + $(od -An -tu2 -N2 /dev/urandom | tr -d ' ') % 40000))
		port_in_use "$port" && continue
		dir="$(mktemp -d "${TMPDIR:-/tmp}/sluice-versitygw-XXXXXX")"
		log="$dir.log"
		# setsid: the gateway must not die with this script's process group.
		setsid "$bin" --port "127.0.0.1:$port" --access "$access" --secret "$secret" \
			--region us-east-1 --quiet posix "$dir" </dev/null >"$log" 2>&1 &
		pid=$!
		for i in $(seq 100); do
			if ! kill -0 "$pid" 2>/dev/null; then
				break
			fi
			if port_in_use "$port"; then
				cat <<-OUT
					export SLUICE_TEST_S3_ENDPOINT=http://127.0.0.1:$port
					export SLUICE_TEST_S3_ACCESS_KEY=$access
					export SLUICE_TEST_S3_SECRET_KEY=$secret
					export VERSITYGW_PID=$pid
					export VERSITYGW_DIR=$dir
				OUT
				echo "versitygw $version: pid $pid, http://127.0.0.1:$port, root $dir, log $log" >&2
				return 0
			fi
			sleep 0.1
		done
		echo "versitygw.sh: gateway on port $port did not come up (try $try); log:" >&2
		cat "$log" >&2 || true
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		rm -rf "$dir" "$log"
	done
	echo "versitygw.sh: could not start versitygw" >&2
	exit 1
}

cmd_stop() {
	local pid="${VERSITYGW_PID:?set VERSITYGW_PID, as exported by start}" dir="${VERSITYGW_DIR:-}" i
	if kill "$pid" 2>/dev/null; then
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill -9 "$pid"
		fi
	fi
	case "$dir" in
	"${TMPDIR:-/tmp}"/sluice-versitygw-*) rm -rf "$dir" "$dir.log" ;;
	esac
}

case "${1:-}" in
install) cmd_install ;;
start) cmd_start ;;
stop) cmd_stop ;;
*)
	echo "usage: $0 install|start|stop" >&2
	exit 2
	;;
esac
