package fakellm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// kv is one member of an obj.
type kv struct {
	k string
	v any
}

// obj is a JSON object that keeps its members in the order written, so the
// fake's answers read like the providers' (which put "id", "type" and
// "object" first) rather than in encoding/json's sorted map order.
type obj []kv

// MarshalJSON encodes the members in order.
func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.k)
		if err != nil {
			return nil, fmt.Errorf("encoding key %q: %w", m.k, err)
		}
		v, err := json.Marshal(m.v)
		if err != nil {
			return nil, fmt.Errorf("encoding %q: %w", m.k, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// textMarker stands for the reply text inside a value passed to
// writeTemplate; it is swapped for the text while writing, so a generated
// text of any size streams straight to the client.
const textMarker = "\x00fakellm:text\x00"

// textMarkerJSON is textMarker as encoding/json writes it.
var textMarkerJSON = func() []byte {
	b, _ := json.Marshal(textMarker)
	return b
}()

// compiled is a value already encoded as JSON, so a stream of a gigabyte
// in 16 KiB deltas encodes its delta event once, not 65536 times.
type compiled []byte

// compile encodes v for repeated writeTemplate calls.
func compile(v any) (compiled, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding answer: %w", err)
	}
	return b, nil
}

// writeTemplate writes v (a value to encode, or compiled) as JSON with every
// textMarker string replaced by t.
func writeTemplate(w io.Writer, v any, t replyText) error {
	b, ok := v.(compiled)
	if !ok {
		var err error
		if b, err = compile(v); err != nil {
			return err
		}
	}
	for {
		i := bytes.Index(b, textMarkerJSON)
		if i < 0 {
			break
		}
		if _, err := w.Write(b[:i]); err != nil {
			return err
		}
		if err := t.writeJSON(w); err != nil {
			return err
		}
		b = b[i+len(textMarkerJSON):]
	}
	_, err := w.Write(b)
	return err
}
