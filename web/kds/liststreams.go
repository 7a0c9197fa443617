package kds

import (
	"context"
)

// listStreamsLimit is how many streams ListStreams returns at most (and by
// default), as Kinesis documents.
const listStreamsLimit = 100

type listStreamsInput struct {
	Limit                    *int    `json:"Limit"`
	ExclusiveStartStreamName *string `json:"ExclusiveStartStreamName"`
	NextToken                *string `json:"NextToken"`
}

func (in *listStreamsInput) validate(v *validator) {
	v.intRange("limit", in.Limit, bound(1), bound(10000))
	v.str("exclusiveStartStreamName", in.ExclusiveStartStreamName, streamNameRule)
	v.str("nextToken", in.NextToken, nextTokenRule)
}

type streamSummary struct {
	StreamName              string             `json:"StreamName"`
	StreamARN               string             `json:"StreamARN"`
	StreamStatus            string             `json:"StreamStatus"`
	StreamModeDetails       *streamModeDetails `json:"StreamModeDetails,omitempty"`
	StreamCreationTimestamp *epochTime         `json:"StreamCreationTimestamp,omitempty"`
}

type listStreamsOutput struct {
	StreamNames     []string        `json:"StreamNames"`
	HasMoreStreams  bool            `json:"HasMoreStreams"`
	NextToken       *string         `json:"NextToken,omitempty"`
	StreamSummaries []streamSummary `json:"StreamSummaries"`
}

func (h *Handler) listStreams(ctx context.Context, in *listStreamsInput) (listStreamsOutput, error) {
	after := deref(in.ExclusiveStartStreamName)
	if in.NextToken != nil {
		t, err := h.decodeToken(ctx, *in.NextToken)
		if err != nil {
			return listStreamsOutput{}, err
		}
		after = t.After
	}
	limit := min(deref(in.Limit), listStreamsLimit)
	if limit == 0 {
		limit = listStreamsLimit
	}
	all, err := h.core.ListStreams(ctx)
	if err != nil {
		return listStreamsOutput{}, err
	}
	out := listStreamsOutput{StreamNames: []string{}, StreamSummaries: []streamSummary{}}
	for _, s := range all {
		if s.Name <= after || !h.allowed(ctx, "ListStreams", s.Name) {
			continue // lists show only the streams the caller may see
		}
		if len(out.StreamNames) == limit {
			out.HasMoreStreams = true
			break
		}
		created := epochTime(s.CreatedAt)
		out.StreamNames = append(out.StreamNames, s.Name)
		out.StreamSummaries = append(out.StreamSummaries, streamSummary{
			StreamName:              s.Name,
			StreamARN:               s.ARN,
			StreamStatus:            string(s.Status),
			StreamModeDetails:       modeDetails(s),
			StreamCreationTimestamp: &created,
		})
	}
	if out.HasMoreStreams {
		out.NextToken = h.encodeToken(ctx, pageToken{After: out.StreamNames[len(out.StreamNames)-1]})
	}
	return out, nil
}
