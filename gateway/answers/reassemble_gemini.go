package answers

import (
	"encoding/json"
	"strings"
)

// geminiCandidate is one candidate being streamed.
type geminiCandidate struct {
	fields object // finishReason, safetyRatings, ...: the last value of each
	role   json.RawMessage
	parts  []*geminiPart
}

// geminiPart is one part of a candidate; a text part's text is joined in
// a builder, so a long answer of many chunks costs linear time.
type geminiPart struct {
	part object
	text *strings.Builder // nil unless the part is text only
}

// reassembleGemini rebuilds a GenerateContentResponse from the chunks of
// streamGenerateContent (SSE or JSON array): every top-level member as
// the last chunk that has it says (usageMetadata is complete only in the
// last chunk; modelVersion, responseId, promptFeedback), and per
// candidate (by index) its parts in order, with consecutive text parts of
// the same kind (thought or not) joined into one as the non-streamed
// answer has them, functionCall and other parts kept as they are, and
// finishReason and the other members as the last chunk says. It returns
// nil when no chunk is a Gemini response.
func reassembleGemini(events []json.RawMessage) json.RawMessage {
	var top object
	cands := map[int]*geminiCandidate{}
	for _, raw := range events {
		o := decodeObject(raw)
		if !o.has("candidates") && !o.has("usageMetadata") && !o.has("promptFeedback") {
			continue
		}
		if top == nil {
			top = object{}
		}
		for k, v := range o {
			if k != "candidates" && !isNull(v) {
				top[k] = v
			}
		}
		for pos, c := range o.objects("candidates") {
			idx, ok := c.index("index")
			if !ok {
				idx = pos
			}
			gc := cands[idx]
			if gc == nil {
				gc = &geminiCandidate{fields: object{}}
				cands[idx] = gc
			}
			gc.add(c)
		}
	}
	if top == nil {
		return nil
	}
	var out []object
	for _, i := range sortedKeys(cands) {
		out = append(out, cands[i].object(i))
	}
	if out != nil {
		top.set("candidates", out)
	}
	return marshal(top)
}

// add folds one chunk's candidate into gc.
func (gc *geminiCandidate) add(c object) {
	for k, v := range c {
		if k != "content" && k != "index" && !isNull(v) {
			gc.fields[k] = v
		}
	}
	content := c.obj("content")
	if content.has("role") {
		gc.role = content["role"]
	}
	for _, p := range content.objects("parts") {
		text, textOnly := onlyText(p)
		if n := len(gc.parts); n > 0 && textOnly {
			if prev := gc.parts[n-1]; prev.text != nil && isThought(prev.part) == isThought(p) {
				prev.text.WriteString(text)
				if p.has("thoughtSignature") {
					prev.part["thoughtSignature"] = p["thoughtSignature"]
				}
				continue
			}
		}
		gp := &geminiPart{part: p.clone()}
		if textOnly {
			gp.text = &strings.Builder{}
			gp.text.WriteString(text)
		}
		gc.parts = append(gc.parts, gp)
	}
}

// onlyText returns the text of a part that is only text (perhaps a
// thought, perhaps with a thought signature): such parts of consecutive
// chunks are one part of the non-streamed answer.
func onlyText(p object) (string, bool) {
	text, ok := p.optStr("text")
	if !ok {
		return "", false
	}
	for k := range p {
		if k != "text" && k != "thought" && k != "thoughtSignature" {
			return "", false
		}
	}
	return text, true
}

// isThought reports whether a part is a thought summary.
func isThought(p object) bool {
	var b bool
	_ = json.Unmarshal(p["thought"], &b)
	return b
}

// object is the candidate as the non-streamed answer has it.
func (gc *geminiCandidate) object(index int) object {
	o := gc.fields.clone()
	content := object{}
	parts := []object{}
	for _, p := range gc.parts {
		if p.text != nil {
			p.part.set("text", p.text.String())
		}
		parts = append(parts, p.part)
	}
	content.set("parts", parts)
	if gc.role != nil {
		content["role"] = gc.role
	}
	o.set("content", content)
	o.set("index", index)
	return o
}
