package ledger

import "time"

// yieldEvery is how long the ledger's SQLite work may keep the CPU before
// it gives way to the requests the network has woken meanwhile.
//
// Why (issue #16): on one CPU (GOMAXPROCS=1), Go's scheduler asks the
// network which goroutines are ready only when it has nothing else to
// run. SQLite is Go code here (modernc), so the row log's indexer
// inserting a round of rows (1-4 ms under load, measured with
// runtime/trace) kept every request whose answer had arrived from
// running until the round ended: the gateway's p99 at concurrency 10 was
// that round, not the request. runtime.Gosched does not help: it queues
// the indexer behind goroutines already runnable, and those waiting on
// the network are not, until the scheduler polls (netYield).
//
// How often is a trade (go run ./internal/bench -only latency, three
// interleaved runs each, c=10, mean overhead over the three APIs): not
// yielding, p50 0.34 ms and p99 3.2 ms; every 2 ms, 0.37 and 3.0; every
// 500 µs, 0.42 and 1.7; every 100 µs, 0.51 and 1.8. On one busy core the
// indexer's work is spread over the requests: fewer of them wait long,
// more wait a little.
const yieldEvery = 500 * time.Microsecond

// pacedChunk is the most rows (as a power of two: 8) one paced insert
// sends: a request row costs SQLite about 8 µs of CPU on the writer's own
// connection (15-20 µs through database/sql, when this was chosen), so
// one execution of request rows is well within yieldEvery (captures cost
// more per row, by their size).
const pacedChunk = 3

// idleTries is how many times a pause yields at most while the requests
// keep the CPU busy: the ledger's work goes last, in the gaps between
// requests, unless it falls behind (pacer.tries). Measured: one yield
// per pause moved the indexer's cost from the p99 onto the p50 (every
// request shared the CPU with it); waiting for a gap keeps it off both.
const idleTries = 8

// pauseBudget bounds how long one pause waits for a gap, with the
// transaction open (Syncs and SQLite's other writers wait on it): when
// goroutines that never wait on the network keep the CPU, the scheduler
// polls only every 10 ms (its monitor thread), and eight yields took
// 80 ms.
const pauseBudget = 2 * time.Millisecond

// pacer lets a long task (the indexer's round) give way to the network
// every yieldEvery of its running time. The zero pacer never yields. One
// goroutine at a time uses it (the one writing to SQLite: the indexer,
// or the writer without a row log), as its netYield requires.
type pacer struct {
	y *netYield
	// every is yieldEvery (tests: 0, a yield at each pause).
	every time.Duration
	// backlog, when set, is the work waiting (the row log's rows); see
	// tries. Without it a pause yields once.
	backlog func() int
	last    time.Time
	// fastest is the quickest yield seen: one in which nothing else ran.
	fastest time.Duration
}

// start begins a task: its first yieldEvery runs at once.
func (p *pacer) start() {
	if p.y != nil {
		p.last = time.Now()
	}
}

// pause yields if the task has run for yieldEvery since it started or
// last yielded. It costs a clock read when it does not.
func (p *pacer) pause() {
	if p.y == nil || time.Since(p.last) < p.every {
		return
	}
	start := time.Now()
	// The backlog is read before each try: it may grow meanwhile.
	for i := 0; i < p.tries(); i++ {
		t0 := time.Now()
		p.y.yield()
		p.last = time.Now()
		if p.gap(p.last.Sub(t0)) || p.last.Sub(start) >= pauseBudget {
			break
		}
	}
}

// tries is how many yields a pause may take: up to idleTries, waiting
// for a gap between requests, while the backlog is short; one from
// behindRows; none from lateRows, so that the task keeps up under full
// load, when gaps do not come and a task that yields gets a turn only
// after every runnable request: its backlog is memory (at concurrency 50
// on a slow machine, the gateway's own RSS went from 17 to 40 MiB while
// the indexer still yielded there; issue #16).
func (p *pacer) tries() int {
	if p.backlog == nil {
		return 1
	}
	switch n := p.backlog(); {
	case n >= lateRows:
		return 0
	case n >= behindRows:
		return 1
	}
	return idleTries
}

// gap reports whether a yield that took d found the CPU free: it took
// no longer than twice the fastest yield (plus the clock's jitter). The
// fastest creeps up by 1/16 at each look, so that one unusually quick
// yield does not make every later one look busy.
func (p *pacer) gap(d time.Duration) bool {
	p.fastest += p.fastest / 16
	if p.fastest == 0 || d < p.fastest {
		p.fastest = d
	}
	return d <= 2*p.fastest+5*time.Microsecond
}
