package fakellm

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Sentinel results of writing an answer with an injected failure.
var (
	// errCut asks the handler to drop the connection mid-answer.
	errCut = errors.New("fakellm: injected cut")
	// errFailNow asks the API to end its stream with an in-band error.
	errFailNow = errors.New("fakellm: injected stream error")
)

// eventWriter writes the server-sent events of one streamed answer: it
// paces them, flushes after every event, and triggers an injected cut or
// error after the configured number of events.
type eventWriter struct {
	ctx       context.Context
	bw        *bufio.Writer
	rc        *http.ResponseController
	pacing    time.Duration
	lineEnd   string // "\n", or "\r\n" as Gemini sends
	jsonArray bool   // Gemini without alt=sse: a JSON array, not SSE
	sent      int
	cutAfter  int // drop the connection after this many events; -1 never
	failAfter int // end with an in-band error after this many; -1 never
}

// newEventWriter sends the 200 header for an SSE answer and returns the
// writer for its events.
func newEventWriter(ctx context.Context, w http.ResponseWriter, x *exchange, contentType string) (*eventWriter, error) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	e := &eventWriter{
		ctx:       ctx,
		bw:        bufio.NewWriterSize(w, 64<<10),
		rc:        http.NewResponseController(w),
		pacing:    x.set.pacing,
		lineEnd:   "\n",
		cutAfter:  -1,
		failAfter: -1,
	}
	if f, ok := x.failure(); ok {
		if f.Cut {
			e.cutAfter = f.AfterEvents
		} else {
			e.failAfter = f.AfterEvents
		}
	}
	if err := e.flush(); err != nil {
		return nil, err
	}
	return e, nil
}

// check returns the injected failure due before the next event, if any.
func (e *eventWriter) check() error {
	switch {
	case e.cutAfter >= 0 && e.sent >= e.cutAfter:
		return errCut
	case e.failAfter >= 0 && e.sent >= e.failAfter:
		e.failAfter = -1 // the error event itself must go out
		return errFailNow
	}
	return nil
}

// send writes one event: an optional "event:" line and a "data:" line
// holding v as JSON with the reply text t in place of textMarker.
func (e *eventWriter) send(name string, v any, t replyText) error {
	if err := e.check(); err != nil {
		return err
	}
	if e.sent > 0 && e.pacing > 0 {
		if err := sleep(e.ctx, e.pacing); err != nil {
			return err
		}
	}
	switch {
	case e.jsonArray && e.sent == 0:
		io.WriteString(e.bw, "[")
	case e.jsonArray:
		io.WriteString(e.bw, ",\r\n")
	case name != "":
		fmt.Fprintf(e.bw, "event: %s%s", name, e.lineEnd)
		io.WriteString(e.bw, "data: ")
	default:
		io.WriteString(e.bw, "data: ")
	}
	if err := writeTemplate(e.bw, v, t); err != nil {
		return err
	}
	if !e.jsonArray {
		io.WriteString(e.bw, e.lineEnd+e.lineEnd)
	}
	e.sent++
	return e.flush()
}

// sendRaw writes one "data:" event with a literal payload, like [DONE].
func (e *eventWriter) sendRaw(data string) error {
	if err := e.check(); err != nil {
		return err
	}
	if e.sent > 0 && e.pacing > 0 {
		if err := sleep(e.ctx, e.pacing); err != nil {
			return err
		}
	}
	io.WriteString(e.bw, "data: "+data+e.lineEnd+e.lineEnd)
	e.sent++
	return e.flush()
}

// finish reports an injected failure still due once all events are out.
func (e *eventWriter) finish() error {
	if e.cutAfter >= 0 {
		return errCut
	}
	if e.failAfter >= 0 {
		e.failAfter = -1
		return errFailNow
	}
	return nil
}

// end closes the JSON array of a non-SSE stream.
func (e *eventWriter) end() error {
	if !e.jsonArray {
		return nil
	}
	if e.sent == 0 {
		io.WriteString(e.bw, "[")
	}
	io.WriteString(e.bw, "]")
	return e.flush()
}

// flush pushes buffered bytes to the client now.
func (e *eventWriter) flush() error {
	if err := e.bw.Flush(); err != nil {
		return fmt.Errorf("writing event: %w", err)
	}
	if err := e.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return fmt.Errorf("flushing event: %w", err)
	}
	return nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
