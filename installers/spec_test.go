package installers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNormalize(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		in      Spec
		wantErr string
		check   func(t *testing.T, s Spec)
	}{
		{name: "empty name", in: Spec{Executable: "/bin/x"}, wantErr: "name is empty"},
		{name: "name with space", in: Spec{Name: "ts unplug", Executable: "/bin/x"}, wantErr: "invalid service name"},
		{name: "name with slash", in: Spec{Name: "../evil", Executable: "/bin/x"}, wantErr: "invalid service name"},
		{name: "bad env key", in: Spec{Name: "a", Executable: "/bin/x", Env: map[string]string{"A-B": "1"}}, wantErr: "invalid environment variable name"},
		{name: "relative env file", in: Spec{Name: "a", Executable: "/bin/x", EnvFile: "secrets.env"}, wantErr: "must be an absolute path"},
		{name: "NUL in argument", in: Spec{Name: "a", Executable: "/bin/x", Arguments: []string{"a\x00b"}}, wantErr: "NUL"},
		{
			name: "defaults",
			in:   Spec{Name: "ts-unplug"},
			check: func(t *testing.T, s Spec) {
				exe, _ := os.Executable()
				if s.Executable != exe {
					t.Errorf("Executable = %q, want os.Executable() %q", s.Executable, exe)
				}
				if s.Description != "ts-unplug" {
					t.Errorf("Description = %q, want the name", s.Description)
				}
				if s.StopTimeout != DefaultStopTimeout {
					t.Errorf("StopTimeout = %v", s.StopTimeout)
				}
			},
		},
		{
			name: "relative executable and root made absolute, description from display name",
			in:   Spec{Name: "a", Executable: "bin/ts-unplug", DisplayName: "Tailnet tunnel", Root: "pkg", StopTimeout: time.Second},
			check: func(t *testing.T, s Spec) {
				if want := filepath.Join(wd, "bin/ts-unplug"); s.Executable != want {
					t.Errorf("Executable = %q, want %q", s.Executable, want)
				}
				if want := filepath.Join(wd, "pkg"); s.Root != want {
					t.Errorf("Root = %q, want %q", s.Root, want)
				}
				if s.Description != "Tailnet tunnel" {
					t.Errorf("Description = %q", s.Description)
				}
				if s.StopTimeout != time.Second {
					t.Errorf("StopTimeout = %v", s.StopTimeout)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.normalize()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
		})
	}
}

func TestForegroundCommand(t *testing.T) {
	s := Spec{Executable: "/opt/my apps/ts-unplug", Arguments: []string{"--dir", "/var/lib/ts unplug", "it's", "host:80", ""}}
	want := `ts-unplug --dir '/var/lib/ts unplug' 'it'\''s' host:80 ''`
	if got := s.foregroundCommand(); got != want {
		t.Errorf("foregroundCommand() = %s, want %s", got, want)
	}
}
