package main

import (
	"strings"
	"testing"
)

// TestOptionsCheckRefusesFlagsThatDoNothing: a profile of sections that
// -only does not run, or an -only section that does not exist, is an
// error naming the flag, not a run that silently writes nothing.
func TestOptionsCheckRefusesFlagsThatDoNothing(t *testing.T) {
	for _, tt := range []struct {
		o    options
		want string // in the error; "" for none
	}{
		{options{}, ""},
		{options{only: "latency", trace: "t", allocProfile: "a", profile: "p"}, ""},
		{options{trace: "t"}, ""},
		{options{only: "tunnel", profile: "p"}, ""},
		{options{only: "tunnel", trace: "t"}, "-trace"},
		{options{only: "postgres", allocProfile: "a"}, "-allocprofile"},
		{options{only: "postgres", profile: "p"}, "-profile"},
		{options{only: "nope"}, `-only "nope"`},
	} {
		err := tt.o.check()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%+v: %v, want an error naming %q", tt.o, err, tt.want)
		}
	}
}
