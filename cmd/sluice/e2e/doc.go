// Package e2e holds, in its sub-packages, the end-to-end tests of the
// sluice binary with real peers on loopback, grouped so that go test runs
// them in parallel: security (the doors, keys, the audit's regressions,
// the AWS CLI, crash safety), media (HLS, clips, Matroska, S3 archive) and
// live (RTSP ingest, camera pulling, WebRTC, the web UI). Their shared
// helpers are in internal/e2e.
package e2e
