package s3test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// The credentials s3rver accepts: another access key ID is refused (it
// does not check the signature, so the secret is not).
const (
	AccessKeyID     = "S3RVER"
	SecretAccessKey = "S3RVER"
	Region          = "us-east-1"
)

// startTimeout bounds how long node may take to start listening.
const startTimeout = 60 * time.Second

// Server is one s3rver process and its data.
type Server struct {
	// Endpoint is the server's URL, "http://127.0.0.1:<port>".
	Endpoint string
	// Bucket exists from the start.
	Bucket string
	// Dir holds the objects; it outlives Stop, so Restart serves them again.
	Dir string

	t       testing.TB
	node    string
	script  string
	port    int
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	stderr  *lockedBuffer
	stopped bool
}

// listeningRE is the line s3rver prints once it accepts connections.
var listeningRE = regexp.MustCompile(`S3rver listening on [^:]+:(\d+)`)

// Start runs s3rver on a free loopback port with bucket "exports" in a
// temporary directory, returns once it answers, and stops it at cleanup.
// It skips the test with -short, and when node or s3rver is missing
// (fails then under CI=true).
func Start(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("starts an S3 server process")
	}
	node, script := tools(t)
	s := &Server{Bucket: "exports", Dir: t.TempDir(), t: t, node: node, script: script}
	s.start(0)
	t.Cleanup(s.Stop)
	return s
}

// tools finds node and s3rver's command, or skips (fails under CI=true).
func tools(t testing.TB) (node, script string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	script = filepath.Join(filepath.Dir(file), "node_modules", "s3rver", "bin", "s3rver.js")
	var missing []string
	node, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "node")
	}
	if _, err := os.Stat(script); err != nil {
		missing = append(missing, "s3rver (npm ci in internal/s3test)")
	}
	if len(missing) > 0 {
		msg := "the S3 test server needs " + strings.Join(missing, " and ")
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node, script
}

// start runs the process on port (0: any free one) and waits for it to
// listen.
func (s *Server) start(port int) {
	s.t.Helper()
	cmd := exec.Command(s.node, s.script, "--directory", s.Dir, "--address", "127.0.0.1",
		"--port", strconv.Itoa(port), "--silent", "--no-vhost-buckets", "--configure-bucket", s.Bucket)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting s3rver: %v", err)
	}
	exited := make(chan struct{})
	listening := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				p, _ := strconv.Atoi(m[1])
				listening <- p
			}
		}
		io.Copy(io.Discard, stdout)
		cmd.Wait()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited, s.stderr, s.stopped = cmd, exited, stderr, false
	s.mu.Unlock()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case p := <-listening:
		s.port = p
	case <-exited:
		s.t.Fatalf("s3rver exited before listening: %s", s.stderrText())
	case <-timer.C:
		s.Stop()
		s.t.Fatalf("s3rver did not listen within %v: %s", startTimeout, s.stderrText())
	}
	s.Endpoint = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if ok, err := s.Client().BucketExists(ctx, s.Bucket); err != nil || !ok {
		s.t.Fatalf("s3rver at %s has no bucket %s: %v %s", s.Endpoint, s.Bucket, err, s.stderrText())
	}
}

// Stop kills the server, as an outage would; its objects stay in Dir.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, exited, stopped := s.cmd, s.exited, s.stopped
	s.stopped = true
	s.mu.Unlock()
	if cmd == nil || stopped {
		return
	}
	cmd.Process.Kill()
	<-exited
}

// Restart starts the server again, after Stop, on the same port and with
// the same objects.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start(s.port)
}

// Client is a minio-go client of the server.
func (s *Server) Client() *minio.Client {
	s.t.Helper()
	c, err := minio.New(strings.TrimPrefix(s.Endpoint, "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(AccessKeyID, SecretAccessKey, ""), Region: Region, MaxRetries: 1})
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// Keys lists the bucket's object keys, sorted.
func (s *Server) Keys() []string {
	s.t.Helper()
	var keys []string
	for o := range s.Client().ListObjects(context.Background(), s.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			s.t.Fatalf("listing %s: %v", s.Bucket, o.Err)
		}
		keys = append(keys, o.Key)
	}
	sort.Strings(keys)
	return keys
}

// Get returns an object's content.
func (s *Server) Get(key string) []byte {
	s.t.Helper()
	o, err := s.Client().GetObject(context.Background(), s.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		s.t.Fatalf("get %s: %v", key, err)
	}
	defer o.Close()
	b, err := io.ReadAll(o)
	if err != nil {
		s.t.Fatalf("get %s: %v", key, err)
	}
	return b
}

func (s *Server) stderrText() string {
	s.mu.Lock()
	b := s.stderr
	s.mu.Unlock()
	return fmt.Sprintf("stderr: %q", b.String())
}

// lockedBuffer lets the process write stderr while a failing test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
