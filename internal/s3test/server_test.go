package s3test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// The server keeps what a client with its key puts, refuses another key,
// and, stopped and restarted, is unreachable in between and serves the
// same objects after.
func TestServer(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	body := []byte("hello, s3")
	put := func(c *minio.Client, key string) error {
		_, err := c.PutObject(ctx, s.Bucket, key, bytes.NewReader(body), int64(len(body)),
			minio.PutObjectOptions{DisableContentSha256: true, SendContentMd5: true})
		return err
	}
	if err := put(s.Client(), "dir/a.txt"); err != nil {
		t.Fatal(err)
	}
	if got := s.Get("dir/a.txt"); !bytes.Equal(got, body) {
		t.Errorf("got %q, want %q", got, body)
	}
	bad, err := minio.New(strings.TrimPrefix(s.Endpoint, "http://"), &minio.Options{
		Creds: credentialsFor("AKIAWRONG", SecretAccessKey), Region: Region, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := put(bad, "dir/b.txt"); err == nil {
		t.Error("an unknown access key ID was accepted")
	}

	s.Stop()
	if err := put(s.Client(), "dir/c.txt"); err == nil {
		t.Error("a stopped server took an object")
	}
	s.Restart()
	if got := s.Keys(); !slices.Equal(got, []string{"dir/a.txt"}) {
		t.Errorf("after restart: keys %v", got)
	}
}

func credentialsFor(id, secret string) *credentials.Credentials {
	return credentials.NewStaticV4(id, secret, "")
}
