package fakellm

import (
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// DefaultReply is the answer text when the prompt does not say
// "respond with: X" and no reply was set.
const DefaultReply = "Hello from fakellm, a fake LLM provider."

// fillerPattern is repeated to make generated replies. It is plain ASCII
// with nothing JSON must escape, so generated text is written unquoted.
const fillerPattern = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor. "

// genDelta is the size of one streamed delta of a generated reply: 1 GiB
// becomes 65536 events.
const genDelta = 16 << 10

// fillerBlock is fillerPattern repeated to about 32 KiB. Its length is a
// multiple of the pattern's, so byte p of the endless text is
// fillerBlock[p%len(fillerBlock)].
var fillerBlock = sync.OnceValue(func() string {
	n := (32 << 10) / len(fillerPattern)
	return strings.Repeat(fillerPattern, n)
})

// respondWith matches the seed page's test prompts ("respond with: hello").
var respondWith = regexp.MustCompile(`(?i)respond with:[ \t]*([^\r\n]*)`)

// replyFor picks the answer to prompt: X for the last "respond with: X" in
// it, else fallback.
func replyFor(prompt, fallback string) string {
	m := respondWith.FindAllStringSubmatch(prompt, -1)
	if len(m) > 0 {
		if x := strings.TrimSpace(m[len(m)-1][1]); x != "" {
			return x
		}
	}
	return fallback
}

// replyText is answer text: either a literal string, or n bytes of filler
// starting at offset off of the endless filler text. Generated text is
// produced while writing, so a reply of a gigabyte never sits in memory.
type replyText struct {
	lit    string
	gen    bool
	off, n int64
}

// literalText is a replyText holding s.
func literalText(s string) replyText { return replyText{lit: s} }

// generatedText is a replyText of exactly n filler bytes.
func generatedText(n int64) replyText { return replyText{gen: true, n: n} }

// Len is the length of the text in bytes.
func (t replyText) Len() int64 {
	if t.gen {
		return t.n
	}
	return int64(len(t.lit))
}

// String returns the text; only for literal or small generated texts.
func (t replyText) String() string {
	if !t.gen {
		return t.lit
	}
	var b strings.Builder
	_ = t.writeRaw(&b)
	return b.String()
}

// writeJSON writes the text as a quoted JSON string.
func (t replyText) writeJSON(w io.Writer) error {
	if !t.gen {
		b, err := json.Marshal(t.lit)
		if err != nil {
			return fmt.Errorf("encoding reply: %w", err)
		}
		_, err = w.Write(b)
		return err
	}
	if _, err := io.WriteString(w, `"`); err != nil {
		return err
	}
	if err := t.writeRaw(w); err != nil {
		return err
	}
	_, err := io.WriteString(w, `"`)
	return err
}

// writeRaw writes generated text unquoted (it needs no escaping).
func (t replyText) writeRaw(w io.Writer) error {
	if !t.gen {
		_, err := io.WriteString(w, t.lit)
		return err
	}
	block := fillerBlock()
	pos, rem := t.off, t.n
	for rem > 0 {
		start := pos % int64(len(block))
		n := min(rem, int64(len(block))-start)
		if _, err := io.WriteString(w, block[start:start+n]); err != nil {
			return err
		}
		pos += n
		rem -= n
	}
	return nil
}

// pieces splits the text into the deltas of a stream: a literal text into
// at most chunks pieces of nearly equal size cut at rune boundaries (at
// least one piece, even for empty text), a generated text into genDelta
// pieces.
func (t replyText) pieces(chunks int) iter.Seq[replyText] {
	return func(yield func(replyText) bool) {
		if t.gen {
			for off := int64(0); off < t.n; off += genDelta {
				if !yield(replyText{gen: true, off: t.off + off, n: min(genDelta, t.n-off)}) {
					return
				}
			}
			return
		}
		for _, p := range splitRunes(t.lit, chunks) {
			if !yield(literalText(p)) {
				return
			}
		}
	}
}

// splitRunes cuts s into at most n pieces of nearly equal rune count.
func splitRunes(s string, n int) []string {
	runes := utf8.RuneCountInString(s)
	n = max(1, min(n, runes))
	out := make([]string, 0, n)
	for i := range n {
		// Piece i holds runes [i*runes/n, (i+1)*runes/n).
		count := (i+1)*runes/n - i*runes/n
		end := 0
		for range count {
			_, size := utf8.DecodeRuneInString(s[end:])
			end += size
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out
}
