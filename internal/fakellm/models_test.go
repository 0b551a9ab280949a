package fakellm

import (
	"net/http"
	"testing"
)

func TestListModels(t *testing.T) {
	_, url := startServer(t, WithModels("a", "b"))
	tests := []struct {
		name, version, want string
	}{
		{"openai", "", `{"object":"list","data":[{"id":"a","object":"model","created":1735689600,"owned_by":"fakellm"},{"id":"b","object":"model","created":1735689600,"owned_by":"fakellm"}]}`},
		{"anthropic", "2023-06-01", `{"data":[{"type":"model","id":"a","display_name":"a","created_at":"2025-01-01T00:00:00Z"},{"type":"model","id":"b","display_name":"b","created_at":"2025-01-01T00:00:00Z"}],"has_more":false,"first_id":"a","last_id":"b"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, url+"/v1/models", nil)
			if tt.version != "" {
				req.Header.Set("anthropic-version", tt.version)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if got := textOrFail(t, resp); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
