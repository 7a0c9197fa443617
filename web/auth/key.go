package auth

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Key is an access key: an ID (public, like an AWS access key ID), a secret
// (never logged or returned) and what it may do.
type Key struct {
	ID     string
	Secret string
	Policy Policy
}

// String names the key without its secret, so that a Key printed by
// mistake leaks nothing.
func (k Key) String() string { return "auth.Key{ID:" + k.ID + "}" }

// GoString is String, for %#v.
func (k Key) GoString() string { return k.String() }

// Policy is what a key may do: an action is allowed on a stream when some
// pattern of Actions matches the action and some pattern of Streams
// matches the stream.
type Policy struct {
	// Streams are stream name patterns in path.Match syntax ("*",
	// "cam-*", "door-[0-9]").
	Streams []string
	// Actions are classes ("read", "write", "admin"), AWS action names or
	// patterns ("kinesis:PutRecord", "kinesis:*", "kinesisvideo:Get*"),
	// or "*" for everything. Names are matched without regard to case.
	Actions []string
}

// FullAccess is the policy of a key given as --access-key ID:SECRET.
func FullAccess() Policy { return Policy{Streams: []string{"*"}, Actions: []string{"*"}} }

// Allows reports whether the key may run action (an AWS action name such
// as "kinesis:PutRecord"; see Operations) on stream. An empty stream is an
// action on no stream in particular (ListStreams): it is allowed when the
// action is. An action missing from the table has the class "admin".
func (k Key) Allows(action, stream string) bool {
	return k.allowsAction(action) && (stream == "" || k.allowsStream(stream))
}

func (k Key) allowsAction(action string) bool {
	class := classOf(action)
	action = strings.ToLower(action)
	for _, p := range k.Policy.Actions {
		p = strings.ToLower(p)
		if p == "*" || p == string(class) {
			return true
		}
		if ok, _ := path.Match(p, action); ok {
			return true
		}
	}
	return false
}

func (k Key) allowsStream(stream string) bool {
	for _, p := range k.Policy.Streams {
		if p == "*" {
			return true // also names this package could not parse (whole ARNs)
		}
		if ok, _ := path.Match(p, stream); ok {
			return true
		}
	}
	return false
}

// allStreams reports whether the key may act on any stream ("*").
func (k Key) allStreams() bool {
	for _, p := range k.Policy.Streams {
		if p == "*" {
			return true
		}
	}
	return false
}

// validate reports every problem of the key, each naming its field.
func (k Key) validate() []error {
	var errs []error
	if k.ID == "" {
		errs = append(errs, errors.New("id: must not be empty"))
	} else if err := validKeyID(k.ID); err != nil {
		errs = append(errs, fmt.Errorf("id: %w", err))
	}
	if len(k.Secret) < minSecretLen {
		// The secret itself is never echoed.
		errs = append(errs, fmt.Errorf("secret: must be at least %d characters", minSecretLen))
	}
	if len(k.Policy.Streams) == 0 {
		errs = append(errs, errors.New("streams: must list at least one pattern (\"*\" for all)"))
	}
	for _, p := range k.Policy.Streams {
		if _, err := path.Match(p, ""); err != nil || p == "" {
			errs = append(errs, fmt.Errorf("streams: %q is not a valid pattern", p))
		}
	}
	if len(k.Policy.Actions) == 0 {
		errs = append(errs, errors.New("actions: must list at least one action (read, write, admin, an AWS action name, or \"*\")"))
	}
	for _, a := range k.Policy.Actions {
		if err := validAction(a); err != nil {
			errs = append(errs, fmt.Errorf("actions: %w", err))
		}
	}
	return errs
}

// minSecretLen is the shortest secret accepted: short secrets are guessed.
const minSecretLen = 8

// validKeyID accepts what can travel in a SigV4 credential scope and an
// RTSP user name: printable ASCII without '/', ':', ',', '=' or spaces.
func validKeyID(id string) error {
	if len(id) > 128 {
		return errors.New("must be at most 128 characters")
	}
	for _, c := range id {
		if c <= ' ' || c > '~' || strings.ContainsRune("/:,=\"\\", c) {
			return fmt.Errorf("%q: only printable ASCII without spaces, '/', ':', ',', '=', '\"' or '\\'", id)
		}
	}
	return nil
}

func validAction(a string) error {
	l := strings.ToLower(a)
	switch {
	case l == "*", l == string(ClassRead), l == string(ClassWrite), l == string(ClassAdmin):
		return nil
	case strings.HasPrefix(l, "kinesis:"), strings.HasPrefix(l, "kinesisvideo:"):
		if _, err := path.Match(l, ""); err != nil {
			return fmt.Errorf("%q is not a valid pattern", a)
		}
		if !strings.ContainsAny(l, "*?[") && !knownAction(l) {
			return fmt.Errorf("%q is not a Kinesis or Kinesis Video action", a)
		}
		return nil
	}
	return fmt.Errorf("%q: use read, write, admin, \"*\" or an action like kinesis:PutRecord", a)
}

// ParseAccessKeyFlag parses the value of --access-key, "ID:SECRET", into a
// full-access key. Its errors never contain the secret.
func ParseAccessKeyFlag(v string) (Key, error) {
	id, secret, ok := strings.Cut(v, ":")
	if !ok {
		return Key{}, errors.New("want ID:SECRET")
	}
	k := Key{ID: id, Secret: secret, Policy: FullAccess()}
	if errs := k.validate(); len(errs) > 0 {
		return Key{}, errors.Join(errs...)
	}
	return k, nil
}

// Keys is a set of keys by ID. It is read-only once built.
type Keys map[string]Key

// NewKeys indexes keys by ID; a repeated ID is an error naming it.
func NewKeys(keys []Key) (Keys, error) {
	m := make(Keys, len(keys))
	var errs []error
	for _, k := range keys {
		if _, dup := m[k.ID]; dup {
			errs = append(errs, fmt.Errorf("key %q: id: given more than once", k.ID))
			continue
		}
		m[k.ID] = k
	}
	return m, errors.Join(errs...)
}

// Lookup returns the key with this ID.
func (ks Keys) Lookup(id string) (Key, bool) {
	k, ok := ks[id]
	return k, ok
}
