package config

import (
	"strings"
	"testing"
)

func TestAuthModes(t *testing.T) {
	tests := []struct {
		name, field string
		want        string
		injects     bool
	}{
		{"absent", ``, AuthModeOverride, true},
		{"empty", `"auth_mode": "",`, AuthModeOverride, true},
		{"override", `"auth_mode": "override",`, AuthModeOverride, true},
		{"passthrough", `"auth_mode": "passthrough",`, AuthModePassthrough, false},
		{"none", `"auth_mode": "none",`, AuthModeNone, false},
		{"letter case", `"auth_mode": "Passthrough",`, AuthModePassthrough, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags, err := Parse([]byte(`{"providers": {"p": {` + tt.field +
				`"baseurl": "https://api.anthropic.com", "models": ["m"], "compatibility": {"anthropic_messages": true}}}}`))
			if err != nil {
				t.Fatalf("Parse: %v %v", err, diags)
			}
			if d := providerDiags(diags); len(d) != 0 {
				t.Errorf("diagnostics: %v", d)
			}
			p := cfg.Providers["p"]
			if p.AuthMode != tt.want || p.InjectsKey() != tt.injects {
				t.Errorf("AuthMode = %q, InjectsKey = %v; want %q, %v", p.AuthMode, p.InjectsKey(), tt.want, tt.injects)
			}
		})
	}
}

// A key or an authorization style on a provider that sends the caller's
// credential, or none, would do nothing: the config is refused, naming
// the field, so an admin never believes a key is in use when it is not.
func TestAuthModeRefusesUnusedCredentialFields(t *testing.T) {
	tests := []struct {
		name, mode, fields, path, msg string
	}{
		{"passthrough apikey", "passthrough", `"apikey": "sk-ant-admin"`, "providers.p.apikey", "apikey is not used with auth_mode passthrough; remove it"},
		{"none apikey", "none", `"apikey": "sk-local"`, "providers.p.apikey", "apikey is not used with auth_mode none; remove it"},
		{"passthrough apikey reference", "passthrough", `"apikey": "env:AUTHMODE_TEST_UNSET"`, "providers.p.apikey", "apikey is not used"},
		{"passthrough authorization", "passthrough", `"authorization": "x-api-key"`, "providers.p.authorization", "authorization is not used with auth_mode passthrough"},
		{"none authorization", "none", `"authorization": "bearer"`, "providers.p.authorization", "authorization is not used with auth_mode none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := `{"providers": {"p": {"auth_mode": "` + tt.mode + `", ` + tt.fields +
				`, "baseurl": "https://api.anthropic.com", "models": ["m"], "compatibility": {"anthropic_messages": true}}}}`
			_, diags, err := Parse([]byte(src))
			if err == nil {
				t.Fatalf("accepted: %v", diags)
			}
			d, ok := diagAt(diags, tt.path)
			if !ok || d.Severity != Error || !strings.Contains(d.Message, tt.msg) {
				t.Errorf("want error %q at %s; got %v", tt.msg, tt.path, diags)
			}
			for _, d := range diags {
				if strings.Contains(d.Message, "no API key") {
					t.Errorf("a key that is not used was still resolved: %v", d)
				}
			}
		})
	}
}

// A provider that needs no key of its own has none, and that is not
// worth a warning; an override provider's unreadable key still is.
func TestAuthModeNoKeyWarning(t *testing.T) {
	t.Setenv("AUTHMODE_TEST_EMPTY", "")
	for _, mode := range []string{"passthrough", "none"} {
		_, diags, err := Parse([]byte(`{"providers": {"p": {"auth_mode": "` + mode +
			`", "baseurl": "http://127.0.0.1:8080", "models": ["m"]}}}`))
		if d := providerDiags(diags); err != nil || len(d) != 0 {
			t.Errorf("%s without a key: %v %v", mode, err, d)
		}
	}
	_, diags, err := Parse([]byte(`{"providers": {"p": {"apikey": "env:AUTHMODE_TEST_EMPTY", "baseurl": "http://127.0.0.1:8080", "models": ["m"]}}}`))
	if err != nil || !hasDiagMsg(diags, "providers.p.apikey", "no API key") {
		t.Errorf("override with an empty key: want the no API key warning; got %v %v", err, diags)
	}
}

// providerDiags are the diagnostics about providers (the test configs
// have no grants, which is worth a warning of its own).
func providerDiags(diags []Diagnostic) []Diagnostic {
	var out []Diagnostic
	for _, d := range diags {
		if strings.HasPrefix(d.Path, "providers") {
			out = append(out, d)
		}
	}
	return out
}
