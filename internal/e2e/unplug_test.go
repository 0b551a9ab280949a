package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/tsplug/ts-plug/internal/tailnettest"
	"github.com/tsplug/ts-plug/internal/testbin"
	"tailscale.com/tsnet"
)

// echoNode serves, on tailnet port 80 of srv: /whoami (the caller's WhoIs),
// /sse (events paced by the test), /ws (WebSocket echo), /upload (sha256 of
// the body) and /download?n= (n bytes); and a raw TCP echo on port 7.
type echoNode struct {
	sseStep chan struct{}
}

func serveEchoNode(t *testing.T, srv *tsnet.Server) *echoNode {
	t.Helper()
	e := &echoNode{sseStep: make(chan struct{})}
	lc, _ := srv.LocalClient()
	mux := http.NewServeMux()
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		who, err := lc.WhoIs(r.Context(), r.RemoteAddr)
		if err != nil {
			http.Error(w, err.Error(), 403)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"login": who.UserProfile.LoginName, "node": who.Node.Name,
			"headers": r.Header, "host": r.Host,
		})
	})
	mux.HandleFunc("/sse", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < 3; i++ {
			fmt.Fprintf(w, "data: event %d\n\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-e.sseStep:
			case <-r.Context().Done():
				return
			}
		}
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, b, err := c.Read(r.Context())
			if err != nil {
				return
			}
			c.Write(r.Context(), typ, append([]byte("echo: "), b...))
		}
	})
	mux.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, _ := io.Copy(h, r.Body)
		fmt.Fprintf(w, "%d %x", n, h.Sum(nil))
	})
	mux.HandleFunc("/download", func(w http.ResponseWriter, r *http.Request) {
		var n int64
		fmt.Sscan(r.URL.Query().Get("n"), &n)
		w.Header().Set("Content-Length", fmt.Sprint(n))
		io.CopyN(w, zeroReader{}, n)
	})
	ln, err := srv.Listen("tcp", ":80")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: mux}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })

	tln, err := srv.Listen("tcp", ":7")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := tln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	t.Cleanup(func() { tln.Close() })
	return e
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// unplug starts the real ts-unplug binary joined to tn and returns its
// base URL and process.
func startUnplug(t *testing.T, tn *tailnettest.Tailnet, hostname string, extra ...string) (string, *testbin.Proc, string) {
	t.Helper()
	bin := testbin.Build(t, "ts-unplug")
	port := freePort(t)
	dir := filepath.Join(t.TempDir(), "state")
	args := []string{"-dir", dir, "-port", port, "-hostname", hostname,
		"-control-url", tn.ControlURL, "-authkey", tn.AuthKey}
	args = append(args, extra...)
	p := testbin.Start(t, tn.ChildEnv(), bin, args...)
	return "http://127.0.0.1:" + port, p, dir
}

// waitHTTP polls url until it answers with want.
func waitHTTP(ctx context.Context, t *testing.T, url string, want int) *http.Response {
	t.Helper()
	var last string
	client := &http.Client{Timeout: 10 * time.Second}
	for {
		res, err := client.Get(url)
		if err == nil {
			if res.StatusCode == want {
				return res
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			last = fmt.Sprintf("%s: %s", res.Status, b)
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			t.Fatalf("GET %s never answered %d; last: %s", url, want, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestUnplugEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tn := tailnettest.New(t, tailnettest.Options{})
	ai := tn.Node(t, "ai")
	echo := serveEchoNode(t, ai)
	base, proc, dir := startUnplug(t, tn, "laptop", "ai")

	res := waitHTTP(ctx, t, base+"/whoami", 200)
	var who struct {
		Login, Node, Host string
		Headers           http.Header
	}
	json.NewDecoder(res.Body).Decode(&who)
	res.Body.Close()
	if !strings.HasPrefix(who.Node, "laptop.") {
		t.Errorf("WhoIs node = %q, want the ts-unplug device laptop.*", who.Node)
	}
	if !strings.Contains(who.Login, "@") {
		t.Errorf("WhoIs login = %q, want the device's user", who.Login)
	}
	if who.Host != "ai" {
		t.Errorf("target saw Host %q, want ai", who.Host)
	}

	t.Run("spoofed identity headers stripped", func(t *testing.T) {
		req, _ := http.NewRequest("GET", base+"/whoami", nil)
		req.Header.Set("Tailscale-User-Login", "ceo@example.com")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var got struct{ Headers http.Header }
		json.NewDecoder(res.Body).Decode(&got)
		if v := got.Headers.Get("Tailscale-User-Login"); v != "" {
			t.Errorf("forged Tailscale-User-Login reached the target: %q", v)
		}
	})

	t.Run("spoofed identity headers stripped in every spelling", func(t *testing.T) {
		c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		io.WriteString(c, "GET /whoami HTTP/1.1\r\nHost: localhost\r\nTailscale_User_Login: evil\r\n"+
			"TAILSCALE_USER_LOGIN: evil\r\nTailscale.User.Login: evil\r\nX-Tailscale-Tags: evil\r\n\r\n")
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var got struct{ Headers http.Header }
		json.NewDecoder(res.Body).Decode(&got)
		if res.StatusCode != 200 {
			t.Fatalf("status %d", res.StatusCode)
		}
		for k, v := range got.Headers {
			if strings.Contains(strings.ToLower(k), "tailscale") {
				t.Errorf("forged %s = %q reached the target", k, v)
			}
		}
	})

	t.Run("sse incremental", func(t *testing.T) {
		res, err := http.Get(base + "/sse")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		br := bufio.NewReader(res.Body)
		for i := 0; i < 3; i++ {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("event %d: %v", i, err)
			}
			if want := fmt.Sprintf("data: event %d\n", i); line != want {
				t.Fatalf("got %q, want %q", line, want)
			}
			br.ReadString('\n')
			// The server sends the next event only after this one was
			// read here: a buffering proxy would deadlock the test.
			echo.sseStep <- struct{}{}
		}
	})

	t.Run("websocket", func(t *testing.T) {
		c, _, err := websocket.Dial(ctx, strings.Replace(base, "http", "ws", 1)+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		c.Write(ctx, websocket.MessageText, []byte("hi"))
		_, b, err := c.Read(ctx)
		if err != nil || string(b) != "echo: hi" {
			t.Fatalf("websocket echo = %q, %v", b, err)
		}
	})

	t.Run("large bodies with bounded memory", func(t *testing.T) {
		if testing.Short() {
			t.Skip("200 MB transfer")
		}
		const n = 200 << 20
		h := sha256.New()
		io.CopyN(h, zeroReader{}, n)
		want := fmt.Sprintf("%d %x", n, h.Sum(nil))
		res, err := http.Post(base+"/upload", "application/octet-stream", io.LimitReader(zeroReader{}, n))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if string(b) != want {
			t.Fatalf("upload: target got %s, want %s", b, want)
		}
		res, err = http.Get(fmt.Sprint(base, "/download?n=", n))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err != nil || got != n {
			t.Fatalf("download: %d bytes, %v", got, err)
		}
		rss, err := proc.PeakRSS()
		if err != nil {
			t.Skip(err)
		}
		// tsnet itself needs some tens of MB; a proxy that buffered
		// either body would need 200 MB more. (Without the soft memory
		// limit, GC lag alone reaches about 320 MB here.)
		if rss > 150<<20 {
			t.Errorf("ts-unplug peak RSS %d MB after 2x200 MB: bodies were buffered", rss>>20)
		}
	})

	t.Run("browser guard", func(t *testing.T) {
		req, _ := http.NewRequest("GET", base+"/whoami", nil)
		req.Host = "evil.example.com"
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 403 {
			t.Errorf("forged Host: %d, want 403", res.StatusCode)
		}
		req, _ = http.NewRequest("POST", base+"/upload", strings.NewReader("x"))
		req.Header.Set("Origin", "https://evil.example.com")
		res, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 403 || !strings.Contains(string(b), "cross-site") {
			t.Errorf("cross-site Origin: %d %s, want 403", res.StatusCode, b)
		}
	})

	t.Run("target port down", func(t *testing.T) {
		// Same node, but through a second ts-unplug aimed at a closed port.
		base2, _, _ := startUnplug(t, tn, "laptop2", "http://ai:81")
		res := waitHTTP(ctx, t, base2+"/x", 502)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(b), "http://ai:81") || res.Header.Get("Content-Type") != "application/json" {
			t.Errorf("502 body %s", b)
		}
	})

	t.Run("status", func(t *testing.T) {
		out, code := runBin(t, tn, "ts-unplug", "status", "-dir", dir)
		if code != 0 {
			t.Fatalf("status exit %d: %s", code, out)
		}
		for _, want := range []string{"state:       running", "laptop.", "100.64.", "-> http://ai", "requests"} {
			if !strings.Contains(out, want) {
				t.Errorf("status output lacks %q:\n%s", want, out)
			}
		}
	})

	// Graceful stop: exit status 0.
	proc.Signal(syscall.SIGTERM)
	code, err := proc.Wait(ctx)
	if err != nil || code != 0 {
		t.Errorf("after SIGTERM: exit %d, %v", code, err)
	}
}

func TestUnplugTCPMode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tn := tailnettest.New(t, tailnettest.Options{})
	ai := tn.Node(t, "ai")
	serveEchoNode(t, ai)
	base, proc, _ := startUnplug(t, tn, "tcpbox", "-mode", "tcp", "ai:7")
	if err := proc.WaitOutput(ctx, "is connected"); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	checkEcho(t, c, bytes.Repeat([]byte("raw bytes "), 1000))
}

func TestUnplugWaitsForApproval(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tn := tailnettest.New(t, tailnettest.Options{RequireApproval: true})
	ai := tn.Node(t, "ai") // approved at once: it is the admin's own
	serveEchoNode(t, ai)
	base, proc, _ := startUnplug(t, tn, "newlaptop", "ai")

	const want = "waiting for an admin to approve device newlaptop"
	testbin.WaitUntil(t, time.Minute, func() error {
		res := waitHTTP(ctx, t, base+"/whoami", 503)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(b), want) {
			return fmt.Errorf("503 body = %s, want it to say %q", b, want)
		}
		return nil
	})
	if err := proc.WaitOutput(ctx, want); err != nil {
		t.Fatal(err)
	}
	if err := tn.ApproveDevice("newlaptop"); err != nil {
		t.Fatal(err)
	}
	waitHTTP(ctx, t, base+"/whoami", 200).Body.Close()
	if n := strings.Count(proc.Output(), want); n != 1 {
		t.Errorf("approval message printed %d times, want once:\n%s", n, proc.Output())
	}
}

func TestUnplugUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "missing TARGET"},
		{[]string{"ftp://ai"}, "scheme"},
		{[]string{"-port", "0", "ai"}, "-port"},
		{[]string{"-mode", "udp", "ai"}, "-mode"},
		{[]string{"-nosuchflag", "ai"}, "nosuchflag"},
		{[]string{"-advertise-tags", "ci", "ai"}, "tag:"},
		{[]string{"ai", "extra"}, "one TARGET"},
	}
	for _, tt := range tests {
		out, code := runBin(t, nil, "ts-unplug", tt.args...)
		if code != 2 {
			t.Errorf("ts-unplug %q: exit %d, want 2\n%s", tt.args, code, out)
		}
		if !strings.Contains(out, tt.want) {
			t.Errorf("ts-unplug %q: output lacks %q:\n%s", tt.args, tt.want, out)
		}
	}
	out, code := runBin(t, nil, "ts-unplug", "--version")
	if code != 0 || !strings.Contains(out, "ts-unplug") {
		t.Errorf("--version: %d %s", code, out)
	}
}

// runBin runs a built binary to completion and returns its output and
// exit code.
func runBin(t *testing.T, tn *tailnettest.Tailnet, name string, args ...string) (string, int) {
	t.Helper()
	var env []string
	if tn != nil {
		env = tn.ChildEnv()
	}
	p := testbin.Start(t, env, testbin.Build(t, name), args...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code, err := p.Wait(ctx)
	if err != nil {
		t.Fatalf("%s %q: %v", name, args, err)
	}
	return p.Output(), code
}

func TestUnplugInteractiveLogin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tn := tailnettest.New(t, tailnettest.Options{RequireLogin: true, AuthKey: "-"})
	ai := tn.Node(t, "ai") // the harness logs in-process nodes in
	serveEchoNode(t, ai)

	bin := testbin.Build(t, "ts-unplug")
	port := freePort(t)
	dir := t.TempDir()
	proc := testbin.Start(t, tn.ChildEnv(), bin, "-dir", dir, "-port", port, "-hostname", "newbie",
		"-control-url", tn.ControlURL, "ai")
	base := "http://127.0.0.1:" + port

	// Any local process can read the 503: it says what to do, never the
	// URL (which would let it log the device into its own tailnet).
	testbin.WaitUntil(t, time.Minute, func() error {
		res := waitHTTP(ctx, t, base+"/whoami", 503)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if strings.Contains(string(b), "/auth/") || strings.Contains(string(b), tn.ControlURL) {
			t.Fatalf("the 503 hands out the login URL: %s", b)
		}
		if !strings.Contains(string(b), "needs login; run `ts-unplug status -dir "+dir+"` or see the log") {
			return fmt.Errorf("the 503 does not say yet that the device needs login: %s", b)
		}
		return nil
	})
	// The owner finds the URL in `status` and in the log.
	out, code := runBin(t, tn, "ts-unplug", "status", "-dir", dir)
	i := strings.Index(out, "login URL:   "+tn.ControlURL+"/auth/")
	if code != 0 || i < 0 {
		t.Fatalf("status (exit %d) shows no login URL:\n%s", code, out)
	}
	url := strings.Fields(out[i+len("login URL:"):])[0]
	if fi, err := os.Lstat(filepath.Join(dir, "status.sock")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("status socket %v %v, want 0600: it holds the login URL", fi, err)
	}
	if err := proc.WaitOutput(ctx, url); err != nil {
		t.Fatalf("login URL not printed: %v", err)
	}
	if err := tn.CompleteLogin(url); err != nil {
		t.Fatal(err)
	}
	waitHTTP(ctx, t, base+"/whoami", 200).Body.Close()
	if n := strings.Count(proc.Output(), url); n != 1 {
		t.Errorf("login URL printed %d times, want once:\n%s", n, proc.Output())
	}
}
