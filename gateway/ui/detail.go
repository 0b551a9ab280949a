package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/ledger"
)

// maxShownBody bounds how much of a captured body the page shows; the
// capture itself may be larger (up to the gateway's capture limit).
const maxShownBody = 256 << 10

// detailBody is a request's detail page.
type detailBody struct {
	Row         ledger.Row
	Principal   string
	SessionURL  string
	Capture     *captureView // nil when nothing is stored
	CaptureNote string       // why there is no capture
	Tools       []toolCall
}

// captureView is a capture made readable: headers sorted and (again)
// redacted, bodies pretty-printed when they are JSON.
type captureView struct {
	RequestHeaders, ResponseHeaders []headerLine
	RequestBody, ResponseBody       string
	Truncated                       bool // the gateway kept only the start of a body
	Clipped                         bool // this page shows only the start of a body
}

// headerLine is one header value.
type headerLine struct{ Name, Value string }

// detail shows one request: identity, model, tokens, cost, timing and,
// when captured, headers, bodies and tool calls. A user asking for
// someone else's request gets "not found", as if it did not exist.
func (h *Handler) detail(w http.ResponseWriter, r *http.Request, v Viewer) error {
	id := r.PathValue("id")
	subject, err := scope(v, "")
	if err != nil {
		return err
	}
	st, err := h.store()
	if err != nil {
		return err
	}
	at, width, ok := requestTime(id, r.URL.Query().Get("t"))
	if !ok {
		return errNoRequest
	}
	rows, err := st.Requests(r.Context(), ledger.Query{Principal: subject, From: at, To: at.Add(width), Limit: ledger.MaxLimit})
	if err != nil {
		return internal("reading the request", err)
	}
	var row *ledger.Row
	for i := range rows {
		if rows[i].ID == id {
			row = &rows[i]
		}
	}
	if row == nil {
		return errNoRequest
	}
	b := detailBody{Row: *row, Principal: rowPrincipal(*row)}
	if row.SessionID != "" {
		sq := url.Values{"session": {row.SessionID}}
		if v.Admin {
			sq.Set("user", b.Principal)
		}
		b.SessionURL = Prefix + "logs?" + sq.Encode()
	}
	c, err := st.Capture(r.Context(), id)
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		b.CaptureNote = "No headers or bodies are stored for this request: captures are purged after the retention period set under database.retention, or were never kept."
	case err != nil:
		return internal("reading the capture", err)
	default:
		b.Capture = viewCapture(c)
		b.Tools = toolCalls(c.ResponseBody)
	}
	return h.render(w, http.StatusOK, "detail", pageData{Title: "Request " + id, Nav: "logs", Viewer: v, Body: b})
}

var errNoRequest = &httpError{http.StatusNotFound, "There is no such request in your logs. The Logs page lists the requests you can see."}

// requestTime finds when request id was made: from the page's ?t= (exact
// nanoseconds), else from the id, whose first 12 hex digits are the unix
// milliseconds the gateway stamped it with. width is the span to search.
func requestTime(id, t string) (at time.Time, width time.Duration, ok bool) {
	if t != "" {
		if at, err := time.Parse(time.RFC3339Nano, t); err == nil {
			return at, time.Nanosecond, true
		}
	}
	if len(id) >= 12 {
		if ms, err := strconv.ParseInt(id[:12], 16, 64); err == nil {
			return time.UnixMilli(ms), time.Millisecond, true
		}
	}
	return time.Time{}, 0, false
}

// viewCapture prepares c for display.
func viewCapture(c *ledger.Capture) *captureView {
	cv := &captureView{Truncated: c.Truncated,
		RequestHeaders: headerLines(c.RequestHeaders), ResponseHeaders: headerLines(c.ResponseHeaders)}
	var clipped bool
	cv.RequestBody, clipped = showBody(c.RequestBody)
	cv.Clipped = clipped
	cv.ResponseBody, clipped = showBody(c.ResponseBody)
	cv.Clipped = cv.Clipped || clipped
	return cv
}

// headerLines sorts headers for display, redacting secrets once more in
// case a capture was stored by a version that missed one.
func headerLines(h http.Header) []headerLine {
	h = apis.RedactHeaders(h)
	var out []headerLine
	for k, vs := range h {
		for _, v := range vs {
			out = append(out, headerLine{k, v})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// showBody renders a body as text: indented when it is one JSON document,
// as is otherwise (SSE streams), cut to maxShownBody.
func showBody(b []byte) (string, bool) {
	if len(b) == 0 {
		return "", false
	}
	if json.Valid(b) {
		var buf bytes.Buffer
		if json.Indent(&buf, b, "", "  ") == nil {
			b = buf.Bytes()
		}
	}
	clipped := false
	if len(b) > maxShownBody {
		// A rune cut in half becomes U+FFFD below.
		b, clipped = b[:maxShownBody], true
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), clipped
}
