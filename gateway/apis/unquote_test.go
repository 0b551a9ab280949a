package apis

import (
	"encoding/json"
	"testing"
)

// FuzzUnquote: any JSON string the scanner accepts, unquote decodes as
// encoding/json does, escapes, surrogates and invalid UTF-8 included.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{
		``, `plain`, `tab\there`, `\"quoted\" \\ \/`, `\u00e9\u2713`, `\ud83d\ude00`,
		`\ud800`, `\ud800x`, `\udc00\ud800`, `\ud800\u0041`, `\ud83d\ud83d\ude00`,
		"\xff", "a\xe2\x82", "\xed\xa0\x80", `\b\f\n\r\t`, "é✓",
		`\ud800\"`, `\ud800\\`, `x\udbff`, "\xc0\x80", "\xef\xbf\xbd", `\u0000`, `\u2028\u2029`,
		"\xe2\x80\xa8", `\ud800` + "\xff", `\"\\\/`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, inner []byte) {
		raw := append(append([]byte{'"'}, inner...), '"')
		s := scanner{data: raw}
		escaped, err := s.skipString()
		if err != nil || s.pos != len(raw) {
			return // not one JSON string: the scanner never hands it over
		}
		var want string
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatalf("%q: the scanner accepts it, encoding/json does not: %v", raw, err)
		}
		if got := unquote(raw, escaped); got != want {
			t.Fatalf("%q: unquote %q, encoding/json %q", raw, got, want)
		}
	})
}

// TestUnquoteLongText: a long escaped text decodes in one buffer, not
// with encoding/json's copies (4 bytes allocated per byte before).
func TestUnquoteLongText(t *testing.T) {
	var raw []byte
	raw = append(raw, '"')
	for len(raw) < 64<<10 {
		raw = append(raw, `line of code \"x\"\n`...)
	}
	raw = append(raw, '"')
	var want string
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if got := unquote(raw, true); got != want {
		t.Fatal("unquote differs from encoding/json")
	}
	allocs := testing.AllocsPerRun(20, func() { unquote(raw, true) })
	if allocs > 2 {
		t.Errorf("unquote of a %d-byte string: %.0f allocations, want at most 2 (the buffer and the string)", len(raw), allocs)
	}
}
