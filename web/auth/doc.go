// Package auth decides who may use Sluice: access keys (an ID and a secret)
// with a policy each (which streams, which actions), AWS Signature Version 4
// verification for the Kinesis Data Streams and Kinesis Video Streams HTTP
// APIs, and the other doors: RTSP passwords (RTSPAuth), bearer tokens and
// the web UI's session cookie for WHIP, WHEP, /hls/ and Sluice's own API
// (Guard; tokens.go and session.go state the formats).
//
// # Keys and policies
//
// A Key has a Policy: stream name patterns (path.Match syntax, so "cam-*"
// or "*") and actions. An action is a class ("read", "write", "admin"), an
// AWS action name ("kinesis:PutRecord", "kinesisvideo:GetMedia") or an AWS
// action pattern ("kinesis:*", "kinesisvideo:Get*"); "*" is every action.
// The classes are independent: "admin" does not imply "read". Every
// operation of both APIs has exactly one class, in one table (actions.go).
//
// # Signature Version 4
//
// Verifier.KDS and Verifier.KVS are middleware that verify requests signed
// as AWS clients sign them: the Authorization header or query-string
// presigning, a payload hash that is a hex SHA-256 (checked against the
// body), or, for media bodies only (PutMedia), UNSIGNED-PAYLOAD or
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD (the seed signature and every chunk
// signature of the aws-chunked body); a KDS request must sign
// X-Amz-Target. The
// signature is recomputed with aws-sdk-go-v2's signer over a copy of the
// request restricted to the headers the client signed, and compared in
// constant time. The request time (X-Amz-Date) must be within 15 minutes
// of the server's clock; a presigned request also within X-Amz-Expires.
// The credential scope must name the configured region and the service
// "kinesis" (KDS) or "kinesisvideo" (KVS: the control plane, archived
// media and media APIs all sign with it).
//
// The signature's head (its form, date, scope and key) is checked before
// a byte of the body is read; the body is then read within the
// operation's limit (1 MiB, or Config.MaxBodyBytes for PutRecord and
// PutRecords) and within Config.BodyBudget, the bytes of all bodies held
// at once while they are verified.
//
// # Authorization
//
// The middleware checks only that the key may run the operation on some
// stream. Which streams a call acts on is read by the API handler from the
// input it decodes, and checked with Verifier.Authorize (an API gets it as
// its Config.Authorize): what is authorized is exactly what is served,
// whatever the content type, and a request that reaches a handler without
// an authenticated key is refused (fail closed). Lists show only the
// streams Authorize allows; pagination tokens are sealed for their caller
// (Verifier.Seal).
//
// Failures are answered with the AWS error names and the statuses of each
// protocol (errors.go): 400 for everything on the KDS JSON/CBOR protocol,
// 403 for signature failures and 401 for permission failures on the KVS
// REST-JSON protocol.
//
// With no keys configured the Verifier is open: the middleware passes
// every request through. Deciding when that is allowed is the caller's
// job.
//
// # Failed attempts
//
// Failed authentications are counted per client address (IPv6 per /64);
// past Config.FailureLimit.Max in Config.FailureLimit.Window, the
// address's failures are answered ThrottlingException for
// FailureLimit.Block. Successes are never limited: a valid signature
// proves the secret, which cannot be guessed at that rate. Passwords
// (RTSP) from a blocked address are refused without being checked. The
// login form and bearer tokens count failures per address and key ID; a
// login for a blocked (address, key) waits FailureLimit.SlowLogin, one at
// a time, and then logs in with the right secret (429 with a wrong one),
// so that an attacker behind a shared address (a TLS proxy) cannot lock
// a key's owner out.
//
// # Other doors
//
// Guard protects an http.Handler with bearer tokens (a key's derived token,
// or a minted one limited to one stream, one class and a lifetime) or the
// UI session cookie (HttpOnly, SameSite=Strict, with a CSRF token required
// on state-changing requests), and applies the key's policy to an action
// on the request's stream. Tokens and cookies are HMACs under
// Config.TokenSecret (shared by every node) and are checked against the
// key's current policy on every request.
//
// Secrets are never logged, never put in error messages and never
// returned.
package auth
