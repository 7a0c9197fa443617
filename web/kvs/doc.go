// Package kvs serves the Amazon Kinesis Video Streams API (2017-09-30) over
// HTTP: the control plane of the kinesisvideo model (streams, versions,
// retention, data endpoints, tags) and the fragment listing of the
// kinesis-video-archived-media model, on the video stream registry and
// fragment index of package fragments, with media in a storage.Bucket. The
// AWS CLI and SDKs work against it with an endpoint override.
//
// # Wire protocol
//
// REST-JSON: every call is "POST /<operation>" with the path spelled as the
// model does (/createStream, ..., /TagResource, /listFragments; see
// operations.go, the one dispatch table, and Handler.Paths). Bodies are
// JSON in both directions, with the models' member names. Timestamps are
// epoch seconds as JSON numbers; responses carry a millisecond fraction.
// Every response has "x-amzn-RequestId".
//
// A failure has the model's HTTP status, the header "x-amzn-ErrorType:
// <name>" and the body {"__type": <name>, "message": <text>}: the Go SDK
// reads the header, botocore (AWS CLI) the header or __type. The names
// come from one table (errors.go) that also maps the registry's error
// kinds. Requests that break the model's constraints (required members,
// lengths, patterns, ranges, enums) are InvalidArgumentException with the
// message AWS prints ("1 validation error detected: Value 'a b' at
// 'streamName' failed to satisfy constraint: Member must satisfy regular
// expression pattern: [a-zA-Z0-9_.-]+"); so are bodies that are not JSON,
// members of the wrong JSON type, and bodies over Config.MaxBodyBytes.
// Unknown members are ignored. Unknown paths are UnknownOperationException
// (404), other methods than POST MethodNotAllowedException (405).
//
// # Consistency
//
// Streams are created CREATING and become ACTIVE once their index exists;
// UpdateStream and UpdateDataRetention want an ACTIVE stream and its
// current Version (VersionMismatchException otherwise) and give it a new
// one. DeleteStream first removes the registry entry (the stream is
// DELETING, its index unreadable, and it is gone shortly after), then
// every object under fragments.MediaPrefix; see deleteStream for why that
// order and what a partial failure leaves. A StreamARN names one
// incarnation of a stream: it includes the creation time.
//
// # Paging
//
// NextToken values of ListStreams and ListFragments are opaque (base64 of
// a versioned document) and name the last item returned, so pages neither
// repeat nor skip items that exist throughout. They do not expire. A
// ListFragments token carries its selector and stream incarnation; later
// pages ignore the selector of the request.
//
// # Deviations from AWS
//
//   - GetDataEndpoint returns Config.PublicURL for every APIName: Sluice
//     serves the data plane on the same listener.
//   - ListFragments lists in time order (AWS promises no order), and with
//     no FragmentSelector lists every fragment of the stream.
//   - KmsKeyId is stored and reported as given; nothing is encrypted with
//     it, and DescribeStream leaves it out when none was given (AWS reports
//     its default key). StreamStorageConfiguration is checked and ignored.
//   - Tags beyond 50 on a stream are TagsPerResourceExceededLimitException
//     also where the count is in the request itself.
//   - ListTagsForStream and ListTagsForResource never page.
//   - The registry being unavailable is InternalFailure (500), which SDKs
//     retry.
package kvs
