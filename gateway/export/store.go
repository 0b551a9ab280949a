package export

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/tsplug/ts-plug/gateway/config"
)

// awsEndpoint is S3's own, used when the config names no endpoint.
const awsEndpoint = "https://s3.amazonaws.com"

// bucket uploads objects to one S3 bucket.
type bucket struct {
	client *minio.Client
	name   string
}

// newBucket makes the client for c. minio-go signs with signature v4,
// addresses AWS and Google buckets by virtual host and every other
// endpoint (MinIO, Ceph, B2, a test server) by path, and retries a failed
// request maxRetries times in all.
func newBucket(c *config.S3Exporter, transport http.RoundTripper, maxRetries int) (*bucket, error) {
	endpoint := c.Endpoint
	if endpoint == "" {
		endpoint = awsEndpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("S3 endpoint: %w", err)
	}
	client, err := minio.New(u.Host, &minio.Options{
		// Without both keys the requests go unsigned (anonymous); the
		// config warns about half a pair.
		Creds:        credentials.NewStaticV4(c.AccessKeyID, c.AccessSecret, ""),
		Secure:       u.Scheme == "https",
		Region:       c.Region, // set, so the client never asks the bucket for it
		BucketLookup: minio.BucketLookupAuto,
		Transport:    transport,
		MaxRetries:   maxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("S3 client for %s: %w", u.Host, err)
	}
	return &bucket{client: client, name: c.Bucket}, nil
}

// put uploads size bytes of r as key, replacing any object there.
func (b *bucket) put(ctx context.Context, key string, r io.Reader, size int64) error {
	_, err := b.client.PutObject(ctx, b.name, key, r, size, minio.PutObjectOptions{
		ContentType: "application/zstd",
		// The body is signed as UNSIGNED-PAYLOAD and checked by its
		// Content-MD5 instead of the streaming (aws-chunked) signature
		// minio-go uses over plain http, which several S3-compatible
		// servers store without decoding. Over https, which AWS and every
		// hosted service use, minio-go does the same anyway.
		DisableContentSha256: true,
		SendContentMd5:       true,
	})
	if err != nil {
		return fmt.Errorf("upload s3://%s/%s: %w", b.name, key, err)
	}
	return nil
}
