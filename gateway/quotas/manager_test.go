package quotas

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

func TestRefs(t *testing.T) {
	got := Refs([]string{"daily:alice", "team", "extra"}, []string{"daily:<user>", "team"})
	want := []BucketRef{{"daily:alice", "daily:<user>"}, {"team", "team"}, {"extra", ""}}
	if !slices.Equal(got, want) {
		t.Errorf("Refs = %v, want %v", got, want)
	}
}

func TestNewBucketsStartFull(t *testing.T) {
	c := newClock()
	m := newManager(t, c, quota(t, "daily:<user>", "$10.00", "$5.00/day"))
	if got := m.Balances(nil); len(got) != 0 {
		t.Fatalf("buckets before first use: %v", got)
	}
	r, err := m.Reserve([]BucketRef{{"daily:alice", "daily:<user>"}, {"daily:bob", "daily:<user>"}}, usd(t, "$1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"daily:alice", "daily:bob"} {
		if got, want := balance(t, m, name), usd(t, "$9"); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	r.Settle(usd(t, "$0.25"))
	if got, want := balance(t, m, "daily:alice"), usd(t, "$9.75"); got != want {
		t.Errorf("after settle %d, want %d", got, want)
	}
}

func TestConfigureRecapsEditedDefinition(t *testing.T) {
	c := newClock()
	m := newManager(t, c, quota(t, "q", "$10", "$1/hour"))
	ref := BucketRef{"q", "q"}
	spend(t, m, ref, usd(t, "$2")) // $8 left

	// Lower capacity: the excess is lost.
	m.Configure(defs(quota(t, "q", "$5", "$1/hour")))
	if got := balance(t, m, "q"); got != usd(t, "$5") {
		t.Errorf("after shrinking to $5: %d", got)
	}
	// Raise it again: the lost excess does not come back, and the bucket
	// refills at the new rate from the edit on.
	m.Configure(defs(quota(t, "q", "$20", "$2/hour")))
	if got := balance(t, m, "q"); got != usd(t, "$5") {
		t.Errorf("after growing to $20: %d", got)
	}
	c.Advance(30 * time.Minute)
	if got := balance(t, m, "q"); got != usd(t, "$6") {
		t.Errorf("30m at $2/hour: %d, want $6", got)
	}
	// Reloading an unchanged definition changes nothing.
	m.Configure(defs(quota(t, "q", "$20", "$2/hour")))
	c.Advance(15 * time.Minute)
	if got := balance(t, m, "q"); got != usd(t, "$6.50") {
		t.Errorf("after no-op reload: %d, want $6.50", got)
	}
}

func TestConfigureRefillsAtOldRateUntilEdit(t *testing.T) {
	c := newClock()
	m := newManager(t, c, quota(t, "q", "$10", "$1/hour"))
	spend(t, m, BucketRef{"q", "q"}, usd(t, "$10"))
	c.Advance(2 * time.Hour) // +$2 at the old rate
	m.Configure(defs(quota(t, "q", "$10", "$4/hour")))
	c.Advance(time.Hour) // +$4 at the new rate
	if got := balance(t, m, "q"); got != usd(t, "$6") {
		t.Errorf("balance %d, want $6", got)
	}
}

func TestConfigureDeletesBuckets(t *testing.T) {
	c := newClock()
	daily, team := quota(t, "daily:<user>", "$10", "$5/day"), quota(t, "team", "$100", "$100/month")
	m := newManager(t, c, daily, team)
	spend(t, m, BucketRef{"daily:alice", daily.Name}, usd(t, "$3"))
	spend(t, m, BucketRef{"team", "team"}, usd(t, "$3"))

	m.Configure(defs(team))
	if got := m.Balances(nil); len(got) != 1 || got[0].Bucket != "team" {
		t.Fatalf("after deleting daily:<user>: %+v", got)
	}
	_, err := m.Reserve([]BucketRef{{"daily:alice", daily.Name}}, 1)
	var ex *ExceededError
	if !errors.As(err, &ex) || !ex.Invalid {
		t.Fatalf("reserve in deleted definition: %v", err)
	}
	// Defined again, it is a new bucket and starts full.
	m.Configure(defs(daily, team))
	spend(t, m, BucketRef{"daily:alice", daily.Name}, 0)
	if got := balance(t, m, "daily:alice"); got != usd(t, "$10") {
		t.Errorf("re-added bucket = %d, want full", got)
	}
}

func TestConfigureInvalidDefinitionKeepsBalance(t *testing.T) {
	c := newClock()
	m := newManager(t, c, quota(t, "q", "$10", "$1/day"))
	ref := BucketRef{"q", "q"}
	spend(t, m, ref, usd(t, "$4"))

	bad := &config.Quota{Name: "q", Rate: "$1/fortnight", Err: errors.New(`invalid rate "$1/fortnight"`)}
	m.Configure(map[string]*config.Quota{"q": bad})
	_, err := m.Reserve([]BucketRef{ref}, 0)
	var ex *ExceededError
	if !errors.As(err, &ex) || !ex.Invalid || ex.Bucket != "q" {
		t.Fatalf("reserve under invalid definition: %v", err)
	}
	vs := m.Balances(nil)
	if len(vs) != 1 || vs[0].Invalid == "" || vs[0].BalanceNanos != usd(t, "$6") {
		t.Errorf("view under invalid definition: %+v", vs)
	}
	m.Configure(defs(quota(t, "q", "$10", "$1/day")))
	if got := balance(t, m, "q"); got != usd(t, "$6") {
		t.Errorf("balance after fixing the definition = %d, want $6", got)
	}
}

// One expanded name is one bucket, even if two definitions produce it: it
// follows the definition it was last used under.
func TestBucketMovesToNewDefinition(t *testing.T) {
	c := newClock()
	a, b := quota(t, "x:<user>", "$10", "$1/day"), quota(t, "x:<node>", "$4", "$1/day")
	m := newManager(t, c, a, b)
	spend(t, m, BucketRef{"x:n1", a.Name}, usd(t, "$1"))
	spend(t, m, BucketRef{"x:n1", b.Name}, usd(t, "$1"))
	vs := m.Balances(nil)
	if len(vs) != 1 || vs[0].Definition != b.Name || vs[0].BalanceNanos != usd(t, "$3") {
		t.Errorf("views = %+v", vs)
	}
}
