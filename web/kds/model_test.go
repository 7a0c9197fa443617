package kds

import (
	"slices"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/web/webtest"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/sluice-dev/sluice/web/auth"
)

// namesResource reports whether a model input member names a stream or
// something of one (the members the API models type as a stream name, a
// stream, consumer or resource ARN, or a shard iterator).
func namesResource(member string) bool {
	switch member {
	case "ExclusiveStartStreamName", "ConsumerName", "StreamModeDetails":
		return false // a listing position, a name within the stream, a setting
	}
	return strings.HasSuffix(member, "StreamName") || strings.HasSuffix(member, "ARN") || strings.HasSuffix(member, "Iterator") || member == "NextToken"
}

// TestResourceMembersCoverModel: every operation of the Kinesis model is
// in the policy table with a class; every one this handler serves reads
// each member the model gives it that names a resource, and authorizes it.
func TestResourceMembersCoverModel(t *testing.T) {
	h := New(nil, Config{})
	classes := map[string]auth.Class{}
	for _, op := range auth.Operations() {
		classes[op.Action] = op.Class
	}
	model := webtest.ModelOperations(&kinesis.Client{})
	if len(model) < 30 {
		t.Fatalf("only %d operations found in the SDK client", len(model))
	}
	for name, input := range model {
		if classes["kinesis:"+name] == "" {
			t.Errorf("kinesis:%s is missing from the policy table", name)
		}
		act, served := h.actions[name]
		if !served {
			continue
		}
		for i := range input.NumField() {
			m := input.Field(i).Name
			if !namesResource(m) {
				continue
			}
			if !slices.Contains(resourceMembers, m) {
				t.Errorf("%s: the model's member %s names a resource, but resourceMembers lacks it", name, m)
			} else if _, ok := act.input.FieldByName(m); !ok {
				t.Errorf("%s: the model's member %s is not read by the handler's input", name, m)
			}
		}
	}
	for name := range h.actions {
		if _, ok := model[name]; !ok {
			t.Errorf("the handler serves %s, which the model lacks", name)
		}
	}
}
