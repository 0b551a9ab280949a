package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/tsplug/ts-plug/internal/fakellm"
	"github.com/tsplug/ts-plug/internal/tailnettest"
	"github.com/tsplug/ts-plug/internal/testbin"
	"google.golang.org/genai"
	"tailscale.com/tailcfg"
)

// gatewayConfig serves all four APIs from the fake. Grants: the tagged
// CI device may use openai models; nobody else is granted anything here:
// people get their role through the tailnet policy (SetAppCaps). %[3]s
// holds more top-level members (hooks), %[2]s more grants.
const gatewayConfig = `{
  // providers all point at the fake LLM
  "providers": {
    "anthropic": {"baseurl": "%[1]s", "apikey": "sk-ant-PROVIDER", "models": ["claude-haiku-4-5-20251001", "claude-sonnet-4-5"],
      "authorization": "x-api-key", "compatibility": {"anthropic_messages": true}, "cost_basis": "anthropic"},
    "openai": {"baseurl": "%[1]s", "apikey": "sk-openai-PROVIDER", "models": ["gpt-4o", "gpt-4o-mini"],
      "compatibility": {"openai_chat": true, "openai_responses": true}, "cost_basis": "openai"},
    "gemini": {"baseurl": "%[1]s", "apikey": "gemini-PROVIDER", "models": ["gemini-2.5-flash"],
      "authorization": "x-goog-api-key", "compatibility": {"gemini_generate_content": true}, "cost_basis": "gemini"},
  },
  %[3]s
  "grants": [
    {"src": ["tag:ci"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "openai/*"}]}},
    %[2]s
  ],
}`

type gatewayEnv struct {
	tn       *tailnettest.Tailnet
	fake     *fakellm.Server
	aperture *testbin.Proc
	cfgPath  string
	fakeURL  string
	base     string // ts-unplug's local URL
}

func startGateway(t *testing.T, ctx context.Context, extraGrant string) *gatewayEnv {
	t.Helper()
	return startGatewayWith(t, ctx, "", extraGrant)
}

// startGatewayWith is startGateway with more top-level config members,
// top (each ending in a comma), for what needs servers the test started
// first, such as hooks.
func startGatewayWith(t *testing.T, ctx context.Context, top, extraGrant string) *gatewayEnv {
	t.Helper()
	tn := tailnettest.New(t, tailnettest.Options{TagOwners: map[string][]string{"tag:ci": nil}})
	fake := fakellm.New(fakellm.WithRequiredKey("")) // key checks are done by the test
	fakeURL, err := fake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	state := filepath.Join(t.TempDir(), "aperture")
	os.MkdirAll(state, 0o700)
	cfgPath := filepath.Join(state, "config.hujson")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(gatewayConfig, fakeURL, extraGrant, top)), 0o600); err != nil {
		t.Fatal(err)
	}
	ap := testbin.Start(t, tn.ChildEnv(), testbin.Build(t, "aperture"),
		"--state-dir", state, "--config", cfgPath, "--hostname", "ai",
		"--control-url", tn.ControlURL, "--authkey", tn.AuthKey)
	base, _, _ := startUnplug(t, tn, "laptop", "ai")
	env := &gatewayEnv{tn: tn, fake: fake, aperture: ap, cfgPath: cfgPath, fakeURL: fakeURL, base: base}
	// Until the policy grants laptop's user a role, whoami answers 200
	// with role "none".
	res := waitHTTP(ctx, t, base+"/api/whoami", 200)
	res.Body.Close()
	return env
}

// grantEveryone gives every tailnet user a role and all models through
// the tailnet policy, the way an admin's policy-file grant would.
func (e *gatewayEnv) grantEveryone(t *testing.T, ctx context.Context) {
	e.tn.SetAppCaps(tailcfg.PeerCapMap{"tailscale.com/cap/aperture": {`{"role":"user"}`, `{"models":"**"}`}})
	for {
		res, err := http.Get(e.base + "/api/whoami")
		if err == nil {
			var who struct{ Role string }
			json.NewDecoder(res.Body).Decode(&who)
			res.Body.Close()
			if who.Role == "user" {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatal("policy grant never reached the gateway")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// checkKeys asserts the fake saw the provider key and no client secret.
func (e *gatewayEnv) checkKeys(t *testing.T, header, want string) {
	t.Helper()
	req, ok := e.fake.LastRequest()
	if !ok {
		t.Fatal("the provider received nothing")
	}
	if got := req.Header.Get(header); got != want {
		t.Errorf("provider saw %s = %q, want %q", header, got, want)
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			if strings.Contains(v, "CLIENT-SECRET") {
				t.Errorf("the client's credential reached the provider in %s", k)
			}
		}
	}
	if strings.Contains(req.RawQuery, "CLIENT-SECRET") {
		t.Errorf("the client's ?key= reached the provider")
	}
}

func TestGatewaySDKsThroughUnplug(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	e := startGateway(t, ctx, "")

	// No role yet: 403 in each API's dialect, as each SDK reports it.
	oai := openai.NewClient(option.WithBaseURL(e.base+"/v1/"), option.WithAPIKey("CLIENT-SECRET"), option.WithMaxRetries(0))
	_, err := oai.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	var oerr *openai.Error
	if !errors.As(err, &oerr) || oerr.StatusCode != 403 || !strings.Contains(oerr.Message, "no role granted") {
		t.Fatalf("no role: %v, want a 403 OpenAI error saying no role granted", err)
	}

	e.grantEveryone(t, ctx)
	e.fake.SetUsage(fakellm.Usage{InputTokens: 100, OutputTokens: 40, CachedTokens: 60, ReasoningTokens: 10})

	t.Run("openai chat", func(t *testing.T) {
		params := openai.ChatCompletionNewParams{Model: "gpt-4o",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("respond with: hello")}}
		resp, err := oai.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Choices[0].Message.Content != "hello" || resp.Usage.PromptTokens != 160 || resp.Usage.PromptTokensDetails.CachedTokens != 60 {
			t.Errorf("answer %q usage %+v", resp.Choices[0].Message.Content, resp.Usage)
		}
		e.checkKeys(t, "Authorization", "Bearer sk-openai-PROVIDER")
		params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		stream := oai.Chat.Completions.NewStreaming(ctx, params)
		var acc openai.ChatCompletionAccumulator
		for stream.Next() {
			acc.AddChunk(stream.Current())
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if acc.Choices[0].Message.Content != "hello" || acc.Usage.CompletionTokens != 40 {
			t.Errorf("streamed %q usage %+v", acc.Choices[0].Message.Content, acc.Usage)
		}
	})

	t.Run("openai responses", func(t *testing.T) {
		params := responses.ResponseNewParams{Model: "gpt-4o",
			Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("respond with: hello")}}
		resp, err := oai.Responses.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if resp.OutputText() != "hello" || resp.Usage.OutputTokens != 40 {
			t.Errorf("answer %q usage %+v", resp.OutputText(), resp.Usage)
		}
		if got, err := oai.Responses.Get(ctx, resp.ID, responses.ResponseGetParams{}); err != nil || got.OutputText() != "hello" {
			t.Errorf("GET /v1/responses/{id}: %v", err)
		}
		stream := oai.Responses.NewStreaming(ctx, params)
		text, completed := "", false
		for stream.Next() {
			ev := stream.Current()
			if ev.Type == "response.output_text.delta" {
				text += ev.Delta
			}
			completed = completed || ev.Type == "response.completed"
		}
		if err := stream.Err(); err != nil || text != "hello" || !completed {
			t.Errorf("stream: %q completed=%v err=%v", text, completed, err)
		}
		e.checkKeys(t, "Authorization", "Bearer sk-openai-PROVIDER")
	})

	t.Run("anthropic messages", func(t *testing.T) {
		ant := anthropic.NewClient(aoption.WithBaseURL(e.base+"/"), aoption.WithAPIKey("CLIENT-SECRET"), aoption.WithMaxRetries(0))
		params := anthropic.MessageNewParams{Model: "claude-haiku-4-5-20251001", MaxTokens: 25,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("respond with: hello"))}}
		msg, err := ant.Messages.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if msg.Content[0].Text != "hello" || msg.Usage.InputTokens != 100 || msg.Usage.CacheReadInputTokens != 60 {
			t.Errorf("answer %+v usage %+v", msg.Content, msg.Usage)
		}
		e.checkKeys(t, "X-Api-Key", "sk-ant-PROVIDER")
		stream := ant.Messages.NewStreaming(ctx, params)
		var acc anthropic.Message
		for stream.Next() {
			acc.Accumulate(stream.Current())
		}
		if err := stream.Err(); err != nil || acc.Content[0].Text != "hello" || acc.Usage.OutputTokens != 40 {
			t.Errorf("stream: %+v %+v %v", acc.Content, acc.Usage, err)
		}
		n, err := ant.Messages.CountTokens(ctx, anthropic.MessageCountTokensParams{Model: "claude-haiku-4-5-20251001",
			Messages: params.Messages})
		if err != nil || n.InputTokens == 0 {
			t.Errorf("count_tokens: %+v %v", n, err)
		}
	})

	t.Run("gemini", func(t *testing.T) {
		gem, err := genai.NewClient(ctx, &genai.ClientConfig{APIKey: "CLIENT-SECRET", Backend: genai.BackendGeminiAPI,
			HTTPOptions: genai.HTTPOptions{BaseURL: e.base + "/"}})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := gem.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("respond with: hello"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Text() != "hello" || resp.UsageMetadata.CachedContentTokenCount != 60 {
			t.Errorf("answer %q usage %+v", resp.Text(), resp.UsageMetadata)
		}
		e.checkKeys(t, "X-Goog-Api-Key", "gemini-PROVIDER")
		text := ""
		for chunk, err := range gem.Models.GenerateContentStream(ctx, "gemini-2.5-flash", genai.Text("respond with: hello"), nil) {
			if err != nil {
				t.Fatal(err)
			}
			text += chunk.Text()
		}
		if text != "hello" {
			t.Errorf("streamed %q", text)
		}
	})

	t.Run("ledger", func(t *testing.T) {
		res, err := http.Get(e.base + "/api/requests?limit=50")
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Requests []struct {
				LoginName    string `json:"login_name"`
				Node         string `json:"node"`
				Model        string `json:"model"`
				InputTokens  int64  `json:"input_tokens"`
				CachedTokens int64  `json:"cached_tokens"`
				Cost         *int64 `json:"cost_nanodollars"`
				Stream       bool   `json:"stream"`
			} `json:"requests"`
		}
		json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if len(out.Requests) < 8 {
			t.Fatalf("ledger has %d rows, want every request above", len(out.Requests))
		}
		for _, r := range out.Requests {
			if !strings.HasPrefix(r.Node, "laptop.") || r.LoginName == "" {
				t.Errorf("row not attributed to the ts-unplug device: %+v", r)
			}
			if r.Model == "gpt-4o" && r.InputTokens == 0 && r.Cost != nil && *r.Cost == 0 {
				continue // reading a stored response: its tokens are on the row that created it
			}
			if r.Model == "gpt-4o" && (r.InputTokens != 100 || r.CachedTokens != 60 || r.Cost == nil || *r.Cost <= 0) {
				t.Errorf("gpt-4o row metered wrong: %+v", r)
			}
		}
	})

	// SIGTERM: a clean exit.
	e.aperture.Signal(syscall.SIGTERM)
	if code, err := e.aperture.Wait(ctx); code != 0 || err != nil {
		t.Errorf("aperture after SIGTERM: exit %d %v", code, err)
	}
}

func TestGatewayDialectErrorsTagsAndReload(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// laptop's user may use anthropic only (by login, from the config).
	e := startGateway(t, ctx, "")
	var who struct {
		LoginName string `json:"login_name"`
	}
	res, _ := http.Get(e.base + "/api/whoami")
	json.NewDecoder(res.Body).Decode(&who)
	res.Body.Close()
	src, _ := os.ReadFile(e.cfgPath)
	grant := fmt.Sprintf(`{"src": [%q], "app": {"tailscale.com/cap/aperture": [{"role": "user", "read_metrics": true}, {"models": "anthropic/**"}]}},`, who.LoginName)
	os.WriteFile(e.cfgPath, []byte(strings.Replace(string(src), "\n  ],\n}", "\n    "+grant+"\n  ],\n}", 1)), 0o600)
	// The gateway picks the change up by itself.
	testbin.WaitUntil(t, time.Minute, func() error {
		res, body := post(t, e.base+"/v1/messages", `{"model":"claude-haiku-4-5-20251001","max_tokens":5,"messages":[]}`)
		if res.StatusCode != 200 {
			return fmt.Errorf("config reload has not granted access yet: %d %s", res.StatusCode, body)
		}
		return nil
	})

	// Ungranted model: 404, in each dialect.
	for _, tc := range []struct{ path, body, want string }{
		{"/v1/chat/completions", `{"model":"gpt-4o","messages":[]}`, `"code":"model_not_found"`},
		{"/v1beta/models/gemini-2.5-flash:generateContent", `{"contents":[]}`, `"status":"NOT_FOUND"`},
		{"/v1/messages", `{"model":"claude-nope","max_tokens":5,"messages":[]}`, `"type":"not_found_error"`},
	} {
		res, body := post(t, e.base+tc.path, tc.body)
		if res.StatusCode != 404 || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s, want 404 with %s", tc.path, res.StatusCode, body, tc.want)
		}
	}

	// A tagged device is identified by its tags.
	ci := e.tn.Node(t, "ci-runner", "tag:ci")
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://ai/api/whoami", nil)
	res, err := ci.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), `"principal": "tag:ci"`) || !strings.Contains(string(b), `"role": "user"`) {
		t.Errorf("tagged device whoami: %s", b)
	}

	// Reload mid-traffic drops nothing: rewrite the file (same rules,
	// new comment) while requests stream.
	var failures atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, body := post(t, e.base+"/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":5,"stream":true,"messages":[]}`)
				if res.StatusCode != 200 || !strings.Contains(body, "message_stop") {
					failures.Add(1)
					t.Logf("during reload: %d %.200s", res.StatusCode, body)
				}
			}
		}()
	}
	// Each edit is one reload, and SIGHUP one more, as the gateway's
	// counter says: the test waits for each rather than for time.
	cur, _ := os.ReadFile(e.cfgPath)
	n0 := fileReloads(ctx, t, e.base, 0)
	for i := 0; i < 5; i++ {
		os.WriteFile(e.cfgPath, append([]byte(fmt.Sprintf("// edit %d\n", i)), cur...), 0o600)
		fileReloads(ctx, t, e.base, n0+float64(i)+1)
	}
	e.aperture.Signal(syscall.SIGHUP)
	fileReloads(ctx, t, e.base, n0+6)
	close(stop)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Errorf("%d requests failed during config reloads", n)
	}
	if got := fileReloads(ctx, t, e.base, 0); got != n0+6 {
		t.Errorf("%v file reloads after 5 edits and a SIGHUP, want %v", got-n0, 6)
	}

	// A broken file keeps the running config.
	os.WriteFile(e.cfgPath, []byte(`{"providers": `), 0o600)
	if err := e.aperture.WaitOutput(ctx, "keeping the running config"); err != nil {
		t.Fatal(err)
	}
	if res, body := post(t, e.base+"/v1/messages", `{"model":"claude-haiku-4-5-20251001","max_tokens":5,"messages":[]}`); res.StatusCode != 200 {
		t.Errorf("after a broken config: %d %s", res.StatusCode, body)
	}
}

// fileReloads reads aperture_config_reloads_total{source="file",
// result="ok"} from base's /metrics, waiting (until ctx ends) for it to
// reach want, for 15 s at most.
func fileReloads(ctx context.Context, t *testing.T, base string, want float64) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	re := regexp.MustCompile(`(?m)^aperture_config_reloads_total\{result="ok",source="file"\} (\S+)$`)
	for {
		var got float64
		res, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("metrics: %s %s", res.Status, b)
		}
		if m := re.FindSubmatch(b); m != nil {
			got, _ = strconv.ParseFloat(string(m[1]), 64)
		}
		if got >= want {
			return got
		}
		select {
		case <-ctx.Done():
			t.Fatalf("file reloads %v, waited for %v", got, want)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func post(t *testing.T, url, body string) (*http.Response, string) {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

// Each official SDK's model listing parses the gateway's list in its own
// format, details included: OpenAI's and Anthropic's GET /v1/models and
// Gemini's GET /v1beta/models.
func TestModelListsParseInBothSDKs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	fake := fakellm.New()
	fakeURL, _ := fake.Start()
	defer fake.Close()
	_, base := localGateway(t, filepath.Join(t.TempDir(), "aperture"), fakeURL)
	oai := openai.NewClient(option.WithBaseURL(base+"/v1/"), option.WithAPIKey("-"), option.WithMaxRetries(0))
	page, err := oai.Models.List(ctx)
	if err != nil || len(page.Data) != 1 || page.Data[0].ID != "claude-sonnet-4-5" {
		t.Errorf("openai models.list: %+v %v", page, err)
	}
	ant := anthropic.NewClient(aoption.WithBaseURL(base+"/"), aoption.WithAPIKey("-"), aoption.WithMaxRetries(0))
	apage, err := ant.Models.List(ctx, anthropic.ModelListParams{})
	if err != nil || len(apage.Data) != 1 || apage.Data[0].ID != "claude-sonnet-4-5" {
		t.Fatalf("anthropic models.list: %+v %v", apage, err)
	}
	if m := apage.Data[0]; m.MaxInputTokens != 200_000 || m.MaxTokens != 64_000 || !m.Capabilities.Thinking.Supported {
		t.Errorf("anthropic model details: %s", m.RawJSON())
	}
	if raw := page.Data[0].JSON.ExtraFields["context_window"].Raw(); raw != "200000" {
		t.Errorf("openai context_window = %q in %s", raw, page.Data[0].RawJSON())
	}
	gem, err := genai.NewClient(ctx, &genai.ClientConfig{APIKey: "-", Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: base + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	gpage, err := gem.Models.List(ctx, nil)
	if err != nil || len(gpage.Items) != 1 || gpage.Items[0].Name != "models/claude-sonnet-4-5" {
		t.Fatalf("genai models.list: %+v %v", gpage, err)
	}
	// The model is served over Anthropic's API only: Gemini clients see
	// its limits but no generation method.
	if m := gpage.Items[0]; m.InputTokenLimit != 200_000 || m.OutputTokenLimit != 64_000 || !m.Thinking || len(m.SupportedActions) != 0 {
		t.Errorf("genai model details: %+v", m)
	}
}
