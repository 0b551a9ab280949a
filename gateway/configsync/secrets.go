package configsync

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/tailscale/hujson"
	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
)

// ErrLiteralSecrets is what Save and Start refuse a config with when
// LiteralSecrets finds any: the error wraps it and lists every field.
var ErrLiteralSecrets = errors.New("the config holds secrets written literally, which a shared database would carry off this host")

// A credential header in add_headers is one whose name says it holds a
// secret, by the rule captures are redacted with
// (apis.IsSecretHeaderName: Authorization, X-Api-Key,
// Ocp-Apim-Subscription-Key, X-Auth-Token, anything with "secret" or
// "password", …). add_headers values are sent as written (they cannot be
// env:/file: references), so these cannot be shared at all: the key
// belongs in the provider's apikey, as a reference, with its
// "authorization" type. Other add_headers (a version, an organization
// id) are shared as written.

// credentialParams are URL query parameter names that carry a key
// (Gemini's ?key=, signed URLs' sig=), besides those whose name says so
// by the header rule.
var credentialParams = map[string]bool{
	"key": true, "token": true, "access_token": true, "auth": true, "sig": true, "signature": true,
}

// credentialParam reports whether a URL query parameter carries a secret.
func credentialParam(name string) bool {
	n := strings.ToLower(name)
	return credentialParams[n] || apis.IsSecretHeaderName(n)
}

// LiteralSecrets lists, as errors, every secret src writes literally: a
// key (providers' and hooks' apikey, the S3 exporter's access_secret)
// that is not an env:/file: reference, credentials in a URL's userinfo,
// and a credential header's value in add_headers. A shared config is
// stored in the database, so each of these would leave the host; a
// reference is resolved by every replica on its own host instead. A
// text that is not HuJSON has no sites to report (parsing says why).
func LiteralSecrets(src []byte) []config.Diagnostic {
	root, err := hujson.Parse(src)
	if err != nil {
		return nil
	}
	var out []config.Diagnostic
	for _, site := range config.SecretSites(&root) {
		msg := literalSecret(site)
		if msg == "" {
			continue
		}
		line, col := position(src, site.Start)
		out = append(out, config.Diagnostic{Severity: config.Error, Line: line, Column: col, Path: site.Path, Message: msg})
	}
	return out
}

// useRef ends every refusal: what to write instead, and where the key goes.
const useRef = `; while replicas share a database, keys stay on each host: write "env:NAME" or "file:PATH" and provide that variable or file on every replica`

// literalSecret says why site's value may not be shared, or "".
func literalSecret(site config.SecretSite) string {
	v := site.Value
	switch site.Field {
	case config.SecretKey:
		if v == "" || config.IsSecretRef(v) || config.IsMasked(v) {
			return ""
		}
		return fmt.Sprintf("%s is a literal key%s", site.Path, useRef)
	case config.SecretURL:
		u, err := url.Parse(v)
		if err != nil {
			return ""
		}
		if u.User != nil {
			return fmt.Sprintf("%s carries credentials in the URL (user:password@), which would be stored in the shared database; "+
				"remove them and give the key as apikey%s", site.Path, useRef)
		}
		for name, vals := range u.Query() {
			if credentialParam(name) && slices.ContainsFunc(vals, func(v string) bool { return v != "" && !config.IsMasked(v) }) {
				return fmt.Sprintf("%s carries a credential in the URL's query (%s=), which would be stored in the shared database; "+
					"remove it and give the key as apikey%s", site.Path, name, useRef)
			}
		}
		return ""
	case config.SecretHeader:
		name, value, ok := strings.Cut(v, ":")
		value = strings.TrimSpace(value)
		if !ok || value == "" || config.IsMasked(value) || !apis.IsSecretHeaderName(name) {
			return ""
		}
		return fmt.Sprintf("%s sends a credential (%s) written literally, and add_headers values cannot be references; "+
			"remove it and give the key as the provider's apikey with the matching \"authorization\" type%s",
			site.Path, strings.TrimSpace(name), useRef)
	}
	return ""
}

// LiteralSecretsError is ErrLiteralSecrets with each field's diagnostic.
type LiteralSecretsError struct{ Diags []config.Diagnostic }

func (e *LiteralSecretsError) Error() string {
	var b strings.Builder
	b.WriteString(ErrLiteralSecrets.Error())
	for _, d := range e.Diags {
		fmt.Fprintf(&b, "\n  line %d: %s", d.Line, d.Message)
	}
	return b.String()
}

func (e *LiteralSecretsError) Unwrap() error { return ErrLiteralSecrets }

// checkShareable refuses text that may not go into the shared database.
func checkShareable(text []byte) error {
	if len(bytes.TrimSpace(text)) == 0 {
		return errors.New("the config is empty")
	}
	if _, err := hujson.Parse(text); err != nil {
		return fmt.Errorf("the config is not HuJSON: %w", err)
	}
	if ds := LiteralSecrets(text); len(ds) > 0 {
		return &LiteralSecretsError{Diags: ds}
	}
	return nil
}

// position is the 1-based line and column of byte offset off in src.
func position(src []byte, off int) (line, col int) {
	off = min(off, len(src))
	line = 1 + bytes.Count(src[:off], []byte("\n"))
	return line, off - bytes.LastIndexByte(src[:off], '\n')
}
