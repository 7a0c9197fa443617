package kvs

import (
	"context"
	"net/http"
	"strings"

	"github.com/sluice-dev/sluice/fragments"
)

// streamInfo is the StreamInfo shape. Empty optional members are left out.
type streamInfo struct {
	DeviceName           string `json:",omitempty"`
	StreamName           string
	StreamARN            string
	MediaType            string `json:",omitempty"`
	KmsKeyId             string `json:",omitempty"`
	Version              string
	Status               string
	CreationTime         epochTime
	DataRetentionInHours int
}

func toStreamInfo(s fragments.Stream) streamInfo {
	return streamInfo{
		DeviceName: s.DeviceName, StreamName: s.Name, StreamARN: s.ARN, MediaType: s.MediaType,
		KmsKeyId: s.KMSKeyID, Version: s.Version, Status: s.Status,
		CreationTime: epochTime(s.CreationTime), DataRetentionInHours: s.RetentionHours,
	}
}

type describeStreamInput struct {
	StreamName, StreamARN *string
}

type describeStreamOutput struct {
	StreamInfo streamInfo
}

func (h *Handler) describeStream(ctx context.Context, _ *http.Request, in *describeStreamInput) (*describeStreamOutput, error) {
	var v violations
	v.str("streamName", in.StreamName, shapeStreamName)
	v.str("streamARN", in.StreamARN, shapeARN)
	if err := v.err(); err != nil {
		return nil, err
	}
	s, err := h.resolve(ctx, in.StreamName, in.StreamARN)
	if err != nil {
		return nil, err
	}
	return &describeStreamOutput{StreamInfo: toStreamInfo(s)}, nil
}

const (
	defaultListStreams = 10000 // the model's default and maximum MaxResults
	opBeginsWith       = "BEGINS_WITH"
)

type listStreamsInput struct {
	MaxResults          *int64
	NextToken           *string
	StreamNameCondition *struct {
		ComparisonOperator *string
		ComparisonValue    *string
	}
}

type listStreamsOutput struct {
	StreamInfoList []streamInfo
	NextToken      string `json:",omitempty"`
}

// listStreamsToken resumes ListStreams after the stream named After.
type listStreamsToken struct {
	tokenHead
	After string `json:"after"`
}

// listStreams lists streams by name. A NextToken names the last stream
// returned, so a page neither repeats nor skips streams that existed
// throughout; the name condition is taken from each request.
func (h *Handler) listStreams(ctx context.Context, _ *http.Request, in *listStreamsInput) (*listStreamsOutput, error) {
	var v violations
	v.num("maxResults", in.MaxResults, 1, defaultListStreams)
	v.str("nextToken", in.NextToken, shapeListToken)
	prefix := ""
	if c := in.StreamNameCondition; c != nil {
		v.enum("streamNameCondition.comparisonOperator", c.ComparisonOperator, opBeginsWith)
		v.str("streamNameCondition.comparisonValue", c.ComparisonValue, shapeStreamName)
		if c.ComparisonValue != nil {
			prefix = *c.ComparisonValue
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	limit := defaultListStreams
	if in.MaxResults != nil {
		limit = int(*in.MaxResults)
	}
	var tok listStreamsToken
	if in.NextToken != nil && *in.NextToken != "" {
		if err := h.decodeToken(ctx, "ListStreams", *in.NextToken, &tok); err != nil {
			return nil, err
		}
	}
	all, err := h.lib.List(ctx) // sorted by name
	if err != nil {
		return nil, err
	}
	out := &listStreamsOutput{StreamInfoList: []streamInfo{}}
	for _, s := range all {
		if !strings.HasPrefix(s.Name, prefix) || tok.After != "" && s.Name <= tok.After {
			continue
		}
		if !h.allowed(ctx, "ListStreams", s.Name) {
			continue // lists show only the streams the caller may see
		}
		if len(out.StreamInfoList) == limit {
			out.NextToken = h.encodeToken(ctx, "ListStreams", &listStreamsToken{After: out.StreamInfoList[limit-1].StreamName})
			break
		}
		out.StreamInfoList = append(out.StreamInfoList, toStreamInfo(s))
	}
	return out, nil
}
