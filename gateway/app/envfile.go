package app

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/tailscale/hujson"
	"github.com/tsplug/ts-plug/gateway/config"
	"tailscale.com/atomicfile"
)

// EnvFileName is the file in the state directory holding the gateway's
// own environment: the provider keys its config reads as env:NAME, which
// a service started at boot would otherwise never see (the unit carries
// no environment, and sudo drops the installing shell's). The gateway
// reads it itself at start, before parsing the config, on every platform
// and for foreground runs with the same state directory alike.
const EnvFileName = "aperture.env"

// envFilePath is the environment file of the state directory dir.
func envFilePath(stateDir string) string { return filepath.Join(stateDir, EnvFileName) }

// envEntry is one NAME=VALUE line of an environment file.
type envEntry struct {
	Name, Value string
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// parseEnvFile reads NAME=VALUE lines: blank lines and lines starting
// with # are skipped, an "export " prefix is allowed, and a value wrapped
// in one pair of matching quotes ("..." or '...') loses them (nothing
// inside is unescaped). A later line for the same name wins. Errors name
// the line, never a value.
func parseEnvFile(data []byte) ([]envEntry, error) {
	var out []envEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		trimmed = strings.TrimPrefix(trimmed, "export ")
		name, value, ok := strings.Cut(trimmed, "=")
		name = strings.TrimSpace(name)
		if !ok || !envNameRE.MatchString(name) {
			return nil, fmt.Errorf("line %d: want NAME=VALUE", n)
		}
		value = strings.TrimLeft(value, " \t")
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		} else {
			value = strings.TrimRight(value, " \t")
		}
		out = setEntry(out, name, value)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// setEntry sets name to value in entries, in place of an earlier entry
// for the same name.
func setEntry(entries []envEntry, name, value string) []envEntry {
	if i := slices.IndexFunc(entries, func(e envEntry) bool { return e.Name == name }); i >= 0 {
		entries[i].Value = value
		return entries
	}
	return append(entries, envEntry{name, value})
}

// readEnvFile reads the environment file at path; a missing file is no
// entries.
func readEnvFile(path string) ([]envEntry, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	entries, err := parseEnvFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return entries, nil
}

// formatEnvFile renders entries in the form parseEnvFile reads back
// exactly: a value that has surrounding blanks or starts with a quote is
// double-quoted (the reader strips exactly one pair).
func formatEnvFile(entries []envEntry) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# aperture's environment, read by the gateway at start (before its config).\n" +
		"# Written by `aperture install`; NAME=VALUE lines, mode 0600. Restart the service after editing.\n")
	for _, e := range entries {
		if !envNameRE.MatchString(e.Name) {
			return nil, fmt.Errorf("invalid environment variable name %q", e.Name)
		}
		if strings.ContainsAny(e.Value, "\n\r\x00") {
			return nil, fmt.Errorf("environment variable %s: the value has a line break or NUL byte", e.Name)
		}
		v := e.Value
		if v != strings.TrimSpace(v) || strings.HasPrefix(v, `"`) || strings.HasPrefix(v, "'") {
			v = `"` + v + `"`
		}
		fmt.Fprintf(&b, "%s=%s\n", e.Name, v)
	}
	return b.Bytes(), nil
}

// writeEnvFile replaces the environment file at path atomically, mode
// 0600 and owned by whoever runs this (root for a system service, the
// user for a --user one: the service's own user either way). It refuses
// to replace anything but a regular file.
func writeEnvFile(path string, entries []envEntry) error {
	data, err := formatEnvFile(entries)
	if err != nil {
		return err
	}
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("%s exists and is not a regular file (a symlink?); remove it and retry", path)
	}
	// A new file, renamed over the old one: its mode is 0600 whatever
	// the old file's was.
	return atomicfile.WriteFile(path, data, 0o600)
}

// loadEnvFile sets the variables of the state directory's environment
// file in this process, before the config (and its env: keys) is read.
// A variable the environment already sets to a non-empty value keeps it:
// what the operator exported, or put in the unit, wins over the file.
// Values are never logged, only names.
func loadEnvFile(stateDir string, logf func(string, ...any)) error {
	path := envFilePath(stateDir)
	entries, err := readEnvFile(path)
	if err != nil {
		return fmt.Errorf("reading the environment file: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		logf("%s is readable by others (mode %04o) and holds secrets: chmod 600 it", path, fi.Mode().Perm())
	}
	var set, kept []string
	for _, e := range entries {
		if v, ok := os.LookupEnv(e.Name); ok && strings.TrimSpace(v) != "" {
			kept = append(kept, e.Name)
			continue
		}
		if err := os.Setenv(e.Name, e.Value); err != nil {
			return fmt.Errorf("%s: setting %s: %w", path, e.Name, err)
		}
		set = append(set, e.Name)
	}
	if len(set) > 0 {
		logf("environment from %s: %s", path, strings.Join(set, ", "))
	}
	if len(kept) > 0 {
		logf("%s also sets %s; the value already in the environment is used", path, strings.Join(kept, ", "))
	}
	return nil
}

// envRef is an env:NAME reference of a config and where it is.
type envRef struct {
	Name string
	Path string // e.g. providers.anthropic.apikey
}

// configEnvRefs lists the env:NAME references of a config text's secret
// fields (provider and hook keys, the S3 secret), in text order, one per
// name. A text that does not parse has none (the config's own
// diagnostics say why).
func configEnvRefs(src []byte) []envRef {
	root, err := hujson.Parse(src)
	if err != nil {
		return nil
	}
	var out []envRef
	seen := map[string]bool{}
	for _, s := range config.SecretSites(&root) {
		if s.Field != config.SecretKey {
			continue
		}
		name, ok := strings.CutPrefix(s.Value, "env:")
		if !ok || !envNameRE.MatchString(name) || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, envRef{Name: name, Path: s.Path})
	}
	return out
}

// serviceEnv is what install stores in the environment file.
type serviceEnv struct {
	entries []envEntry
	stored  []string // names taken from this run (environment or flags)
	missing []envRef // references the config makes that nothing provides
}

// buildServiceEnv merges, lowest first: the entries already in the file
// (so a reinstall under sudo, whose environment lacks the keys, keeps
// them), this environment's non-empty values of the variables the config
// references, the --env-file entries, and the --env flags (NAME=VALUE, or
// NAME to copy this environment's value).
func buildServiceEnv(existing []envEntry, refs []envRef, envFile []envEntry, envFlags []string, lookup func(string) (string, bool)) (serviceEnv, error) {
	out := serviceEnv{entries: slices.Clone(existing)}
	stored := map[string]bool{}
	set := func(name, value string) {
		out.entries = setEntry(out.entries, name, value)
		stored[name] = true
	}
	for _, r := range refs {
		if v, ok := lookup(r.Name); ok && strings.TrimSpace(v) != "" {
			set(r.Name, v)
		}
	}
	for _, e := range envFile {
		set(e.Name, e.Value)
	}
	for _, f := range envFlags {
		name, value, hasValue := strings.Cut(f, "=")
		if !envNameRE.MatchString(name) {
			return out, usageError("--env %q: want NAME=VALUE or NAME (a variable name is letters, digits and _)", name)
		}
		if !hasValue {
			v, ok := lookup(name)
			if !ok || strings.TrimSpace(v) == "" {
				return out, usageError("--env %s: %s is not set in this environment (under sudo, pass --env %s=VALUE or sudo --preserve-env=%s)", name, name, name, name)
			}
			value = v
		}
		if strings.ContainsAny(value, "\n\r\x00") {
			return out, usageError("--env %s: the value has a line break or NUL byte", name)
		}
		set(name, value)
	}
	for _, e := range out.entries {
		if stored[e.Name] {
			out.stored = append(out.stored, e.Name)
		}
	}
	for _, r := range refs {
		i := slices.IndexFunc(out.entries, func(e envEntry) bool { return e.Name == r.Name })
		if i < 0 || strings.TrimSpace(out.entries[i].Value) == "" {
			out.missing = append(out.missing, r)
		}
	}
	return out, nil
}

// names returns the entries' names, sorted.
func names(entries []envEntry) []string {
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.Name)
	}
	sort.Strings(out)
	return out
}
