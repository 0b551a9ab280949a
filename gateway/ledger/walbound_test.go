package ledger

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// walBoundLimit is the most the WAL file may reach under a steady
// writer: its limit (defaultCheckpointTiming's 32 MiB) and a poll's
// worth of commits, with room to spare.
const walBoundLimit = 64 << 20

// TestWALStaysBoundedUnderSteadyWrites enqueues about 3,700 rows a second
// for a minute and checks the WAL file never outgrows walBoundLimit: a
// passive checkpoint beside the writer lets the WAL start over only when
// no commit came while it ran, and at a checkpoint every 5 s that never
// happened (580 MB in 90 s; see defaultCheckpointTiming). It takes a
// minute, so it runs only with TSPLUG_LONG_TESTS=1 (and on SQLite).
func TestWALStaysBoundedUnderSteadyWrites(t *testing.T) {
	if os.Getenv("TSPLUG_LONG_TESTS") != "1" || onPostgres() {
		t.Skip("a minute of steady writes: set TSPLUG_LONG_TESTS=1")
	}
	l, path := openTest(t, Options{})
	start := time.Now()
	var largest int64
	for i := 0; time.Since(start) < time.Minute; {
		for range 40 {
			r := record(i)
			r.ID = fmt.Sprintf("wal-%09d", i)
			if err := l.Enqueue(r); err != nil {
				t.Fatal(err)
			}
			i++
		}
		time.Sleep(10 * time.Millisecond)
		if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > largest {
			largest = fi.Size()
			if largest > walBoundLimit {
				t.Fatalf("the WAL reached %.1f MB after %v of steady writes", float64(largest)/1e6, time.Since(start).Round(time.Second))
			}
		}
	}
	t.Logf("the WAL's largest: %.1f MB", float64(largest)/1e6)
}
