package answers

import "testing"

func TestJSONValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a": 1,  "b": [1, 2]}`, `{"a":1,"b":[1,2]}`},
		{"", `{}`},
		{"  \n", `{}`},
		{`{"a":`, `"{\"a\":"`},
		{`[1]`, `[1]`},
		{`"x"`, `"x"`},
		{`not json <&>`, `"not json <&>"`},
	}
	for _, tt := range tests {
		if got := string(jsonValue(tt.in)); got != tt.want {
			t.Errorf("jsonValue(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestObjectAccessors(t *testing.T) {
	o := decodeObject([]byte(`{"s":"x","n":3,"f":1.5,"z":null,"l":[{"a":1},2,{"b":2}],"o":{"k":"v"}}`))
	if o.str("s") != "x" || o.str("n") != "" {
		t.Error("str")
	}
	if s, ok := o.optStr("z"); ok || s != "" {
		t.Error("optStr of null")
	}
	if n, ok := o.index("n"); !ok || n != 3 {
		t.Error("index")
	}
	if _, ok := o.index("f"); ok {
		t.Error("index of a fraction")
	}
	if got := len(o.objects("l")); got != 2 {
		t.Errorf("objects: %d", got)
	}
	if o.obj("o").str("k") != "v" || o.obj("s") != nil {
		t.Error("obj")
	}
	if o.has("z") || !o.has("s") || o.has("missing") {
		t.Error("has")
	}
	if decodeObject([]byte(`[1]`)) != nil || decodeObject(nil) != nil {
		t.Error("decodeObject of a non-object")
	}
}
