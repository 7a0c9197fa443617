package kds

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream/eventstreamapi"
)

// eventWriter writes an AWS event stream response (the binary framing of
// "application/vnd.amazon.eventstream") and flushes every message, over
// HTTP/1.1 (chunked) or HTTP/2. One goroutine uses it at a time.
type eventWriter struct {
	w     http.ResponseWriter
	rc    *http.ResponseController
	enc   *eventstream.Encoder
	codec codec
	// err is the first write failure: the client has gone.
	err error
}

func newEventWriter(ex *exchange) *eventWriter {
	return &eventWriter{w: ex.w, rc: http.NewResponseController(ex.w), enc: eventstream.NewEncoder(), codec: ex.codec}
}

// start sends the response head and clears the connection deadlines that
// a server's ReadTimeout/WriteTimeout would otherwise apply to a stream
// that lasts minutes.
func (e *eventWriter) start() {
	_ = e.rc.SetReadDeadline(time.Time{})
	_ = e.rc.SetWriteDeadline(time.Time{})
	e.w.Header().Set("Content-Type", mediaEventStream)
	e.w.WriteHeader(http.StatusOK)
}

// event sends one ":message-type event" message whose payload is v in the
// request's encoding.
func (e *eventWriter) event(eventType string, v any) error {
	payload, err := e.codec.encode(v)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", eventType, err)
	}
	var h eventstream.Headers
	h.Set(eventstreamapi.MessageTypeHeader, eventstream.StringValue(eventstreamapi.EventMessageType))
	h.Set(eventstreamapi.EventTypeHeader, eventstream.StringValue(eventType))
	h.Set(eventstreamapi.ContentTypeHeader, eventstream.StringValue(e.codec.eventContentType()))
	return e.send(h, payload)
}

// exception sends a ":message-type exception" message, which ends the
// stream for the client.
func (e *eventWriter) exception(ae *apiError) error {
	payload, err := e.codec.encode(struct {
		Message string `json:"message"`
	}{ae.Msg})
	if err != nil {
		return err
	}
	var h eventstream.Headers
	h.Set(eventstreamapi.MessageTypeHeader, eventstream.StringValue(eventstreamapi.ExceptionMessageType))
	h.Set(eventstreamapi.ExceptionTypeHeader, eventstream.StringValue(ae.Name))
	h.Set(eventstreamapi.ContentTypeHeader, eventstream.StringValue(e.codec.eventContentType()))
	return e.send(h, payload)
}

func (e *eventWriter) send(h eventstream.Headers, payload []byte) error {
	if e.err != nil {
		return e.err
	}
	if err := e.enc.Encode(e.w, eventstream.Message{Headers: h, Payload: payload}); err != nil {
		e.err = err
		return err
	}
	if err := e.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		e.err = err
		return err
	}
	return nil
}
