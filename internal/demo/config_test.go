package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

// The demo's config loads as the gateway and `aperture validate` read it,
// with one warning only: no grant makes an admin, as the demo names its
// admin with --admin instead.
func TestDemoConfigIsValid(t *testing.T) {
	_, diags, err := config.ParseFile("demo.hujson", []byte(fmt.Sprintf(demoConfig, "http://127.0.0.1:1")))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		if !strings.Contains(d.Message, `no grant assigns role "admin"`) {
			t.Errorf("demo config: %s", d)
		}
	}
}
