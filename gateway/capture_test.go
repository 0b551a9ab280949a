package gateway

import "testing"

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
