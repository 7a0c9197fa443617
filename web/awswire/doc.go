// Package awswire is the AWS wire edge that every AWS-compatible API of
// Sluice shares (Kinesis Data Streams in web/kds, Kinesis Video Streams in
// web/kvs, the SigV4 door in web/auth, and the APIs that come after them):
// errors as they go on the wire, their bodies, request IDs and epoch
// timestamps. Each API keeps its own table from failures to error names
// and HTTP statuses (the statuses differ by protocol: a Coral JSON 1.1
// service answers every client error with 400, a REST-JSON service with
// the status its model gives); this package gives them one Error type and
// one way to write it.
package awswire
