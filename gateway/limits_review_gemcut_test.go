package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// A Gemini JSON-array stream without maxOutputTokens whose first element is
// large (one long candidate chunk): the stream must stay JSON. A review
// found the budget running out before any element had ended and the client
// getting only StreamError's ",\r\n{...}]", with no opening '['; a stream
// is now never cut before its first element (usage.Extractor.checkBudget).
func TestReviewGeminiArrayCutBeforeFirstElement(t *testing.T) {
	text := strings.Repeat("lorem ipsum dolor sit amet ", 2000) // 54 KB
	f := newReviewFixture(t, "$0.0411", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `[{"candidates":[{"content":{"role":"model","parts":[{"text":%q}]}}]}`, text)
		fmt.Fprint(w, `,{"candidates":[{"content":{"role":"model","parts":[{"text":"."}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":14000,"totalTokenCount":14005}}]`)
	})
	res, body := do(t, "POST", f.base+"/v1beta/models/gemini-2.5-pro:streamGenerateContent", `{"contents":[{"parts":[{"text":"hi"}]}]}`)
	f.spent(t)
	t.Logf("status %d, body starts %q", res.StatusCode, body[:min(len(body), 120)])
	var v []json.RawMessage
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Errorf("the cut Gemini array stream is not valid JSON (%v): %q", err, body[:min(len(body), 200)])
	}
}
