package ledger

import (
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

func TestBoxCache(t *testing.T) {
	var c boxCache
	// A recurring string is boxed once.
	c.box("anthropic")
	if n := testing.AllocsPerRun(100, func() { c.box("anthropic") }); n != 0 {
		t.Errorf("boxing a recurring string allocated %v times, want 0", n)
	}
	for _, s := range []string{"", "anthropic", "alice@example.com", strings.Repeat("x", maxBoxedLen+1)} {
		if got := c.box(s); got != any(s) {
			t.Errorf("box(%q) = %v", s, got)
		}
	}
	// A kept string does not point into the caller's buffer (a request
	// body the model name was read from).
	body := []byte(`{"model":"gpt-4o-mini","input":"` + strings.Repeat("x", 1<<16) + `"}`)
	model := unsafe.String(&body[10], len("gpt-4o-mini"))
	kept := c.box(model).(string)
	if unsafe.StringData(kept) == unsafe.StringData(model) {
		t.Error("the cache kept a string that points into the request body")
	}
	// Strings that never recur do not grow it past its bound.
	for i := range 5 * maxBoxed {
		c.box("model-" + strconv.Itoa(i))
	}
	if n := len(c.m); n > maxBoxed {
		t.Errorf("cache holds %d strings, bound %d", n, maxBoxed)
	}
}

func TestNewItemBoxesRecurringStringsOnce(t *testing.T) {
	l, _ := openTest(t, Options{})
	r := record(1)
	l.newItem(r) // the first row boxes its strings
	// A later row of the same caller and route boxes only what is its
	// own: the item, its values, its ID, its session and its numbers
	// past 255 (time, duration, cost). Boxing every string was 14.
	n := testing.AllocsPerRun(100, func() {
		if _, err := l.newItem(r); err != nil {
			t.Fatal(err)
		}
	})
	if n > 7 {
		t.Errorf("newItem allocated %v times for a recurring caller, want at most 7", n)
	}
}
