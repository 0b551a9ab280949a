package ledger

import (
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
)

func TestCaptureRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte(`{"role":"user","content":"hello hello hello"},`), 2000)
	tests := []struct {
		name string
		c    Capture
	}{
		{"full", Capture{
			RequestHeaders:  http.Header{"Content-Type": {"application/json"}, "X-Multi": {"a", "b"}},
			ResponseHeaders: http.Header{"Content-Type": {"text/event-stream"}},
			RequestBody:     big,
			ResponseBody:    []byte("data: {}\n\n"),
			Truncated:       true,
		}},
		{"bodies only", Capture{RequestBody: []byte("{}")}},
		{"empty", Capture{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := openTest(t, Options{})
			r := record(1)
			c := tt.c
			r.Capture = &c
			mustCommit(t, l, r)
			got, err := l.Capture(context.Background(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.c) {
				t.Errorf("Capture =\n%+v\nwant\n%+v", *got, tt.c)
			}
		})
	}
}

func TestCaptureStoredCompressed(t *testing.T) {
	l, _ := openTest(t, Options{})
	body := bytes.Repeat([]byte("the same tokens again and again "), 4096)
	r := record(1)
	r.Capture = &Capture{RequestBody: body}
	mustCommit(t, l, r)
	var stored []byte
	if err := l.db.QueryRow(`SELECT request_body FROM captures WHERE request_id = ?`, r.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if len(stored) == 0 || len(stored) > len(body)/10 {
		t.Errorf("stored %d bytes for a %d byte repetitive body; want it compressed", len(stored), len(body))
	}
	if !bytes.HasPrefix(stored, []byte{0x1f, 0x8b}) {
		t.Errorf("stored body is not gzip")
	}
}

func TestCaptureNotFound(t *testing.T) {
	l, _ := openTest(t, Options{})
	mustCommit(t, l, record(1)) // metric row without a capture
	for _, id := range []string{"req-000001", "nope"} {
		if _, err := l.Capture(context.Background(), id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Capture(%s) = %v, want ErrNotFound", id, err)
		}
	}
}

func TestCaptureRetentionZeroStoresNoBodies(t *testing.T) {
	tests := []struct {
		name string
		ret  *config.Retention
		want int
	}{
		{"forever", nil, 1},
		{"zero", &config.Retention{Duration: "0", Purge: []string{"captures"}}, 0},
		{"zero until exported", &config.Retention{Duration: "0", RequireExport: true, Purge: []string{"captures"}}, 1},
		{"30d", &config.Retention{Duration: "30d", Period: 30 * 24 * 3600e9, Purge: []string{"captures"}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, path := openTest(t, Options{Retention: tt.ret})
			r := record(1)
			r.Capture = &Capture{RequestBody: []byte("{}")}
			mustCommit(t, l, r)
			if got := countRows(t, path, "captures"); got != tt.want {
				t.Errorf("%d captures stored, want %d", got, tt.want)
			}
			if got := countRows(t, path, "requests"); got != 1 {
				t.Errorf("%d metric rows, want 1 whatever the retention", got)
			}
		})
	}
}

func TestSmallCaptureStoredRawAndRoundTrips(t *testing.T) {
	l, _ := openTest(t, Options{})
	for i, body := range [][]byte{
		[]byte(`{"model":"m"}`),
		{0x1f, 0x8b, 'n', 'o', 't', ' ', 'g', 'z'}, // looks like gzip: must be compressed to stay unambiguous
	} {
		r := record(100 + i)
		r.Capture = &Capture{RequestBody: body}
		mustCommit(t, l, r)
		var stored []byte
		l.db.QueryRow(`SELECT request_body FROM captures WHERE request_id = ?`, r.ID).Scan(&stored)
		if i == 0 && !bytes.Equal(stored, body) {
			t.Errorf("small body stored as %q, want it raw", stored)
		}
		c, err := l.Capture(context.Background(), r.ID)
		if err != nil || !bytes.Equal(c.RequestBody, body) {
			t.Errorf("round trip of %q = %q, %v", body, c.RequestBody, err)
		}
	}
}

func TestCaptureAsyncAfterRow(t *testing.T) {
	l, path := openTest(t, Options{})
	r := record(200)
	mustCommit(t, l, r)
	if err := l.CaptureAsync(r.ID, &Capture{RequestBody: []byte(`{"a":1}`), ResponseBody: []byte("ok")}); err != nil {
		t.Fatal(err)
	}
	l.Close() // flushes the queue
	l2, err := OpenURL(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	c, err := l2.Capture(context.Background(), r.ID)
	if err != nil || string(c.ResponseBody) != "ok" {
		t.Fatalf("capture = %+v, %v", c, err)
	}
	if st := l.Stats(); st.Rows != 1 {
		t.Errorf("rows counted %d, want 1 (a capture is not a request row)", st.Rows)
	}
}

// Captures written by earlier versions (compress/gzip) still read back:
// the format is the same gzip, only the compressor changed.
func TestDecompressStdlibGzip(t *testing.T) {
	body := bytes.Repeat([]byte(`{"role":"user","content":"an earlier capture"},`), 200)
	var buf bytes.Buffer
	zw, _ := stdgzip.NewWriterLevel(&buf, stdgzip.BestSpeed)
	zw.Write(body)
	zw.Close()
	got, err := decompress(buf.Bytes())
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("decompress(stdlib gzip) = %d bytes, %v", len(got), err)
	}
	z, err := compress(body)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := stdgzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	if back, err := io.ReadAll(zr); err != nil || !bytes.Equal(back, body) {
		t.Fatalf("stdlib gunzip of a new capture: %d bytes, %v", len(back), err)
	}
}

// BenchmarkCompressPrompt is the capture of a coding agent's 100 KiB
// request body, compressed after the answer is out.
func BenchmarkCompressPrompt(b *testing.B) {
	var sb strings.Builder
	for i := 0; sb.Len() < 100<<10; i++ {
		fmt.Fprintf(&sb, "line %d: x := compute(alpha%d, beta) // %x\\n", i, i%97, i*7919)
	}
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := compress(body); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCaptureStoresHeadersRedacted: a capture holds the live header maps
// until it is queued, yet what the database keeps, and what reads it
// back get, is what apis.RedactHeaders made of them: no client
// Authorization, no provider key, no session token or cookie, by either
// way of queuing. The write side's exported headers stay nil, so nothing
// on the request path can read a secret from a capture; Stored is what
// the database reads back.
func TestCaptureStoresHeadersRedacted(t *testing.T) {
	secrets := []string{"sk-client-secret", "sk-provider-key", "AIza-goog-secret", "session-secret", "cookie-secret"}
	req := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer sk-client-secret"},
		"x-api-key": {"sk-provider-key"}, "X-Api-Key": {"sk-provider-key"}, "X-Goog-Api-Key": {"AIza-goog-secret"},
		"User-Agent": {"cli/1"}, "X-Empty": {}}
	resp := http.Header{"Content-Type": {"application/json"}, "X-Session-Token": {"session-secret"},
		"Set-Cookie": {"sid=cookie-secret"}, "X-Ratelimit-Remaining-Tokens": {"5"}}
	for _, async := range []bool{false, true} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) {
			l, target := openTest(t, Options{})
			c := NewCapture(req, []byte(`{"a":1}`))
			c.SetResponseHeaders(resp)
			c.ResponseBody = []byte("ok")
			if c.RequestHeaders != nil || c.ResponseHeaders != nil {
				t.Fatalf("a capture on its way shows headers: %v, %v", c.RequestHeaders, c.ResponseHeaders)
			}
			r := record(300)
			if async {
				mustCommit(t, l, r)
				if err := l.CaptureAsync(r.ID, c); err != nil {
					t.Fatal(err)
				}
				l.Close() // flushes the queue
				l = openAt(t, target, Options{})
			} else {
				r.Capture = c
				mustCommit(t, l, r)
			}
			var rawReq, rawResp []byte
			if err := l.db.QueryRow(`SELECT request_headers, response_headers FROM captures WHERE request_id = ?`, r.ID).Scan(&rawReq, &rawResp); err != nil {
				t.Fatal(err)
			}
			for _, s := range secrets {
				if bytes.Contains(rawReq, []byte(s)) || bytes.Contains(rawResp, []byte(s)) {
					t.Errorf("secret %q stored: %s %s", s, rawReq, rawResp)
				}
			}
			if want := appendHeaderJSON(nil, apis.RedactHeaders(req)); string(rawReq) != string(want) {
				t.Errorf("request headers stored as\n %s\nwant\n %s", rawReq, want)
			}
			if want := appendHeaderJSON(nil, apis.RedactHeaders(resp)); string(rawResp) != string(want) {
				t.Errorf("response headers stored as\n %s\nwant\n %s", rawResp, want)
			}
			got, err := l.Capture(context.Background(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.RequestHeaders.Get("Authorization") != "REDACTED" || got.ResponseHeaders.Get("X-Session-Token") != "REDACTED" ||
				!reflect.DeepEqual(got.RequestHeaders["X-Api-Key"], []string{"REDACTED", "REDACTED"}) {
				t.Errorf("read back %v / %v, want the keys REDACTED", got.RequestHeaders, got.ResponseHeaders)
			}
			stored, err := c.Stored()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(stored, got) {
				t.Errorf("Stored() =\n%+v\nread back\n%+v", stored, got)
			}
		})
	}
}

// TestCaptureWithoutAnswerHeaders: a request that got no answer (the
// provider unreachable) stores NULL answer headers, as before; one whose
// request carried no header map stores {}.
func TestCaptureWithoutAnswerHeaders(t *testing.T) {
	c := NewCapture(nil, nil)
	req, resp := c.headerJSON()
	if string(req) != "{}" || resp != nil {
		t.Errorf("headerJSON() = %q, %q; want {}, nil", req, resp)
	}
	if req, resp := (&Capture{}).headerJSON(); req != nil || resp != nil {
		t.Errorf("empty capture: headerJSON() = %q, %q; want nil, nil", req, resp)
	}
}
