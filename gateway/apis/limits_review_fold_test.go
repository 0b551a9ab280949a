package apis

import (
	"encoding/json"
	"testing"
)

// encoding/json (and so every Go upstream: Ollama, and any Go proxy in
// front of a provider) matches struct fields with Unicode simple case
// folding: "ſ" (U+017F) folds to "s", "K" (U+212A, Kelvin) to "k". ScanBody
// must refuse these variants as it does ASCII ones; it once compared only
// keys of the same byte length and let them pass.
func TestReviewUnicodeFoldVariantsNotRefused(t *testing.T) {
	var req struct {
		Model     string `json:"model"`
		Stream    bool   `json:"stream"`
		MaxTokens int64  `json:"max_tokens"`
	}
	for _, body := range []string{
		`{"model":"m","max_tokens":10,"max_to\u212aens":999999}`,
		`{"model":"m","max_tokens":10,"max_tokenſ":999999}`,
		`{"model":"m","ſtream":true}`,
	} {
		req.MaxTokens, req.Stream = 0, false
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			t.Fatal(err)
		}
		info, err := ScanBody([]byte(body))
		if err == nil && (info.OutputLimit != req.MaxTokens || info.Stream != req.Stream) {
			t.Errorf("%s: gateway reads limit %d stream %v; encoding/json reads %d %v, and ScanBody did not refuse it",
				body, info.OutputLimit, info.Stream, req.MaxTokens, req.Stream)
		}
	}
}
