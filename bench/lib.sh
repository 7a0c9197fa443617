# lib.sh: helpers the Sluice bench scripts share; source it from the
# repository root.

# free_port prints a TCP port free on loopback now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_ready waits (up to 10 s) until the sluice on HTTP port $1 answers
# /readyz.
wait_ready() {
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0; sleep 0.1; done
	echo "sluice on port $1 did not become ready" >&2
	return 1
}

# clip720 prints the path of the benchmarks' camera clip in directory $1,
# making it first if needed: 10 s of 1280x720 at 30 fps, H.264 at 4 Mb/s,
# a keyframe every 2 s.
clip720() {
	local clip=$1/clip720.mp4
	if [ ! -s "$clip" ]; then
		ffmpeg -v error -f lavfi -i testsrc2=size=1280x720:rate=30 -t 10 -c:v libx264 -preset veryfast \
			-b:v 4M -maxrate 4M -bufsize 8M -g 60 -keyint_min 60 -sc_threshold 0 -pix_fmt yuv420p -movflags +faststart "$clip"
	fi
	printf '%s\n' "$clip"
}
