package ledger

import (
	"reflect"
	"testing"
	"time"
)

func TestBalancesPersist(t *testing.T) {
	path := newTarget(t)
	l, err := OpenURL(path, Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t1 := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	if err := l.SaveBalances(map[string]Balance{
		"daily:alice": {Nanos: 10_000_000_000, Updated: t1},
		"team":        {Nanos: -5, Updated: t1},
		"gone":        {Nanos: 1, Updated: t1},
	}); err != nil {
		t.Fatal(err)
	}
	// A partial save updates only its buckets.
	if err := l.SaveBalances(map[string]Balance{"team": {Nanos: 42, Updated: t1.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if err := l.DeleteBalances("gone", "never-existed"); err != nil {
		t.Fatal(err)
	}
	if err := l.SaveBalances(nil); err != nil {
		t.Fatal(err)
	}
	l.Close()

	l, err = OpenURL(path, Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got, err := l.LoadBalances()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Balance{
		"daily:alice": {Nanos: 10_000_000_000, Updated: t1},
		"team":        {Nanos: 42, Updated: t1.Add(time.Hour)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after restart LoadBalances = %v, want %v", got, want)
	}
}

func TestLoadBalancesEmpty(t *testing.T) {
	l, _ := openTest(t, Options{})
	got, err := l.LoadBalances()
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("LoadBalances on a new DB = %v, %v; want empty map", got, err)
	}
}
