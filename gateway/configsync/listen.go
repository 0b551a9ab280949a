package configsync

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reconnection backoff of the listener: short at first, since a missed
// notification is found again only once it is back (or by the poll).
const (
	minReconnectDelay = 100 * time.Millisecond
	maxReconnectDelay = 5 * time.Second
)

// listen holds a connection LISTENing on Channel and wakes Run on each
// notification and after each (re)connection: notifications sent while
// it was away are lost, so the latest version is looked up then (the
// backlog). It returns when ctx ends.
func (s *Syncer) listen(ctx context.Context) {
	delay := minReconnectDelay
	for first := true; ctx.Err() == nil; first = false {
		if !first {
			if s.beforeReconnect != nil {
				s.beforeReconnect()
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			delay = min(2*delay, maxReconnectDelay)
		}
		conn, err := s.connectListener(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.opts.Logf("shared config: listener: %v (retrying in %v; the %v poll continues)", err, delay, s.opts.PollInterval)
			}
			continue
		}
		delay = minReconnectDelay
		s.wake() // the backlog
		err = s.waitNotifications(ctx, conn)
		s.listenerPID.Store(0)
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Close(closeCtx)
		cancel()
		if ctx.Err() == nil {
			s.opts.Logf("shared config: listener connection lost: %v (reconnecting)", err)
		}
	}
}

func (s *Syncer) connectListener(ctx context.Context) (*pgx.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, s.connCfg.Copy())
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(cctx, "LISTEN "+pgx.Identifier{Channel}.Sanitize()); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	s.listenerPID.Store(conn.PgConn().PID())
	return conn, nil
}

// waitNotifications wakes Run on each notification until the connection
// fails or ctx ends.
func (s *Syncer) waitNotifications(ctx context.Context, conn *pgx.Conn) error {
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		s.wake()
	}
}
