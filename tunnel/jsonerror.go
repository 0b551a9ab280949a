package tunnel

import (
	"encoding/json"
	"net/http"
)

// WriteJSONError answers with status and {"error":{"message":msg,"type":typ}}.
// The shape is OpenAI's error envelope, which every LLM SDK can at least
// print, so a person sees why a request through the tunnel failed.
func WriteJSONError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"error": map[string]string{"message": msg, "type": typ},
	})
}
