package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/ledger"
)

// TestBackupCommand backs up the ledger of a state directory whose
// database is open, as a running gateway's is.
func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	l, err := ledger.Open(filepath.Join(dir, ledgerFile), ledger.Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Commit(context.Background(), &ledger.Record{ID: "req-1", Time: time.Now(), Principal: "alice@example.com"}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "aperture-backup.db")
	code, stdout := runMain("backup", "--state-dir", dir, out)
	if code != 0 {
		t.Fatalf("backup: exit %d\n%s", code, stdout)
	}
	for _, want := range []string{"backed up " + filepath.Join(dir, ledgerFile) + " to " + out, "1 requests", "config.hujson", "tailnet"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	b, err := ledger.Open(out, ledger.Options{Logf: t.Logf})
	if err != nil {
		t.Fatalf("the backup does not open: %v", err)
	}
	defer b.Close()
	rows, err := b.Requests(context.Background(), ledger.Query{})
	if err != nil || len(rows) != 1 || rows[0].ID != "req-1" {
		t.Errorf("backup rows = %+v, %v", rows, err)
	}
	if code, stdout := runMain("backup", "--state-dir", dir, out); code != 1 || !strings.Contains(stdout, "already exists") {
		t.Errorf("backup over an existing file: exit %d\n%s", code, stdout)
	}
}

func TestBackupCommandUsage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no OUT", []string{"backup", "--state-dir", dir}, 2, "needs one OUT"},
		{"two OUTs", []string{"backup", "--state-dir", dir, "a.db", "b.db"}, 2, "needs one OUT"},
		{"no database", []string{"backup", "--state-dir", dir, filepath.Join(dir, "out.db")}, 1, "no ledger database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := runMain(tt.args...)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, tt.code, tt.want, out)
			}
		})
	}
}
