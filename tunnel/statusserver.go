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
	"path/filepath"
	"time"
)

// StatusSocketName is the file name, inside a binary's state directory, of
// the unix socket where a running instance answers `status`.
const StatusSocketName = "status.sock"

// ServeStatus answers GET /status on a unix socket at path with the JSON of
// snapshot(), until ctx ends. A stale socket from a crashed run is
// replaced; a live one means another instance uses this state directory.
// The status holds the login URL, so only the owner may connect: the
// socket is 0600 from the moment it appears at path.
func ServeStatus(ctx context.Context, path string, snapshot func() any) error {
	if _, err := FetchStatus(ctx, path); err == nil {
		return fmt.Errorf("another instance is already running with this state directory (%s answers)", path)
	}
	os.Remove(path)
	ln, err := listenOwnerOnly(path)
	if err != nil {
		return fmt.Errorf("status socket: %w", err)
	}
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

// listenOwnerOnly listens on a unix socket at path that only this user
// can connect to. A socket is created with the umask's mode, and a chmod
// after listen leaves a moment when anyone may connect; so the socket is
// made in a fresh 0700 directory next to path, chmodded there, and only
// then renamed into place. Where that fails (a path too long for the
// extra directory, a system that cannot rename sockets) it is made at
// path and chmodded, which the 0700 state directory still protects.
func listenOwnerOnly(path string) (net.Listener, error) {
	if tmp, err := os.MkdirTemp(filepath.Dir(path), ".status-"); err == nil {
		defer os.RemoveAll(tmp)
		p := filepath.Join(tmp, "s")
		if ln, err := net.Listen("unix", p); err == nil {
			if os.Chmod(p, 0o600) == nil && os.Rename(p, path) == nil {
				// The name the listener would unlink is gone; the
				// caller removes path itself.
				ln.(*net.UnixListener).SetUnlinkOnClose(false)
				return ln, nil
			}
			ln.Close()
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
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
