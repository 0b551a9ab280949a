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

// notifyPersisted tells the waiters of batch how persist went, except,
// after a success, those waiting for the database (awaitIndex): the
// indexer tells them once it has committed.
func (l *Ledger) notifyPersisted(batch []*item, err error) {
	if err != nil || l.rows == nil {
		notify(batch, err)
		return
	}
	for _, it := range batch {
		if !it.awaitIndex && !it.notified && it.done != nil {
			it.done <- nil
			it.notified = true
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
	defer l.releaseWriterConn()
	g := l.rows
	var items []*item
	var segs []string
	for {
		running := g.due(l.opts.IndexInterval, l.indexStop)
		items, segs = g.take(items, segs)
		err := l.write(items)
		l.setIndexHealth(err)
		if err != nil {
			notify(items, err) // Syncs learn it now; the rows are retried
			if !running {
				l.logf("ledger: closing with %d rows in the row log, not in the database (the next start adds them): %v",
					requestRows(items), err)
				return
			}
			l.sleep(l.opts.RetryInterval, l.indexStop)
			continue
		}
		notify(items, nil)
		if err := g.committed(segs, requestRows(items)); err != nil {
			l.logf("ledger: row log: %v", err)
		}
		clear(items)
		items, segs = items[:0], segs[:0]
		if !running && g.logged() == 0 {
			return
		}
	}
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
	if err == nil {
		if old := l.indexHealth.Swap(nil); old != nil {
			l.logf("ledger: database writes recovered (were failing: %v); the row log's rows are in", *old)
		}
		return
	}
	if old := l.indexHealth.Swap(&err); old == nil {
		l.logf("ledger: DATABASE WRITES FAILING, rows wait in the row log and metered requests will be refused until they recover: %v", err)
	}
}
