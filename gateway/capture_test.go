package gateway

import (
	"testing"

	"github.com/tsplug/ts-plug/gateway/ledger"
)

// With captures off (database.retention "0") the gateway copies neither
// headers nor bodies aside, yet still learns who created a stored
// response from the start of its answer.
func TestNoCaptureCopiesWhenCapturesAreOff(t *testing.T) {
	f := newFixture(t)
	f.sink.noCaptures = true
	res, body := do(t, "POST", f.url("dave", "/v1/responses"), seedResponses)
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	rec := f.sink.last()
	if rec == nil {
		t.Fatal("no record")
	}
	if rec.Capture != nil {
		t.Errorf("a capture was built with captures off: %+v", rec.Capture)
	}
	if rec.CreatedResponse == "" || rec.Usage.OutputTokens == 0 {
		t.Errorf("record lost its owner or usage without a capture: %+v", rec)
	}
}

// A model named provider/model reaches the provider under its own name,
// every other byte of the body as the client sent it (key order,
// spacing, duplicates the gateway has no business normalizing).
func TestProviderQualifiedModelKeepsTheBody(t *testing.T) {
	f := newFixture(t)
	body := `{ "messages":[{"role":"user","content":"respond with: hi"}],  "model" : "openai/gpt-4o", "z":1 }`
	res, out := do(t, "POST", f.url("alice", "/v1/chat/completions"), body)
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, out)
	}
	got, ok := f.fake.LastRequest()
	if !ok {
		t.Fatal("the provider saw nothing")
	}
	want := `{ "messages":[{"role":"user","content":"respond with: hi"}],  "model" : "gpt-4o", "z":1 }`
	if string(got.Body) != want {
		t.Errorf("provider got\n %s\nwant\n %s", got.Body, want)
	}
}

// storeCapture replaces r's capture, as the gateway queued it (its
// headers the live maps, to be encoded redacted), with what the ledger
// stores and reads back: the tests' in-memory sink checks what a
// database would keep, secrets redacted or not.
func storeCapture(r *ledger.Record) {
	if r.Capture == nil {
		return
	}
	s, err := r.Capture.Stored()
	if err != nil {
		panic(err) // encoding/json decoding what the ledger encoded
	}
	r.Capture = s
}
