// Package quotas enforces the gateway's dollar spending limits (spec
// §2.5): named token buckets that hold nanodollars, refill continuously
// at a configured rate up to their capacity, and are charged for every
// request a grant points at them.
//
// Enforcement is by reservation, so concurrency cannot overspend. Before
// forwarding a request the gateway reserves, in every bucket that applies,
// a worst-case estimate of its cost (see Estimate): the input estimate at
// the input price plus min(max_tokens, reserve_output_tokens) output
// tokens at the output price. If any bucket cannot cover the reservation,
// nothing is reserved anywhere and the request is rejected with an
// *ExceededError carrying the Retry-After. When the response ends the
// reservation is settled to the real cost, refunding the difference or
// charging the excess. A bucket therefore goes below zero only by what
// in-flight requests used beyond their reservations, and a bucket at or
// below zero admits nothing until it refills: 50 concurrent requests whose
// max_tokens is under the reserve never spend more than the bucket holds.
//
// All money is int64 nanodollars ($1 = 1e9) and refill uses exact integer
// arithmetic (config.Quota.Refill), so balances never drift.
//
// Balances live in memory behind one mutex that guards only arithmetic;
// a background loop (Manager.Run) saves them to a BalanceStore every few
// seconds and on shutdown, so the request path never does I/O.
//
// With several gateway replicas, NewShared keeps them in PostgreSQL
// instead, the only source of truth for money: every reservation,
// extension and settlement is one transaction on the bucket rows, applying
// the same refill code and rules, so the guarantee above holds across any
// number of replicas (see shared.go).
package quotas
