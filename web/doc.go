// Package web is Sluice's HTTP surface: one listener serving the Kinesis
// Data Streams protocol (POST / with X-Amz-Target, package web/kds), health
// (/healthz: the process runs; /readyz: the stream core answers) and
// Prometheus metrics (/metrics). HTTP/1.1 and HTTP/2 (h2c, for
// SubscribeToShard) are both served.
package web
