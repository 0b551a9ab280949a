package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCompareCountsAndOrders(t *testing.T) {
	var seenDirect, seenVia atomic.Int64
	mk := func(delay time.Duration, seen *atomic.Int64) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if b, _ := io.ReadAll(r.Body); string(b) != "ping" || r.Header.Get("X-Bench") != "1" {
				http.Error(w, "bad request", 400)
				return
			}
			seen.Add(1)
			time.Sleep(delay)
			io.WriteString(w, "pong")
		}))
	}
	ds := mk(0, &seenDirect)
	defer ds.Close()
	vs := mk(2*time.Millisecond, &seenVia)
	defer vs.Close()
	direct, via := NewTarget("direct", ds.URL), NewTarget("via", vs.URL)
	spec := RequestSpec{Method: "POST", Path: "/x", Body: []byte("ping"), Header: http.Header{"X-Bench": {"1"}}}
	res, err := Compare(context.Background(), direct, via, Load{Spec: spec, Concurrency: 3, PerBlock: 20, Rounds: 3, Warmup: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total.Errors != 0 || res.FirstError != nil {
		t.Fatalf("errors: %d, %v", res.Total.Errors, res.FirstError)
	}
	if res.Total.Direct.N != 60 || res.Total.Via.N != 60 {
		t.Errorf("samples %d/%d, want 60 each", res.Total.Direct.N, res.Total.Via.N)
	}
	// 60 measured, 5 of warm-up, and each of the 3 blocks started by
	// primer requests for each of the 3 workers.
	if want := int64(60 + 5 + 3*primer*3); seenDirect.Load() != want || seenVia.Load() != want {
		t.Errorf("servers saw %d/%d requests, want %d each", seenDirect.Load(), seenVia.Load(), want)
	}
	if res.Total.OverheadP50() < 1500*time.Microsecond {
		t.Errorf("overhead p50 %v, want about the 2ms the via server adds", res.Total.OverheadP50())
	}
	if res.Total.ViaRPS <= 0 || res.Total.DirectRPS <= res.Total.ViaRPS {
		t.Errorf("rps direct %.0f via %.0f: the slow side must be slower", res.Total.DirectRPS, res.Total.ViaRPS)
	}
}

func TestCompareReportsErrors(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer ok.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", 403) }))
	defer bad.Close()
	spec := RequestSpec{Method: "GET", Path: "/"}
	if _, err := Compare(context.Background(), NewTarget("ok", ok.URL), NewTarget("bad", bad.URL),
		Load{Spec: spec, Concurrency: 1, PerBlock: 2, Rounds: 1, Warmup: 1}); err == nil {
		t.Error("a failing warmup must fail the comparison")
	}
	res, err := Compare(context.Background(), NewTarget("ok", ok.URL), NewTarget("bad", bad.URL),
		Load{Spec: spec, Concurrency: 2, PerBlock: 4, Rounds: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total.Errors != 8 || res.Total.Via.N != 0 || res.Total.Direct.N != 8 || res.FirstError == nil {
		t.Errorf("errors %d via %d direct %d first %v", res.Total.Errors, res.Total.Via.N, res.Total.Direct.N, res.FirstError)
	}
}

func TestDoTimesFirstByte(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "a")
		w.(http.Flusher).Flush()
		time.Sleep(20 * time.Millisecond)
		io.WriteString(w, "bcd")
	}))
	defer srv.Close()
	tm, err := NewTarget("s", srv.URL).Do(context.Background(), RequestSpec{Method: "GET", Path: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if tm.Bytes != 4 || tm.Total-tm.First < 15*time.Millisecond || tm.First > tm.Total {
		t.Errorf("timing %+v: want 4 bytes and ~20ms between first and last byte", tm)
	}
}

func TestCompareMetersTheViaBlocksOnly(t *testing.T) {
	counters := httptest.NewServer(countersHandler())
	defer counters.Close()
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer ok.Close()
	// The via server allocates 1000 objects per request; the direct one,
	// in the same process, none of its own.
	heavy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keep := make([]*[4]int64, 1000)
		for i := range keep {
			keep[i] = new([4]int64)
		}
		sink = keep
		io.WriteString(w, "ok")
	}))
	defer heavy.Close()
	ctx := context.Background()
	m, err := NewMeter(ctx, os.Getpid(), counters.URL)
	if err != nil {
		t.Fatal(err)
	}
	// Warm-up requests outnumber the measured ones: counted, they would
	// triple the figure.
	res, err := Compare(ctx, NewTarget("direct", ok.URL), NewTarget("via", heavy.URL),
		Load{Spec: RequestSpec{Method: "GET", Path: "/"}, Concurrency: 2, PerBlock: 10, Rounds: 2, Warmup: 40, Meter: m})
	if err != nil {
		t.Fatal(err)
	}
	// 1000 objects, the slice, and the HTTP exchange's own allocations on
	// both ends (client and server are this process), less the estimate
	// of what reading the counter allocates, which is a few off when the
	// machine is busy (995 was seen).
	if res.ViaAllocs < 950 || res.ViaAllocs > 1400 {
		t.Errorf("ViaAllocs = %.0f per request, want about 1000", res.ViaAllocs)
	}
	if res.ViaCPU <= 0 {
		t.Errorf("ViaCPU = %v", res.ViaCPU)
	}
	plain, err := Compare(ctx, NewTarget("direct", ok.URL), NewTarget("via", heavy.URL),
		Load{Spec: RequestSpec{Method: "GET", Path: "/"}, Concurrency: 1, PerBlock: 2, Rounds: 1})
	if err != nil || plain.ViaCPU != 0 || plain.ViaAllocs != 0 {
		t.Errorf("without a meter: ViaCPU %v ViaAllocs %v err %v, want neither measured", plain.ViaCPU, plain.ViaAllocs, err)
	}
}

// TestRoundRobinSplit checks that a split target sends each request to
// the next base in turn, and that many workers together still split the
// requests evenly (to within one) and count them all.
func TestRoundRobinSplit(t *testing.T) {
	r := &roundRobin{bases: []string{"a", "b"}}
	var seq []string
	for range 5 {
		seq = append(seq, r.next())
	}
	if got := strings.Join(seq, ""); got != "ababa" {
		t.Errorf("sequence %q, want ababa", got)
	}
	if got := r.counts(); got[0] != 3 || got[1] != 2 {
		t.Errorf("counts %v, want [3 2]", got)
	}

	r = &roundRobin{bases: []string{"a", "b", "c"}}
	var mu sync.Mutex
	seen := map[string]int64{}
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := map[string]int64{}
			for range 200 {
				mine[r.next()]++
			}
			mu.Lock()
			for k, v := range mine {
				seen[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	want := []int64{3334, 3333, 3333}
	for i, b := range r.bases {
		if seen[b] != want[i] {
			t.Errorf("base %s got %d requests, want %d", b, seen[b], want[i])
		}
	}
	if got := r.counts(); got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("counts %v, want %v", got, want)
	}
}

// TestSplitTargetAlternates checks that a split target's requests reach
// its servers in turn.
func TestSplitTargetAlternates(t *testing.T) {
	var mu sync.Mutex
	var order []string
	serve := func(name string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
		}))
	}
	a, b := serve("a"), serve("b")
	defer a.Close()
	defer b.Close()
	tgt := NewSplitTarget("two", a.URL, b.URL)
	defer tgt.Close()
	for range 4 {
		if _, err := tgt.Do(t.Context(), RequestSpec{Method: "GET", Path: "/"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(order, ""); got != "abab" {
		t.Errorf("requests reached %q, want abab", got)
	}
}

// TestCompareAllRotates checks that each round sends one block to every
// side, each round starting one side later, that every via is measured
// against the same direct samples, and that a side's Quiet runs after
// each of its blocks.
func TestCompareAllRotates(t *testing.T) {
	var mu sync.Mutex
	var order []string
	serve := func(name string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			if len(order) == 0 || order[len(order)-1] != name {
				order = append(order, name)
			}
			mu.Unlock()
		}))
	}
	d, a, b := serve("d"), serve("a"), serve("b")
	defer d.Close()
	defer a.Close()
	defer b.Close()
	var quiets []string
	quiet := func(name string) func(context.Context) error {
		return func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			quiets = append(quiets, name)
			return nil
		}
	}
	vias := []Via{
		{Target: NewTarget("a", a.URL), Quiet: quiet("a")},
		{Target: NewTarget("b", b.URL)},
	}
	res, err := CompareAll(t.Context(), NewTarget("direct", d.URL), vias,
		Load{Spec: RequestSpec{Method: "GET", Path: "/"}, Concurrency: 2, PerBlock: 6, Rounds: 4})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(order, " "), "d a b a b d b d a d a b"; got != want {
		t.Errorf("blocks ran in the order %q, want %q", got, want)
	}
	if got := strings.Join(quiets, ""); got != "aaaa" {
		t.Errorf("Quiet ran %q, want once after each of a's four blocks", got)
	}
	if len(res) != 2 {
		t.Fatalf("%d results, want 2", len(res))
	}
	for i, r := range res {
		if r.Total.Via.N != 24 || r.Total.Direct.N != 24 || r.Total.Errors != 0 {
			t.Errorf("result %d: via %d direct %d errors %d, want 24, 24, 0", i, r.Total.Via.N, r.Total.Direct.N, r.Total.Errors)
		}
	}
	if res[0].Total.Direct != res[1].Total.Direct {
		t.Errorf("the vias were measured against different direct samples: %+v, %+v", res[0].Total.Direct, res[1].Total.Direct)
	}
	if _, err := CompareAll(t.Context(), NewTarget("direct", d.URL), vias,
		Load{Spec: RequestSpec{Method: "GET", Path: "/"}, Concurrency: 1, PerBlock: 1, Rounds: 1, Meter: &Meter{}}); err == nil {
		t.Error("a Load's Meter, which CompareAll would not use, was accepted")
	}
}

// TestCompareAllMetersQuietAsTheSides checks that the CPU a side's Quiet
// waits for is metered as that side's, not the next side's, and that
// each metered side keeps its own costs.
func TestCompareAllMetersQuietAsTheSides(t *testing.T) {
	counters := httptest.NewServer(countersHandler())
	defer counters.Close()
	ok := func() *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	}
	d, a, b := ok(), ok(), ok()
	defer d.Close()
	defer a.Close()
	defer b.Close()
	ctx := t.Context()
	ma, err := NewMeter(ctx, os.Getpid(), counters.URL)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := NewMeter(ctx, os.Getpid(), counters.URL)
	if err != nil {
		t.Fatal(err)
	}
	// a's server "finishes its work" after each block: 40 ms of CPU,
	// which a's Quiet waits for. Metered after the wait, it is a's;
	// before it, it would be nobody's.
	const burn = 40 * time.Millisecond
	quiet := func(context.Context) error {
		start, err := processCPU(os.Getpid())
		if err != nil {
			return err
		}
		for {
			if now, _ := processCPU(os.Getpid()); now-start >= burn {
				return nil
			}
		}
	}
	const perBlock, rounds = 10, 2
	res, err := CompareAll(ctx, NewTarget("direct", d.URL), []Via{
		{Target: NewTarget("a", a.URL), Meter: ma, Quiet: quiet},
		{Target: NewTarget("b", b.URL), Meter: mb},
	}, Load{Spec: RequestSpec{Method: "GET", Path: "/"}, Concurrency: 1, PerBlock: perBlock, Rounds: rounds})
	if err != nil {
		t.Fatal(err)
	}
	if min := burn / perBlock; res[0].ViaCPU < min {
		t.Errorf("a's CPU per request %v, want at least the %v its Quiet waited for", res[0].ViaCPU, min)
	}
	if max := burn / perBlock / 2; res[1].ViaCPU >= max {
		t.Errorf("b's CPU per request %v: a's work was metered as b's (want under %v)", res[1].ViaCPU, max)
	}
	if res[0].QuietTimeouts != 0 {
		t.Errorf("QuietTimeouts = %d", res[0].QuietTimeouts)
	}
}

// TestCompareAllNamesTheFailingSide checks that a failed warm-up says
// whose it was, and that a failed Quiet is counted, not fatal.
func TestCompareAllNamesTheFailingSide(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer ok.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", 502) }))
	defer bad.Close()
	spec := RequestSpec{Method: "GET", Path: "/"}
	failing := func(context.Context) error { return errors.New("still busy") }
	_, err := CompareAll(t.Context(), NewTarget("direct", ok.URL),
		[]Via{{Target: NewTarget("gateway", ok.URL), Quiet: failing}, {Target: NewTarget("bare proxy", bad.URL)}},
		Load{Spec: spec, Concurrency: 1, PerBlock: 2, Rounds: 1, Warmup: 1})
	var se *SideError
	if !errors.As(err, &se) || se.Side != "bare proxy" {
		t.Fatalf("err = %v, want a SideError of the bare proxy", err)
	}
	res, err := CompareAll(t.Context(), NewTarget("direct", ok.URL),
		[]Via{{Target: NewTarget("gateway", ok.URL), Quiet: failing}},
		Load{Spec: spec, Concurrency: 1, PerBlock: 2, Rounds: 2, Warmup: 1})
	if err != nil {
		t.Fatal(err)
	}
	// After the warm-up and after each of the two blocks.
	if res[0].QuietTimeouts != 3 || res[0].Total.Via.N != 4 {
		t.Errorf("QuietTimeouts %d, via samples %d: want 3 and 4", res[0].QuietTimeouts, res[0].Total.Via.N)
	}
}
