package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// guardrail is a test guardrail: it answers each call with decide's
// answer and remembers the payloads it got.
type guardrail struct {
	mu       sync.Mutex
	payloads []Payload
	headers  []http.Header
	srv      *httptest.Server
}

func newGuardrail(t *testing.T, decide func(p Payload) (int, string)) *guardrail {
	g := &guardrail{}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var p Payload
		if err := json.Unmarshal(b, &p); err != nil {
			t.Errorf("guardrail got a payload that is not JSON: %v: %s", err, b)
		}
		g.mu.Lock()
		g.payloads = append(g.payloads, p)
		g.headers = append(g.headers, r.Header.Clone())
		g.mu.Unlock()
		st, body := decide(p)
		w.WriteHeader(st)
		io.WriteString(w, body)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *guardrail) hook(name string, pref int, policy string) *config.Hook {
	return &config.Hook{Name: name, URL: g.srv.URL, Preference: pref, FailPolicy: policy, Timeout: 5 * time.Second, Authorization: config.AuthBearer}
}

func (g *guardrail) calls() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.payloads)
}

func jsonPayload(b Bound, body []byte) ([]byte, error) {
	return json.Marshal(Payload{Event: PreRequest, RequestBody: body})
}

func newTestRunner(t *testing.T) *Runner {
	r := New(Options{})
	t.Cleanup(func() { r.Close(context.Background()) })
	return r
}

func TestGuardDecisions(t *testing.T) {
	allow := func(Payload) (int, string) { return 200, `{"action":"allow"}` }
	block := func(Payload) (int, string) {
		return 200, `{"action":"block","status_code":451,"message":"no secrets","extra":1}`
	}
	blockBare := func(Payload) (int, string) { return 200, `{"action":"block"}` }
	modify := func(p Payload) (int, string) {
		return 200, `{"action":"modify","request_body":{"model":"m","messages":[{"role":"user","content":"scrubbed"}]}}`
	}
	modifyNonObject := func(Payload) (int, string) { return 200, `{"action":"modify","request_body":"x"}` }
	status500 := func(Payload) (int, string) { return 500, `oops` }
	garbage := func(Payload) (int, string) { return 200, `not json` }
	badAction := func(Payload) (int, string) { return 200, `{"action":"maybe"}` }

	original := []byte(`{"model":"m","messages":[{"role":"user","content":"my SSN is 123"}]}`)
	tests := []struct {
		name        string
		decide      func(Payload) (int, string)
		policy      string
		wantBlocked bool
		wantStatus  int
		wantMsg     string
		wantBody    string // "" = unmodified
	}{
		{"allow", allow, "fail_open", false, 0, "", ""},
		{"block with status and message", block, "fail_open", true, 451, "no secrets", ""},
		{"block with defaults", blockBare, "fail_open", true, 403, DefaultBlockMessage, ""},
		{"modify", modify, "fail_open", false, 0, "", "scrubbed"},
		{"modify with a non-object is allow", modifyNonObject, "fail_open", false, 0, "", ""},
		{"500 fail_open", status500, "fail_open", false, 0, "", ""},
		{"500 fail_closed", status500, "fail_closed", true, 503, "HTTP 500", ""},
		{"garbage fail_closed", garbage, "fail_closed", true, 503, "not a guardrail decision", ""},
		{"unknown action fail_closed", badAction, "fail_closed", true, 503, `action "maybe"`, ""},
		{"garbage fail_open", garbage, "fail_open", false, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGuardrail(t, tt.decide)
			r := newTestRunner(t)
			v := r.Guard(context.Background(), []Bound{{Hook: g.hook("g", 0, tt.policy)}}, original, jsonPayload, nil)
			if v.Blocked != tt.wantBlocked || (tt.wantBlocked && v.Status != tt.wantStatus) {
				t.Fatalf("verdict %+v, want blocked=%v status %d", v, tt.wantBlocked, tt.wantStatus)
			}
			if tt.wantBlocked && !strings.Contains(v.Message, tt.wantMsg) {
				t.Errorf("message %q, want it to contain %q", v.Message, tt.wantMsg)
			}
			if tt.wantBody == "" && v.Body != nil {
				t.Errorf("body modified to %s", v.Body)
			}
			if tt.wantBody != "" && !strings.Contains(string(v.Body), tt.wantBody) {
				t.Errorf("body %s, want it to contain %q", v.Body, tt.wantBody)
			}
			if g.calls() != 1 {
				t.Errorf("guardrail called %d times, want 1", g.calls())
			}
			if st := r.Stats(); len(st) != 1 || st[0].Calls != 1 {
				t.Errorf("stats %+v, want one call of g", st)
			}
		})
	}
}

// TestGuardChain: preference orders the chain (ties by name), a modify
// is seen by the next guardrail, and a later block discards it.
func TestGuardChain(t *testing.T) {
	var order []string
	var mu sync.Mutex
	seen := map[string]string{}
	mk := func(name, answer string) *guardrail {
		return newGuardrail(t, func(p Payload) (int, string) {
			mu.Lock()
			order = append(order, name)
			seen[name] = string(p.RequestBody)
			mu.Unlock()
			return 200, answer
		})
	}
	a := mk("a", `{"action":"modify","request_body":{"model":"m","note":"by-a"}}`)
	b := mk("b", `{"action":"allow"}`)
	c := mk("c", `{"action":"block","message":"c says no"}`)
	defs := map[string]*config.Hook{
		"a": a.hook("a", 5, "fail_open"),
		"b": b.hook("b", 5, "fail_open"),
		"c": c.hook("c", 1, "fail_open"),
		"d": {Name: "d", URL: a.srv.URL, Disabled: true, Preference: 9},
	}
	refs := []config.HookRef{
		{Name: "c", Events: []string{"pre_request"}},
		{Name: "b", Events: []string{"pre_request"}},
		{Name: "a", Events: []string{"pre_request", "entire_request"}},
		{Name: "d", Events: []string{"pre_request"}},
		{Name: "undefined", Events: []string{"pre_request"}},
	}
	chain := Chain(defs, refs, PreRequest)
	var names []string
	for _, bd := range chain {
		names = append(names, bd.Hook.Name)
	}
	if strings.Join(names, ",") != "a,b,c" {
		t.Fatalf("chain %v, want a,b,c (preference desc, then name; disabled and undefined left out)", names)
	}
	r := newTestRunner(t)
	v := r.Guard(context.Background(), chain, []byte(`{"model":"m"}`), jsonPayload, nil)
	if strings.Join(order, ",") != "a,b,c" {
		t.Errorf("ran %v, want a,b,c", order)
	}
	if !strings.Contains(seen["b"], "by-a") || !strings.Contains(seen["c"], "by-a") {
		t.Errorf("later guardrails saw %q and %q, want a's modification", seen["b"], seen["c"])
	}
	if !v.Blocked || v.Hook != "c" || v.Message != "c says no" || v.Body != nil {
		t.Errorf("verdict %+v, want c's block with a's modification discarded", v)
	}
	if got := Chain(defs, refs, EntireRequest); len(got) != 1 || got[0].Hook.Name != "a" {
		t.Errorf("entire_request chain %v, want a only", got)
	}
}

// TestGuardTimeoutAndUnreachable: a slow guardrail is abandoned at its
// timeout and an unreachable one fails at once, each by its policy.
func TestGuardTimeoutAndUnreachable(t *testing.T) {
	release := make(chan struct{})
	slow := newGuardrail(t, func(Payload) (int, string) {
		<-release
		return 200, `{"action":"allow"}`
	})
	t.Cleanup(func() { close(release) })
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	for _, tt := range []struct {
		name string
		hook *config.Hook
	}{
		{"slow", &config.Hook{Name: "slow", URL: slow.srv.URL, Timeout: 50 * time.Millisecond}},
		{"unreachable", &config.Hook{Name: "dead", URL: deadURL, Timeout: 5 * time.Second}},
	} {
		for _, policy := range []string{"fail_open", "fail_closed"} {
			t.Run(tt.name+" "+policy, func(t *testing.T) {
				h := *tt.hook
				h.FailPolicy = policy
				r := newTestRunner(t)
				v := r.Guard(context.Background(), []Bound{{Hook: &h}}, []byte(`{}`), jsonPayload, nil)
				if want := policy == "fail_closed"; v.Blocked != want || (want && (v.Status != 503 || !v.FailedClosed)) {
					t.Fatalf("verdict %+v, want blocked=%v with 503", v, want)
				}
				st := r.Stats()
				if len(st) != 1 || st[0].Failures != 1 || st[0].Recent[0].Error == "" {
					t.Errorf("stats %+v, want one failure with its error", st)
				}
			})
		}
	}
}

// TestHookCredential: the key goes in the header the hook's
// authorization names, and never into an error or the stats.
func TestHookCredential(t *testing.T) {
	const key = "hk-secret-123"
	for _, tt := range []struct{ auth, header, want string }{
		{config.AuthBearer, "Authorization", "Bearer " + key},
		{config.AuthXAPIKey, "X-Api-Key", key},
		{config.AuthXGoogAPIKey, "X-Goog-Api-Key", key},
	} {
		t.Run(tt.auth, func(t *testing.T) {
			g := newGuardrail(t, func(Payload) (int, string) { return 200, `{"action":"allow"}` })
			h := g.hook("g", 0, "fail_open")
			h.APIKey, h.Authorization = key, tt.auth
			r := newTestRunner(t)
			r.Guard(context.Background(), []Bound{{Hook: h}}, []byte(`{}`), jsonPayload, nil)
			if got := g.headers[0].Get(tt.header); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
	// An error quoting the URL (with the key as a password in it) is
	// redacted.
	h := &config.Hook{Name: "x", URL: "http://user:" + key + "@127.0.0.1:1/", APIKey: key, FailPolicy: "fail_closed", Timeout: time.Second}
	r := newTestRunner(t)
	v := r.Guard(context.Background(), []Bound{{Hook: h}}, []byte(`{}`), jsonPayload, nil)
	if !v.Blocked || strings.Contains(v.Message, key) {
		t.Errorf("verdict message %q holds the key", v.Message)
	}
	for _, s := range r.Stats() {
		for _, c := range s.Recent {
			if strings.Contains(c.Error, key) {
				t.Errorf("stats error %q holds the key", c.Error)
			}
		}
	}
}

// TestGuardModifyChecked: a modification the gateway's check refuses is
// a failure of the guardrail, by its policy; the original body stays.
func TestGuardModifyChecked(t *testing.T) {
	g := newGuardrail(t, func(Payload) (int, string) {
		return 200, `{"action":"modify","request_body":{"model":1}}`
	})
	check := func(b []byte) error {
		if strings.Contains(string(b), `"model":1`) {
			return errors.New(`"model" must be a string`)
		}
		return nil
	}
	r := newTestRunner(t)
	v := r.Guard(context.Background(), []Bound{{Hook: g.hook("g", 0, "fail_closed")}}, []byte(`{"model":"m"}`), jsonPayload, check)
	if !v.Blocked || v.Status != 503 || !strings.Contains(v.Message, `"model" must be a string`) {
		t.Errorf("fail_closed verdict %+v", v)
	}
	v = r.Guard(context.Background(), []Bound{{Hook: g.hook("g", 0, "fail_open")}}, []byte(`{"model":"m"}`), jsonPayload, check)
	if v.Blocked || v.Body != nil {
		t.Errorf("fail_open verdict %+v, want the original body allowed", v)
	}
}
