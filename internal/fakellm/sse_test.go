package fakellm

import (
	"bufio"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLatencyAndPacing(t *testing.T) {
	const latency, pacing = 60 * time.Millisecond, 40 * time.Millisecond
	_, url := startServer(t, WithLatency(latency), WithPacing(pacing), WithChunks(2))
	start := time.Now()
	resp := post(t, url+"/v1/chat/completions", `{"model":"m","stream":true,"messages":[{"role":"user","content":"respond with: ab"}]}`)
	if d := time.Since(start); d < latency {
		t.Errorf("headers after %v, want at least the %v latency", d, latency)
	}
	// Each event is flushed on its own: the first arrives long before the
	// paced rest of the stream.
	br := bufio.NewReader(resp.Body)
	first, err := br.ReadString('\n')
	firstAt := time.Since(start)
	if err != nil || !strings.HasPrefix(first, "data: ") {
		t.Fatalf("first line %q, %v", first, err)
	}
	events, _ := readSSE(t, br, false)
	total := time.Since(start)
	// role, 2 deltas, finish, [DONE]: 5 events, 4 paced gaps.
	if len(events) != 4 {
		t.Errorf("%d more events, want 4", len(events))
	}
	if total-firstAt < 4*pacing-10*time.Millisecond {
		t.Errorf("stream took %v after its first event, want about %v", total-firstAt, 4*pacing)
	}
}

func TestSleepStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Errorf("sleep on a canceled context = %v after %v", err, time.Since(start))
	}
	if err := sleep(context.Background(), 0); err != nil {
		t.Errorf("sleep(0) = %v", err)
	}
}

func TestEventWriterTriggers(t *testing.T) {
	tests := []struct {
		name                 string
		cutAfter, failAfter  int
		sendsOK              int
		wantErr, wantAtFinal error
	}{
		{"none", -1, -1, 3, nil, nil},
		{"cut after 1", 1, -1, 1, errCut, errCut},
		{"fail after 2", -1, 2, 2, errFailNow, nil},
		{"cut past the end", 5, -1, 3, nil, errCut},
		{"fail past the end", -1, 5, 3, nil, errFailNow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			e := &eventWriter{ctx: context.Background(), bw: bufio.NewWriter(&out), rc: nil, lineEnd: "\n", cutAfter: tt.cutAfter, failAfter: tt.failAfter}
			ok := 0
			var err error
			for range 3 {
				if err = e.check(); err != nil {
					break
				}
				e.sent++
				ok++
			}
			if ok != tt.sendsOK || !errors.Is(err, tt.wantErr) {
				t.Errorf("sent %d then %v, want %d then %v", ok, err, tt.sendsOK, tt.wantErr)
			}
			if err == nil {
				if got := e.finish(); !errors.Is(got, tt.wantAtFinal) {
					t.Errorf("finish = %v, want %v", got, tt.wantAtFinal)
				}
			}
		})
	}
}
