// Package kds serves the Amazon Kinesis Data Streams API (2013-12-02) over
// HTTP on top of the stream core (package streams), so that the AWS CLI, the
// SDKs and the KCL work against Sluice unchanged.
//
// # Wire protocol
//
// Every call is "POST /" with the header "X-Amz-Target:
// Kinesis_20131202.<Action>" and a body in one of two encodings; the
// response uses the encoding of the request:
//
//   - JSON ("application/x-amz-json-1.1"; "application/x-amz-json-1.0" and
//     "application/json" are accepted too): blobs are base64 strings,
//     timestamps are epoch seconds as a JSON number with a millisecond
//     fraction.
//   - CBOR ("application/x-amz-cbor-1.1", what the AWS Java SDK sends):
//     blobs are byte strings, timestamps are tag 1 over epoch milliseconds.
//     When decoding, tag-1 (or untagged) integers and floats above 1e11 are
//     read as milliseconds, smaller ones as seconds.
//
// Every response carries "x-amzn-RequestId". Failures carry
// "x-amzn-ErrorType" and the body {"__type": <name>, "message": <text>}; the
// names and HTTP statuses come from one table (errors.go) that maps the
// core's error kinds. Malformed bodies are SerializationException, requests
// that break the API model's constraints are ValidationException with the
// message AWS prints ("1 validation error detected: Value 'a b' at
// 'streamName' failed to satisfy constraint: ...").
//
// SubscribeToShard answers with an AWS event stream
// ("application/vnd.amazon.eventstream"): an initial-response event, then one
// SubscribeToShardEvent per push of the core's subscription, each flushed at
// once. Errors found before the stream starts are ordinary error responses;
// later ones end the stream with an exception message. It works over
// HTTP/1.1 (chunked) and HTTP/2, including h2c.
//
// # Paging
//
// NextToken values (ListStreams, ListShards, ListStreamConsumers) are
// opaque, valid for 300 seconds (ExpiredNextTokenException after that), and
// name the last item returned, so pages stay consistent while streams,
// shards and consumers come and go.
//
// # Deviations
//
// ListShards' time filters go by the shards' open and close times (for
// shards written by versions that did not record them, by the lineage). Tags on
// consumers are refused (the core keeps none). WarmThroughputMiBps and
// StreamId are accepted and ignored.
package kds
