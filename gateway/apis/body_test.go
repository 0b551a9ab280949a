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
		{"duplicate last wins", `{"model":"first","model":"second"}`, "second", nil},
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
		{`{"model":"m","stream":"true"}`, false},
		{`{"model":"m","stream":1}`, false},
		{`{"stream":true,"stream":false}`, false},
		{`{"stream":false,"stream":true}`, true},
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
// encoding/json about body: validity, the top-level model, and stream.
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
	if errors.Is(err, ErrAmbiguousModel) {
		for k := range m {
			if k != "model" && strings.EqualFold(k, "model") {
				return // refused on purpose: parsers disagree on such keys
			}
		}
		t.Fatalf("ScanBody(%q) = %v, but no top-level key is a case variant of model", body, err)
	}
	if err != nil {
		t.Fatalf("ScanBody(%q) = %v; encoding/json accepts it", body, err)
	}
	raw, has := m["model"]
	var want string
	wantIsString := has && json.Unmarshal(raw, &want) == nil && raw[0] == '"'
	if info.HasModel != has || info.ModelIsString != wantIsString || info.Model != want {
		t.Fatalf("ScanBody(%q) = %+v; encoding/json: has=%v string=%v model=%q", body, info, has, wantIsString, want)
	}
	switch {
	case has && !wantIsString:
		if !errors.Is(modelErr, ErrModelNotString) {
			t.Fatalf("ModelFromBody(%q) error %v, want ErrModelNotString", body, modelErr)
		}
	case want == "":
		if !errors.Is(modelErr, ErrNoModel) {
			t.Fatalf("ModelFromBody(%q) error %v, want ErrNoModel", body, modelErr)
		}
	case modelErr != nil || model != want:
		t.Fatalf("ModelFromBody(%q) = %q, %v; want %q", body, model, modelErr, want)
	}
	if wantStream := bytes.Equal(m["stream"], []byte("true")); info.Stream != wantStream {
		t.Fatalf("ScanBody(%q).Stream = %v, encoding/json says %v", body, info.Stream, wantStream)
	}
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
		// The last "model" is the one providers read, and the one replaced.
		{`{"model":"a","model":"p/b"}`, "b", `{"model":"a","model":"b"}`},
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
