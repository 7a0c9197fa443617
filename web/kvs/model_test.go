package kvs

import (
	"slices"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/web/webtest"

	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"

	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/web/auth"
)

// TestResourceMembersCoverModel: every operation of the Kinesis Video
// models (control plane and archived media; GetMedia and PutMedia, whose
// SDK is not in go.mod, by hand) is in the policy table with a class;
// every one this handler serves reads each member the model gives it that
// names a stream (a stream name, a stream or resource ARN), and decode
// authorizes it.
func TestResourceMembersCoverModel(t *testing.T) {
	h := New(nil, nil, Config{Playback: &playback.Source{}})
	classes := map[string]auth.Class{}
	for _, op := range auth.Operations() {
		classes[op.Action] = op.Class
	}
	model := webtest.ModelOperations(&kinesisvideo.Client{})
	for name, in := range webtest.ModelOperations(&kinesisvideoarchivedmedia.Client{}) {
		model[name] = in
	}
	if len(model) < 30 {
		t.Fatalf("only %d operations found in the SDK clients", len(model))
	}
	byName := map[string]operation{}
	for _, op := range h.ops {
		byName[op.name] = op
	}
	for _, name := range []string{"GetMedia", "PutMedia"} {
		if classes["kinesisvideo:"+name] == "" {
			t.Errorf("kinesisvideo:%s is missing from the policy table", name)
		}
	}
	for name, input := range model {
		if classes["kinesisvideo:"+name] == "" {
			t.Errorf("kinesisvideo:%s is missing from the policy table", name)
		}
		op, served := byName[name]
		if !served {
			continue
		}
		if op.input == nil {
			t.Errorf("%s: the operation table does not name its input type", name)
			continue
		}
		for i := range input.NumField() {
			m := input.Field(i).Name
			if !strings.HasSuffix(m, "StreamName") && !strings.HasSuffix(m, "ARN") {
				continue
			}
			if !slices.Contains(resourceMembers, m) {
				t.Errorf("%s: the model's member %s names a resource, but resourceMembers lacks it", name, m)
			} else if _, ok := op.input.FieldByName(m); !ok {
				t.Errorf("%s: the model's member %s is not read by the handler's input", name, m)
			}
		}
	}
	for _, op := range h.ops {
		if _, ok := model[op.name]; !ok && op.name != "GetMedia" {
			t.Errorf("the handler serves %s, which the models lack", op.name)
		}
		if op.input == nil {
			t.Errorf("%s: the operation table does not name its input type", op.name)
		}
	}
}
