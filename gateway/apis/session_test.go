package apis

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSessionHints(t *testing.T) {
	tests := []struct {
		name string
		body string
		want SessionHints
	}{
		{"chat", `{"model":"m","messages":[{"role":"system","content":"sys"},{"role":"user","content":"hi"}]}`,
			SessionHints{Model: "m", FirstUserText: "hi", HasFirstUser: true}},
		{"escaped keys", `{"mod\u0065l":"m","m\u0065ssages":[{"r\u006fle":"\u0075ser","c\u006fntent":"h\u0069"}]}`,
			SessionHints{Model: "m", FirstUserText: "hi", HasFirstUser: true}},
		{"user_id", `{"model":"m","metadata":{"user_id":"a","user_\u0069d":"u\"1"}}`, SessionHints{Model: "m", UserID: `u"1`}},
		{"user_id not a string", `{"model":"m","metadata":{"user_id":1}}`, SessionHints{Model: "m"}},
		{"nested look-alikes are content", `{"model":"m","x":{"messages":[{"role":"user","content":"decoy"}]},"messages":[{"role":"assistant","content":{"role":"user","content":"decoy"}},{"role":"user","content":"real"}]}`,
			SessionHints{Model: "m", FirstUserText: "real", HasFirstUser: true}},
		{"repeated messages: the last", `{"model":"m","messages":[{"role":"user","content":"first"}],"messages":[{"role":"user","content":"last"}]}`,
			SessionHints{Model: "m", FirstUserText: "last", HasFirstUser: true}},
		{"responses input string", `{"model":"m","input":"go","messages":[{"role":"user","content":"no"}]}`,
			SessionHints{Model: "m", FirstUserText: "go", HasFirstUser: true}},
		{"parts joined", `{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"a"},null,{"type":"input_image"},{"text":"b"}]}]}`,
			SessionHints{Model: "m", FirstUserText: "a\nb", HasFirstUser: true}},
		{"no text: raw content", `{"model":"m","messages":[{"role":"user","content":[{"type":"image"}]}]}`,
			SessionHints{Model: "m", FirstUserText: `[{"type":"image"}]`, HasFirstUser: true}},
		{"gemini role optional, parts", `{"contents":[{"parts":[{"text":"g"}]}]}`, SessionHints{FirstUserText: "g", HasFirstUser: true}},
		{"content wins over parts", `{"contents":[{"content":"c","parts":[{"text":"p"}]}]}`, SessionHints{FirstUserText: "c", HasFirstUser: true}},
		{"first user without content ends the field", `{"messages":[{"role":"user"},{"role":"user","content":"late"}],"contents":[{"parts":[{"text":"g"}]}]}`,
			SessionHints{FirstUserText: "g", HasFirstUser: true}},
		{"no user message", `{"model":"m","messages":[{"role":"system","content":"x"}]}`, SessionHints{Model: "m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := ScanBody([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got := info.SessionHints([]byte(tt.body)); got != tt.want {
				t.Errorf("SessionHints = %+v, want %+v", got, tt.want)
			}
			if ref := refSessionHints(t, []byte(tt.body)); ref != tt.want {
				t.Errorf("encoding/json reads %+v, want %+v", ref, tt.want)
			}
		})
	}
}

func TestUnscannedBodyHasNoHints(t *testing.T) {
	var none BodyInfo
	if none.Scanned() {
		t.Error("a zero BodyInfo says it was scanned")
	}
	info, err := ScanBody([]byte(` {"messages":[{"role":"user","content":"x"}]}`))
	if err != nil || !info.Scanned() {
		t.Errorf("a scanned body says it was not (%v)", err)
	}
}

// refSessionHints is SessionHints with encoding/json as the reader: each
// object decoded into a map, so keys are unescaped and compared exactly and
// the last of a repeated one wins.
func refSessionHints(t *testing.T, body []byte) SessionHints {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatalf("encoding/json refuses a body ScanBody accepted: %v", err)
	}
	var h SessionHints
	str := func(raw json.RawMessage) (string, bool) {
		var s string
		if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return s, true
	}
	obj := func(raw json.RawMessage) (map[string]json.RawMessage, bool) {
		var m map[string]json.RawMessage
		if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
			return nil, false
		}
		return m, true
	}
	h.Model, _ = str(top["model"])
	if md, ok := obj(top["metadata"]); ok {
		h.UserID, _ = str(md["user_id"])
	}
	if s, ok := str(top["input"]); ok {
		h.FirstUserText, h.HasFirstUser = s, true
		return h
	}
	for _, field := range []string{"messages", "input", "contents"} {
		raw := top[field]
		var list []json.RawMessage
		if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
			continue
		}
		for _, el := range list {
			m, _ := obj(el)
			role, hasRole := m["role"]
			isUser := !hasRole && field == "contents"
			if hasRole {
				r, _ := str(role)
				isUser = r == "user"
			}
			if !isUser {
				continue
			}
			content, ok := m["content"]
			if !ok {
				content, ok = m["parts"]
			}
			if ok {
				h.FirstUserText, h.HasFirstUser = refContentText(content), true
				return h
			}
			break
		}
	}
	return h
}

func refContentText(content json.RawMessage) string {
	if string(content) == "null" {
		return ""
	}
	if s := ""; content[0] == '"' && json.Unmarshal(content, &s) == nil {
		return s
	}
	var parts []json.RawMessage
	if content[0] != '[' || json.Unmarshal(content, &parts) != nil {
		return string(content)
	}
	var texts []string
	for _, p := range parts {
		if string(p) == "null" {
			continue
		}
		var m map[string]json.RawMessage
		if p[0] != '{' || json.Unmarshal(p, &m) != nil {
			return string(content)
		}
		text, ok := m["text"]
		if !ok || string(text) == "null" {
			continue
		}
		var s string
		if text[0] != '"' || json.Unmarshal(text, &s) != nil {
			return string(content)
		}
		if s != "" {
			texts = append(texts, s)
		}
	}
	if len(texts) == 0 {
		return string(content)
	}
	return strings.Join(texts, "\n")
}

// FuzzSessionHints: on any body ScanBody accepts, SessionHints reads what
// encoding/json reads.
func FuzzSessionHints(f *testing.F) {
	for _, s := range []string{
		`{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
		`{"mod\u0065l":"m","m\u0065ssages":[{"r\u006fle":"\u0075ser","content":[{"text":"a"},{"t\u0065xt":"b","text":null}]}]}`,
		`{"messages":[{"role":"user","content":"a"}],"messages":[{"role":"user","content":"b","content":"c"}]}`,
		`{"metadata":{"user_id":"x","user_id":"user_a_session_b"},"x":{"metadata":{"user_id":"evil"}}}`,
		`{"input":[{"role":"user","content":"{\"role\":\"user\"}"}],"contents":[{"parts":[{"text":"g"}]}]}`,
		"{ \"contents\" : [ 1 , { \"parts\" : [ { \"text\" : \"\\u00e9\" } ] } ] }",
		`{"messages":[{"role":"user","content":[{"text":1}]}]}`,
		`{"messages":[{"role":"user","content":[{"text":"a"},"b"]}]}`,
		`{"messages":[{"role":null},{"role":"user","parts":null}]}`,
		"{\"input\":\"\xff\\ud800\"}",
		`{"messages":[{"role":"user","content":"hi`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		info, err := ScanBody(body)
		if err != nil {
			return
		}
		got, want := info.SessionHints(body), refSessionHints(t, body)
		if got != want {
			t.Fatalf("%q: SessionHints %+v, encoding/json %+v", body, got, want)
		}
	})
}
