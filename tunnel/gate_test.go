package tunnel

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReadyGateNeverShowsLoginURL(t *testing.T) {
	const url = "https://login.example.com/a/0123456789abcdef"
	tests := []struct {
		name  string
		state State
		want  string
	}{
		{"needs login", State{Phase: PhaseNeedsLogin, Hostname: "laptop", AuthURL: url},
			"tailnet device laptop needs login; run `ts-unplug status -dir /s` or see the log"},
		{"needs approval, URL still known", State{Phase: PhaseNeedsApproval, Hostname: "laptop", AuthURL: url},
			"waiting for an admin to approve device laptop"},
		{"starting", State{Phase: PhaseStarting, Hostname: "laptop", AuthURL: url}, "is starting"},
		{"failed", State{Phase: PhaseFailed, Hostname: "laptop", AuthURL: url, Err: "bad key"}, "bad key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &Node{ready: make(chan struct{})}
			n.state.Store(&tt.state)
			w := httptest.NewRecorder()
			ReadyGate(n, "ts-unplug status -dir /s", http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
			var body struct {
				Error struct{ Message, Type string }
			}
			json.Unmarshal(w.Body.Bytes(), &body)
			if w.Code != 503 || body.Error.Type != "tailnet_not_ready" || !strings.Contains(body.Error.Message, tt.want) {
				t.Errorf("%d %s, want 503 saying %q", w.Code, w.Body, tt.want)
			}
			if strings.Contains(w.Body.String(), "login.example.com") || strings.Contains(w.Body.String(), "0123456789abcdef") {
				t.Errorf("the login URL is in the 503 any local process can read: %s", w.Body)
			}
		})
	}
}

// The owner still gets the URL: in the log line and in `status`.
func TestLoginURLInLogAndStatus(t *testing.T) {
	const url = "https://login.example.com/a/0123456789abcdef"
	st := State{Phase: PhaseNeedsLogin, Hostname: "laptop", AuthURL: url}
	if !strings.Contains(st.Message(), url) {
		t.Errorf("log message lacks the URL: %s", st.Message())
	}
	var b strings.Builder
	PrintState(&b, "", st)
	if !strings.Contains(b.String(), "login URL:   "+url) {
		t.Errorf("status lacks the URL:\n%s", b.String())
	}
}
