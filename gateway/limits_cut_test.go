package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/internal/fakellm"
	"github.com/tsplug/ts-plug/internal/testbin"
)

// streamRequests are one streamed request of each API (and Gemini's two
// stream forms), each with an output limit its bucket covers.
var streamRequests = []struct{ name, path, body string }{
	{"anthropic", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":64000,"stream":true,"messages":[{"role":"user","content":"hi"}]}`},
	{"chat", "/v1/chat/completions", `{"model":"gpt-4o","max_tokens":64000,"stream":true,"messages":[{"role":"user","content":"hi"}]}`},
	{"responses", "/v1/responses", `{"model":"gpt-4o","max_output_tokens":64000,"stream":true,"input":"hi"}`},
	{"gemini sse", "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", `{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":64000}}`},
	{"gemini array", "/v1beta/models/gemini-2.5-pro:streamGenerateContent", `{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":64000}}`},
}

// Every stream cut by the upstream after each of its events, and every
// stream whose client leaves after each event it read: the row is marked
// interrupted, its output is never less than what was delivered (about
// 4,000 tokens a 16 KiB event), and the bucket is charged exactly what the
// ledger says.
func TestStreamsCutAtEveryEvent(t *testing.T) {
	const events = 6 // the fake's 96 KB reply: a start, 6 deltas of 16 KiB, the end
	for _, req := range streamRequests {
		for k := 0; k <= events+2; k++ {
			for _, side := range []string{"upstream", "client"} {
				t.Run(fmt.Sprintf("%s/%s after %d", req.name, side, k), func(t *testing.T) {
					f := newLimitsFixture(t, "$100.00", fakellm.WithBodySize(6*16<<10),
						fakellm.WithUsage(fakellm.Usage{InputTokens: 10, OutputTokens: 24_576}))
					if side == "upstream" {
						f.fake.FailNext(1, fakellm.Failure{Cut: true, AfterEvents: k})
					}
					text := readEvents(t, f.base+req.path, req.body, side == "client", k)
					delivered := len(text)
					rec := waitRow(t, f)
					// A cut after the terminal event lost nothing.
					whole := deliveredWhole(req.name, text)
					if (side == "upstream" && rec.Interrupted == whole) || (rec.Usage.Estimated && !rec.Interrupted) {
						t.Errorf("interrupted %v, estimated %v, terminal event delivered %v", rec.Interrupted, rec.Usage.Estimated, whole)
					}
					if min := int64(delivered/4) - 2_000; rec.Usage.OutputTokens < min {
						t.Errorf("%d bytes delivered but %d output tokens recorded (estimated %v)", delivered, rec.Usage.OutputTokens, rec.Usage.Estimated)
					}
					if !rec.CostKnown {
						t.Errorf("cut stream has no cost: %+v", rec.Usage)
					}
					f.spent(t)
				})
			}
		}
	}
}

// readEvents streams the request and returns the body that arrived
// (none when the connection broke before the answer began); with leave it
// stops after n events (blank lines, or for a JSON array, its elements'
// lines) and hangs up.
func readEvents(t *testing.T, url, body string, leave bool, n int) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer res.Body.Close()
	rd := bufio.NewReader(res.Body)
	var got strings.Builder
	seen := 0
	for !leave || seen < n {
		line, err := rd.ReadString('\n')
		got.WriteString(line)
		if line == "\n" || line == "\r\n" || strings.HasPrefix(line, ",") || strings.HasPrefix(line, "[") {
			seen++
		}
		if err != nil {
			break
		}
	}
	if leave {
		cancel()
		io.Copy(io.Discard, res.Body)
	}
	return got.String()
}

// waitRow waits for the request's row (a client that hung up does not
// wait for it).
func waitRow(t *testing.T, f *limitsFixture) *ledger.Record {
	t.Helper()
	var r *ledger.Record
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if r = f.sink.last(); r == nil {
			return fmt.Errorf("no row")
		}
		if b := f.qm.Balances(nil); len(b) != 1 || b[0].ReservedNanos != 0 {
			return fmt.Errorf("row written, hold not settled: %+v", b)
		}
		return nil
	})
	return r
}
