package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// rawSubscribe opens SubscribeToShard with a hand-made, SigV4-signed
// request and reads the AWS event stream with the SDK's eventstream
// decoder. Unlike the SDK client it does not insist on the initial-response
// event that AWS sends first, so it also works with servers that omit it
// (kinesis-mock). It exists to measure those; use the SDK client otherwise.
func rawSubscribe(cl *clients) subscribeFunc {
	signer := v4.NewSigner()
	return func(ctx context.Context, consumerARN, shardID string, pos *types.StartingPosition) (subscription, error) {
		start := map[string]any{"Type": string(pos.Type)}
		if pos.SequenceNumber != nil {
			start["SequenceNumber"] = *pos.SequenceNumber
		}
		if pos.Timestamp != nil {
			start["Timestamp"] = float64(pos.Timestamp.UnixMilli()) / 1000
		}
		body, err := json.Marshal(map[string]any{
			"ConsumerARN":      consumerARN,
			"ShardId":          shardID,
			"StartingPosition": start,
		})
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(cl.endpoint, "/")+"/", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "Kinesis_20131202.SubscribeToShard")
		creds, err := cl.creds.Retrieve(ctx)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(body)
		if err := signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "kinesis", "us-east-1", time.Now()); err != nil {
			return nil, err
		}
		resp, err := cl.http.Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			return nil, fmt.Errorf("SubscribeToShard: HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(msg))
		}
		return &rawSubscription{body: resp.Body, dec: eventstream.NewDecoder()}, nil
	}
}

type rawSubscription struct {
	body io.ReadCloser
	dec  *eventstream.Decoder
	buf  []byte
}

// rawEvent is the JSON payload of a SubscribeToShardEvent message.
type rawEvent struct {
	Records []struct {
		Data []byte // base64 in JSON
	}
	ContinuationSequenceNumber *string
}

func (s *rawSubscription) next() ([][]byte, *string, error) {
	for {
		msg, err := s.dec.Decode(s.body, s.buf)
		if err != nil {
			return nil, nil, err // io.EOF at a clean end
		}
		s.buf = msg.Payload[:0]
		switch headerString(msg.Headers, ":message-type") {
		case "event":
		case "exception", "error":
			return nil, nil, fmt.Errorf("SubscribeToShard %s: %s: %s",
				headerString(msg.Headers, ":message-type"),
				headerString(msg.Headers, ":exception-type")+headerString(msg.Headers, ":error-code"),
				bytes.TrimSpace(msg.Payload))
		default:
			continue
		}
		if headerString(msg.Headers, ":event-type") != "SubscribeToShardEvent" {
			continue // initial-response, or an event type this reader does not know
		}
		var ev rawEvent
		if err := json.Unmarshal(msg.Payload, &ev); err != nil {
			return nil, nil, fmt.Errorf("SubscribeToShardEvent payload: %w", err)
		}
		data := make([][]byte, len(ev.Records))
		for i, r := range ev.Records {
			data[i] = r.Data
		}
		return data, ev.ContinuationSequenceNumber, nil
	}
}

func (s *rawSubscription) close() { _ = s.body.Close() }

func headerString(hs eventstream.Headers, name string) string {
	if v, ok := hs.Get(name).(eventstream.StringValue); ok {
		return string(v)
	}
	return ""
}
