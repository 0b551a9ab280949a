package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"testing"
	"time"
)

// The demo's flow shows an admin: through ts-unplug, the person running
// it is the --admin login, and the admin-only config API answers them.
// A fresh gateway makes nobody an admin, so this fails if the demo stops
// naming its admin or its tailnet stops giving every device that login.
func TestDemoHasAdmin(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an offline tailnet, the gateway and ts-unplug")
	}
	if runtime.GOOS == "windows" {
		t.Skip("stops the components with SIGINT, as Ctrl-C does")
	}
	// aperture and ts-unplug stop on SIGINT (Ctrl-C in the demo); being
	// notified too keeps the signal from ending the test binary.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var who struct{ Principal, Role string }
	var whoErr error
	configStatus := 0
	err = run(ctx, port, io.Discard, func(base string) {
		defer func() {
			p, _ := os.FindProcess(os.Getpid())
			p.Signal(os.Interrupt)
			cancel()
		}()
		whoErr = getJSON(base+"/api/whoami", &who)
		if res, err := http.Get(base + "/api/config"); err == nil {
			res.Body.Close()
			configStatus = res.StatusCode
		}
	})
	if err != nil && ctx.Err() == nil {
		t.Fatalf("demo: %v", err)
	}
	if whoErr != nil {
		t.Fatalf("whoami through ts-unplug: %v", whoErr)
	}
	if who.Principal != demoAdmin || who.Role != "admin" {
		t.Errorf("through ts-unplug the demo's user is %q with role %q, want %q as admin", who.Principal, who.Role, demoAdmin)
	}
	if configStatus != 200 {
		t.Errorf("GET /api/config through ts-unplug = %d, want 200 (the admin's)", configStatus)
	}
}

func getJSON(url string, v any) error {
	res, err := http.Get(url)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("GET %s: %s", url, res.Status)
	}
	return json.NewDecoder(res.Body).Decode(v)
}
