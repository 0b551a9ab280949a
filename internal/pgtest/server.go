package pgtest

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// startTimeout bounds initdb plus the server's start.
const startTimeout = 60 * time.Second

// Server is one PostgreSQL server process and its data directory.
type Server struct {
	// Dir holds the data directory ("data") and the socket.
	Dir string
	// DSN connects to the "postgres" database as the superuser.
	DSN string

	cmd  *exec.Cmd
	done chan struct{}
	log  *bytes.Buffer
	mu   sync.Mutex
	dbs  atomic.Int64
}

// Options tune a server.
type Options struct {
	// Durable keeps fsync on: commits survive a crash of the machine, at
	// the cost of commit latency. Tests leave it off (a killed server still
	// keeps every commit: only the machine's crash would lose them);
	// benchmarks turn it on to measure what an operator gets.
	Durable bool
}

// binDir finds the directory of initdb and postgres: $PG_BIN, else the
// newest /usr/lib/postgresql/<version>/bin, else $PATH.
func binDir() (string, error) {
	if d := os.Getenv("PG_BIN"); d != "" {
		return d, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	sort.Slice(matches, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[j]))))
		return vi > vj
	})
	if len(matches) > 0 {
		return filepath.Dir(matches[0]), nil
	}
	p, err := exec.LookPath("postgres")
	if err != nil {
		return "", fmt.Errorf("no PostgreSQL server binaries (apt-get install postgresql, or set PG_BIN): %w", err)
	}
	return filepath.Dir(p), nil
}

// skipOrFail skips the test, or fails it under CI=true.
func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("pgtest: %v", err)
	}
	t.Skipf("pgtest: %v", err)
}

// Start starts a server of the test's own and stops it at cleanup.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := start(opts)
	if err != nil {
		if _, ok := err.(missingError); ok {
			skipOrFail(t, err)
		}
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

type missingError struct{ error }

// StartServer starts a server outside a test (the benchmark harness);
// the caller stops it. Where PostgreSQL is not installed the error says
// so, and IsMissing reports it.
func StartServer(opts Options) (*Server, error) { return start(opts) }

// IsMissing reports whether err says that PostgreSQL is not installed
// here (rather than that it failed to start).
func IsMissing(err error) bool {
	_, ok := err.(missingError)
	return ok
}

// Pid is the server's (the postmaster's) process ID; the backends it
// forks inherit its CPU affinity.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// runAs returns the credential the server runs under: the "postgres" user
// when we are root (the server refuses root), else nil (ourselves).
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, missingError{fmt.Errorf("running as root and there is no postgres user to run the server as: %w", err)}
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func start(opts Options) (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, missingError{err}
	}
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	// A short directory: a Unix socket path is limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "pg")
	if err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	args := []string{"-D", data, "-k", dir, "-c", "listen_addresses=", "-c", "max_connections=200",
		"-c", "shared_buffers=32MB", "-c", "log_min_messages=warning"}
	if !opts.Durable {
		args = append(args, "-c", "fsync=off", "-c", "full_page_writes=off")
	}
	s := &Server{Dir: dir, done: make(chan struct{}), log: new(bytes.Buffer)}
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), args...)
	s.cmd.Stdout, s.cmd.Stderr = syncWriter{s}, syncWriter{s}
	// Pdeathsig: the server dies with the test binary, however it ends.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting postgres: %w", err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	s.DSN = DSN(dir, "postgres")
	for {
		if err := ping(ctx, s.DSN); err == nil {
			return s, nil
		}
		select {
		case <-s.done:
			s.Stop()
			return nil, fmt.Errorf("postgres exited while starting:\n%s", s.Log())
		case <-ctx.Done():
			s.Stop()
			return nil, fmt.Errorf("postgres did not accept connections within %v:\n%s", startTimeout, s.Log())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// DSN is the URL of database db on the server whose socket is in dir.
func DSN(dir, db string) string {
	q := url.Values{"host": {dir}, "sslmode": {"disable"}}
	return "postgres://postgres@/" + db + "?" + q.Encode()
}

func ping(ctx context.Context, dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	c, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return db.PingContext(c)
}

type syncWriter struct{ s *Server }

func (w syncWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.log.Write(p)
}

// Log is what the server printed.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// Stop stops the server (a fast shutdown: open sessions are ended) and
// removes its directory.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		select {
		case <-s.done:
		default:
			s.cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-s.done:
			case <-time.After(10 * time.Second):
				syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
				<-s.done
			}
		}
	}
	os.RemoveAll(s.Dir)
}

// NewDatabase creates an empty database on s and returns its DSN.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	dsn, err := s.CreateDatabase()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dsn
}

// CreateDatabase creates an empty database on s and returns its DSN.
func (s *Server) CreateDatabase() (string, error) {
	name := fmt.Sprintf("t%d_%d", os.Getpid(), s.dbs.Add(1))
	db, err := sql.Open("pgx", s.DSN)
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		return "", fmt.Errorf("creating a database: %w", err)
	}
	return DSN(s.Dir, name), nil
}

var shared struct {
	sync.Mutex
	s   *Server
	err error
}

// Database returns the DSN of a fresh, empty database on the server
// shared by the test binary, starting it on first use. Call Main from
// TestMain so that the server is stopped when the tests end.
func Database(t testing.TB) string {
	t.Helper()
	shared.Lock()
	if shared.s == nil && shared.err == nil {
		shared.s, shared.err = start(Options{})
	}
	s, err := shared.s, shared.err
	shared.Unlock()
	if err != nil {
		if _, ok := err.(missingError); ok {
			skipOrFail(t, err)
		}
		t.Fatalf("pgtest: %v", err)
	}
	return s.NewDatabase(t)
}

// Main runs the tests and stops the shared server: call it as
// os.Exit(pgtest.Main(m)) from TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	shared.Lock()
	if shared.s != nil {
		shared.s.Stop()
	}
	shared.Unlock()
	return code
}
