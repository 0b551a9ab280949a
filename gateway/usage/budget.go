package usage

// An output budget lets the gateway end a stream whose quota cannot pay
// for more, one event past the point where it ran out: after each
// complete event (SSE) or array element (Gemini's JSON-array stream), the
// Extractor asks Budget whether the output so far is paid for, and
// remembers where the stream should stop the first time it is not.

// SetBudget makes the Extractor call allow with OutputSoFar after each
// complete event; the first false marks the end of that event as the
// point to stop at (StopAt).
func (e *Extractor) SetBudget(allow func(out int64) bool) { e.budget = allow }

// StopAt returns the body offset at which the stream should end, once the
// budget has refused: just past the complete event in which output went
// over. For a JSON-array stream it is never before the first element.
func (e *Extractor) StopAt() (int64, bool) { return e.stopAt, e.stopped }

// checkBudget runs after each complete event.
func (e *Extractor) checkBudget() {
	if e.budget == nil || e.stopped || e.budget(e.OutputSoFar()) {
		return
	}
	end := e.EventEnd()
	if e.mode == modeJSON && end == 0 {
		return // no element is complete yet: an array cannot end before one
	}
	e.stopped, e.stopAt = true, end
}
