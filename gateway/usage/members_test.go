package usage

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

var readerNames = []string{"usage", "type", "id", "response"}

func TestMemberReader(t *testing.T) {
	tests := []struct {
		name, doc string
		ok        bool
		want      []string // values of readerNames, "" for none
	}{
		{"plain", `{"usage":{"a":1},"type":"t"}`, true, []string{`{"a":1}`, `"t"`, "", ""}},
		{"escaped names", `{"\u0075sage":1,"typ\u0065":"x","\u0069\u0064":null}`, true, []string{"1", `"x"`, "null", ""}},
		{"the last of a repeated member", `{"usage":1,"type":"a","usage":{"b":2}}`, true, []string{`{"b":2}`, `"a"`, "", ""}},
		{"nested look-alikes are content", `{"x":{"usage":{"fake":1}},"c":[{"usage":{}}],"s":"\"usage\":{}","response":{"id":"r"}}`, true,
			[]string{"", "", "", `{"id":"r"}`}},
		{"case matters", `{"Usage":{"a":1},"TYPE":"t"}`, true, []string{"", "", "", ""}},
		{"whitespace everywhere", " \n{ \"usage\" :\t{ \"a\" : 1 } ,\r\"id\"\n:\"i\" } \n", true, []string{`{ "a" : 1 }`, "", `"i"`, ""}},
		{"truncated", `{"usage":{"a":1}`, false, []string{"", "", "", ""}},
		{"trailing bytes", `{"usage":{}} x`, false, []string{"", "", "", ""}},
		{"two documents", `{"usage":{}}{}`, false, []string{"", "", "", ""}},
		{"not an object", `[{"usage":{}}]`, false, []string{"", "", "", ""}},
		{"invalid UTF-8 accepted", "{\"s\":\"\xff\",\"id\":\"i\"}", true, []string{"", "", `"i"`, ""}},
	}
	var r memberReader
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vals := make([][]byte, len(readerNames))
			if ok := r.members([]byte(tt.doc), readerNames, vals); ok != tt.ok {
				t.Fatalf("members = %v, want %v", ok, tt.ok)
			}
			for i, v := range vals {
				if string(v) != tt.want[i] {
					t.Errorf("%s = %q, want %q", readerNames[i], v, tt.want[i])
				}
			}
		})
	}
}

// TestReaderDepthAgrees: jsontext's nesting limit is encoding/json's.
func TestReaderDepthAgrees(t *testing.T) {
	var r memberReader
	for _, depth := range []int{9999, 10000, 10001} {
		doc := []byte(`{"a":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`)
		var m map[string]json.RawMessage
		want := json.Unmarshal(doc, &m) == nil
		if got := r.members(doc, readerNames, make([][]byte, len(readerNames))); got != want {
			t.Errorf("depth %d: reader accepts %v, encoding/json %v", depth, got, want)
		}
	}
}

// FuzzMemberReader: the exact reader reads what encoding/json reads into a
// map[string]json.RawMessage (and []json.RawMessage for arrays), refuses
// what it refuses, and the fast pre-checks never miss a member it finds.
func FuzzMemberReader(f *testing.F) {
	for _, s := range []string{
		`{"usage":{"prompt_tokens":1},"type":"x"}`,
		`{"\u0075sage":{},"usage":null,"type":"a","type":"b"}`,
		`{"x":{"usage":{"a":1}},"s":"\"usage\":{\"prompt_tokens\":1}","usage":{"b":2}}`,
		" { \"usage\" : { } , \"id\" : \"resp_1\" } ",
		`{"usage":{"a":1}`,
		`{"usage":{}} {}`,
		"{\"id\":\"\xff\\ud800\"}",
		`{"id":"x","response":{"id":"y"},"id":"z"}`,
		`[{"usage":{}},1,"s",null]`,
		`{"us\u0061ge"  :  {"a":[1,2,{"b":"}"}]}}`,
		`{"usage":1e999}`,
		`{"a":"\u00e9","usage"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var r memberReader
		vals := make([][]byte, len(readerNames))
		ok := r.members(doc, readerNames, vals)
		var m map[string]json.RawMessage
		wantOK := json.Unmarshal(doc, &m) == nil && m != nil
		if ok != wantOK {
			t.Fatalf("%q: reader ok=%v, encoding/json ok=%v", doc, ok, wantOK)
		}
		for i, name := range readerNames {
			want, found := m[name]
			if !bytes.Equal(vals[i], want) || (vals[i] != nil) != found {
				t.Fatalf("%q: %s = %q, encoding/json %q", doc, name, vals[i], want)
			}
			if found && !mayHaveMember(doc, `"`+name+`"`) {
				t.Fatalf("%q: mayHaveMember misses %s", doc, name)
			}
			if found && isObject(want) && !mayHaveObjectMember(doc, `"`+name+`"`) {
				t.Fatalf("%q: mayHaveObjectMember misses %s", doc, name)
			}
		}
		var got [][]byte
		arrOK := r.elements(doc, func(el []byte) { got = append(got, el) })
		var list []json.RawMessage
		wantArr := json.Unmarshal(doc, &list) == nil && list != nil
		if arrOK != wantArr {
			t.Fatalf("%q: elements ok=%v, encoding/json ok=%v", doc, arrOK, wantArr)
		}
		if arrOK {
			if len(got) != len(list) {
				t.Fatalf("%q: %d elements, encoding/json %d", doc, len(got), len(list))
			}
			for i := range got {
				if !bytes.Equal(got[i], list[i]) {
					t.Fatalf("%q: element %d = %q, encoding/json %q", doc, i, got[i], list[i])
				}
			}
		}
		if len(doc) > 1 && doc[0] == '"' && doc[len(doc)-1] == '"' && json.Valid(doc) {
			var s string
			json.Unmarshal(doc, &s)
			if got := stringValue(doc); got != s {
				t.Fatalf("stringValue(%q) = %q, encoding/json %q", doc, got, s)
			}
		}
	})
}
