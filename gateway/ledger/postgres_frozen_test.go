package ledger

import (
	"context"
	"testing"
	"time"
)

// A replica frozen (SIGSTOP, VM pause, partition) inside its write
// transaction holds the commit-order lock every replica's commits take:
// the server must end its session (idle_in_transaction_session_timeout)
// so that the others commit within their wait, not hours later when TCP
// gives up. (Found by review; fails without the timeout.)
func TestPostgresFrozenReplicaReleasesItsLocks(t *testing.T) {
	postgresOnly(t)
	a, target := openTest(t, Options{})
	b := openAt(t, target, Options{})
	// A's write transaction, as the writer opens it, then A freezes.
	tx, err := a.DB().Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`SELECT pg_advisory_xact_lock($1)`, pgLockCommitOrder); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	start := time.Now()
	if err := b.Commit(ctx, record(1)); err != nil {
		t.Errorf("replica B could not commit a request for %v while frozen replica A holds an idle transaction: %v", time.Since(start).Round(time.Second), err)
	}
}
