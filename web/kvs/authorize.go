package kvs

import (
	"context"
	"errors"
	"reflect"
	"sync"

	"github.com/sluice-dev/sluice/web/auth"
	"github.com/sluice-dev/sluice/web/awswire"
)

// Authorization happens here, once, on the decoded input (decode calls
// authorize): the members that name a stream are read from the same struct
// the operation is then given, so that what is authorized is what is
// served. Every body is read as JSON whatever its Content-Type (REST-JSON),
// in one place.

// resourceMembers are the input members that name a stream. Every input
// struct is searched for them, so a new operation cannot forget one;
// TestResourceMembersCoverModel checks them against the API models.
var resourceMembers = []string{"StreamName", "StreamARN", "ResourceARN"}

// membersByType caches the resource members of each input type.
var membersByType sync.Map // reflect.Type -> awswire.Members

func membersOf(t reflect.Type) awswire.Members {
	if ms, ok := membersByType.Load(t); ok {
		return ms.(awswire.Members)
	}
	ms := awswire.FindMembers(t, resourceMembers...)
	membersByType.Store(t, ms)
	return ms
}

// authorize checks the caller's policy for the exchange's operation on
// every stream in (a pointer to a decoded input struct) names, and marks
// the exchange authorized.
func (h *Handler) authorize(ctx context.Context, ex *exchange, in any) error {
	if h.cfg.Authorize != nil {
		v := reflect.ValueOf(in).Elem()
		var names []string
		membersOf(v.Type()).Each(v, func(_, s string) { names = append(names, s) })
		if err := h.cfg.Authorize(ctx, "kinesisvideo:"+ex.op, names...); err != nil {
			return err
		}
	}
	ex.authorized = true
	return nil
}

// allowed reports whether the caller may run action on stream: lists show
// only such streams.
func (h *Handler) allowed(ctx context.Context, action, stream string) bool {
	return h.cfg.Authorize == nil || h.cfg.Authorize(ctx, "kinesisvideo:"+action, stream) == nil
}

// deniedError is the wire form of a refusal by policy: AccessDenied on
// the control plane, NotAuthorized on the data plane, 401 both.
func deniedError(err error) (*apiError, bool) {
	var d *auth.DeniedError
	if !errors.As(err, &d) {
		return nil, false
	}
	return &apiError{Name: d.Name(), Status: auth.Status(d.Name(), true), Msg: d.Error()}, true
}

// errUnauthorizedAnswer: an operation tried to answer without authorizing
// its input (a bug): the answer is refused, fail closed.
var errUnauthorizedAnswer = errors.New("kvs: an operation answered without authorizing its input")
