package auth

import "strings"

// Class is the coarse kind of an action, the unit most policies use.
type Class string

// The classes. They are independent: a key that may administer streams
// and read them lists both.
const (
	// ClassRead reads records, media and descriptions.
	ClassRead Class = "read"
	// ClassWrite adds records and media.
	ClassWrite Class = "write"
	// ClassAdmin creates, deletes and changes streams, shards, consumers,
	// tags and retention.
	ClassAdmin Class = "admin"
)

// Protocols of an operation: which API (and signing service) it belongs to.
const (
	apiKDS          = "kinesis"                      // Kinesis Data Streams, JSON 1.1 / CBOR
	apiKVS          = "kinesisvideo"                 // Kinesis Video Streams control plane, REST-JSON
	apiArchived     = "kinesis-video-archived-media" // REST-JSON, signs as kinesisvideo
	apiMedia        = "kinesis-video-media"          // REST-JSON, signs as kinesisvideo
	serviceKDS      = "kinesis"                      // SigV4 signing name of apiKDS
	serviceKVS      = "kinesisvideo"                 // SigV4 signing name of every KVS API
	apiSluice       = "sluice"                       // Sluice's own API and doors (Guard)
	kdsTargetPrefix = "Kinesis_20131202."
)

// Operation is one API operation as policies see it.
type Operation struct {
	// Action is the AWS action name, e.g. "kinesis:PutRecord".
	Action string
	Class  Class
	// Path is the request path of a KVS operation ("/getMedia"); empty
	// for KDS, which is addressed by X-Amz-Target.
	Path string
	// api is the protocol family (apiKDS, apiKVS, apiArchived, apiMedia).
	api string
	// mediaBody: the body is media, not JSON (PutMedia); the stream is in
	// the x-amzn-stream-name or x-amzn-stream-arn header.
	mediaBody bool
}

// operations is the one table of every operation of both APIs (as in the
// AWS models: kinesis 2013-12-02, kinesisvideo, kinesis-video-archived-media
// and kinesis-video-media 2017-09-30, plus PutMedia) with its class. It is
// read-only.
var operations = func() []Operation {
	kds := func(name string, c Class) Operation {
		return Operation{Action: "kinesis:" + name, Class: c, api: apiKDS}
	}
	kvs := func(api, name string, c Class) Operation {
		return Operation{Action: "kinesisvideo:" + name, Class: c, Path: "/" + kvsPath(name), api: api}
	}
	sluice := func(name string, c Class) Operation {
		return Operation{Action: "sluice:" + name, Class: c, api: apiSluice}
	}
	ops := []Operation{
		// Kinesis Data Streams.
		kds("DescribeStream", ClassRead),
		kds("DescribeStreamSummary", ClassRead),
		kds("DescribeStreamConsumer", ClassRead),
		kds("DescribeLimits", ClassRead),
		kds("DescribeAccountSettings", ClassRead),
		kds("ListStreams", ClassRead),
		kds("ListShards", ClassRead),
		kds("ListStreamConsumers", ClassRead),
		kds("ListTagsForStream", ClassRead),
		kds("ListTagsForResource", ClassRead),
		kds("GetShardIterator", ClassRead),
		kds("GetRecords", ClassRead),
		kds("GetResourcePolicy", ClassRead),
		kds("ListChannels", ClassRead),
		kds("DescribeChannel", ClassRead),
		kds("SubscribeToShard", ClassRead),
		kds("PutRecord", ClassWrite),
		kds("PutRecords", ClassWrite),
		kds("CreateStream", ClassAdmin),
		kds("DeleteStream", ClassAdmin),
		kds("SplitShard", ClassAdmin),
		kds("MergeShards", ClassAdmin),
		kds("UpdateShardCount", ClassAdmin),
		kds("UpdateStreamMode", ClassAdmin),
		kds("UpdateStreamWarmThroughput", ClassAdmin),
		kds("UpdateMaxRecordSize", ClassAdmin),
		kds("UpdateAccountSettings", ClassAdmin),
		kds("IncreaseStreamRetentionPeriod", ClassAdmin),
		kds("DecreaseStreamRetentionPeriod", ClassAdmin),
		kds("StartStreamEncryption", ClassAdmin),
		kds("StopStreamEncryption", ClassAdmin),
		kds("EnableEnhancedMonitoring", ClassAdmin),
		kds("DisableEnhancedMonitoring", ClassAdmin),
		kds("AddTagsToStream", ClassAdmin),
		kds("RemoveTagsFromStream", ClassAdmin),
		kds("TagResource", ClassAdmin),
		kds("UntagResource", ClassAdmin),
		kds("RegisterStreamConsumer", ClassAdmin),
		kds("DeregisterStreamConsumer", ClassAdmin),
		kds("PutResourcePolicy", ClassAdmin),
		kds("DeleteResourcePolicy", ClassAdmin),
		kds("CreateChannel", ClassAdmin),
		kds("UpdateChannel", ClassAdmin),
		kds("DeleteChannel", ClassAdmin),
		kds("UpdateStreamRecordDistributionStrategy", ClassAdmin),

		// Kinesis Video Streams control plane.
		kvs(apiKVS, "DescribeStream", ClassRead),
		kvs(apiKVS, "ListStreams", ClassRead),
		kvs(apiKVS, "GetDataEndpoint", ClassRead),
		kvs(apiKVS, "ListTagsForStream", ClassRead),
		kvs(apiKVS, "ListTagsForResource", ClassRead),
		kvs(apiKVS, "DescribeEdgeConfiguration", ClassRead),
		kvs(apiKVS, "DescribeImageGenerationConfiguration", ClassRead),
		kvs(apiKVS, "DescribeMappedResourceConfiguration", ClassRead),
		kvs(apiKVS, "DescribeMediaStorageConfiguration", ClassRead),
		kvs(apiKVS, "DescribeNotificationConfiguration", ClassRead),
		kvs(apiKVS, "DescribeSignalingChannel", ClassRead),
		kvs(apiKVS, "DescribeStreamStorageConfiguration", ClassRead),
		kvs(apiKVS, "GetSignalingChannelEndpoint", ClassRead),
		kvs(apiKVS, "ListEdgeAgentConfigurations", ClassRead),
		kvs(apiKVS, "ListSignalingChannels", ClassRead),
		kvs(apiKVS, "CreateStream", ClassAdmin),
		kvs(apiKVS, "DeleteStream", ClassAdmin),
		kvs(apiKVS, "UpdateStream", ClassAdmin),
		kvs(apiKVS, "UpdateDataRetention", ClassAdmin),
		kvs(apiKVS, "TagStream", ClassAdmin),
		kvs(apiKVS, "UntagStream", ClassAdmin),
		kvs(apiKVS, "TagResource", ClassAdmin),
		kvs(apiKVS, "UntagResource", ClassAdmin),
		kvs(apiKVS, "CreateSignalingChannel", ClassAdmin),
		kvs(apiKVS, "DeleteSignalingChannel", ClassAdmin),
		kvs(apiKVS, "UpdateSignalingChannel", ClassAdmin),
		kvs(apiKVS, "DeleteEdgeConfiguration", ClassAdmin),
		kvs(apiKVS, "StartEdgeConfigurationUpdate", ClassAdmin),
		kvs(apiKVS, "UpdateImageGenerationConfiguration", ClassAdmin),
		kvs(apiKVS, "UpdateMediaStorageConfiguration", ClassAdmin),
		kvs(apiKVS, "UpdateNotificationConfiguration", ClassAdmin),
		kvs(apiKVS, "UpdateStreamStorageConfiguration", ClassAdmin),

		// Archived media and media (data plane).
		kvs(apiArchived, "ListFragments", ClassRead),
		kvs(apiArchived, "GetHLSStreamingSessionURL", ClassRead),
		kvs(apiArchived, "GetDASHStreamingSessionURL", ClassRead),
		kvs(apiArchived, "GetClip", ClassRead),
		kvs(apiArchived, "GetImages", ClassRead),
		kvs(apiArchived, "GetMediaForFragmentList", ClassRead),
		kvs(apiMedia, "GetMedia", ClassRead),
		kvs(apiMedia, "PutMedia", ClassWrite),

		// Sluice's own API (/api/v1/) where no AWS action fits; WHIP, WHEP
		// and /hls/ use kinesisvideo:PutMedia, GetMedia and
		// GetHLSStreamingSessionURL.
		sluice("ListCameras", ClassRead),
		sluice("ListRecordings", ClassRead),
		sluice("GetMetrics", ClassAdmin), // metrics name every stream
		sluice("CreateToken", ClassRead),
		sluice("DescribeCluster", ClassRead),
		sluice("AddCamera", ClassAdmin),
		sluice("RemoveCamera", ClassAdmin),
		sluice("Debug", ClassAdmin),
	}
	for i := range ops {
		if ops[i].Action == "kinesisvideo:PutMedia" {
			ops[i].mediaBody = true
		}
	}
	return ops
}()

// kvsPath is the request path of a KVS operation: the model's lowerCamel
// name, except the three resource-tag operations, which keep their case.
func kvsPath(name string) string {
	switch name {
	case "TagResource", "UntagResource", "ListTagsForResource":
		return name
	}
	return strings.ToLower(name[:1]) + name[1:]
}

// index is the table by KDS action name, KVS path and lower-case action
// name; built once, read-only.
type index struct {
	kds, kvs, action map[string]Operation
}

var byName = func() index {
	ix := index{kds: map[string]Operation{}, kvs: map[string]Operation{}, action: map[string]Operation{}}
	for _, op := range operations {
		switch op.api {
		case apiKDS:
			ix.kds[strings.TrimPrefix(op.Action, "kinesis:")] = op
		case apiSluice:
		default:
			ix.kvs[op.Path] = op
		}
		ix.action[strings.ToLower(op.Action)] = op
	}
	return ix
}()

// Operations returns the table: every operation with its class.
func Operations() []Operation { return append([]Operation(nil), operations...) }

// kdsOperation is the operation an X-Amz-Target names. An unknown target
// is an admin operation named after the target (the handler refuses it).
func kdsOperation(target string) Operation {
	name, ok := strings.CutPrefix(target, kdsTargetPrefix)
	if op, known := byName.kds[name]; ok && known {
		return op
	}
	return Operation{Action: "kinesis:" + name, Class: ClassAdmin, api: apiKDS}
}

// kvsOperation is the operation a KVS request path names; an unknown path
// is an admin operation.
func kvsOperation(path string) Operation {
	if op, ok := byName.kvs[path]; ok {
		return op
	}
	return Operation{Action: "kinesisvideo:" + strings.TrimPrefix(path, "/"), Class: ClassAdmin, Path: path, api: apiKVS}
}

// classOf is the class of an action name; unknown actions are admin.
func classOf(action string) Class {
	if op, ok := byName.action[strings.ToLower(action)]; ok {
		return op.Class
	}
	return ClassAdmin
}

func knownAction(lower string) bool {
	_, ok := byName.action[lower]
	return ok
}
