package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/sluice-dev/sluice/web/auth"
)

// tokenCommand runs `sluice token [ID:SECRET]`: it prints the access key's
// derived bearer token (for WHIP, WHEP, /hls/ URLs and /api/v1/), reading
// ID:SECRET from stdin when not given (so the secret stays out of shell
// history). It needs no server: the token is an HMAC of the secret.
func tokenCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var pair string
	switch len(args) {
	case 0:
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			fmt.Fprintln(stderr, "sluice token: give ID:SECRET as the argument or on stdin")
			return 2
		}
		pair = strings.TrimSpace(line)
	case 1:
		pair = args[0]
	default:
		fmt.Fprintln(stderr, "usage: sluice token [ID:SECRET]   (prints the key's bearer token; reads stdin without an argument)")
		return 2
	}
	id, secret, ok := strings.Cut(pair, ":")
	if !ok || id == "" || secret == "" {
		fmt.Fprintln(stderr, "sluice token: the access key must be ID:SECRET")
		return 2
	}
	fmt.Fprintln(stdout, auth.DeriveToken(id, secret))
	return 0
}
