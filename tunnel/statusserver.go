package tunnel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// StatusSocketName is the file name, inside a binary's state directory, of
// the unix socket where a running instance answers `status`.
const StatusSocketName = "status.sock"

// ServeStatus answers GET /status on a unix socket at path with the JSON of
// snapshot(), until ctx ends. A stale socket from a crashed run is
// replaced; a live one means another instance uses this state directory.
func ServeStatus(ctx context.Context, path string, snapshot func() any) error {
	if _, err := FetchStatus(ctx, path); err == nil {
		return fmt.Errorf("another instance is already running with this state directory (%s answers)", path)
	}
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("status socket: %w", err)
	}
	os.Chmod(path, 0o600)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			enc.Encode(snapshot())
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
		os.Remove(path)
	}()
	return nil
}

// ErrNotRunning means no instance answers on the status socket.
var ErrNotRunning = errors.New("not running")

// FetchStatus asks the instance behind the socket at path for its status.
func FetchStatus(ctx context.Context, path string) (json.RawMessage, error) {
	c := &http.Client{
		Timeout: 3 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}},
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://local/status", nil)
	res, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w (no answer on %s)", ErrNotRunning, path)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	return b, nil
}
