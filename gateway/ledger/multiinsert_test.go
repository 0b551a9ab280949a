package ledger

import (
	"context"
	"math/bits"
	"testing"
)

func TestChunkOf(t *testing.T) {
	for _, tt := range []struct{ n, want int }{
		{1, 1}, {2, 2}, {3, 2}, {5, 4}, {31, 16}, {32, 32}, {33, 32}, {1000, 32},
	} {
		if got := 1 << chunkOf(tt.n); got != tt.want {
			t.Errorf("chunk of %d rows = %d, want %d", tt.n, got, tt.want)
		}
	}
}

// TestMultiInsertBatches writes batches of every size from 1 to past two
// chunks, each with as many executions as its size has bits (plus one per
// full chunk), and finds every row written exactly once.
func TestMultiInsertBatches(t *testing.T) {
	l, target := openTest(t, Options{})
	ctx := context.Background()
	if err := l.prepareWriter(ctx); err != nil {
		t.Fatal(err)
	}
	var execs int
	l.insertReq.onExec = func() { execs++ }
	// SQLite's inserts are paced: smaller chunks (pacedChunk).
	chunk := 1 << l.insertReq.most
	if !onPostgres() && chunk != 1<<pacedChunk {
		t.Errorf("SQLite inserts send up to %d rows at once, want %d", chunk, 1<<pacedChunk)
	}
	written := 0
	for n := 1; n <= 2*insertChunk+7; n++ {
		var items []*item
		for i := range n {
			r := record(written + i)
			it, err := l.newItem(r)
			if err != nil {
				t.Fatal(err)
			}
			items = append(items, it)
		}
		execs = 0
		if err := l.write(items); err != nil {
			t.Fatalf("batch of %d: %v", n, err)
		}
		written += n
		want := n/chunk + bits.OnesCount(uint(n%chunk))
		if execs != want {
			t.Errorf("batch of %d rows took %d executions, want %d", n, execs, want)
		}
	}
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := countRows(t, target, "requests"); got != written {
		t.Errorf("%d rows in requests, want %d", got, written)
	}
}
