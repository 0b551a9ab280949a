package unplug

import (
	"errors"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestParseTargetRefusesCommandsAndImplausibleHosts(t *testing.T) {
	tests := []struct {
		arg  string
		want string // in the error; "" means accepted
	}{
		{"help", "TARGET \"help\" is a command name, not a tailnet host; did you mean `ts-unplug --help`?"},
		{"HELP", "is a command name"},
		{"version", "`ts-unplug --version`"},
		{"status", "did you mean `ts-unplug status`?"},
		{"install", "did you mean `ts-unplug install`?"},
		{"login", "is a command name"},
		{"stauts", "TARGET \"stauts\" looks like the command \"status\" mistyped"},
		{"instal", "the command \"install\" mistyped"},
		{"unistall", "the command \"uninstall\" mistyped"},
		{"restrat", "the command \"restart\" mistyped"},
		{"-port", "is not a host name"},
		{"ai host", "invalid character"},
		{"", "empty target"},
		{"http://ai.example.ts.net/v1", "not a path"},
		{"*", "is not a host name"},
		// Hosts, including short words a typo rule must not catch.
		{"ai", ""},
		{"stor", ""},
		{"shop", ""},
		{"started", ""},
		{"ai.example.ts.net", ""},
		{"http://help", ""},
		{"status.example.ts.net", ""},
		{"help:8080", ""},
		{"100.64.0.1:81", ""},
	}
	for _, tt := range tests {
		_, err := parseTarget(tt.arg)
		if tt.want == "" {
			if err != nil {
				t.Errorf("parseTarget(%q) = %v, want accepted", tt.arg, err)
			}
			continue
		}
		var ec cli.ExitCoder
		if !errors.As(err, &ec) || ec.ExitCode() != 2 {
			t.Errorf("parseTarget(%q) = %v, want a usage error (exit 2)", tt.arg, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), usageLine) {
			t.Errorf("parseTarget(%q) = %q, want %q and the usage line", tt.arg, err, tt.want)
		}
	}
}

func TestOneEditApart(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"status", "status", false},
		{"stauts", "status", true},  // swap
		{"statu", "status", true},   // drop
		{"statuss", "status", true}, // add
		{"statas", "status", true},  // change
		{"satuts", "status", false}, // two changes
		{"sattus", "status", true},  // swap
		{"stat", "status", false},
		{"", "a", true},
	}
	for _, tt := range tests {
		if got := oneEditApart(tt.a, tt.b); got != tt.want {
			t.Errorf("oneEditApart(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
