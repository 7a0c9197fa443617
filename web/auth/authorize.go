package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrDenied is what every refusal by policy wraps: the credentials are
// good, but not for this action on this resource.
var ErrDenied = errors.New("access denied")

// DeniedError is a refusal by policy, with what was refused. Its message
// is AWS's ("User: K is not authorized to perform: A on resource: R").
type DeniedError struct {
	Key      string // the key ID; "" for a request that carried none
	Action   string // e.g. "kinesis:PutRecord"
	Resource string // "stream/NAME", or "*" for the action itself
}

func (e *DeniedError) Error() string {
	key := e.Key
	if key == "" {
		key = "anonymous"
	}
	return fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", key, e.Action, e.Resource)
}

// Is makes a DeniedError match ErrDenied.
func (e *DeniedError) Is(target error) bool { return target == ErrDenied }

// Name is the AWS error name of the refusal in the action's API:
// NotAuthorizedException on the Kinesis Video data plane (archived media
// and media), AccessDeniedException elsewhere.
func (e *DeniedError) Name() string {
	if op, ok := byName.action[strings.ToLower(e.Action)]; ok && (op.api == apiArchived || op.api == apiMedia) {
		return ErrNotAuthorized
	}
	return ErrAccessDenied
}

// Authorize checks that the request of ctx may run action on every
// resource it names (stream names, or stream and consumer ARNs: a stream
// is matched by its name). With no resources, the action must be allowed
// on some stream (an action on no stream in particular, like a list).
//
// The APIs call it once they have decoded a request, with the resources
// read from the decoded input, so that what is authorized is what is
// served. An open Verifier allows everything; otherwise a context that
// carries no authenticated key (one that did not pass the middleware or
// Guard) is refused: a wiring mistake fails closed. The error is a
// *DeniedError.
func (v *Verifier) Authorize(ctx context.Context, action string, resources ...string) error {
	if v.Open() {
		return nil
	}
	a, ok := ctx.Value(grantKey{}).(authorized)
	if !ok {
		return &DeniedError{Action: action, Resource: "*"}
	}
	if len(resources) == 0 {
		if !a.key.Allows(action, "") || !a.grant.allows(action, "") {
			return &DeniedError{Key: a.key.ID, Action: action, Resource: "*"}
		}
		return nil
	}
	for _, r := range resources {
		s := streamOfARN(r)
		if !a.key.Allows(action, s) || !a.grant.allows(action, s) {
			return &DeniedError{Key: a.key.ID, Action: action, Resource: "stream/" + truncate(s, 256)}
		}
	}
	return nil
}

// withKey returns ctx carrying an authenticated key (and a grant, for
// minted tokens), for Authorize and Allowed.
func withKey(ctx context.Context, key Key, grant Grant) context.Context {
	return context.WithValue(WithKeyID(ctx, key.ID), grantKey{}, authorized{key: key, grant: grant})
}
