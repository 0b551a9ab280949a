package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/tsplug/ts-plug/internal/testbin"
	"io"
	"net"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/quotas"
	"tailscale.com/client/tailscale/apitype"
)

// An internal error's text, as SQLite's and the OS's errors carry it: a
// file path, SQL, a socket.
const (
	leakPath   = "/var/lib/aperture/ledger.db"
	leakSQL    = "SELECT principal, model FROM requests"
	leakSocket = "/var/run/tailscale/tailscaled.sock"
)

var errLeak = fmt.Errorf("query %q on %s: disk I/O error", leakSQL, leakPath)

// failingStore fails every query with errLeak.
type failingStore struct{}

func (failingStore) Requests(context.Context, ledger.Query) ([]ledger.Row, error) {
	return nil, errLeak
}
func (failingStore) Usage(context.Context, ledger.UsageQuery) ([]ledger.UsageRow, error) {
	return nil, errLeak
}
func (failingStore) UsageCells(context.Context, time.Time, time.Time, string) ([]ledger.UsageCell, error) {
	return nil, errLeak
}
func (failingStore) UsageCSV(context.Context, io.Writer, time.Time, time.Time, string) error {
	return errLeak
}
func (failingStore) Sessions(context.Context, ledger.SessionQuery) ([]ledger.SessionRow, error) {
	return nil, errLeak
}
func (failingStore) Capture(context.Context, string) (*ledger.Capture, error) { return nil, errLeak }
func (failingStore) CapturedAnswers(context.Context, ledger.CapturedAnswerQuery, func(ledger.CapturedAnswer) error) error {
	return errLeak
}

// sickLedger cannot be written: Healthy says why, in the database's words.
type sickLedger struct{ *recordingSink }

func (sickLedger) Healthy() error { return fmt.Errorf("ledger writer: %w", errLeak) }

// errorRef is the ID a client is given to quote: an error ID, or the
// request's ID on the provider APIs.
var errorRef = regexp.MustCompile(`(?:error|request) (err-[A-Z2-7]{12}|[0-9a-f]{26})`)

// TestInternalErrorsStayInTheLog checks that when the ledger, its files
// or WhoIs fail, the client is told a short message in its own form (the
// admin API's JSON, a provider API's dialect, a dashboard page) with an
// ID, and never the error's text, which the log has under that ID.
func TestInternalErrorsStayInTheLog(t *testing.T) {
	src := []byte(fmt.Sprintf(testConfig, "http://127.0.0.1:1"))
	cfg, diags, err := config.Parse(src)
	if err != nil {
		t.Fatalf("config: %v %v", err, diags)
	}
	who := fakeWhoIs{"100.64.0.1": user("alice@example.com")}
	whois := func(ctx context.Context, addr string) (*apitype.WhoIsResponse, error) {
		if strings.HasPrefix(addr, "100.64.0.9:") {
			return nil, fmt.Errorf("Get \"http://local-tailscaled.sock/localapi/v0/whois\": dial unix %s: connect: permission denied", leakSocket)
		}
		return who.whois(ctx, addr)
	}
	var log testbin.SyncBuffer
	configPath := filepath.Join(t.TempDir(), "gone", "config.hujson") // its directory does not exist
	gw, err := New(cfg, src, Options{WhoIs: whois, Ledger: sickLedger{&recordingSink{}}, Store: failingStore{},
		Logf: log.Logf, ConfigPath: configPath})
	if err != nil {
		t.Fatal(err)
	}
	save, _ := json.Marshal(configRequest{Config: string(src), Hash: config.Hash(src)})
	mutation := []string{"Content-Type", "application/json", CSRFHeader, "1"}
	tests := []struct {
		name         string
		from         string // the caller's tailnet address
		method, path string
		body         string
		hdr          []string
		status       int
		in           string // the client's answer has this (its form)
		ref          bool   // and an ID the log has
	}{
		{"requests API", "100.64.0.1", "GET", "/api/requests", "", nil, 500, `"type":"internal"`, true},
		{"usage API", "100.64.0.1", "GET", "/api/usage?group_by=user", "", nil, 500, `"type":"internal"`, true},
		{"usage CSV", "100.64.0.1", "GET", "/api/usage.csv", "", nil, 500, `"type":"internal"`, true},
		{"config save", "100.64.0.1", "PUT", "/api/config", string(save), mutation, 500, `"type":"internal"`, true},
		{"dashboard", "100.64.0.1", "GET", "/ui/", "", nil, 500, "The page failed reading usage", true},
		{"logs page", "100.64.0.1", "GET", "/ui/logs", "", nil, 500, "The page failed reading", true},
		{"adoption page", "100.64.0.1", "GET", "/ui/adoption", "", nil, 500, "The page failed reading usage", true},
		{"tool use page", "100.64.0.1", "GET", "/ui/tooluse", "", nil, 500, "The page failed reading usage", true},
		{"provider call, ledger down", "100.64.0.1", "POST", "/v1/messages", seedMessages, nil, 503, `"type":"overloaded_error"`, true},
		{"health check, ledger down", "100.64.0.1", "GET", "/healthz", "", nil, 503, "ledger: cannot record usage", false},
		{"whoami, WhoIs fails", "100.64.0.9", "GET", "/api/whoami", "", nil, 403, `"type":"permission_denied"`, true},
		{"metrics, WhoIs fails", "100.64.0.9", "GET", "/metrics", "", nil, 403, `"type":"permission_denied"`, true},
		{"provider call, WhoIs fails", "100.64.0.9", "POST", "/v1/chat/completions", seedChat, nil, 403, `"type":"permission_error"`, true},
		{"model list, WhoIs fails", "100.64.0.9", "GET", "/v1/models", "", nil, 403, `"type":"permission_error"`, true},
		{"dashboard, WhoIs fails", "100.64.0.9", "GET", "/ui/", "", nil, 403, "Access denied: the gateway could not identify this connection", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "http://127.0.0.1:8080"+tt.path, strings.NewReader(tt.body))
			r.RemoteAddr = tt.from + ":41641"
			for i := 0; i+1 < len(tt.hdr); i += 2 {
				r.Header.Set(tt.hdr[i], tt.hdr[i+1])
			}
			w := httptest.NewRecorder()
			gw.ServeHTTP(w, r)
			body := w.Body.String()
			if w.Code != tt.status || !strings.Contains(body, tt.in) {
				t.Errorf("status %d, want %d with %q:\n%s", w.Code, tt.status, tt.in, body)
			}
			for _, secret := range []string{leakPath, leakSQL, "disk I/O", leakSocket, "permission denied", "no such file", filepath.Dir(configPath)} {
				if strings.Contains(body, secret) {
					t.Errorf("the client is told %q:\n%s", secret, body)
				}
			}
			logged := log.String()
			if !strings.Contains(logged, leakPath) && !strings.Contains(logged, leakSocket) && !strings.Contains(logged, "no such file") {
				t.Errorf("the log lacks the error:\n%s", logged)
			}
			if !tt.ref {
				return
			}
			m := errorRef.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no error ID for the client to quote:\n%s", body)
			}
			for line := range strings.Lines(logged) {
				if strings.Contains(line, m[1]) && (strings.Contains(line, leakPath) || strings.Contains(line, leakSocket) || strings.Contains(line, "no such file")) {
					return
				}
			}
			t.Errorf("the log has no line with %s and the error:\n%s", m[1], logged)
		})
	}
}

// TestPublicError checks the admin API's one mapping: a client error as
// it is, an unknown bucket as the client's 404, anything else a 500 with
// only an ID.
func TestPublicError(t *testing.T) {
	var log testbin.SyncBuffer
	s := &Server{opts: Options{Logf: log.Logf}}
	r := httptest.NewRequest("GET", "/api/x", nil)
	tests := []struct {
		err    error
		status int
		msg    string
	}{
		{errBadGroupBy, 400, "group_by must be user, model or day"},
		{fmt.Errorf("wrapped: %w", errNoLedger), 503, "this gateway keeps no ledger"},
		{fmt.Errorf("refilling quota %q: %w (buckets appear with their first request)", "team", quotas.ErrUnknownBucket), 404, `refilling quota "team": unknown quota bucket (buckets appear with their first request)`},
		{errLeak, 500, "internal error err-"},
		{errors.New("plain"), 500, "internal error err-"},
	}
	for _, tt := range tests {
		ce := s.publicError(r, tt.err)
		if ce.status != tt.status || !strings.HasPrefix(ce.msg, tt.msg) {
			t.Errorf("%v: %d %q, want %d %q", tt.err, ce.status, ce.msg, tt.status, tt.msg)
		}
	}
	if !strings.Contains(log.String(), leakSQL) || strings.Contains(log.String(), "group_by") {
		t.Errorf("log:\n%s", log.String())
	}
}

// TestUnreachable checks the few words a caller gets for a provider it
// cannot reach, which name no address.
func TestUnreachable(t *testing.T) {
	_, refused := net.Dial("tcp", "127.0.0.1:1")
	tests := []struct {
		err  error
		want string
	}{
		{refused, "the connection was refused"},
		{&url.Error{Op: "Post", URL: "http://10.0.0.5/v1", Err: context.DeadlineExceeded}, "the connection timed out"},
		{&net.DNSError{Err: "no such host", Name: "llm.internal"}, "its host name did not resolve"},
		{fmt.Errorf("read: %w", io.EOF), "the connection was closed"},
		{errors.New("dial tcp 10.0.0.5:443: something else"), "the connection failed"},
	}
	for _, tt := range tests {
		if got := unreachable(tt.err); got != tt.want {
			t.Errorf("unreachable(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
