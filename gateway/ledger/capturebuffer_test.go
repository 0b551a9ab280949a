package ledger

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestCaptureBuffer checks a buffer keeps what fits, says when more came,
// and never fails a write (the answer it copies must go on).
func TestCaptureBuffer(t *testing.T) {
	tests := []struct {
		name      string
		max       int
		writes    []string
		want      string
		truncated bool
	}{
		{"fits", 10, []string{"abc", "def"}, "abcdef", false},
		{"exactly", 6, []string{"abc", "def"}, "abcdef", false},
		{"cut in a write", 4, []string{"abc", "def"}, "abcd", true},
		{"full before a write", 3, []string{"abc", "def"}, "abc", true},
		{"empty write when full", 3, []string{"abc", ""}, "abc", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewCaptureBuffer(tt.max)
			for _, w := range tt.writes {
				if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			if string(b.Bytes()) != tt.want || b.Truncated() != tt.truncated {
				t.Errorf("kept %q truncated=%v, want %q %v", b.Bytes(), b.Truncated(), tt.want, tt.truncated)
			}
		})
	}
}

// TestNewCapture checks a request's capture has its credentials redacted
// and its body cut at MaxCaptureBytes. The headers are redacted when the
// capture is stored: until then none shows, not even printed.
func TestNewCapture(t *testing.T) {
	h := http.Header{"Authorization": {"Bearer sk-secret"}, "X-Api-Key": {"sk-other"}, "User-Agent": {"cli/1"}}
	small := []byte(`{"model":"m"}`)
	c := NewCapture(h, small)
	if c.RequestHeaders != nil || strings.Contains(fmt.Sprintf("%+v %v %#v", c, *c, *c), "sk-") {
		t.Errorf("a capture on its way shows its headers: %+v", *c)
	}
	s, err := c.Stored()
	if err != nil {
		t.Fatal(err)
	}
	if s.Truncated || !bytes.Equal(s.RequestBody, small) || s.RequestHeaders.Get("User-Agent") != "cli/1" {
		t.Errorf("small body capture = %+v", s)
	}
	for k, vs := range s.RequestHeaders {
		if strings.Contains(strings.Join(vs, ","), "sk-") {
			t.Errorf("header %s kept its secret: %q", k, vs)
		}
	}
	big := bytes.Repeat([]byte("x"), MaxCaptureBytes+1)
	if c := NewCapture(nil, big); !c.Truncated || len(c.RequestBody) != MaxCaptureBytes || cap(c.RequestBody) != MaxCaptureBytes {
		t.Errorf("big body: truncated=%v len=%d cap=%d", c.Truncated, len(c.RequestBody), cap(c.RequestBody))
	}
}
