package quotas

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// The scale-out spec's measurement, through the Manager: two replicas on
// one database take 50 concurrent $100 reservations on a $1,000 bucket
// neither has used yet; exactly 10 are admitted and the balance ends at 0,
// as each replica sees it. Balances in memory would admit 10 per replica.
func TestSharedExactAcrossReplicas(t *testing.T) {
	c := newClock()
	ms := newSharedManagers(t, c, 2, quota(t, "team", "$1000", "$0/day"))
	ref := []BucketRef{{"team", "team"}}
	amount := usd(t, "$100")
	const n = 50
	got := make(chan *Reservation, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			r, err := ms[i%2].Reserve(ref, amount)
			var ex *ExceededError
			switch {
			case err == nil:
				got <- r
			case !errors.As(err, &ex) || ex.Invalid:
				t.Errorf("reservation %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	close(got)
	var held []*Reservation
	for r := range got {
		held = append(held, r)
	}
	if len(held) != 10 {
		t.Fatalf("admitted %d reservations of $100 on $1,000, want exactly 10", len(held))
	}
	for i, m := range ms {
		if v := m.Balances(nil); len(v) != 1 || v[0].BalanceNanos != 0 || v[0].ReservedNanos != usd(t, "$1000") {
			t.Errorf("replica %d sees %+v, want balance 0 with $1,000 reserved", i, v)
		}
	}
	if n, sum := openHolds(t, ms[0]); n != 10 || sum != usd(t, "$1000") {
		t.Errorf("quota_holds: %d rows, $%d nanos; want 10 holding $1,000", n, sum)
	}
	for _, r := range held {
		r.Settle(usd(t, "$60"))
	}
	if nanos, reserved := row(t, ms[1], "team"); nanos != usd(t, "$400") || reserved != 0 {
		t.Errorf("after settling each at $60: balance %d, reserved %d; want $400, 0", nanos, reserved)
	}
	if n, _ := openHolds(t, ms[0]); n != 0 {
		t.Errorf("%d holds left after settling", n)
	}
}

// Reservations, extensions and settlements at random from two replicas,
// some left open, conserve money to the nanodollar in every bucket:
// balance == capacity + refill - settled costs - open holds, reserved
// == open holds, and quota_charges records every settled cost. The clock stands still (refill 0), then moves by an
// exact refill.
func TestSharedConservation(t *testing.T) {
	c := newClock()
	team, user := quota(t, "team", "$40", "$1/hour"), quota(t, "user:<user>", "$15", "$1/hour")
	ms := newSharedManagers(t, c, 2, team, user)
	users := []string{"user:a", "user:b", "user:c"}
	capacity := map[string]int64{"team": team.Capacity}
	for _, u := range users {
		capacity[u] = user.Capacity
	}

	var mu sync.Mutex
	settled := map[string]int64{} // costs settled, by bucket
	var open []*Reservation
	var admitted, extended int
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			m := ms[w%2]
			refs := []BucketRef{{users[w%3], user.Name}, {"team", team.Name}}
			kept := 0
			for range 20 {
				want := 1 + rand.Int64N(usd(t, "$3"))
				r, err := m.ReserveRange(refs, want, rand.Int64N(want+1))
				if err != nil {
					var ex *ExceededError
					if !errors.As(err, &ex) || ex.Invalid {
						t.Errorf("reserve: %v", err)
					}
					continue
				}
				ext := rand.IntN(2) == 0 && r.Extend(1+rand.Int64N(usd(t, "$0.50")))
				mu.Lock()
				admitted++
				if ext {
					extended++
				}
				mu.Unlock()
				// Each worker's first hold, and one in eight after it,
				// stays open.
				kept++
				if kept == 1 || rand.IntN(8) == 0 {
					mu.Lock()
					open = append(open, r)
					mu.Unlock()
					continue
				}
				// Sometimes more than held: the excess is charged too.
				cost := rand.Int64N(r.Amount() + usd(t, "$0.20"))
				r.Settle(cost)
				mu.Lock()
				for _, b := range r.Buckets() {
					settled[b] += cost
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if admitted < 10 || extended == 0 || len(open) == 0 {
		t.Fatalf("admitted %d, extended %d, left open %d: the mix did not exercise the rules", admitted, extended, len(open))
	}
	t.Logf("admitted %d of 160, extended %d, left open %d", admitted, extended, len(open))

	check := func(stage string, refill int64) {
		t.Helper()
		holds := map[string]int64{}
		var n, sum int64
		for _, r := range open {
			for _, b := range r.Buckets() {
				holds[b] += r.Amount()
			}
			n++
			sum += r.Amount()
		}
		for b, cp := range capacity {
			want := min(cp, cp+refill-settled[b]-holds[b])
			for i, m := range ms {
				v := m.Lookup([]BucketRef{{b, map[bool]string{true: "team", false: user.Name}[b == "team"]}})
				if v[0].BalanceNanos != want || v[0].ReservedNanos != holds[b] {
					t.Errorf("%s: replica %d: %s balance %d reserved %d; want %d and %d (capacity %d, refill %d, settled %d)",
						stage, i, b, v[0].BalanceNanos, v[0].ReservedNanos, want, holds[b], cp, refill, settled[b])
				}
			}
		}
		if gotN, gotSum := openHolds(t, ms[0]); gotN != n || gotSum != sum {
			t.Errorf("%s: quota_holds has %d holding %d, want %d holding %d", stage, gotN, gotSum, n, sum)
		}
		// The database alone accounts for every charge: quota_charges
		// has each settlement's cost, by bucket.
		for b := range capacity {
			var charged int64
			if err := ms[0].shared.db.QueryRow(`SELECT coalesce(sum(cost), 0) FROM quota_charges WHERE $1 = ANY(buckets)`, b).Scan(&charged); err != nil {
				t.Fatal(err)
			}
			if charged != settled[b] {
				t.Errorf("%s: quota_charges has %d charged to %s, want %d", stage, charged, b, settled[b])
			}
		}
	}
	check("clock still", 0)
	c.Advance(30 * time.Minute) // $0.50 at $1/hour, exactly
	check("after 30 minutes", usd(t, "$0.50"))
	for _, r := range open {
		r.Settle(r.Amount())
		for _, b := range r.Buckets() {
			settled[b] += r.Amount()
		}
	}
	open = nil
	check("all settled", usd(t, "$0.50"))
}

// A replica that stops renewing its holds (it died) has them released by
// another's sweeper after the timeout, and not before: their money stays
// charged, each release is recorded, and a settlement that arrives after
// all refunds what it did not use, once.
func TestSharedSweeperReleasesDeadReplicaHolds(t *testing.T) {
	c := newClock()
	opts := SharedOptions{RenewEvery: 50 * time.Millisecond, HoldTimeout: time.Second}
	ms := newSharedManagersWith(t, c, 2, opts, quota(t, "team", "$10", "$0/day"))
	a, b := ms[0], ms[1]
	ref := []BucketRef{{"team", "team"}}
	var dead []*Reservation
	for range 3 {
		r, err := a.Reserve(ref, usd(t, "$1"))
		if err != nil {
			t.Fatal(err)
		}
		dead = append(dead, r)
	}
	live, err := b.Reserve(ref, usd(t, "$1"))
	if err != nil {
		t.Fatal(err)
	}
	run := func(m *Manager) (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := m.Run(ctx); err != nil {
				t.Errorf("Run: %v", err)
			}
		}()
		return func() { cancel(); <-done }
	}
	stopA, stopB := run(a), run(b)
	defer stopB()

	// Renewed, nothing is released, however long it takes.
	time.Sleep(2 * opts.HoldTimeout)
	if rel, err := b.HoldReleases(10); err != nil || len(rel) != 0 {
		t.Fatalf("released while renewed: %+v, %v", rel, err)
	}
	stopA() // replica 0 dies

	var rel []HoldRelease
	for deadline := time.Now().Add(10 * time.Second); len(rel) < 3; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("released %d of replica 0's 3 holds within 10s", len(rel))
		}
		if rel, err = b.HoldReleases(10); err != nil {
			t.Fatal(err)
		}
	}
	ids := []string{dead[0].hold.id, dead[1].hold.id, dead[2].hold.id}
	for _, r := range rel {
		if !slices.Contains(ids, r.Hold) || r.Replica != "replica-0" || r.ReleasedBy != "replica-1" ||
			r.Amount != usd(t, "$1") || !slices.Equal(r.Buckets, []string{"team"}) || !r.Settled.IsZero() {
			t.Errorf("release %+v", r)
		}
	}
	// Kept charged: $10 - 3 released - 1 live; only the live hold is reserved.
	if nanos, reserved := row(t, b, "team"); nanos != usd(t, "$6") || reserved != usd(t, "$1") {
		t.Errorf("after the sweep: balance %d, reserved %d; want $6 and $1", nanos, reserved)
	}
	if n, _ := openHolds(t, b); n != 1 {
		t.Errorf("%d holds open, want the live replica's 1", n)
	}

	// The dead replica's late settlement refunds what it did not use,
	// once; a released hold cannot grow.
	dead[0].Settle(usd(t, "$0.25"))
	if err := a.shared.settleHold(dead[0].hold.id, 0); err != nil { // a retry
		t.Fatal(err)
	}
	if dead[1].Extend(usd(t, "$0.10")) {
		t.Error("a released hold was extended")
	}
	dead[1].Settle(usd(t, "$1"))
	if nanos, reserved := row(t, b, "team"); nanos != usd(t, "$6.75") || reserved != usd(t, "$1") {
		t.Errorf("after late settlements: balance %d, reserved %d; want $6.75 and $1", nanos, reserved)
	}
	rel, err = b.HoldReleases(10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rel {
		want := map[string]int64{ids[0]: usd(t, "$0.25"), ids[1]: usd(t, "$1")}
		if cost, ok := want[r.Hold]; ok != !r.Settled.IsZero() || r.Cost != cost {
			t.Errorf("release %s: settled %v at %d, want %v at %d", r.Hold, r.Settled, r.Cost, ok, cost)
		}
	}
	live.Settle(usd(t, "$1"))
	if nanos, reserved := row(t, b, "team"); nanos != usd(t, "$6.75") || reserved != 0 {
		t.Errorf("at the end: balance %d, reserved %d; want $6.75 and 0", nanos, reserved)
	}
}

// When the database fails, a replica fails safe: it refuses reservations
// with an error wrapping ErrUnavailable (not a quota refusal, unless a
// broken definition refuses it anyway), refuses to extend, and a settlement it cannot write leaves the hold charged in
// full, unrenewed, for the sweeper, to retry later.
func TestSharedFailsSafe(t *testing.T) {
	c := newClock()
	ms := newSharedManagers(t, c, 2, quota(t, "team", "$10", "$0/day"))
	a, b := ms[0], ms[1]
	ref := []BucketRef{{"team", "team"}}
	r, err := a.Reserve(ref, usd(t, "$4"))
	if err != nil {
		t.Fatal(err)
	}
	a.shared.db.Close() // replica 0 loses its database

	_, err = a.Reserve(ref, usd(t, "$1"))
	var ex *ExceededError
	if !errors.Is(err, ErrUnavailable) || errors.As(err, &ex) {
		t.Errorf("reserve without a database: %v, want ErrUnavailable", err)
	}
	// One a missing definition refuses anyway is told that.
	_, err = a.Reserve(append(ref, BucketRef{"x", "gone"}), usd(t, "$1"))
	if !errors.As(err, &ex) || !ex.Invalid || ex.Bucket != "x" {
		t.Errorf("reserve in a missing definition without a database: %v, want it refused as invalid", err)
	}
	if r.Extend(usd(t, "$1")) {
		t.Error("extended without a database")
	}
	r.Settle(usd(t, "$1"))
	if nanos, reserved := row(t, b, "team"); nanos != usd(t, "$6") || reserved != usd(t, "$4") {
		t.Errorf("after a failed settle: balance %d, reserved %d; want the hold still charged ($6, $4)", nanos, reserved)
	}
	if err := a.Flush(); err == nil {
		t.Error("Flush reported no settlement left to retry")
	}
	a.shared.mu.Lock()
	renewing := len(a.shared.open)
	a.shared.mu.Unlock()
	if renewing != 0 {
		t.Errorf("replica 0 still renews %d holds it could not settle", renewing)
	}

	// Unrenewed past the timeout, the other replica's sweeper releases it,
	// money kept.
	if _, err := b.shared.db.Exec(`UPDATE quota_holds SET renewed = renewed - interval '1 hour'`); err != nil {
		t.Fatal(err)
	}
	rel, err := b.shared.sweep(context.Background())
	if err != nil || len(rel) != 1 || rel[0].Hold != r.hold.id {
		t.Fatalf("sweep: %+v, %v", rel, err)
	}
	if nanos, reserved := row(t, b, "team"); nanos != usd(t, "$6") || reserved != 0 {
		t.Errorf("after the sweep: balance %d, reserved %d; want $6, 0", nanos, reserved)
	}
}
