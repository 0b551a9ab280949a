package fakellm

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestObjKeepsOrder(t *testing.T) {
	b, err := json.Marshal(obj{{"z", 1}, {"a", obj{{"y", nil}, {"b", []any{obj{}}}}}, {"m", "s"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"z":1,"a":{"y":null,"b":[{}]},"m":"s"}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

func TestWriteTemplate(t *testing.T) {
	tests := []struct {
		name string
		v    any
		t    replyText
		want string
	}{
		{"one marker", obj{{"a", textMarker}, {"b", 1}}, literalText(`x"y`), `{"a":"x\"y","b":1}`},
		{"two markers", []any{textMarker, "k", textMarker}, literalText("t"), `["t","k","t"]`},
		{"no marker", obj{{"a", "plain"}}, literalText("unused"), `{"a":"plain"}`},
		{"generated", obj{{"a", textMarker}}, generatedText(11), `{"a":"lorem ipsum"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := writeTemplate(&b, tt.v, tt.t); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got %s, want %s", b.String(), tt.want)
			}
		})
	}
}
