package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/tsplug/ts-plug/internal/fakellm"
)

// fakeReadyPrefix starts the line the -serve-fake mode prints once it
// serves; the URL follows.
const fakeReadyPrefix = "fakellm serving "

// serveFake is the -serve-fake mode: the fake provider alone in this
// process, so its CPU is not counted in the gateway's or the load
// generator's. It answers at once (zero latency) until SIGTERM.
func serveFake(bodySize int64, chunks int) error {
	opts := []fakellm.Option{fakellm.WithMaxRecords(1), fakellm.WithMaxRecordedBody(0)}
	if bodySize > 0 {
		opts = append(opts, fakellm.WithBodySize(bodySize))
	}
	if chunks > 0 {
		opts = append(opts, fakellm.WithChunks(chunks))
	}
	f := fakellm.New(opts...)
	url, err := f.Start()
	if err != nil {
		return fmt.Errorf("starting the fake provider: %w", err)
	}
	defer f.Close()
	fmt.Println(fakeReadyPrefix + url)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	return nil
}

// startFake runs this program in -serve-fake mode on cpus and returns the
// child and the fake's base URL.
func startFake(ctx context.Context, cpus []int, bodySize int64, chunks int) (*Proc, string, error) {
	return startSelf(ctx, "fakellm", cpus, fakeReadyPrefix, "-serve-fake",
		fmt.Sprintf("-fake-body-size=%d", bodySize), fmt.Sprintf("-fake-chunks=%d", chunks))
}
