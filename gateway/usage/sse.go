package usage

import "github.com/tsplug/ts-plug/gateway/bytescan"

import "bytes"

// DefaultMaxEventSize bounds the data an SSEParser buffers for one event.
// Larger events are skipped (dispatched with Truncated set and no data), so a
// misbehaving upstream cannot make the gateway buffer without limit.
const DefaultMaxEventSize = 8 << 20

// SSEEvent is one dispatched server-sent event. Its slices alias the
// parser's buffers and are valid only during the callback.
type SSEEvent struct {
	// Event is the value of the last "event:" field, empty when the event
	// had none (the SSE default type "message").
	Event []byte
	// Data is the event's "data:" lines joined by "\n".
	Data []byte
	// Truncated reports that the event was larger than the parser's limit;
	// Data is then empty but Event is kept so callers still see its type.
	Truncated bool
}

// SSEParser is an incremental text/event-stream parser. Feed it bytes in any
// chunking with Write; it calls OnEvent at every blank line that ends an event
// with data. It implements the parts of the WHATWG event-stream grammar that
// matter to a proxy: "event:" and "data:" fields (a single leading space
// stripped, data lines joined by "\n"), comments, fields without a colon,
// CRLF, LF and lone CR line endings. Buffers are reused, so steady-state
// parsing does not allocate per event.
type SSEParser struct {
	// OnEvent receives each complete event. It must not retain the slices.
	OnEvent func(ev *SSEEvent)
	// MaxEventSize bounds the buffered data (and line length) of one
	// event; zero means DefaultMaxEventSize.
	MaxEventSize int

	line      []byte // partial line carried over between writes
	data      []byte
	event     []byte
	hasData   bool
	truncated bool // current event exceeded the limit
	lineLong  bool // current partial line exceeded the limit and is dropped
	skipLF    bool // previous write ended in CR: a leading LF belongs to it
	ev        SSEEvent

	fed     int64 // bytes written before the current Write
	lineEnd int64 // offset just past the line being processed
	ending  bool  // End is dispatching an unterminated event
	evEnd   int64 // offset just past the blank line of the last dispatched event
}

// NewSSEParser returns a parser that calls fn for each event.
func NewSSEParser(fn func(ev *SSEEvent)) *SSEParser {
	return &SSEParser{OnEvent: fn}
}

func (p *SSEParser) max() int {
	if p.MaxEventSize > 0 {
		return p.MaxEventSize
	}
	return DefaultMaxEventSize
}

// lineSlack is room for a field name beyond the data limit: a line longer
// than MaxEventSize+lineSlack marks its event truncated, whether it arrived
// in one write or several.
const lineSlack = 16

func (p *SSEParser) lineMax() int { return p.max() + lineSlack }

// Write parses b. It never fails; the error is always nil so the parser can
// sit behind an io.MultiWriter or io.TeeReader.
func (p *SSEParser) Write(b []byte) (int, error) {
	n := len(b)
	base := p.fed
	p.fed += int64(n)
	if p.skipLF && len(b) > 0 {
		p.skipLF = false
		if b[0] == '\n' {
			b = b[1:]
			if p.evEnd == base {
				// The event was dispatched at the CR that ended the
				// previous write; its blank line is CRLF and ends here.
				p.evEnd++
			}
		}
	}
	for len(b) > 0 {
		i := bytescan.IndexEither(b, '\n', '\r')
		if i < 0 {
			p.appendPartial(b)
			break
		}
		var line []byte
		if len(p.line) > 0 || p.lineLong {
			p.appendPartial(b[:i])
			line = p.line
		} else {
			line = b[:i]
		}
		long := p.lineLong || len(line) > p.lineMax()
		if b[i] == '\r' {
			if i+1 < len(b) {
				if b[i+1] == '\n' {
					i++
				}
			} else {
				p.skipLF = true
			}
		}
		b = b[i+1:]
		p.lineEnd = base + int64(n-len(b))
		if long {
			p.truncated = true
		} else {
			p.processLine(line)
		}
		p.line = p.line[:0]
		p.lineLong = false
	}
	return n, nil
}

// appendPartial keeps an unterminated line for the next write, dropping it
// once it exceeds the limit.
func (p *SSEParser) appendPartial(b []byte) {
	if p.lineLong {
		return
	}
	if len(p.line)+len(b) > p.lineMax() {
		p.lineLong = true
		p.line = p.line[:0]
		return
	}
	p.line = append(p.line, b...)
}

func (p *SSEParser) processLine(line []byte) {
	if len(line) == 0 {
		p.dispatch()
		return
	}
	if line[0] == ':' {
		return // comment
	}
	field, value := line, []byte(nil)
	if c := bytes.IndexByte(line, ':'); c >= 0 {
		field, value = line[:c], line[c+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(field) { // no allocation: the compiler optimizes this comparison
	case "data":
		if p.truncated {
			return
		}
		extra := len(value)
		if p.hasData {
			extra++
		}
		if len(p.data)+extra > p.max() {
			p.truncated = true
			p.data = p.data[:0]
			return
		}
		if p.hasData {
			p.data = append(p.data, '\n')
		}
		p.data = append(p.data, value...)
		p.hasData = true
	case "event":
		if len(value) > p.max() {
			value = value[:0]
		}
		p.event = append(p.event[:0], value...)
	}
}

// dispatch ends the current event. Per the SSE spec an event without data
// is not dispatched, except a truncated one, so callers learn its type.
func (p *SSEParser) dispatch() {
	if (p.hasData || p.truncated) && p.OnEvent != nil {
		p.ev = SSEEvent{Event: p.event, Data: p.data, Truncated: p.truncated}
		if p.truncated {
			p.ev.Data = nil
		}
		if !p.ending {
			p.evEnd = p.lineEnd
		}
		p.OnEvent(&p.ev)
	}
	p.data = p.data[:0]
	p.event = p.event[:0]
	p.hasData = false
	p.truncated = false
}

// End finishes the stream: an unterminated last line is processed and a
// pending event is dispatched as if the stream had ended with a blank line.
// (The SSE spec discards such an event; a meter would rather see it.)
func (p *SSEParser) End() {
	p.ending = true
	defer func() { p.ending = false }()
	if len(p.line) > 0 && !p.lineLong {
		p.processLine(p.line)
	} else if p.lineLong {
		p.truncated = true
	}
	p.line = p.line[:0]
	p.lineLong = false
	p.skipLF = false
	p.dispatch()
}

// Reset clears all state so the parser can be reused for a new stream.
func (p *SSEParser) Reset() {
	p.line, p.data, p.event = p.line[:0], p.data[:0], p.event[:0]
	p.hasData, p.truncated, p.lineLong, p.skipLF = false, false, false, false
	p.fed, p.lineEnd, p.ending, p.evEnd = 0, 0, false, 0
}

// EventEnd returns the number of bytes written up to and including the
// blank line that dispatched the last complete event, or 0 before the
// first. A proxy that must stop a stream early cuts it there, so the client
// never sees half an event. An event End dispatches without its blank line
// does not count: it is not complete.
func (p *SSEParser) EventEnd() int64 { return p.evEnd }

// inEvent reports whether part of an event has arrived since the last
// one ended: a field, or a partial line that is not a comment.
func (p *SSEParser) inEvent() bool {
	return p.hasData || p.truncated || len(p.event) > 0 || p.lineLong ||
		(len(p.line) > 0 && p.line[0] != ':')
}
