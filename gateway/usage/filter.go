package usage

import (
	"bytes"
	"io"

	"github.com/tsplug/ts-plug/gateway/bytescan"
)

// maxFilteredEvent bounds the bytes a UsageChunkFilter holds back while it
// waits for an event to end. The usage chunk is a few hundred bytes; any
// longer event cannot be it and is streamed through as it arrives.
const maxFilteredEvent = 64 << 10

// firstEventBuf is the room the filter's held event starts with: more
// than a chat chunk of a few words takes.
const firstEventBuf = 1 << 10

// UsageChunkFilter passes an OpenAI chat completions event stream through
// unchanged except for the usage-only chunk (a chat.completion.chunk with
// empty choices and a usage object) that the gateway asked for on the
// client's behalf with IncludeUsageRewrite: a client that did not ask for
// it may not expect it. Every other byte is written as it was received,
// and each event is written as soon as its terminating blank line arrives,
// so it can sit in front of a flushing http.ResponseWriter.
type UsageChunkFilter struct {
	w   io.Writer
	buf []byte // the current event, held back until it ends
	out []byte // bytes to write at the end of this Write call

	passing     bool // current event is too long to hold: streamed through
	atLineStart bool
	afterCR     bool
	pendingLF   int8 // after an event ended on CR: 1 keep / -1 drop a following LF
	err         error

	parser  SSEParser
	usageEv bool
	rd      memberReader
}

// NewUsageChunkFilter returns a filter writing to w.
func NewUsageChunkFilter(w io.Writer) *UsageChunkFilter {
	f := &UsageChunkFilter{w: w, atLineStart: true}
	f.parser.MaxEventSize = maxFilteredEvent
	f.parser.OnEvent = func(ev *SSEEvent) { f.usageEv = f.rd.isUsageOnlyChunk(ev.Data) }
	return f
}

// Write filters p. It returns len(p) unless the underlying writer fails.
// Bytes between line ends are moved as whole spans: only CR and LF change
// the filter's state, and a per-byte loop held a big stream to 190 MB/s.
func (f *UsageChunkFilter) Write(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	// Everything written comes from p or the event held back: room for
	// both up front, rather than append doubling out event by event.
	if need := len(f.buf) + len(p); cap(f.out) < need {
		f.out = make([]byte, 0, need)
	}
	f.out = f.out[:0]
	for i := 0; i < len(p); {
		if f.pendingLF != 0 {
			keep := f.pendingLF > 0
			f.pendingLF = 0
			if p[i] == '\n' {
				if keep {
					f.out = append(f.out, '\n')
				}
				i++
				continue
			}
		}
		if n := lineEnd(p[i:]); n != 0 {
			// Ordinary bytes: part of the current line.
			f.hold(p[i : i+n])
			f.atLineStart, f.afterCR = false, false
			i += n
			continue
		}
		c := p[i]
		i++
		f.hold(p[i-1 : i])
		if c == '\n' && f.afterCR {
			f.afterCR = false // the LF of a CRLF pair
			continue
		}
		f.afterCR = c == '\r'
		if !f.atLineStart {
			f.atLineStart = true
			continue
		}
		// A blank line: the event is complete.
		keep := f.passing || !f.isUsageEvent()
		if keep && !f.passing {
			f.out = append(f.out, f.buf...)
		}
		f.buf = f.buf[:0]
		f.passing = false
		if c == '\r' {
			f.afterCR = false
			f.pendingLF = -1
			if keep {
				f.pendingLF = 1
			}
		}
	}
	if len(f.out) > 0 {
		if _, err := f.w.Write(f.out); err != nil {
			f.err = err
			return 0, err
		}
	}
	return len(p), nil
}

// lineEnd returns how many bytes of p come before its first CR or LF
// (len(p) if none).
func lineEnd(p []byte) int {
	if n := bytescan.IndexEither(p, '\n', '\r'); n >= 0 {
		return n
	}
	return len(p)
}

// hold adds b to the current event: held back while the event may still
// be the usage chunk, passed through once it is too long to be.
func (f *UsageChunkFilter) hold(b []byte) {
	if f.passing {
		f.out = append(f.out, b...)
		return
	}
	if f.buf == nil {
		// Room for an ordinary chunk at once, rather than append's
		// doubling from eight bytes on the stream's first event.
		f.buf = make([]byte, 0, firstEventBuf)
	}
	f.buf = append(f.buf, b...)
	if len(f.buf) > maxFilteredEvent {
		f.out = append(f.out, f.buf...)
		f.buf = f.buf[:0]
		f.passing = true
	}
}

func (f *UsageChunkFilter) isUsageEvent() bool {
	f.usageEv = false
	if !bytes.Contains(f.buf, []byte(`"usage"`)) && !bytes.Contains(f.buf, []byte(`\u00`)) {
		return false // the cheap answer for nearly every event (see mayHaveMember)
	}
	f.parser.Reset()
	f.parser.Write(f.buf)
	f.parser.Reset()
	return f.usageEv
}

// Close writes any held-back bytes of an unterminated last event unchanged.
// It does not close the underlying writer.
func (f *UsageChunkFilter) Close() error {
	if f.err != nil {
		return f.err
	}
	if len(f.buf) > 0 {
		_, f.err = f.w.Write(f.buf)
		f.buf = f.buf[:0]
	}
	return f.err
}
