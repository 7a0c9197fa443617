// Package e2e holds, in its sub-packages, the end-to-end tests of the
// sluice binary with real peers on loopback, grouped so that go test runs
// them in parallel: security (the doors, keys, the audit's regressions,
// the AWS CLI, crash safety), media (RTSP ingest, camera pulling, clips,
// Matroska, the S3 archive) and browser (everything headless Chromium
// plays or publishes: LL-HLS, WebRTC, the web UI; one package, so that two
// browsers never share the two cores of a CI machine). Their shared
// helpers are in internal/e2e.
package e2e
