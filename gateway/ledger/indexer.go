package ledger

import (
	"time"
)

// persist makes batch durable: with a row log by appending its rows to
// the log and handing batch to the indexer, else by committing it.
// Writer goroutine only.
func (l *Ledger) persist(batch []*item) error {
	if l.rows == nil {
		return l.write(batch)
	}
	err := l.hookAppend(batch)
	if err == nil {
		err = l.rows.append(batch, l.maxBacklog(), l.indexHealthy)
	}
	if err != nil {
		l.failCount.Add(1)
	}
	return err
}

// hookAppend runs the test write hook before a row log append: a
// failing disk fails the log as it fails the database.
func (l *Ledger) hookAppend(batch []*item) error {
	if h := l.hookLog.Load(); h != nil && hasData(batch) {
		return (*h)()
	}
	return nil
}

// notifyPersisted tells the waiters of batch how persist went. After a
// row log append that worked it has nothing to do: the append woke them
// (before handing batch to the indexer, which wakes those waiting for
// the database, awaitIndex, once it has committed).
func (l *Ledger) notifyPersisted(batch []*item, err error) {
	if err != nil || l.rows == nil {
		notify(batch, err)
	}
}

// notifyIndexed tells the waiters among items that wait for the database
// (Sync, Commit) how the index round went.
func notifyIndexed(items []*item, err error) {
	for _, it := range items {
		if it.awaitIndex {
			notify1(it, err)
		}
	}
}

// indexer is the goroutine that commits what the writer logged (rows,
// their created responses, captures), a round every IndexInterval or
// sooner (rowLog.due), each in one transaction, and removes the
// segments it has committed. While the database cannot be written it
// keeps what it took and retries every RetryInterval, with whatever was
// logged meanwhile; the writer stops logging once maxBacklog rows wait.
// When the writer has stopped (Close) it makes one last attempt.
func (l *Ledger) indexer() {
	g := l.rows
	var items []*item
	var segs []string
	retry := false // items holds what a failed round could not commit
	for {
		running := true
		if retry {
			// Retry on our own: nothing new may come (the writer stops
			// handing over once maxBacklog items wait).
			select {
			case <-l.indexStop:
				running = false
			default:
			}
		} else {
			running = g.due(l.opts.IndexInterval, l.indexStop)
		}
		items, segs = g.take(items, segs, !running)
		err := l.write(items)
		l.setIndexHealth(err)
		if err != nil {
			// Syncs and Commits learn it now; the rows are retried, the
			// Syncs (no data) are done with.
			notifyIndexed(items, err)
			var done []*item
			items, done = dropSyncs(items, done)
			g.committed(done, nil) // and wakes a writer waiting for room: it fails now
			if !running {
				l.logf("ledger: closing with %d rows in the row log, not in the database (the next start adds them): %v",
					requestRows(items), err)
				return
			}
			l.sleep(l.opts.RetryInterval, l.indexStop)
			retry = true
			continue
		}
		retry = false
		// The segments go first: once a Sync returns, no retired
		// segment holds what it has seen committed (the one appended
		// to may, until it is retired).
		if err := g.committed(items, segs); err != nil {
			l.logf("ledger: row log: %v", err)
		}
		notifyIndexed(items, nil)
		clear(items)
		items, segs = items[:0], segs[:0]
		if !running && g.logged() == 0 {
			return
		}
	}
}

// dropSyncs removes from items those with no data (Syncs), appending them
// to dropped.
func dropSyncs(items, dropped []*item) ([]*item, []*item) {
	kept := items[:0]
	for _, it := range items {
		if it.hasData() {
			kept = append(kept, it)
		} else {
			dropped = append(dropped, it)
		}
	}
	clear(items[len(kept):])
	return kept, dropped
}

// requestRows counts the request rows among items.
func requestRows(items []*item) int {
	n := 0
	for _, it := range items {
		if it.req != nil {
			n++
		}
	}
	return n
}

// sleep waits d, or until stop closes.
func (l *Ledger) sleep(d time.Duration, stop <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-stop:
	}
}

// indexHealthy is the error of the indexer's last round, nil if it
// committed.
func (l *Ledger) indexHealthy() error {
	if p := l.indexHealth.Load(); p != nil {
		return *p
	}
	return nil
}

// setIndexHealth records the outcome of an index round, logging each
// transition between working and failing once.
func (l *Ledger) setIndexHealth(err error) {
	l.noteHealth(&l.indexHealth, err, "rows wait in the row log and ", "; the row log's rows are in")
}
