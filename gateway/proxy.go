package gateway

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/ledger"
)

// finish records rec on the ledger and returns once its row is durable
// (in the row log, or committed: requests finishing together share one
// write), so a client that has its whole answer, which goes out only
// when the handler returns, has its row even if the gateway is killed
// right after.
// Captures are queued, compressed on another goroutine when big, and not
// waited for.
func (s *Server) finish(c *caller, rec *ledger.Record, start time.Time) {
	rec.Duration = s.opts.Now().Sub(start)
	s.metrics.observe(rec)
	capture := rec.Capture
	rec.Capture = nil
	err := s.opts.Ledger.Enqueue(rec)
	if err != nil {
		s.opts.Logf("LEDGER: request %s by %s (%s, %d tokens) not recorded: %v",
			rec.ID, rec.Principal, rec.Model, rec.Usage.InputTokens+rec.Usage.OutputTokens, err)
	}
	if err != nil {
		// Not promised durable: the owner stays pending, never evicted
		// (bounded by maxPending), since once it was gone a lookup the
		// ledger cannot answer would let anyone at the response.
		return
	}
	if rec.CreatedResponse != "" {
		// Durable (in the row log or committed): the ledger answers
		// for the owner from now on, and the entry may be evicted.
		s.responses.written(rec.CreatedResponse)
	}
	if capture != nil {
		id := rec.ID
		if len(capture.RequestBody) < ledger.MinCompress && len(capture.ResponseBody) < ledger.MinCompress {
			// Nothing to compress: queuing it here is cheaper than waking
			// another goroutine for it.
			if err := s.opts.Ledger.CaptureAsync(id, capture); err != nil {
				s.opts.Logf("capture of request %s not stored: %v", id, err)
			}
			return
		}
		s.background.Add(1)
		go func() {
			defer s.background.Done()
			if err := s.opts.Ledger.CaptureAsync(id, capture); err != nil {
				s.opts.Logf("capture of request %s not stored: %v", id, err)
			}
		}()
	}
}

// upstreamError describes a transport error without the URL it was for
// and without any of secrets (the provider key, or in passthrough mode
// the caller's forwarded credential), which some errors could echo.
func upstreamError(err error, secrets ...string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	return msg
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// generates reports whether op makes the provider generate (and bill)
// tokens. Counting tokens, and reading, listing, cancelling or deleting a
// stored response, hold and charge nothing: a stored response's usage is
// that of the request that created it, already on the ledger.
func generates(op apis.Op) bool {
	return op == apis.OpCreate || op == apis.OpCompact
}
