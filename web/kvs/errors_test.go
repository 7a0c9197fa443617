package kvs_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
)

// TestErrors drives every error path through the SDK clients: names,
// HTTP statuses and messages.
func TestErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	s := e.create(&kinesisvideo.CreateStreamInput{StreamName: aws.String("exists"), DataRetentionInHours: aws.Int32(2)})
	arn := aws.String(s.ARN)
	stale := aws.String("0123456789ab")
	unknownARN := aws.String("arn:aws:kinesisvideo:us-east-1:000000000000:stream/nope/1700000000000")
	otherIncarnation := aws.String(strings.TrimSuffix(s.ARN, "000") + "999")
	now := time.Now()

	cases := []struct {
		name   string
		call   func() error
		code   string
		status int
		msg    string
	}{
		// Not found.
		{"describe unknown name", func() error {
			_, err := e.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("nope")})
			return err
		}, "ResourceNotFoundException", 404, "Stream nope under account 000000000000 not found."},
		{"describe unknown ARN", func() error {
			_, err := e.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamARN: unknownARN})
			return err
		}, "ResourceNotFoundException", 404, "does not exist"},
		{"describe ARN of another incarnation", func() error {
			_, err := e.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamARN: otherIncarnation})
			return err
		}, "ResourceNotFoundException", 404, "does not exist"},
		{"describe ARN of another account", func() error {
			_, err := e.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamARN: aws.String(strings.Replace(s.ARN, "000000000000", "111111111111", 1))})
			return err
		}, "ResourceNotFoundException", 404, ""},
		{"update unknown", func() error {
			_, err := e.kv.UpdateStream(bg, &kinesisvideo.UpdateStreamInput{StreamName: aws.String("nope"), CurrentVersion: stale})
			return err
		}, "ResourceNotFoundException", 404, ""},
		{"delete unknown", func() error {
			_, err := e.kv.DeleteStream(bg, &kinesisvideo.DeleteStreamInput{StreamARN: unknownARN})
			return err
		}, "ResourceNotFoundException", 404, ""},
		{"retention of unknown", func() error {
			_, err := e.kv.UpdateDataRetention(bg, &kinesisvideo.UpdateDataRetentionInput{
				StreamName: aws.String("nope"), CurrentVersion: stale,
				Operation: types.UpdateDataRetentionOperationIncreaseDataRetention, DataRetentionChangeInHours: aws.Int32(1),
			})
			return err
		}, "ResourceNotFoundException", 404, ""},
		{"endpoint of unknown", func() error {
			_, err := e.kv.GetDataEndpoint(bg, &kinesisvideo.GetDataEndpointInput{StreamName: aws.String("nope"), APIName: types.APINameGetMedia})
			return err
		}, "ResourceNotFoundException", 404, ""},
		{"tags of unknown", func() error {
			_, err := e.kv.ListTagsForStream(bg, &kinesisvideo.ListTagsForStreamInput{StreamName: aws.String("nope")})
			return err
		}, "ResourceNotFoundException", 404, ""},
		{"tag unknown resource", func() error {
			_, err := e.kv.TagResource(bg, &kinesisvideo.TagResourceInput{ResourceARN: unknownARN, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}, "ResourceNotFoundException", 404, ""},
		{"fragments of unknown", func() error {
			_, err := e.am.ListFragments(bg, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("nope")})
			return err
		}, "ResourceNotFoundException", 404, ""},

		// In use.
		{"create existing", func() error {
			_, err := e.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("exists")})
			return err
		}, "ResourceInUseException", 400, "Stream exists under account 000000000000 already exists."},

		// Version mismatch.
		{"update stale version", func() error {
			_, err := e.kv.UpdateStream(bg, &kinesisvideo.UpdateStreamInput{StreamName: aws.String("exists"), CurrentVersion: stale, DeviceName: aws.String("d")})
			return err
		}, "VersionMismatchException", 400, "0123456789ab"},
		{"retention stale version", func() error {
			_, err := e.kv.UpdateDataRetention(bg, &kinesisvideo.UpdateDataRetentionInput{
				StreamARN: arn, CurrentVersion: stale,
				Operation: types.UpdateDataRetentionOperationIncreaseDataRetention, DataRetentionChangeInHours: aws.Int32(1),
			})
			return err
		}, "VersionMismatchException", 400, ""},
		{"delete stale version", func() error {
			_, err := e.kv.DeleteStream(bg, &kinesisvideo.DeleteStreamInput{StreamARN: arn, CurrentVersion: stale})
			return err
		}, "VersionMismatchException", 400, ""},

		// Invalid arguments, with the messages of the model's constraints.
		{"name pattern", func() error {
			_, err := e.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("a b")})
			return err
		}, "InvalidArgumentException", 400, "1 validation error detected: Value 'a b' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"},
		{"name length", func() error {
			_, err := e.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String(strings.Repeat("n", 257))})
			return err
		}, "InvalidArgumentException", 400, "at 'streamName' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"retention too long", func() error {
			_, err := e.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("r"), DataRetentionInHours: aws.Int32(87601)})
			return err
		}, "InvalidArgumentException", 400, "Value '87601' at 'dataRetentionInHours' failed to satisfy constraint: Member must have value less than or equal to 87600"},
		{"negative retention", func() error {
			_, err := e.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("r"), DataRetentionInHours: aws.Int32(-1)})
			return err
		}, "InvalidArgumentException", 400, "Member must have value greater than or equal to 0"},
		{"media type", func() error {
			_, err := e.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("m"), MediaType: aws.String("h264")})
			return err
		}, "InvalidArgumentException", 400, "Value 'h264' at 'mediaType' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"several violations", func() error {
			_, err := e.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("x y"), DeviceName: aws.String(""), KmsKeyId: aws.String("")})
			return err
		}, "InvalidArgumentException", 400, "5 validation errors detected: Value 'x y' at 'streamName'"},
		{"bad tag key", func() error {
			_, err := e.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("t"), Tags: map[string]string{"a<b": "v"}})
			return err
		}, "InvalidArgumentException", 400, "Value 'a<b' at 'tags.key'"},
		{"reserved tag key", func() error {
			_, err := e.kv.TagStream(bg, &kinesisvideo.TagStreamInput{StreamName: aws.String("exists"), Tags: map[string]string{"aws:x": "v"}})
			return err
		}, "InvalidArgumentException", 400, "reserved"},
		{"retention below zero", func() error {
			_, err := e.kv.UpdateDataRetention(bg, &kinesisvideo.UpdateDataRetentionInput{
				StreamName: aws.String("exists"), CurrentVersion: aws.String(s.Version),
				Operation: types.UpdateDataRetentionOperationDecreaseDataRetention, DataRetentionChangeInHours: aws.Int32(3),
			})
			return err
		}, "InvalidArgumentException", 400, "The retention would become -1 hours"},
		{"retention operation", func() error {
			_, err := e.kv.UpdateDataRetention(bg, &kinesisvideo.UpdateDataRetentionInput{
				StreamName: aws.String("exists"), CurrentVersion: aws.String(s.Version), Operation: "DOUBLE", DataRetentionChangeInHours: aws.Int32(0),
			})
			return err
		}, "InvalidArgumentException", 400, "2 validation errors detected: Value 'DOUBLE' at 'operation' failed to satisfy constraint: Member must satisfy enum value set: [INCREASE_DATA_RETENTION, DECREASE_DATA_RETENTION]; Value '0' at 'dataRetentionChangeInHours'"},
		{"version pattern", func() error {
			_, err := e.kv.UpdateStream(bg, &kinesisvideo.UpdateStreamInput{StreamName: aws.String("exists"), CurrentVersion: aws.String("v-1")})
			return err
		}, "InvalidArgumentException", 400, "at 'currentVersion'"},
		{"neither name nor ARN", func() error {
			_, err := e.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{})
			return err
		}, "InvalidArgumentException", 400, "Either StreamName or StreamARN must be specified."},
		{"name and ARN disagree", func() error {
			_, err := e.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("other"), StreamARN: arn})
			return err
		}, "InvalidArgumentException", 400, "name different streams"},
		{"malformed ARN", func() error {
			_, err := e.kv.DeleteStream(bg, &kinesisvideo.DeleteStreamInput{StreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/x")})
			return err
		}, "InvalidArgumentException", 400, "at 'streamARN' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"API name", func() error {
			_, err := e.kv.GetDataEndpoint(bg, &kinesisvideo.GetDataEndpointInput{StreamName: aws.String("exists"), APIName: "GET_EVERYTHING"})
			return err
		}, "InvalidArgumentException", 400, "Value 'GET_EVERYTHING' at 'aPIName' failed to satisfy constraint: Member must satisfy enum value set: [PUT_MEDIA,"},
		{"list max results", func() error {
			_, err := e.kv.ListStreams(bg, &kinesisvideo.ListStreamsInput{MaxResults: aws.Int32(10001)})
			return err
		}, "InvalidArgumentException", 400, "Value '10001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10000"},
		{"list comparison operator", func() error {
			_, err := e.kv.ListStreams(bg, &kinesisvideo.ListStreamsInput{StreamNameCondition: &types.StreamNameCondition{ComparisonOperator: "ENDS_WITH", ComparisonValue: aws.String("x")}})
			return err
		}, "InvalidArgumentException", 400, "at 'streamNameCondition.comparisonOperator'"},
		{"list token", func() error {
			_, err := e.kv.ListStreams(bg, &kinesisvideo.ListStreamsInput{NextToken: aws.String("bm90IGEgdG9rZW4=")})
			return err
		}, "InvalidArgumentException", 400, "is not a token of ListStreams"},
		{"untag empty key list", func() error {
			_, err := e.kv.UntagStream(bg, &kinesisvideo.UntagStreamInput{StreamName: aws.String("exists"), TagKeyList: []string{}})
			return err
		}, "InvalidArgumentException", 400, "at 'tagKeyList' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"fragments max results", func() error {
			_, err := e.am.ListFragments(bg, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("exists"), MaxResults: aws.Int64(1001)})
			return err
		}, "InvalidArgumentException", 400, "Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"},
		{"fragments selector type", func() error {
			_, err := e.am.ListFragments(bg, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("exists"), FragmentSelector: &amtypes.FragmentSelector{
				FragmentSelectorType: "ARRIVAL_TIMESTAMP", TimestampRange: &amtypes.TimestampRange{StartTimestamp: aws.Time(now), EndTimestamp: aws.Time(now)},
			}})
			return err
		}, "InvalidArgumentException", 400, "at 'fragmentSelector.fragmentSelectorType' failed to satisfy constraint: Member must satisfy enum value set: [PRODUCER_TIMESTAMP, SERVER_TIMESTAMP]"},
		{"fragments range reversed", func() error {
			_, err := e.am.ListFragments(bg, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("exists"), FragmentSelector: &amtypes.FragmentSelector{
				FragmentSelectorType: amtypes.FragmentSelectorTypeServerTimestamp, TimestampRange: &amtypes.TimestampRange{StartTimestamp: aws.Time(now), EndTimestamp: aws.Time(now.Add(-time.Second))},
			}})
			return err
		}, "InvalidArgumentException", 400, "must not be after its EndTimestamp"},
		{"fragments token", func() error {
			_, err := e.am.ListFragments(bg, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("exists"), NextToken: aws.String("AAAA")})
			return err
		}, "InvalidArgumentException", 400, "is not a token of ListFragments"},

		// Limits.
		{"too many tags at once", func() error {
			_, err := e.kv.TagStream(bg, &kinesisvideo.TagStreamInput{StreamName: aws.String("exists"), Tags: manyTags("k", 51)})
			return err
		}, "TagsPerResourceExceededLimitException", 400, "at most 50 tags"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantAPIError(t, c.call(), c.code, c.status, c.msg)
		})
	}
	// The SDKs see their typed errors, with the message.
	_, err := e.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("nope")})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) || aws.ToString(notFound.Message) == "" {
		t.Fatalf("DescribeStream of a missing stream: %T %v", err, err)
	}
	_, err = e.kv.UpdateStream(bg, &kinesisvideo.UpdateStreamInput{StreamName: aws.String("exists"), CurrentVersion: stale})
	var mismatch *types.VersionMismatchException
	if !errors.As(err, &mismatch) {
		t.Fatalf("UpdateStream with a stale version: %T %v", err, err)
	}
	_, err = e.am.ListFragments(bg, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("exists"), MaxResults: aws.Int64(0)})
	var invalid *amtypes.InvalidArgumentException
	if !errors.As(err, &invalid) {
		t.Fatalf("ListFragments with MaxResults 0: %T %v", err, err)
	}

	// Nothing above changed the stream.
	if info := e.describe("exists"); aws.ToString(info.Version) != s.Version || aws.ToInt32(info.DataRetentionInHours) != 2 {
		t.Fatalf("stream changed by failed calls: %+v", info)
	}
}
