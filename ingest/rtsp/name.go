package rtsp

import (
	"fmt"
	"strings"
)

// maxStreamName is the longest accepted stream name.
const maxStreamName = 256

// streamName turns an RTSP path into a stream name: the path without its
// leading '/', 1-256 characters of [a-zA-Z0-9_.-], not "." or "..".
func streamName(path string) (string, error) {
	name := strings.TrimPrefix(path, "/")
	if err := checkStreamName(name); err != nil {
		return "", err
	}
	return name, nil
}

// checkStreamName reports whether name is a valid stream name.
func checkStreamName(name string) error {
	if name == "" {
		return fmt.Errorf("empty stream name: publish to rtsp://host:port/<stream>")
	}
	if len(name) > maxStreamName {
		return fmt.Errorf("stream name is %d characters long, at most %d are allowed", len(name), maxStreamName)
	}
	if name == "." || name == ".." {
		return fmt.Errorf("invalid stream name %q", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' {
			continue
		}
		return fmt.Errorf("invalid stream name %q: only letters, digits, '_', '.' and '-' are allowed", truncate(name, 64))
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
