package usage

import (
	"bytes"
	"encoding/json"
	"github.com/tsplug/ts-plug/gateway/apis"
	"reflect"
	"strings"
	"testing"
)

func TestIncludeUsageRewrite(t *testing.T) {
	tests := []struct {
		name         string
		in, want     string
		wantInjected bool
	}{
		{"added after opening brace",
			`{"model":"gpt-4o","stream":true,"messages":[]}`,
			`{"stream_options":{"include_usage":true},"model":"gpt-4o","stream":true,"messages":[]}`, true},
		{"whitespace kept",
			"{\n  \"model\": \"gpt-4o\",\n  \"stream\": true\n}",
			"{\"stream_options\":{\"include_usage\":true},\n  \"model\": \"gpt-4o\",\n  \"stream\": true\n}", true},
		{"include_usage false is flipped",
			`{"stream":true,"stream_options":{"include_usage":false,"x":1}}`,
			`{"stream":true,"stream_options":{"include_usage":true,"x":1}}`, true},
		{"stream_options without include_usage",
			`{"stream":true,"stream_options":{"include_obfuscation":false}}`,
			`{"stream":true,"stream_options":{"include_usage":true,"include_obfuscation":false}}`, true},
		{"empty stream_options",
			`{"stream":true,"stream_options":{ }}`,
			`{"stream":true,"stream_options":{"include_usage":true }}`, true},
		{"null stream_options",
			`{"stream":true,"stream_options":null}`,
			`{"stream":true,"stream_options":{"include_usage":true}}`, true},
		{"already asked", `{"stream":true,"stream_options":{"include_usage":true}}`, "", false},
		{"not streamed", `{"model":"gpt-4o","messages":[]}`, "", false},
		{"stream false", `{"stream":false}`, "", false},
		{"stream as string", `{"stream":"true"}`, "", false},
		{"nested stream key ignored", `{"metadata":{"stream":true}}`, "", false},
		{"invalid JSON", `{"stream":true,`, "", false},
		{"trailing garbage", `{"stream":true} x`, "", false},
		{"not an object", `[{"stream":true}]`, "", false},
		{"stream_options wrong type", `{"stream":true,"stream_options":"x"}`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, injected := IncludeUsageRewrite([]byte(tt.in))
			want := tt.want
			if want == "" {
				want = tt.in
			}
			if string(got) != want || injected != tt.wantInjected {
				t.Fatalf("got %s, %v\nwant %s, %v", got, injected, want, tt.wantInjected)
			}
			if injected {
				var v struct {
					StreamOptions struct {
						IncludeUsage bool `json:"include_usage"`
					} `json:"stream_options"`
				}
				if err := json.Unmarshal(got, &v); err != nil || !v.StreamOptions.IncludeUsage {
					t.Errorf("rewritten body does not ask for usage: %v", err)
				}
			}
		})
	}
}

func TestIncludeUsageRewriteDoesNotAlias(t *testing.T) {
	in := []byte(`{"stream":true,"stream_options":{"include_usage":false}}`)
	orig := string(in)
	IncludeUsageRewrite(in)
	if string(in) != orig {
		t.Errorf("input modified: %s", in)
	}
}

func TestIncludeUsageEdit(t *testing.T) {
	for _, body := range []string{
		`{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
		` {"stream":true}`,
		`{"stream":true,"stream_options":{"include_usage":false}}`,
		`{"stream":true,"stream_options":{"include_usage":true}}`,
		`{"stream":true,"messages":[{"content":"\"stream_options\""}]}`,
		// An escaped key is the same member to the provider: inserting a
		// second stream_options before it would let the client's false win.
		`{"stream":true,"stream\u005foptions":{"include_usage":false}}`,
	} {
		info, err := apis.ScanBody([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		e, gotInj := IncludeUsageEdit([]byte(body), info)
		got := apis.Apply([]byte(body), e)
		var m struct {
			StreamOptions struct {
				IncludeUsage bool `json:"include_usage"`
			} `json:"stream_options"`
		}
		if err := json.Unmarshal(got, &m); err != nil {
			t.Errorf("%s → invalid JSON %s: %v", body, got, err)
			continue
		}
		if !m.StreamOptions.IncludeUsage {
			t.Errorf("%s → %s: the provider reads include_usage false", body, got)
		}
		// The client asked for usage already only in the one case that
		// needs no edit.
		if wantInj := !strings.Contains(body, `"include_usage":true`); gotInj != wantInj {
			t.Errorf("%s: edited %v, want %v", body, gotInj, wantInj)
		}
	}
}

// decoderMembers is how IncludeUsageRewrite first found members, with
// encoding/json's Decoder: the reference FuzzMembers holds apis.Members to.
func decoderMembers(doc []byte, wanted ...string) (map[string]apis.Span, int, bool) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, 0, false
	}
	open := int(dec.InputOffset())
	members := make(map[string]apis.Span, len(wanted))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, 0, false
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, 0, false
		}
		for _, w := range wanted {
			if key == w {
				end := int(dec.InputOffset())
				members[key] = apis.Span{Start: end - len(raw), End: end}
			}
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, 0, false
	}
	if len(bytes.TrimSpace(doc[dec.InputOffset():])) != 0 {
		return nil, 0, false
	}
	return members, open, true
}

func FuzzMembers(f *testing.F) {
	for _, s := range []string{`{"stream":true,"stream_options":{"include_usage":false}}`, `{ "stream" : true }`,
		`{"stream_options":null,"stream":true,"stream":false}`, `{"str\u0065am":true}`, `{}`, `[1]`, `{"a":1} x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, gotOpen, err := apis.Members(doc, "stream", "stream_options")
		gotOK := err == nil
		want, wantOpen, wantOK := decoderMembers(doc, "stream", "stream_options")
		if gotOK != wantOK {
			t.Fatalf("%q: ok %v, encoding/json says %v", doc, gotOK, wantOK)
		}
		if gotOK && (gotOpen != wantOpen || !reflect.DeepEqual(got, want)) {
			t.Fatalf("%q: %v at %d, encoding/json %v at %d", doc, got, gotOpen, want, wantOpen)
		}
	})
}
