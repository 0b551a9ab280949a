package apis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestModelFromBody(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    string
		wantErr error
	}{
		{"simple", `{"model":"gpt-5"}`, "gpt-5", nil},
		{"whitespace", " \r\n\t{ \"model\" \n:\t \"claude-sonnet-4-5\" } \n", "claude-sonnet-4-5", nil},
		{"model after messages", `{"messages":[{"role":"user","content":"hi"}],"model":"m1"}`, "m1", nil},
		{"nested model ignored", `{"messages":[{"model":"evil","content":{"model":"evil2"}}],"model":"good"}`, "good", nil},
		{"only nested model", `{"metadata":{"model":"x"},"tools":[{"model":"y"}]}`, "", ErrNoModel},
		{"model key inside string value", `{"prompt":"\"model\":\"evil\"","model":"good"}`, "good", nil},
		{"escaped quote in other value", `{"a":"x\"y\\","model":"m"}`, "m", nil},
		{"escaped model value", `{"model":"a\"b\\c\/d\u00e9\n"}`, "a\"b\\c/dé\n", nil},
		{"surrogate pair", `{"model":"\ud83d\ude00"}`, "😀", nil},
		{"escaped key", `{"mod\u0065l":"m"}`, "m", nil},
		{"fqn with slash", `{"model":"openrouter/qwen/qwen3-235b"}`, "openrouter/qwen/qwen3-235b", nil},
		{"duplicate refused", `{"model":"first","model":"second"}`, "", ErrAmbiguousBody},
		{"case sensitive key", `{"Model":"x","MODEL":"y"}`, "", ErrAmbiguousModel},
		{"missing", `{"messages":[]}`, "", ErrNoModel},
		{"empty object", `{}`, "", ErrNoModel},
		{"empty model", `{"model":""}`, "", ErrNoModel},
		{"number model", `{"model":5}`, "", ErrModelNotString},
		{"null model", `{"model":null}`, "", ErrModelNotString},
		{"object model", `{"model":{"id":"x"}}`, "", ErrModelNotString},
		{"all value kinds", `{"a":[1,-2.5e+3,0.1,true,false,null,{},[]],"b":{"c":[{"d":"e"}]},"model":"ok"}`, "ok", nil},
		{"unicode content", `{"content":"日本語 ✓","model":"m"}`, "m", nil},
		{"invalid utf8 in model", "{\"model\":\"a\xffb\"}", "a\uFFFDb", nil},

		{"not object", `["model","x"]`, "", ErrInvalidJSON},
		{"null doc", `null`, "", ErrInvalidJSON},
		{"empty body", ``, "", ErrInvalidJSON},
		{"trailing data", `{"model":"m"} {}`, "", ErrInvalidJSON},
		{"trailing comma", `{"model":"m",}`, "", ErrInvalidJSON},
		{"unterminated", `{"model":"m`, "", ErrInvalidJSON},
		{"missing colon", `{"model" "m"}`, "", ErrInvalidJSON},
		{"unquoted key", `{model:"m"}`, "", ErrInvalidJSON},
		{"single quotes", `{'model':'m'}`, "", ErrInvalidJSON},
		{"bad escape", `{"model":"\x"}`, "", ErrInvalidJSON},
		{"short unicode escape", `{"model":"\u12"}`, "", ErrInvalidJSON},
		{"raw newline in string", "{\"model\":\"a\nb\"}", "", ErrInvalidJSON},
		{"invalid later", `{"model":"m","x":[1,2}`, "", ErrInvalidJSON},
		{"leading zero", `{"n":01,"model":"m"}`, "", ErrInvalidJSON},
		{"bare minus", `{"n":-,"model":"m"}`, "", ErrInvalidJSON},
		{"bad fraction", `{"n":1.,"model":"m"}`, "", ErrInvalidJSON},
		{"bad exponent", `{"n":1e,"model":"m"}`, "", ErrInvalidJSON},
		{"NaN", `{"n":NaN,"model":"m"}`, "", ErrInvalidJSON},
		{"bad literal", `{"s":tru,"model":"m"}`, "", ErrInvalidJSON},
		{"BOM", "\xef\xbb\xbf{\"model\":\"m\"}", "", ErrInvalidJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ModelFromBody([]byte(tt.body))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("ModelFromBody(%q) error = %v, want %v", tt.body, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ModelFromBody(%q) = %q, want %q", tt.body, got, tt.want)
			}
			checkAgainstStdlib(t, []byte(tt.body))
		})
	}
}

func TestStreamFromBody(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{`{"model":"m","stream":true}`, true},
		{`{"stream" : true , "model":"m"}`, true},
		{`{"model":"m","stream":false}`, false},
		{`{"model":"m"}`, false},
		{`{"model":"m","stream":"true"}`, false}, // refused: not a boolean
		{`{"model":"m","stream":1}`, false},
		{`{"stream":true,"stream":false}`, false}, // refused: ambiguous
		{`{"stream":false,"stream":true}`, false},
		{`{"options":{"stream":true}}`, false},
		{`{"stream":true`, false},
		{`{"str\u0065am":true}`, true},
	}
	for _, tt := range tests {
		if got := StreamFromBody([]byte(tt.body)); got != tt.want {
			t.Errorf("StreamFromBody(%q) = %v, want %v", tt.body, got, tt.want)
		}
		checkAgainstStdlib(t, []byte(tt.body))
	}
}

func TestScanBodyDepthLimit(t *testing.T) {
	nest := func(n int) []byte {
		return []byte(`{"model":"m","x":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`)
	}
	// The top-level object counts as one level, as in encoding/json.
	for _, n := range []int{maxDepth - 1, maxDepth} {
		body := nest(n)
		_, err := ScanBody(body)
		if (err == nil) != (n == maxDepth-1) {
			t.Errorf("depth %d: err = %v", n+1, err)
		}
		checkAgainstStdlib(t, body)
	}
}

// checkAgainstStdlib fails when ScanBody and ModelFromBody disagree with
// encoding/json about body: validity, and every member the gateway acts
// on (model, stream, stream_options, output limits, choices, previous
// response, fallbacks), including refusing exactly the bodies whose
// acted-on members appear twice or in another case.
func checkAgainstStdlib(t testing.TB, body []byte) {
	t.Helper()
	info, err := ScanBody(body)
	model, modelErr := ModelFromBody(body)

	var m map[string]json.RawMessage
	refErr := json.Unmarshal(body, &m)
	if refErr != nil || m == nil { // m == nil: the document was null
		if err == nil {
			t.Fatalf("ScanBody(%q) accepted what encoding/json rejects (%v)", body, refErr)
		}
		if !errors.Is(err, ErrInvalidJSON) || !errors.Is(modelErr, ErrInvalidJSON) {
			t.Fatalf("ScanBody(%q) error %v, ModelFromBody %v: want ErrInvalidJSON", body, err, modelErr)
		}
		return
	}
	if why := refAmbiguity(t, body, m); why != "" {
		if !errors.Is(err, ErrAmbiguousBody) && !errors.Is(err, ErrAmbiguousModel) {
			t.Fatalf("ScanBody(%q) = %+v, %v; want it refused as ambiguous (%s)", body, info, err, why)
		}
		return
	}
	if errors.Is(err, ErrAmbiguousBody) || errors.Is(err, ErrAmbiguousModel) {
		t.Fatalf("ScanBody(%q) = %v, but no acted-on member is repeated or case-folded", body, err)
	}
	want, badField := refInfo(m)
	if badField != "" {
		if !errors.Is(err, ErrBadField) {
			t.Fatalf("ScanBody(%q) = %+v, %v; want ErrBadField (%s)", body, info, err, badField)
		}
		return
	}
	if err != nil {
		t.Fatalf("ScanBody(%q) = %v; encoding/json accepts it", body, err)
	}
	got := BodyInfo{Model: info.Model, HasModel: info.HasModel, ModelIsString: info.ModelIsString, Stream: info.Stream,
		HasStreamOptions: info.HasStreamOptions, OutputLimit: info.OutputLimit, Choices: info.Choices,
		PreviousResponseID: info.PreviousResponseID, HasGenerationConfig: info.HasGenerationConfig, Fallbacks: info.Fallbacks,
		HasTools: info.HasTools, MaxToolCalls: info.MaxToolCalls, Conversation: info.Conversation}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ScanBody(%q)\n got %+v\nwant %+v (encoding/json)", body, got, want)
	}
	for _, sp := range info.LimitSpans {
		var n float64
		if json.Unmarshal(body[sp.Start:sp.End], &n) != nil {
			t.Fatalf("ScanBody(%q): limit span %v is %q, not a number", body, sp, body[sp.Start:sp.End])
		}
	}
	switch {
	case want.HasModel && !want.ModelIsString:
		if !errors.Is(modelErr, ErrModelNotString) {
			t.Fatalf("ModelFromBody(%q) error %v, want ErrModelNotString", body, modelErr)
		}
	case want.Model == "":
		if !errors.Is(modelErr, ErrNoModel) {
			t.Fatalf("ModelFromBody(%q) error %v, want ErrNoModel", body, modelErr)
		}
	case modelErr != nil || model != want.Model:
		t.Fatalf("ModelFromBody(%q) = %q, %v; want %q", body, model, modelErr, want.Model)
	}
}

// refAmbiguity says why parsers could read body differently, using
// encoding/json's tokenizer: an acted-on key (top level, or in Gemini's
// generationConfig) repeated or present in another case.
func refAmbiguity(t testing.TB, body []byte, m map[string]json.RawMessage) string {
	if why := keysAmbiguity(body, actedOn, [][]string{{"generationConfig", "generation_config"}}); why != "" {
		return why
	}
	for _, k := range []string{"generationConfig", "generation_config"} {
		if g := m[k]; len(g) > 0 && g[0] == '{' {
			if why := keysAmbiguity(g, genConfigActedOn, [][]string{{"maxOutputTokens", "max_output_tokens"}, {"candidateCount", "candidate_count"}}); why != "" {
				return why
			}
		}
	}
	return ""
}

// keysAmbiguity tokenizes the object doc's top-level keys.
func keysAmbiguity(doc []byte, names []string, synonyms [][]string) string {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.Token() // '{'
	count := map[string]int{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		k := tok.(string)
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return ""
		}
		for _, n := range names {
			if k == n {
				count[n]++
			} else if strings.EqualFold(k, n) {
				return fmt.Sprintf("%q folds to %q", k, n)
			}
		}
	}
	for n, c := range count {
		if c > 1 {
			return fmt.Sprintf("%q appears %d times", n, c)
		}
	}
	for _, syn := range synonyms {
		if count[syn[0]] > 0 && count[syn[1]] > 0 {
			return fmt.Sprintf("both %q and %q", syn[0], syn[1])
		}
	}
	return ""
}

// refInfo is BodyInfo as encoding/json reads m, or the name of a member
// of the wrong type.
func refInfo(m map[string]json.RawMessage) (BodyInfo, string) {
	want := BodyInfo{OutputLimit: -1, Choices: 1, MaxToolCalls: -1}
	raw, has := m["model"]
	want.HasModel = has
	want.ModelIsString = has && raw[0] == '"'
	if want.ModelIsString {
		json.Unmarshal(raw, &want.Model)
	}
	want.Stream = bytes.Equal(m["stream"], []byte("true"))
	if raw, ok := m["stream"]; ok && !want.Stream && string(raw) != "false" && string(raw) != "null" {
		return want, "stream"
	}
	_, want.HasStreamOptions = m["stream_options"]
	num := func(name string, raw json.RawMessage) (int64, bool, string) {
		if string(raw) == "null" {
			return 0, false, ""
		}
		var f float64
		if json.Unmarshal(raw, &f) != nil || f != float64(int64(f)) || f < 0 || f > maxCount {
			return 0, false, name
		}
		return int64(f), true, ""
	}
	limit := func(name string, raw json.RawMessage) string {
		n, ok, bad := num(name, raw)
		if ok {
			want.OutputLimit = max(want.OutputLimit, n)
		}
		return bad
	}
	choices := func(name string, raw json.RawMessage) string {
		n, ok, bad := num(name, raw)
		if ok {
			want.Choices = max(n, 1)
		}
		return bad
	}
	for _, k := range []string{"max_tokens", "max_completion_tokens", "max_output_tokens"} {
		if raw, ok := m[k]; ok {
			if bad := limit(k, raw); bad != "" {
				return want, bad
			}
		}
	}
	if raw, ok := m["n"]; ok {
		if bad := choices("n", raw); bad != "" {
			return want, bad
		}
	}
	if raw, ok := m["previous_response_id"]; ok && string(raw) != "null" {
		if raw[0] != '"' {
			return want, "previous_response_id"
		}
		json.Unmarshal(raw, &want.PreviousResponseID)
	}
	if raw, ok := m["tools"]; ok && raw[0] == '[' {
		want.HasTools = true
	}
	if raw, ok := m["max_tool_calls"]; ok {
		n, ok, bad := num("max_tool_calls", raw)
		if bad != "" {
			return want, bad
		}
		if ok {
			want.MaxToolCalls = n
		}
	}
	if raw, ok := m["conversation"]; ok && string(raw) != "null" {
		want.Conversation = true
	}
	for _, k := range []string{"models", "fallbacks"} {
		if raw, ok := m[k]; ok {
			var arr []json.RawMessage
			if string(raw) != "null" && (json.Unmarshal(raw, &arr) != nil || len(arr) > 0) {
				want.Fallbacks = k
			}
		}
	}
	for _, k := range []string{"generationConfig", "generation_config"} {
		raw, ok := m[k]
		if !ok {
			continue
		}
		want.HasGenerationConfig = true
		if string(raw) == "null" {
			continue
		}
		var g map[string]json.RawMessage
		if raw[0] != '{' || json.Unmarshal(raw, &g) != nil {
			return want, k
		}
		for _, gk := range []string{"maxOutputTokens", "max_output_tokens"} {
			if raw, ok := g[gk]; ok {
				if bad := limit(gk, raw); bad != "" {
					return want, bad
				}
			}
		}
		for _, gk := range []string{"candidateCount", "candidate_count"} {
			if raw, ok := g[gk]; ok {
				if bad := choices(gk, raw); bad != "" {
					return want, bad
				}
			}
		}
	}
	return want, ""
}

func FuzzModelFromBody(f *testing.F) {
	seeds := []string{
		`{"model":"gpt-5","stream":true}`,
		`{"messages":[{"model":"x"}],"model":"y"}`,
		`{"mod\u0065l":"\ud83d\ude00","stream":false}`,
		`{"model":"a\"b","model":"c"}`,
		`{"a":[1,-2.5e+3,true,null,{}],"model":5}`,
		"{\"model\":\"\xff\"}",
		`{"model":"m"`,
		`null`,
		`[]`,
		` {} `,
		`{"model":"m","max_tokens":64000,"max_tok\u0065ns":1}`,
		`{"model":"m","Max_Tokens":1,"n":2.0e0,"stream_options":null}`,
		`{"model":"m","metadata":{"max_tokens":1},"max_completion_tokens":5,"previous_response_id":"resp_\u0031"}`,
		`{"generationConfig":{"maxOutputTokens":10,"candidate_count":3},"generation_config":null}`,
		`{"model":"m","models":[],"fallbacks":["x"],"max_output_tokens":null}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkAgainstStdlib(t, body)
	})
}

// agentBody builds a realistic request of about size bytes: a model, many
// messages with nested "model" decoys, escapes and unicode, and the real
// top-level model last so the scanner must walk everything.
func agentBody(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"max_tokens":128000,"stream":true,"messages":[`)
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"role":"user","content":[{"type":"text","text":"line %d with \"quotes\", a tab\t, unicode \u00e9 ✓ and a decoy \"model\":\"x\""}],"metadata":{"model":"decoy","n":[1,2.5,-3e2,true,null]}}`, i)
	}
	b.WriteString(`],"model":"claude-sonnet-4-5"}`)
	return b.Bytes()
}

func TestAgentBody(t *testing.T) {
	body := agentBody(200 << 10)
	got, err := ModelFromBody(body)
	if err != nil || got != "claude-sonnet-4-5" {
		t.Fatalf("ModelFromBody = %q, %v", got, err)
	}
	if !StreamFromBody(body) {
		t.Error("StreamFromBody = false, want true")
	}
	checkAgainstStdlib(t, body)
}

func BenchmarkModelFromBody(b *testing.B) {
	body := agentBody(200 << 10)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ModelFromBody(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkModelFromBodyStdlib is the baseline ModelFromBody replaces:
// decoding the top level with encoding/json.
func BenchmarkModelFromBodyStdlib(b *testing.B) {
	body := agentBody(200 << 10)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var v struct {
			Model string `json:"model"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func TestScanBodyRefusesCaseVariantModel(t *testing.T) {
	for _, body := range []string{
		`{"model":"llama3:8b","Model":"llama3:70b"}`,
		`{"MODEL":"x"}`,
		`{"model":"a","mod\u0045l":"b"}`,
	} {
		if _, err := ScanBody([]byte(body)); !errors.Is(err, ErrAmbiguousModel) {
			t.Errorf("ScanBody(%s) err = %v, want ErrAmbiguousModel", body, err)
		}
	}
	if info, err := ScanBody([]byte(`{"model":"a","models":["b"],"modelName":"c"}`)); err != nil || info.Model != "a" {
		t.Errorf("other keys: %+v %v", info, err)
	}
}

func TestWithModel(t *testing.T) {
	for _, tc := range []struct{ body, model, want string }{
		{`{"model":"openai/gpt-4o","stream":true}`, "gpt-4o", `{"model":"gpt-4o","stream":true}`},
		{`{"a":[1,2], "model" : "x/\u0079" }`, `q"uote`, `{"a":[1,2], "model" : "q\"uote" }`},
	} {
		info, err := ScanBody([]byte(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		got := WithModel([]byte(tc.body), info, tc.model)
		if string(got) != tc.want {
			t.Errorf("WithModel(%s, %q) = %s, want %s", tc.body, tc.model, got, tc.want)
		}
		if again, err := ModelFromBody(got); err != nil || again != tc.model {
			t.Errorf("model read back = %q, %v", again, err)
		}
	}
}
