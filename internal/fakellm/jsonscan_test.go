package fakellm

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecodeBoundedMatchesEncodingJSON(t *testing.T) {
	tests := []string{
		`{}`,
		`[]`,
		` "plain" `,
		`42`,
		`-3.5e2`,
		`null`,
		`{"a":[1,2.5,-3e2,true,false,null,"x"],"b":{"c":{}},"d":""}`,
		`{"esc":"q\" b\\ s\/ \b\f\n\r\t \u00e9 \ud83d\ude00 end"}`,
		`{"unicode":"héllo wörld 日本"}`,
		"{\n  \"model\" : \"gpt-4o\" ,\n  \"stream\" : true\n}\n",
		`{"dup":1,"dup":2}`,
	}
	for _, in := range tests {
		t.Run(in, func(t *testing.T) {
			var want any
			if err := json.Unmarshal([]byte(in), &want); err != nil {
				t.Fatalf("encoding/json: %v", err)
			}
			got, err := decodeBounded(strings.NewReader(in))
			if err != nil {
				t.Fatalf("decodeBounded: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %#v\nwant %#v", got, want)
			}
		})
	}
}

func TestDecodeBoundedErrors(t *testing.T) {
	tests := []string{
		``,
		`{`,
		`{"a" 1}`,
		`{"a":1,}`,
		`[1,]`,
		`[1 2]`,
		`tru`,
		`nul`,
		`"unterminated`,
		`"bad \x escape"`,
		`"bad \u12G4"`,
		`{"a":-}`,
		`@`,
		strings.Repeat("[", maxJSONDepth+2),
	}
	for _, in := range tests {
		t.Run(in, func(t *testing.T) {
			if _, err := decodeBounded(strings.NewReader(in)); !errors.Is(err, errJSONSyntax) {
				t.Errorf("err = %v, want errJSONSyntax", err)
			}
		})
	}
}

func TestDecodeBoundedCutsLongStrings(t *testing.T) {
	// Multi-byte runes straddle the cut: what is kept must stay valid UTF-8.
	long := strings.Repeat("é", maxJSONString) // 2*maxJSONString bytes
	got, err := decodeBounded(strings.NewReader(`{"s":"` + long + `","after":1}`))
	if err != nil {
		t.Fatal(err)
	}
	m := got.(map[string]any)
	s := m["s"].(string)
	if len(s) != maxJSONString || !utf8.ValidString(s) || !strings.HasPrefix(long, s) {
		t.Errorf("kept %d bytes (valid %v), want the first %d", len(s), utf8.ValidString(s), maxJSONString)
	}
	if m["after"] != 1.0 {
		t.Errorf("value after the long string = %v, want 1", m["after"])
	}
}

func TestDecodeBoundedDropsValuesPastNodeLimit(t *testing.T) {
	in := "[" + strings.Repeat("1,", maxJSONNodes*2) + "1]"
	got, err := decodeBounded(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.([]any)); n >= maxJSONNodes {
		t.Errorf("kept %d values, want fewer than %d", n, maxJSONNodes)
	}
}

// hugeBody streams a chat request whose message is n filler bytes, never
// holding it in memory.
func hugeBody(n int64) io.Reader {
	return io.MultiReader(
		strings.NewReader(`{"model":"gpt-4o","messages":[{"role":"user","content":"`),
		io.LimitReader(repeatReader('a'), n),
		strings.NewReader(` respond with: big"}],"stream":true}`),
	)
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func TestDecodeBoundedHugeBody(t *testing.T) {
	got, err := decodeBounded(hugeBody(64 << 20))
	if err != nil {
		t.Fatal(err)
	}
	c := parseCall("openai_chat", got)
	if c.model != "gpt-4o" || !c.stream || len(c.prompt) != maxJSONString {
		t.Errorf("call = model %q stream %v prompt %d bytes", c.model, c.stream, len(c.prompt))
	}
}

// FuzzDecodeBounded: within the limits, the fake reads a body as
// encoding/json does, and refuses what it refuses (but for bytes after
// the leading value, which it leaves to the caller).
func FuzzDecodeBounded(f *testing.F) {
	for _, s := range []string{
		`{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true}`,
		`{"mod\u0065l":"m","model":"n","x":[1,2.5e3,-0,true,null,{}]}`,
		"{\"s\":\"\xff\\ud800\\u00e9\"}",
		`[1,]`, `{"a":1e999}`, `-01`, `"\x"`, `{"a" 1}`, ` [ ] `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := decodeBounded(bytes.NewReader(in))
		var want any
		wantErr := json.Unmarshal(in, &want)
		if wantErr == nil && err != nil {
			t.Fatalf("%q: encoding/json reads %#v, decodeBounded fails: %v", in, want, err)
		}
		if wantErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: decodeBounded %#v, encoding/json %#v", in, got, want)
		}
		if err == nil && wantErr != nil {
			// Only trailing bytes may make encoding/json refuse it.
			dec := json.NewDecoder(bytes.NewReader(in))
			var lead any
			if dec.Decode(&lead) != nil || !reflect.DeepEqual(got, lead) {
				t.Fatalf("%q: decodeBounded reads %#v, encoding/json refuses it: %v", in, got, wantErr)
			}
		}
	})
}
