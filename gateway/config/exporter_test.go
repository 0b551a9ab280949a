package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseS3Exporter(t *testing.T) {
	t.Setenv("TSPLUG_TEST_S3_SECRET", "  s3-secret-from-env \n")
	defaults := S3Exporter{Bucket: "b", Region: DefaultS3Region, Every: DefaultS3Every, Limit: DefaultS3Limit}
	with := func(f func(*S3Exporter)) *S3Exporter {
		s := defaults
		f(&s)
		return &s
	}
	tests := []struct {
		name string
		s3   string // the exporters.s3 object
		want *S3Exporter
		// diagPath and diagMsg, when set, name a diagnostic that must be
		// there; wantErr says it is an error, which refuses the config.
		diagPath, diagMsg string
		wantErr           bool
	}{
		{name: "defaults", s3: `{"bucket_name": "b"}`, want: &defaults},
		{name: "every field", s3: `{"bucket_name": "logs", "region": "auto", "endpoint": "https://s3.example.com/",
			"prefix": "aperture/prod", "access_key_id": "AKID", "access_secret": "shh", "every": 60, "limit": 500}`,
			want: &S3Exporter{Bucket: "logs", Region: "auto", Endpoint: "https://s3.example.com", Prefix: "aperture/prod",
				AccessKeyID: "AKID", AccessSecret: "shh", Every: time.Minute, Limit: 500}},
		{name: "empty region is the default", s3: `{"bucket_name": "b", "region": ""}`, want: &defaults},
		{name: "no bucket_name: off", s3: `{"bucket_name": ""}`, want: nil},
		{name: "members but no bucket_name", s3: `{"region": "eu-west-1"}`, want: nil,
			diagPath: "exporters.s3", diagMsg: "no bucket_name"},
		{name: "secret from env", s3: `{"bucket_name": "b", "access_key_id": "AKID", "access_secret": "env:TSPLUG_TEST_S3_SECRET"}`,
			want: with(func(s *S3Exporter) { s.AccessKeyID, s.AccessSecret = "AKID", "s3-secret-from-env" })},
		{name: "unset secret variable", s3: `{"bucket_name": "b", "access_key_id": "AKID", "access_secret": "env:TSPLUG_TEST_S3_UNSET"}`,
			want:     with(func(s *S3Exporter) { s.AccessKeyID = "AKID" }),
			diagPath: "exporters.s3.access_secret", diagMsg: "TSPLUG_TEST_S3_UNSET is not set"},
		{name: "key id reference not read", s3: `{"bucket_name": "b", "access_key_id": "env:HOME", "access_secret": "x"}`,
			want:     with(func(s *S3Exporter) { s.AccessKeyID, s.AccessSecret = "env:HOME", "x" }),
			diagPath: "exporters.s3.access_key_id", diagMsg: "used as written"},
		{name: "half the credentials", s3: `{"bucket_name": "b", "access_key_id": "AKID"}`,
			want:     with(func(s *S3Exporter) { s.AccessKeyID = "AKID" }),
			diagPath: "exporters.s3", diagMsg: "both access_key_id and access_secret"},
		{name: "prefix with slashes", s3: `{"bucket_name": "b", "prefix": "logs/"}`,
			want:     with(func(s *S3Exporter) { s.Prefix = "logs" }),
			diagPath: "exporters.s3.prefix", diagMsg: `should not start or end with "/"`},
		{name: "limit capped", s3: `{"bucket_name": "b", "limit": 50000}`,
			want:     with(func(s *S3Exporter) { s.Limit = MaxS3Limit }),
			diagPath: "exporters.s3.limit", diagMsg: "capped at 10000"},
		{name: "limit zero", s3: `{"bucket_name": "b", "limit": 0}`, want: &defaults,
			diagPath: "exporters.s3.limit", diagMsg: "at least 1"},
		{name: "every zero", s3: `{"bucket_name": "b", "every": 0}`, want: &defaults,
			diagPath: "exporters.s3.every", diagMsg: "out of range"},
		{name: "every as a duration string", s3: `{"bucket_name": "b", "every": "1h"}`, want: &defaults,
			diagPath: "exporters.s3.every", diagMsg: "must be an integer"},
		{name: "unknown member", s3: `{"bucket_name": "b", "acess_secret": "x"}`, want: &defaults,
			diagPath: "exporters.s3.acess_secret", diagMsg: `did you mean "access_secret"`},
		{name: "endpoint not http", s3: `{"bucket_name": "b", "endpoint": "s3.example.com"}`,
			diagPath: "exporters.s3.endpoint", diagMsg: "http or https URL", wantErr: true},
		{name: "endpoint with a path", s3: `{"bucket_name": "b", "endpoint": "https://s3.example.com/bucket"}`,
			diagPath: "exporters.s3.endpoint", diagMsg: "scheme and host only", wantErr: true},
		{name: "endpoint with credentials", s3: `{"bucket_name": "b", "endpoint": "https://k:s@s3.example.com"}`,
			diagPath: "exporters.s3.endpoint", diagMsg: "must not hold credentials", wantErr: true},
		{name: "bucket with a folder", s3: `{"bucket_name": "b/logs"}`,
			diagPath: "exporters.s3.bucket_name", diagMsg: "goes in prefix", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags, err := Parse([]byte(`{"exporters": {"s3": ` + tt.s3 + `}}`))
			if tt.diagPath != "" {
				d, ok := diagAt(diags, tt.diagPath)
				if !ok || !hasDiagMsg(diags, tt.diagPath, tt.diagMsg) {
					t.Errorf("no diagnostic at %s mentioning %q: %v", tt.diagPath, tt.diagMsg, diags)
				} else if (d.Severity == Error) != tt.wantErr {
					t.Errorf("diagnostic %v: error = %v, want %v", d, d.Severity == Error, tt.wantErr)
				}
			}
			if tt.wantErr {
				if err == nil {
					t.Fatalf("accepted: %+v", cfg.Export.S3)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v %v", err, diags)
			}
			got := cfg.Export.S3
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("S3 = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestS3SecretFromFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "s3.key"), []byte("file-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.hujson")
	src := []byte(`{"exporters": {"s3": {"bucket_name": "b", "access_key_id": "AKID", "access_secret": "file:s3.key"}}}`)
	cfg, diags, err := ParseFile(path, src)
	if err != nil {
		t.Fatal(err, diags)
	}
	if got := cfg.Export.S3.AccessSecret; got != "file-secret" {
		t.Errorf("AccessSecret = %q, want the file's content, relative to the config file", got)
	}
}

// require_export without an exporter would keep every capture forever
// while the admin believes they are purged once exported: refused.
func TestRequireExportNeedsAnExporter(t *testing.T) {
	const retention = `"database": {"retention": {"duration": "30d", "require_export": true}}`
	tests := []struct {
		name, exporters string
		wantErr         bool
	}{
		{"none", ``, true},
		{"empty exporters", `"exporters": {},`, true},
		{"switched off", `"exporters": {"s3": {"bucket_name": ""}},`, true},
		{"configured", `"exporters": {"s3": {"bucket_name": "b"}},`, false},
		{"configured after the database block", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := `{` + tt.exporters + retention + `}`
			if tt.name == "configured after the database block" {
				src = `{` + retention + `, "exporters": {"s3": {"bucket_name": "b"}}}`
			}
			cfg, diags, err := Parse([]byte(src))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v (%v)", err, tt.wantErr, diags)
			}
			if tt.wantErr {
				if d, ok := diagAt(diags, "database.retention.require_export"); !ok || d.Severity != Error {
					t.Errorf("no error at database.retention.require_export: %v", diags)
				}
				return
			}
			if !cfg.Database.Retention.RequireExport || cfg.Export.S3 == nil {
				t.Errorf("retention %+v, exporter %+v", cfg.Database.Retention, cfg.Export.S3)
			}
		})
	}
	// Off is fine without an exporter.
	if _, diags, err := Parse([]byte(`{"database": {"retention": {"require_export": false}}}`)); err != nil {
		t.Errorf("require_export false: %v %v", err, diags)
	}
}

// The raw text of the block is still kept, for code that reads it.
func TestExportersKeepText(t *testing.T) {
	cfg, _, err := Parse([]byte(`{"exporters": {"s3": {"bucket_name": "b", /* c */ "every": 60,}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(cfg.Exporters), `{"s3":{"bucket_name":"b","every":60}}`; got != want {
		t.Errorf("Exporters = %s, want %s", got, want)
	}
	for _, src := range []string{`{"exporters": null}`, `{"exporters": {}}`, `{}`} {
		cfg, diags, err := Parse([]byte(src))
		if err != nil || cfg.Export.S3 != nil {
			t.Errorf("%s: %v %+v %v", src, err, cfg, diags)
		}
	}
}
