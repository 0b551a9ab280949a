// Package s3test runs a real S3-compatible server, s3rver (installed from
// npm into this directory), as a separate process on loopback for tests of
// code that uploads to S3: Start gives each test its own server, data
// directory and bucket, and stops it at cleanup.
//
// Setup: `npm ci` in this directory (.ci/run does it). Without node or the
// package, tests that need the server skip, except under CI=true, where
// they fail.
//
// What s3rver checks, and does not: it refuses an access key ID other
// than S3RVER (InvalidAccessKeyId, 403), which is how a test makes an
// endpoint refuse uploads; it does not verify signature v4 itself (nor
// Content-MD5), so a wrong secret goes unnoticed here. It keeps objects in
// a directory and supports the calls an exporter makes (put, list, get,
// multipart upload). It stores a body as sent: it does not decode the
// aws-chunked encoding of streaming signatures, so clients must send plain
// bodies (minio-go: PutObjectOptions.DisableContentSha256).
package s3test
