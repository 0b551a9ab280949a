// Command demo runs the whole product offline, in one process: an
// in-process tailnet (control, DERP, STUN), a fake LLM provider, the
// aperture gateway as tailnet device "ai", and ts-unplug on
// localhost:9996 targeting it. It prints what to curl and runs until
// Ctrl-C. `make demo` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tsplug/ts-plug/gateway/app"
	"github.com/tsplug/ts-plug/internal/fakellm"
	"github.com/tsplug/ts-plug/internal/tailnettest"
	"github.com/tsplug/ts-plug/tunnel/unplug"
)

func main() {
	port := flag.Int("port", 9996, "local port for ts-unplug")
	verbose := flag.Bool("v", false, "show the components' logs")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logw := io.Discard
	if *verbose {
		logw = os.Stderr
	}
	if err := run(ctx, *port, logw, printHelp); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func say(format string, args ...any) { fmt.Printf("demo: "+format+"\n", args...) }

// demoAdmin is the login of every device on the demo tailnet (it runs
// with one user, as a person's own tailnet often does): the demo makes it
// an admin with --admin, the way an operator names themself, so the
// dashboard's admin pages work through ts-unplug.
const demoAdmin = "user-123@fake-control.example.net"

// demoConfig serves the seed page's models (and a few more) from the fake
// provider, to everyone.
const demoConfig = `// Demo config: every provider is the local fake LLM.
{
  "providers": {
    "anthropic": {
      "baseurl": "%[1]s",
      "apikey": "sk-ant-demo-key-held-by-the-gateway",
      "models": ["claude-haiku-4-5-20251001", "claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-5"],
      "authorization": "x-api-key",
      "compatibility": {"anthropic_messages": true},
      "cost_basis": "anthropic",
    },
    "openai": {
      "baseurl": "%[1]s",
      "apikey": "sk-openai-demo-key-held-by-the-gateway",
      "models": ["gpt-4o", "gpt-4o-mini", "gpt-5", "gpt-5-mini"],
      "compatibility": {"openai_chat": true, "openai_responses": true},
      "cost_basis": "openai",
    },
    "gemini": {
      "baseurl": "%[1]s",
      "apikey": "gemini-demo-key-held-by-the-gateway",
      "models": ["gemini-2.5-flash", "gemini-2.5-pro"],
      "authorization": "x-goog-api-key",
      "compatibility": {"gemini_generate_content": true},
      "cost_basis": "google",
    },
  },
  "grants": [
    // Everyone on the demo tailnet may use every model. The admin is
    // named on aperture's command line (--admin), as on a real gateway.
    {"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "**"}]}},
  ],
  "quotas": {
    "daily:<user>": {"capacity": "$10.00", "rate": "$10.00/day", "on_exceed": "reject"},
  },
}
`

// run runs the demo until ctx ends, calling ready with ts-unplug's local
// URL once a request through it reaches the gateway.
func run(ctx context.Context, port int, logw io.Writer, ready func(base string)) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	log.SetOutput(logw)

	local := fmt.Sprintf("127.0.0.1:%d", port)
	if ln, err := net.Listen("tcp", local); err != nil {
		return fmt.Errorf("port %d is taken (%v); run `make demo DEMO_ARGS=-port=9997` or stop what uses it", port, err)
	} else {
		ln.Close()
	}

	tmp, err := os.MkdirTemp("", "tsplug-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	tn, err := tailnettest.Start(tailnettest.Options{AllNodesSameUser: true})
	if err != nil {
		return fmt.Errorf("starting the offline tailnet: %w", err)
	}
	defer tn.Close()
	say("offline tailnet up: control server %s, DERP and STUN on 127.0.0.1", tn.ControlURL)

	fake := fakellm.New(fakellm.WithUsage(fakellm.Usage{InputTokens: 24, OutputTokens: 12, CachedTokens: 8}))
	fakeURL, err := fake.Start()
	if err != nil {
		return fmt.Errorf("starting the fake provider: %w", err)
	}
	defer fake.Close()
	say("fake LLM provider (OpenAI, Anthropic, Gemini APIs) at %s", fakeURL)

	cfgPath := filepath.Join(tmp, "aperture", "config.hujson")
	os.MkdirAll(filepath.Dir(cfgPath), 0o700)
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(demoConfig, fakeURL)), 0o600); err != nil {
		return err
	}

	var wg sync.WaitGroup
	errc := make(chan error, 2)
	start := func(name string, f func() int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code := f(); code != 0 && ctx.Err() == nil {
				errc <- fmt.Errorf("%s exited with status %d (rerun with -v to see its logs)", name, code)
			}
		}()
	}
	start("aperture", func() int {
		return app.Main([]string{"aperture", "--state-dir", filepath.Join(tmp, "aperture"), "--config", cfgPath,
			"--hostname", "ai", "--control-url", tn.ControlURL, "--authkey", tn.AuthKey, "--ephemeral",
			"--admin", demoAdmin}, "demo", logw, logw)
	})
	start("ts-unplug", func() int {
		return unplug.Main([]string{"ts-unplug", "-dir", filepath.Join(tmp, "ts-unplug"), "-port", fmt.Sprint(port),
			"-hostname", "demo-laptop", "-control-url", tn.ControlURL, "-authkey", tn.AuthKey, "-ephemeral", "ai"}, "demo", logw, logw)
	})

	base := "http://" + local
	if err := waitReady(ctx, base, errc); err != nil {
		return err
	}
	ready(base)

	select {
	case <-ctx.Done():
	case err := <-errc:
		stop()
		wg.Wait()
		return err
	}
	say("stopping")
	wg.Wait()
	return nil
}

// printHelp tells the person running the demo what to try.
func printHelp(base string) {
	say("aperture is tailnet device \"ai\"; ts-unplug is device \"demo-laptop\" listening on %s", base)
	say("you are %s, an admin because the demo started aperture with --admin %[1]s", demoAdmin)
	fmt.Print(strings.ReplaceAll(curlHelp, "BASE", strings.Replace(base, "127.0.0.1", "localhost", 1)))
	say("running; press Ctrl-C to stop")
}

// waitReady waits until a request through ts-unplug reaches the gateway.
func waitReady(ctx context.Context, base string, errc <-chan error) error {
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(base + "/api/whoami"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-errc:
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("the gateway did not answer through ts-unplug within 90s (rerun with -v)")
}

const curlHelp = `
Try it (these are the seed page's tests, through ts-unplug):

  curl -s BASE/v1/messages -H "Content-Type: application/json" -d '{
    "model": "claude-haiku-4-5-20251001", "max_tokens": 25,
    "messages": [{"role": "user", "content": "respond with: hello"}]}'

  curl -s BASE/v1/chat/completions -H "Content-Type: application/json" -d '{
    "model": "gpt-4o", "messages": [{"role": "user", "content": "respond with: hello"}]}'

  curl -s BASE/v1/responses -H "Content-Type: application/json" -d '{
    "model": "gpt-4o", "input": [{"role": "user", "content": "respond with: hello"}]}'

  curl -s "BASE/v1beta/models/gemini-2.5-flash:generateContent" -H "Content-Type: application/json" -d '{
    "contents": [{"role": "user", "parts": [{"text": "respond with: hello"}]}]}'

  curl -sN BASE/v1/messages -H "Content-Type: application/json" -d '{
    "model": "claude-sonnet-4-5", "max_tokens": 100, "stream": true,
    "messages": [{"role": "user", "content": "respond with: streaming works"}]}'

  curl -s BASE/api/whoami        # who the gateway thinks you are (role "admin")
  curl -s BASE/v1/models         # the models you may use
  curl -s BASE/api/requests      # your metered requests (tokens, cost)
  open BASE/ui/                  # the dashboard; Settings edits the config (admins only)

No API key is needed on this side: the gateway holds the provider keys.
`
