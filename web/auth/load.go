package auth

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// keyFile is one entry of a keys file.
type keyFile struct {
	ID      string   `yaml:"id"`
	Secret  string   `yaml:"secret"`
	Streams []string `yaml:"streams"`
	Actions []string `yaml:"actions"`
}

// LoadKeys reads a list of keys in YAML (or JSON, which YAML reads too):
//
//   - id: camera-7
//     secret: a-long-random-secret
//     streams: ["cam-7"]
//     actions: [write]
//   - id: viewer
//     secret: another-secret
//     streams: ["cam-*"]
//     actions: [read, "kinesisvideo:GetClip"]
//
// Unknown fields are errors. Every bad entry is reported at once, each as
// "key N (id): field: problem"; secrets are never part of an error.
func LoadKeys(r io.Reader) ([]Key, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var entries []keyFile
	if err := dec.Decode(&entries); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("keys: %w", redactYAML(err))
	}
	keys := make([]Key, 0, len(entries))
	var errs []error
	for i, e := range entries {
		k := Key{ID: e.ID, Secret: e.Secret, Policy: Policy{Streams: e.Streams, Actions: e.Actions}}
		for _, err := range k.validate() {
			errs = append(errs, fmt.Errorf("key %d (%s): %w", i+1, e.ID, err))
		}
		keys = append(keys, k)
	}
	if _, err := NewKeys(keys); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return keys, nil
}

// redactYAML keeps a YAML error's line numbers and reasons but not the
// values it quotes between backticks (a secret in a mistyped field).
func redactYAML(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	msgs := make([]error, len(te.Errors))
	for i, m := range te.Errors {
		msgs[i] = errors.New(stripQuoted(m))
	}
	return errors.Join(msgs...)
}

// stripQuoted replaces every `...` segment of s with `…`.
func stripQuoted(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '`' && !in:
			in = true
			b.WriteString("`…")
		case r == '`' && in:
			in = false
			b.WriteRune(r)
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}
