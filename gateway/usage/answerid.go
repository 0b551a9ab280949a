package usage

import "sync"

// CreatedResponseID returns the id of the stored response an OpenAI
// Responses answer creates, from the answer's first bytes (the gateway
// keeps only those, so answer may be cut anywhere): in a JSON answer the
// response object's top-level "id"; in an event stream the top-level "id"
// of the "response" object of the first event that names one (the
// response.created event). It returns "" when there is none or it is not
// a string.
//
// The id decides who owns the response, so it is read as the caller's SDK
// reads it (memberReader's semantics): an "id" inside a nested object, such
// as the echoed request metadata a caller chose, or inside a string, is
// not the response's. Members are read in order as far as the answer
// goes; the id the answer was cut after is taken.
func CreatedResponseID(answer []byte) string {
	r := answerReaders.Get().(*memberReader)
	defer answerReaders.Put(r)
	defer r.reset(nil) // holds nothing of answer while pooled
	i := 0
	for i < len(answer) && isSpace(answer[i]) {
		i++
	}
	if i < len(answer) && answer[i] == '{' {
		return r.pathString(answer, responseIDPath[1:])
	}
	var id string
	p := SSEParser{OnEvent: func(ev *SSEEvent) {
		if id == "" {
			id = r.pathString(ev.Data, responseIDPath)
		}
	}}
	p.Write(answer)
	p.End()
	return id
}

// answerReaders recycle CreatedResponseID's readers: a jsontext.Decoder
// builds its name and state stacks afresh, and every created response of
// the Responses API is read for its id.
var answerReaders = sync.Pool{New: func() any { return new(memberReader) }}

// responseIDPath is where an event names the response it is about.
var responseIDPath = []string{"response", "id"}

// pathString returns the string at path (member names, one per level of
// objects) in the JSON object doc, reading members in order up to doc's
// end or to where it is cut or stops being valid JSON: the last of a
// repeated member wins, as a decoder reads the whole document. A value of
// another type at the end of the path reads as "".
func (r *memberReader) pathString(doc []byte, path []string) string {
	r.reset(doc)
	if tok, err := r.dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return ""
	}
	level := 0 // how deep into path the reader is
	found := ""
	for {
		switch r.dec.PeekKind() {
		case '"':
		case '}':
			if level == 0 {
				return found
			}
			if _, err := r.dec.ReadToken(); err != nil {
				return found
			}
			level--
			continue
		default:
			return found // cut, or not JSON from here on
		}
		name, err := r.dec.ReadValue()
		if err != nil {
			return found
		}
		if r.nameIndex(name, path[level:level+1]) < 0 {
			if r.dec.SkipValue() != nil {
				return found
			}
			continue
		}
		if level == len(path)-1 {
			v, err := r.dec.ReadValue()
			if err != nil {
				return found
			}
			found = stringValue(v)
			continue
		}
		// A repeated member along the path replaces the earlier one
		// whole: what was found in it goes.
		found = ""
		if r.dec.PeekKind() != '{' {
			if r.dec.SkipValue() != nil {
				return found
			}
			continue
		}
		if _, err := r.dec.ReadToken(); err != nil {
			return found
		}
		level++
	}
}
