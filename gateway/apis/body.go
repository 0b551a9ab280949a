package apis

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/tsplug/ts-plug/gateway/bytescan"
)

// Errors returned by ScanBody and ModelFromBody; test with errors.Is.
// ErrInvalidJSON comes wrapped with the reason and the byte offset where
// scanning stopped, for logs; clients should get a generic message.
var (
	// ErrInvalidJSON means the body is not one valid JSON object.
	ErrInvalidJSON = errors.New("request body is not a valid JSON object")
	// ErrNoModel means the object has no "model" member, or an empty one.
	ErrNoModel = errors.New(`request body has no "model"`)
	// ErrModelNotString means "model" is present but not a JSON string.
	ErrModelNotString = errors.New(`request body "model" is not a string`)
	// ErrAmbiguousModel means a top-level key differs from "model" only in
	// case, which parsers disagree about.
	ErrAmbiguousModel = errors.New(`request body has an ambiguous "model"`)
)

// maxDepth matches encoding/json's nesting limit, so the scanner accepts
// exactly the documents the providers' JSON parsers and the rest of the
// gateway accept.
const maxDepth = 10000

// BodyInfo is what ScanBody reads from a request body: every member the
// gateway acts on, read once, with the semantics of a real JSON parser.
type BodyInfo struct {
	// Model is the top-level "model" string, unescaped. Empty if absent.
	Model string
	// HasModel is true when a top-level "model" member exists (any type).
	HasModel bool
	// ModelIsString is false when "model" exists but is not a string.
	ModelIsString bool
	// Stream is true when the top-level "stream" member is the literal true.
	Stream bool
	// ModelStart and ModelEnd delimit the "model" value in the body, for
	// WithModel.
	ModelStart, ModelEnd int
	// Open is the offset just after the body's opening brace, where a
	// member can be inserted.
	Open int
	// StreamOptions is the span of the top-level "stream_options" value;
	// HasStreamOptions says whether there is one.
	StreamOptions    Span
	HasStreamOptions bool
	// OutputLimit is the largest output-token limit the body sets
	// (max_tokens, max_completion_tokens, max_output_tokens, or Gemini's
	// generationConfig.maxOutputTokens, in any spelling the provider
	// accepts), or -1 when it sets none (null counts as none).
	OutputLimit int64
	// LimitSpans are the spans of every output-limit value, null ones
	// included, for setting them in place (WithOutputLimit).
	LimitSpans []Span
	// Choices is how many answers the request asks for (OpenAI "n",
	// Gemini candidateCount); 1 when unset. Output is paid per choice.
	Choices int64
	// PreviousResponseID is the Responses API's "previous_response_id".
	PreviousResponseID string
	// GenerationConfig is the span of Gemini's generationConfig object
	// (either spelling); HasGenerationConfig says whether there is one.
	GenerationConfig    Span
	HasGenerationConfig bool
	// Fallbacks names a member that lets the provider run models other
	// than "model" (OpenRouter's "models" list, "fallbacks"), when the
	// body has a non-empty one.
	Fallbacks string
	// Tools is the span of the top-level "tools" array, where server
	// tools billed per call (web search) are declared; HasTools says
	// whether there is one.
	Tools    Span
	HasTools bool
	// MaxToolCalls is the Responses API's cap on tool calls, -1 if none.
	MaxToolCalls int64
	// Conversation is set when the body continues a stored conversation
	// (the Responses API's "conversation"), whose input the provider adds.
	Conversation bool

	// session holds the members SessionHints reads.
	session sessionSpans
}

// Scanned reports whether info is ScanBody's reading of a body, rather
// than the zero reading of a body the gateway forwards unscanned: Open is
// past the '{' of a scanned body.
func (info *BodyInfo) Scanned() bool { return info.Open > 0 }

// Edit replaces the bytes of Span with Repl (an insertion when the span
// is empty).
type Edit struct {
	Span Span
	Repl string
}

// Apply returns doc with edits made, in a new slice (doc is left as it
// was). The edits' spans are offsets into doc and must not overlap; every
// edit found from one ScanBody can be applied together, in one copy.
func Apply(doc []byte, edits ...Edit) []byte {
	if len(edits) == 0 {
		return doc
	}
	edits = slices.Clone(edits)
	slices.SortStableFunc(edits, func(a, b Edit) int { return a.Span.Start - b.Span.Start })
	n := len(doc)
	for _, e := range edits {
		n += len(e.Repl) - (e.Span.End - e.Span.Start)
	}
	out := make([]byte, 0, n)
	at := 0
	for _, e := range edits {
		out = append(out, doc[at:e.Span.Start]...)
		out = append(out, e.Repl...)
		at = e.Span.End
	}
	return append(out, doc[at:]...)
}

// ModelEdit replaces the top-level "model" value (as ScanBody found it in
// info) with model: no decode and re-encode of a body that may be
// hundreds of kilobytes, and the provider sees the client's request as
// sent but for the name.
func ModelEdit(info BodyInfo, model string) Edit {
	q, _ := json.Marshal(model) // a string always marshals
	return Edit{Span{info.ModelStart, info.ModelEnd}, string(q)}
}

// WithModel returns body with ModelEdit applied.
func WithModel(body []byte, info BodyInfo, model string) []byte {
	return Apply(body, ModelEdit(info, model))
}

// Splice returns doc with doc[s.Start:s.End] replaced by repl, in a new
// slice (doc is left as it was).
func Splice(doc []byte, s Span, repl string) []byte {
	return Apply(doc, Edit{s, repl})
}

// ErrAmbiguousBody means the body names a member the gateway acts on in a
// way parsers disagree about: twice (some keep the first, most the last,
// some refuse), or under a spelling that differs only in case (Go's
// encoding/json matches it, Python's and JavaScript's do not).
var ErrAmbiguousBody = errors.New("request body is ambiguous")

// ErrBadField means a member the gateway acts on has the wrong type, such
// as a max_tokens that is not a whole number.
var ErrBadField = errors.New("request body has an invalid member")

// actedOn lists the top-level members ScanBody reads. Each may appear at
// most once, in exactly this spelling.
var actedOn = []string{
	"model", "stream", "stream_options",
	"max_tokens", "max_completion_tokens", "max_output_tokens",
	"n", "previous_response_id", "models", "fallbacks",
	"generationConfig", "generation_config",
	"tools", "max_tool_calls", "conversation",
}

// genConfigActedOn lists the members of Gemini's generationConfig that
// ScanBody reads; protobuf's JSON parser accepts both spellings.
var genConfigActedOn = []string{"maxOutputTokens", "max_output_tokens", "candidateCount", "candidate_count"}

// maxCount bounds the token limits and choice counts ScanBody accepts:
// far above any model's, far below overflow when multiplied by a price.
const maxCount = 1 << 40

// ScanBody reads, in one pass and without decoding nested values, the
// members of a JSON request body that the gateway acts on: which model,
// whether it streams, stream options, every output-limit field, how many
// choices, the previous response, Gemini's generationConfig and fallback
// model lists. Agent requests run to hundreds of kilobytes of messages and
// tools that the gateway forwards unchanged.
//
// The model the gateway authorizes and prices, and the limits it holds
// money for, must be the ones the provider will read. So the whole body is
// validated with encoding/json's grammar; keys are compared after
// unescaping ("mod\u0065l" is "model"), only at the top level (nested
// look-alikes are content); and any document parsers could read
// differently is refused rather than guessed at: a member acted on that
// appears twice, or under a case variant. Values of the wrong type are
// refused too (ErrBadField).
func ScanBody(body []byte) (BodyInfo, error) {
	info := BodyInfo{OutputLimit: -1, Choices: 1, MaxToolCalls: -1}
	var seen uint32
	var bad error
	fail := func(err error) {
		if bad == nil {
			bad = err
		}
	}
	open, err := walkObject(body, func(key []byte, keyEsc bool, valStart, valEnd int, valEsc bool) {
		info.session.note(key, keyEsc, Span{valStart, valEnd})
		i, j := keyIndex(key, keyEsc, actedOn)
		if i < 0 {
			if j >= 0 {
				if actedOn[j] == "model" {
					fail(fmt.Errorf("%w: key %s differs from \"model\" only in case", ErrAmbiguousModel, key))
				}
				fail(fmt.Errorf("%w: key %s differs from %q only in case", ErrAmbiguousBody, key, actedOn[j]))
			}
			return
		}
		if seen&(1<<i) != 0 {
			fail(fmt.Errorf("%w: %q appears more than once", ErrAmbiguousBody, actedOn[i]))
			return
		}
		seen |= 1 << i
		name := actedOn[i]
		val := body[valStart:valEnd]
		span := Span{valStart, valEnd}
		switch name {
		case "model":
			info.HasModel = true
			info.ModelStart, info.ModelEnd = valStart, valEnd
			info.ModelIsString = val[0] == '"'
			if info.ModelIsString {
				info.Model = unquote(val, valEsc)
			}
		case "stream":
			// Lax parsers (pydantic) read "true" or 1 as true: only
			// JSON's own booleans are unambiguous.
			switch string(val) {
			case "true":
				info.Stream = true
			case "false", "null":
			default:
				fail(fmt.Errorf("%w: %q must be true or false", ErrBadField, name))
			}
		case "stream_options":
			info.StreamOptions, info.HasStreamOptions = span, true
		case "max_tokens", "max_completion_tokens", "max_output_tokens":
			fail(info.addLimit(name, val, span))
		case "n":
			fail(info.setChoices(name, val))
		case "previous_response_id":
			if val[0] == '"' {
				info.PreviousResponseID = unquote(val, valEsc)
			} else if string(val) != "null" {
				fail(fmt.Errorf("%w: %q must be a string", ErrBadField, name))
			}
		case "tools":
			if val[0] == '[' {
				info.Tools, info.HasTools = span, true
			}
		case "max_tool_calls":
			if n, ok, err := count(name, val); err != nil {
				fail(err)
			} else if ok {
				info.MaxToolCalls = n
			}
		case "conversation":
			info.Conversation = string(val) != "null"
		case "models", "fallbacks":
			if string(val) != "null" && string(val) != "[]" && !isEmptyArray(val) {
				info.Fallbacks = name
			}
		case "generationConfig", "generation_config":
			if info.HasGenerationConfig {
				fail(fmt.Errorf("%w: both generationConfig and generation_config", ErrAmbiguousBody))
				return
			}
			info.GenerationConfig, info.HasGenerationConfig = span, true
			if val[0] == '{' {
				fail(info.scanGenerationConfig(body, span))
			} else if string(val) != "null" {
				fail(fmt.Errorf("%w: %q must be an object", ErrBadField, name))
			}
		}
	})
	if err != nil {
		return BodyInfo{}, err
	}
	if bad != nil {
		return BodyInfo{}, bad
	}
	info.Open = open
	return info, nil
}

// scanGenerationConfig reads Gemini's output limit and candidate count
// from the generationConfig object at span of body.
func (info *BodyInfo) scanGenerationConfig(body []byte, span Span) error {
	obj := body[span.Start:span.End]
	var seen uint32
	var bad error
	_, err := walkObject(obj, func(key []byte, keyEsc bool, valStart, valEnd int, _ bool) {
		i, j := keyIndex(key, keyEsc, genConfigActedOn)
		if i < 0 {
			if j >= 0 && bad == nil {
				bad = fmt.Errorf("%w: key %s differs from %q only in case", ErrAmbiguousBody, key, genConfigActedOn[j])
			}
			return
		}
		// Both spellings of one field are one field twice.
		field := i / 2
		if seen&(1<<field) != 0 {
			if bad == nil {
				bad = fmt.Errorf("%w: generationConfig sets %q more than once", ErrAmbiguousBody, genConfigActedOn[2*field])
			}
			return
		}
		seen |= 1 << field
		name := genConfigActedOn[i]
		val := obj[valStart:valEnd]
		var e error
		if field == 0 {
			e = info.addLimit(name, val, Span{span.Start + valStart, span.Start + valEnd})
		} else {
			e = info.setChoices(name, val)
		}
		if e != nil && bad == nil {
			bad = e
		}
	})
	if err != nil {
		return err
	}
	return bad
}

// addLimit records an output-limit member.
// A null one is kept among LimitSpans too: a limit inserted beside it
// would be a duplicate key, and last-wins parsers would read the null.
func (info *BodyInfo) addLimit(name string, val []byte, span Span) error {
	n, ok, err := count(name, val)
	if err != nil {
		return err
	}
	info.LimitSpans = append(info.LimitSpans, span)
	if ok {
		info.OutputLimit = max(info.OutputLimit, n)
	}
	return nil
}

// setChoices records a choice-count member.
func (info *BodyInfo) setChoices(name string, val []byte) error {
	n, ok, err := count(name, val)
	if err != nil || !ok {
		return err
	}
	info.Choices = max(n, 1)
	return nil
}

// count reads a JSON value that must be a whole number (any notation a
// JSON parser reads as one, such as 4096, 4096.0 or 4.096e3) or null.
func count(name string, val []byte) (n int64, ok bool, err error) {
	if string(val) == "null" {
		return 0, false, nil
	}
	if c := val[0]; c != '-' && (c < '0' || c > '9') {
		return 0, false, fmt.Errorf("%w: %q must be a whole number", ErrBadField, name)
	}
	f, perr := strconv.ParseFloat(string(val), 64)
	if perr != nil || f != math.Trunc(f) || f < 0 || f > maxCount {
		return 0, false, fmt.Errorf("%w: %q must be a whole number from 0 to %d", ErrBadField, name, int64(maxCount))
	}
	return int64(f), true, nil
}

// OutputLimitEdits set every output-limit member ScanBody found in body to
// limit or, when it has none, insert key: limit (for Gemini's
// "maxOutputTokens", inside generationConfig, which is created if
// missing). The rest of the body is unchanged byte for byte.
func OutputLimitEdits(body []byte, info BodyInfo, key string, limit int64) []Edit {
	v := strconv.FormatInt(limit, 10)
	if len(info.LimitSpans) > 0 {
		edits := make([]Edit, len(info.LimitSpans))
		for i, s := range info.LimitSpans {
			edits[i] = Edit{s, v}
		}
		return edits
	}
	if key == "maxOutputTokens" {
		g := info.GenerationConfig
		switch {
		case info.HasGenerationConfig && body[g.Start] == '{':
			m := `"maxOutputTokens":` + v
			if !isEmptyObject(body[g.Start:g.End]) {
				m += ","
			}
			return []Edit{{Span{g.Start + 1, g.Start + 1}, m}}
		case info.HasGenerationConfig: // null
			return []Edit{{g, `{"maxOutputTokens":` + v + `}`}}
		}
		return []Edit{InsertEdit(body, info, `"generationConfig":{"maxOutputTokens":`+v+`}`)}
	}
	return []Edit{InsertEdit(body, info, strconv.Quote(key)+":"+v)}
}

// WithOutputLimit returns body with OutputLimitEdits applied.
func WithOutputLimit(body []byte, info BodyInfo, key string, limit int64) []byte {
	return Apply(body, OutputLimitEdits(body, info, key, limit)...)
}

// InsertEdit inserts member as the body's first member. Several inserted
// this way stay valid JSON together, as long as the object has a member of
// its own.
func InsertEdit(body []byte, info BodyInfo, member string) Edit {
	if !isEmptyObject(body[info.Open-1:]) {
		member += ","
	}
	return Edit{Span{info.Open, info.Open}, member}
}

// isEmptyObject reports whether the object starting at obj[0] has no
// members.
func isEmptyObject(obj []byte) bool {
	for _, c := range obj[1:] {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c == '}'
	}
	return false
}

// isEmptyArray reports whether the array value val has no elements.
func isEmptyArray(val []byte) bool {
	if val[0] != '[' {
		return false
	}
	for _, c := range val[1:] {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c == ']'
	}
	return false
}

// keyIndex returns the index in names of the raw quoted key (unescaped
// first when it has escapes), or -1; fold reports the index of a name it
// matches only ignoring case. Plain keys, the usual case, are compared
// without allocating.
func keyIndex(raw []byte, escaped bool, names []string) (exact, fold int) {
	inner := raw[1 : len(raw)-1]
	if escaped || !utf8.Valid(inner) {
		inner = []byte(unquote(raw, true))
	}
	for i, n := range names {
		if string(inner) == n {
			return i, -1
		}
	}
	// Go's encoding/json folds Unicode too: "ſtream" (U+017F) and a
	// Kelvin sign K match, and are longer in bytes than their ASCII.
	for i, n := range names {
		if len(inner) >= len(n) && len(inner) <= 3*len(n) && strings.EqualFold(string(inner), n) {
			return -1, i
		}
	}
	return -1, -1
}

// Span is the byte range [Start, End) of a JSON value inside a document.
type Span struct{ Start, End int }

// Members finds the values of the wanted top-level members of the JSON
// object body (the last occurrence of a repeated one, as decoders keep),
// and open, the offset just after its opening brace, in the one pass and
// with the grammar of ScanBody: for rewriting a member in place without
// decoding the body. It fails when body is not one valid JSON object.
func Members(body []byte, wanted ...string) (members map[string]Span, open int, err error) {
	members = make(map[string]Span, len(wanted))
	open, err = walkObject(body, func(key []byte, keyEsc bool, valStart, valEnd int, _ bool) {
		for _, w := range wanted {
			if keyIs(key, keyEsc, w) {
				members[w] = Span{valStart, valEnd}
			}
		}
	})
	if err != nil {
		return nil, 0, err
	}
	return members, open, nil
}

// walkObject validates body as one JSON object and calls member for each
// top-level member: the raw key (with its quotes), whether it has
// escapes, and its value's span and escapes. Nested values are skipped,
// not decoded. It returns the offset just after the opening brace.
func walkObject(body []byte, member func(key []byte, keyEsc bool, valStart, valEnd int, valEsc bool)) (open int, err error) {
	s := scanner{data: body}
	s.skipSpace()
	if s.pos >= len(body) || body[s.pos] != '{' {
		return 0, s.errorf("expected '{'")
	}
	open = s.pos + 1
	if err := s.walkMembers(1, member); err != nil {
		return 0, err
	}
	s.skipSpace()
	if s.pos != len(body) {
		return 0, s.errorf("data after top-level object")
	}
	return open, nil
}

// walkMembers advances over an object whose '{' is at s.pos, as
// skipObject does at depth, calling member for each of its members with
// the spans of s.data that walkObject gives: one pass over a value whose
// members are wanted, where skipping it and then walking it would read it
// twice.
func (s *scanner) walkMembers(depth int, member func(key []byte, keyEsc bool, valStart, valEnd int, valEsc bool)) error {
	if depth > maxDepth {
		return s.errorf("nesting too deep")
	}
	s.pos++ // '{'
	s.skipSpace()
	if s.consume('}') {
		return nil
	}
	for {
		s.skipSpace()
		keyStart := s.pos
		keyEsc, err := s.skipString()
		if err != nil {
			return err
		}
		key := s.data[keyStart:s.pos]
		s.skipSpace()
		if !s.consume(':') {
			return s.errorf("expected ':' after object key")
		}
		s.skipSpace()
		valStart := s.pos
		valEsc, err := s.skipValue(depth)
		if err != nil {
			return err
		}
		member(key, keyEsc, valStart, s.pos, valEsc)
		s.skipSpace()
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			return nil
		}
		return s.errorf("expected ',' or '}' in object")
	}
}

// ModelFromBody returns the top-level "model" string of a JSON request body
// (see ScanBody for the guarantees). It fails with ErrNoModel when the
// member is missing or empty, ErrModelNotString when it is not a string,
// and ErrInvalidJSON when the body is not one valid JSON object.
func ModelFromBody(body []byte) (string, error) {
	info, err := ScanBody(body)
	switch {
	case err != nil:
		return "", err
	case info.HasModel && !info.ModelIsString:
		return "", ErrModelNotString
	case info.Model == "":
		return "", ErrNoModel
	}
	return info.Model, nil
}

// StreamFromBody reports whether a JSON request body asks for a streamed
// answer with a top-level "stream": true. Invalid bodies report false; the
// provider will reject them anyway.
func StreamFromBody(body []byte) bool {
	info, err := ScanBody(body)
	return err == nil && info.Stream
}

// keyIs compares a raw quoted key to name. Keys without escapes compare as
// bytes; escaped keys ("mod\u0065l") are decoded first, because a provider
// decodes them too.
func keyIs(raw []byte, escaped bool, name string) bool {
	if !escaped {
		return len(raw) == len(name)+2 && string(raw[1:len(raw)-1]) == name
	}
	return unquote(raw, true) == name
}

// unquote decodes a raw JSON string that the scanner already validated.
// The common case (no escapes, valid UTF-8) costs one string allocation.
// Escapes are decoded by jsontext.AppendUnquote into one buffer:
// json.Unmarshal's scratch copies cost a long prompt's first user message
// 4 bytes allocated per byte. A string it reports an error for (invalid
// UTF-8, a lone surrogate: both become U+FFFD) goes through encoding/json
// itself, the reference, rather than relying on what an experimental
// module does after an error. FuzzUnquote and FuzzSessionHints check both
// against encoding/json.
func unquote(raw []byte, escaped bool) string {
	inner := raw[1 : len(raw)-1]
	if !escaped && utf8.Valid(inner) {
		return string(inner)
	}
	b, err := jsontext.AppendUnquote(make([]byte, 0, len(raw)), raw) // its own Grow wants len(raw)
	if err == nil {
		return string(b)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "" // unreachable: the scanner validated the string
	}
	return s
}

// scanner walks a byte slice holding JSON. It validates as it skips and
// never allocates.
type scanner struct {
	data []byte
	pos  int
}

// errorf reports a syntax error at the current offset.
func (s *scanner) errorf(msg string) error {
	return fmt.Errorf("%w: %s at offset %d", ErrInvalidJSON, msg, s.pos)
}

// skipSpace advances over JSON whitespace.
func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// consume advances over c if it is the next byte.
func (s *scanner) consume(c byte) bool {
	if s.pos < len(s.data) && s.data[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

// skipValue advances over one JSON value. depth counts enclosing
// containers. escaped reports whether a string value contained escapes.
func (s *scanner) skipValue(depth int) (escaped bool, err error) {
	if s.pos >= len(s.data) {
		return false, s.errorf("unexpected end of input")
	}
	switch c := s.data[s.pos]; {
	case c == '"':
		return s.skipString()
	case c == '{':
		return false, s.skipObject(depth + 1)
	case c == '[':
		return false, s.skipArray(depth + 1)
	case c == '-' || ('0' <= c && c <= '9'):
		return false, s.skipNumber()
	case c == 't':
		return false, s.skipLiteral("true")
	case c == 'f':
		return false, s.skipLiteral("false")
	case c == 'n':
		return false, s.skipLiteral("null")
	}
	return false, s.errorf("invalid character starting a value")
}

// skipObject advances over an object whose '{' is at s.pos. It repeats
// walkMembers without the member spans and callback: written as
// walkMembers(depth, nil) it made BenchmarkScanBody/agent-200KiB (an
// agent's request, mostly nested objects) 2% slower, 297 → 303 µs.
func (s *scanner) skipObject(depth int) error {
	if depth > maxDepth {
		return s.errorf("nesting too deep")
	}
	s.pos++ // '{'
	s.skipSpace()
	if s.consume('}') {
		return nil
	}
	for {
		s.skipSpace()
		if _, err := s.skipString(); err != nil {
			return err
		}
		s.skipSpace()
		if !s.consume(':') {
			return s.errorf("expected ':' after object key")
		}
		s.skipSpace()
		if _, err := s.skipValue(depth); err != nil {
			return err
		}
		s.skipSpace()
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			return nil
		}
		return s.errorf("expected ',' or '}' in object")
	}
}

// skipArray advances over an array whose '[' is at s.pos.
func (s *scanner) skipArray(depth int) error {
	if depth > maxDepth {
		return s.errorf("nesting too deep")
	}
	s.pos++ // '['
	s.skipSpace()
	if s.consume(']') {
		return nil
	}
	for {
		s.skipSpace()
		if _, err := s.skipValue(depth); err != nil {
			return err
		}
		s.skipSpace()
		if s.consume(',') {
			continue
		}
		if s.consume(']') {
			return nil
		}
		return s.errorf("expected ',' or ']' in array")
	}
}

// skipString advances over a string whose opening quote must be at s.pos.
// Control characters must be escaped; bytes >= 0x80 pass unchecked, as in
// encoding/json, which accepts invalid UTF-8 and decodes it to U+FFFD.
func (s *scanner) skipString() (escaped bool, err error) {
	if !s.consume('"') {
		return false, s.errorf("expected string")
	}
	for {
		// Fast path: run to the next byte that needs a closer look,
		// eight bytes at a time while none of them does.
		s.pos = bytescan.PlainRun(s.data, s.pos)
		for s.pos < len(s.data) && !stringSpecial[s.data[s.pos]] {
			s.pos++
		}
		if s.pos >= len(s.data) {
			return false, s.errorf("unterminated string")
		}
		switch s.data[s.pos] {
		case '"':
			s.pos++
			return escaped, nil
		case '\\':
		default:
			return false, s.errorf("control character in string")
		}
		escaped = true
		s.pos++ // backslash
		if s.pos >= len(s.data) {
			return false, s.errorf("unterminated string")
		}
		switch s.data[s.pos] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			s.pos++
		case 'u':
			s.pos++
			if len(s.data)-s.pos < 4 {
				return false, s.errorf("short unicode escape")
			}
			for _, h := range s.data[s.pos : s.pos+4] {
				if !isHex(h) {
					return false, s.errorf("invalid unicode escape")
				}
			}
			s.pos += 4
		default:
			return false, s.errorf("invalid escape")
		}
	}
}

// skipNumber advances over a number in JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) skipNumber() error {
	s.consume('-')
	switch {
	case s.consume('0'):
	case s.pos < len(s.data) && '1' <= s.data[s.pos] && s.data[s.pos] <= '9':
		s.skipDigits()
	default:
		return s.errorf("invalid number")
	}
	if s.consume('.') {
		if s.skipDigits() == 0 {
			return s.errorf("invalid number fraction")
		}
	}
	if s.consume('e') || s.consume('E') {
		if !s.consume('+') {
			s.consume('-')
		}
		if s.skipDigits() == 0 {
			return s.errorf("invalid number exponent")
		}
	}
	return nil
}

// skipDigits advances over decimal digits and returns how many.
func (s *scanner) skipDigits() int {
	start := s.pos
	for s.pos < len(s.data) && '0' <= s.data[s.pos] && s.data[s.pos] <= '9' {
		s.pos++
	}
	return s.pos - start
}

// skipLiteral advances over lit (true, false, null).
func (s *scanner) skipLiteral(lit string) error {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return s.errorf("invalid literal")
	}
	s.pos += len(lit)
	return nil
}

// stringSpecial marks the bytes that end the fast path inside a string:
// the closing quote, a backslash, and control characters.
var stringSpecial = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// isHex reports whether c is a hexadecimal digit.
func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
