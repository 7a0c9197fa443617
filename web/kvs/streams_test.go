package kvs_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"

	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/web/kvs"
)

func TestStreamLifecycle(t *testing.T) {
	e := newEnv(t, envOptions{cfg: kvs.Config{PublicURL: "https://video.example.com/"}})
	before := time.Now().Add(-time.Second)
	out, err := e.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{
		StreamName:           aws.String("cam-1"),
		DeviceName:           aws.String("door"),
		MediaType:            aws.String("video/h264,audio/aac"),
		KmsKeyId:             aws.String("arn:aws:kms:us-east-1:000000000000:key/k"),
		DataRetentionInHours: aws.Int32(24),
		Tags:                 map[string]string{"site": "lobby"},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.StreamARN)
	if !strings.HasPrefix(arn, "arn:aws:kinesisvideo:us-east-1:000000000000:stream/cam-1/") {
		t.Fatalf("StreamARN %s", arn)
	}
	e.waitActive("cam-1")

	d, err := e.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("cam-1")})
	if err != nil {
		t.Fatal(err)
	}
	info := d.StreamInfo
	created := aws.ToTime(info.CreationTime)
	if aws.ToString(info.StreamName) != "cam-1" || aws.ToString(info.StreamARN) != arn ||
		aws.ToString(info.DeviceName) != "door" || aws.ToString(info.MediaType) != "video/h264,audio/aac" ||
		aws.ToString(info.KmsKeyId) != "arn:aws:kms:us-east-1:000000000000:key/k" ||
		info.Status != types.StatusActive || aws.ToInt32(info.DataRetentionInHours) != 24 ||
		aws.ToString(info.Version) == "" || created.Before(before) || created.After(time.Now()) {
		t.Fatalf("DescribeStream: %+v (created %v)", info, created)
	}
	byARN, err := e.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamARN: aws.String(arn)})
	if err != nil || aws.ToString(byARN.StreamInfo.Version) != aws.ToString(info.Version) {
		t.Fatalf("DescribeStream by ARN: %+v %v", byARN, err)
	}
	both, err := e.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("cam-1"), StreamARN: aws.String(arn)})
	if err != nil || aws.ToString(both.StreamInfo.StreamName) != "cam-1" {
		t.Fatalf("DescribeStream by name and ARN: %+v %v", both, err)
	}

	version := aws.ToString(info.Version)
	if _, err := e.kv.UpdateStream(bg, &kinesisvideo.UpdateStreamInput{
		StreamARN: aws.String(arn), CurrentVersion: aws.String(version), DeviceName: aws.String("porch"),
	}); err != nil {
		t.Fatal(err)
	}
	info = e.describe("cam-1")
	if aws.ToString(info.DeviceName) != "porch" || aws.ToString(info.MediaType) != "video/h264,audio/aac" || aws.ToString(info.Version) == version {
		t.Fatalf("after UpdateStream: %+v", info)
	}

	for _, step := range []struct {
		op    types.UpdateDataRetentionOperation
		hours int32
		want  int32
	}{
		{types.UpdateDataRetentionOperationIncreaseDataRetention, 48, 72},
		{types.UpdateDataRetentionOperationDecreaseDataRetention, 72, 0},
		{types.UpdateDataRetentionOperationIncreaseDataRetention, 87600, 87600},
	} {
		if _, err := e.kv.UpdateDataRetention(bg, &kinesisvideo.UpdateDataRetentionInput{
			StreamName: aws.String("cam-1"), CurrentVersion: info.Version, Operation: step.op, DataRetentionChangeInHours: aws.Int32(step.hours),
		}); err != nil {
			t.Fatalf("%s %d: %v", step.op, step.hours, err)
		}
		next := e.describe("cam-1")
		if aws.ToInt32(next.DataRetentionInHours) != step.want || aws.ToString(next.Version) == aws.ToString(info.Version) {
			t.Fatalf("after %s %d: %+v", step.op, step.hours, next)
		}
		info = next
	}

	for _, api := range types.APIName("").Values() {
		ep, err := e.kv.GetDataEndpoint(bg, &kinesisvideo.GetDataEndpointInput{StreamARN: aws.String(arn), APIName: api})
		if err != nil || aws.ToString(ep.DataEndpoint) != "https://video.example.com" {
			t.Fatalf("GetDataEndpoint %s: %+v %v", api, ep, err)
		}
	}

	if _, err := e.kv.DeleteStream(bg, &kinesisvideo.DeleteStreamInput{StreamARN: aws.String(arn), CurrentVersion: info.Version}); err != nil {
		t.Fatal(err)
	}
	e.waitGone("cam-1")
	_, err = e.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamARN: aws.String(arn)})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "")
}

func TestDataEndpointDefault(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.create(&kinesisvideo.CreateStreamInput{StreamName: aws.String("cam")})
	ep, err := e.kv.GetDataEndpoint(bg, &kinesisvideo.GetDataEndpointInput{StreamName: aws.String("cam"), APIName: types.APINameGetMedia})
	if err != nil || aws.ToString(ep.DataEndpoint) != e.srv.URL {
		t.Fatalf("GetDataEndpoint without PublicURL: %+v %v (server %s)", ep, err, e.srv.URL)
	}
}

// TestTransitionalStates holds every transition for a while, to see calls
// refused while a stream is CREATING or DELETING.
func TestTransitionalStates(t *testing.T) {
	e := newEnv(t, envOptions{core: streams.Config{TransitionDelay: time.Second}})
	out, err := e.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("slow")})
	if err != nil {
		t.Fatal(err)
	}
	info := e.describe("slow")
	if info.Status != types.StatusCreating {
		t.Fatalf("status right after CreateStream: %s", info.Status)
	}
	_, err = e.kv.UpdateStream(bg, &kinesisvideo.UpdateStreamInput{StreamName: aws.String("slow"), CurrentVersion: info.Version, MediaType: aws.String("video/h265")})
	wantAPIError(t, err, "ResourceInUseException", 400, "CREATING")
	_, err = e.kv.UpdateDataRetention(bg, &kinesisvideo.UpdateDataRetentionInput{
		StreamName: aws.String("slow"), CurrentVersion: info.Version,
		Operation: types.UpdateDataRetentionOperationIncreaseDataRetention, DataRetentionChangeInHours: aws.Int32(1),
	})
	wantAPIError(t, err, "ResourceInUseException", 400, "CREATING")
	_, err = e.kv.DeleteStream(bg, &kinesisvideo.DeleteStreamInput{StreamARN: out.StreamARN})
	wantAPIError(t, err, "ResourceInUseException", 400, "")

	e.waitActive("slow")
	if _, err := e.kv.DeleteStream(bg, &kinesisvideo.DeleteStreamInput{StreamARN: out.StreamARN}); err != nil {
		t.Fatal(err)
	}
	if info := e.describe("slow"); info.Status != types.StatusDeleting {
		t.Fatalf("status right after DeleteStream: %s", info.Status)
	}
	_, err = e.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("slow")})
	wantAPIError(t, err, "ResourceInUseException", 400, "already exists")
	_, err = e.kv.DeleteStream(bg, &kinesisvideo.DeleteStreamInput{StreamARN: out.StreamARN})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "")
}

func (e *env) describe(name string) *types.StreamInfo {
	e.t.Helper()
	d, err := e.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String(name)})
	if err != nil {
		e.t.Fatalf("DescribeStream %s: %v", name, err)
	}
	return d.StreamInfo
}

// waitGone waits until a deleted stream has left the registry.
func (e *env) waitGone(name string) {
	e.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		_, err := e.lib.Describe(bg, name)
		if err != nil {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("stream %s still there", name)
		}
	}
}

// TestStreamLimit: every video stream is one shard of the core, so the
// core's shard limit is the account's stream limit.
func TestStreamLimit(t *testing.T) {
	e := newEnv(t, envOptions{core: streams.Config{MaxShards: 2}})
	e.create(&kinesisvideo.CreateStreamInput{StreamName: aws.String("one")})
	e.create(&kinesisvideo.CreateStreamInput{StreamName: aws.String("two")})
	_, err := e.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("three")})
	wantAPIError(t, err, "AccountStreamLimitExceededException", 400, "Limit: 2")
	var limit *types.AccountStreamLimitExceededException
	if !errors.As(err, &limit) {
		t.Fatalf("the SDK does not see its typed error: %T", err)
	}
}
