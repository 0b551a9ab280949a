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

// TestNewItemOfACreatedResponse: the owner's row shares the request row's
// array and its boxed time: two allocations more than a plain row (the
// response's ID and its context), not four.
func TestNewItemOfACreatedResponse(t *testing.T) {
	l, _ := openTest(t, Options{})
	plain := record(1)
	created := record(2)
	created.CreatedResponse, created.ResponseContext = "resp_1", 1234
	l.newItem(plain)
	l.newItem(created)
	count := func(r *Record) float64 {
		return testing.AllocsPerRun(100, func() {
			if _, err := l.newItem(r); err != nil {
				t.Fatal(err)
			}
		})
	}
	if a, b := count(plain), count(created); b-a > 2 {
		t.Errorf("a created response's item took %v allocations, a plain one %v: want at most 2 more", b, a)
	}
	it, err := l.newItem(created)
	if err != nil {
		t.Fatal(err)
	}
	if len(it.req) != len(requestColumns) || cap(it.req) != len(requestColumns) || len(it.owner) != len(ownerColumns) {
		t.Errorf("row %d values (cap %d), owner %d: want %d, %d, %d", len(it.req), cap(it.req), len(it.owner),
			len(requestColumns), len(requestColumns), len(ownerColumns))
	}
	if it.owner[0] != "resp_1" || it.owner[2] != it.req[1] || it.owner[3] != int64(1234) {
		t.Errorf("owner values %v", it.owner)
	}
}
