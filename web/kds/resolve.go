package kds

import (
	"strings"
)

// streamName returns the stream a request names by StreamName, StreamARN
// or both (which must agree).
func (h *Handler) streamName(name, arn *string) (string, error) {
	switch {
	case name == nil && arn == nil:
		return "", newError(errInvalid, "Either StreamName or StreamARN must be provided.")
	case arn == nil:
		return *name, nil
	}
	n, err := h.nameFromARN(*arn)
	if err != nil {
		return "", err
	}
	if name != nil && *name != n {
		return "", newError(errInvalid, "StreamName %s does not match the stream name %s of StreamARN %s.", *name, n, *arn)
	}
	return n, nil
}

// nameFromARN returns the name of a stream ARN of this core. A well-formed
// ARN of another account or region names a stream that is not here.
func (h *Handler) nameFromARN(arn string) (string, error) {
	if n, ok := h.core.StreamNameFromARN(arn); ok {
		return n, nil
	}
	account, name := "", arn
	if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 {
		account = parts[4]
		name = strings.TrimPrefix(parts[5], "stream/")
	}
	return "", newError(errNotFound, "Stream %s under account %s not found.", name, account)
}

// isConsumerARN tells consumer ARNs from stream ARNs.
func isConsumerARN(arn string) bool { return strings.Contains(arn, "/consumer/") }

// accountOf returns the account id of an ARN.
func accountOf(arn string) string {
	if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 {
		return parts[4]
	}
	return ""
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
