package main

import (
	"encoding/json"
	"testing"
)

func TestSpecsAreValidJSON(t *testing.T) {
	for _, c := range apiCases {
		for _, stream := range []bool{false, true} {
			for _, padding := range []int{0, 1000} {
				s := c.Spec(stream, padding)
				var v struct {
					Model  string `json:"model"`
					Stream bool   `json:"stream"`
				}
				if err := json.Unmarshal(s.Body, &v); err != nil {
					t.Fatalf("%s stream=%v: %v\n%s", c.Name, stream, err, s.Body)
				}
				if v.Model == "" || v.Stream != stream {
					t.Errorf("%s: model %q stream %v, want stream %v", c.Name, v.Model, v.Stream, stream)
				}
				if padding > 0 && len(s.Body) < padding {
					t.Errorf("%s: body %d bytes, want at least the %d of padding", c.Name, len(s.Body), padding)
				}
			}
		}
	}
	if err := json.Unmarshal(bigStreamSpec().Body, new(any)); err != nil {
		t.Error(err)
	}
}
