package export

import "testing"

func TestObjectNames(t *testing.T) {
	if got, want := ObjectName(1767225600), "ts-aperture-export-1767225600.cbor.zstd"; got != want {
		t.Errorf("ObjectName = %q, want %q", got, want)
	}
	keys := []struct{ prefix, want string }{
		{"", "ts-aperture-export-1.cbor.zstd"},
		{"aperture/prod", "aperture/prod/ts-aperture-export-1.cbor.zstd"},
		{"/logs/", "logs/ts-aperture-export-1.cbor.zstd"},
	}
	for _, k := range keys {
		if got := ObjectKey(k.prefix, ObjectName(1)); got != k.want {
			t.Errorf("ObjectKey(%q) = %q, want %q", k.prefix, got, k.want)
		}
	}
	parses := []struct {
		key  string
		want int64
		ok   bool
	}{
		{"ts-aperture-export-1767225600.cbor.zstd", 1767225600, true},
		{"a/b/ts-aperture-export-42.cbor.zstd", 42, true},
		{"ts-aperture-export-.cbor.zstd", 0, false},
		{"ts-aperture-export-42.cbor", 0, false},
		{"other-42.cbor.zstd", 0, false},
	}
	for _, p := range parses {
		got, err := ParseObjectName(p.key)
		if (err == nil) != p.ok || got != p.want {
			t.Errorf("ParseObjectName(%q) = %d, %v; want %d, ok %v", p.key, got, err, p.want, p.ok)
		}
	}
}
