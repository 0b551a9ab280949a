package fakellm

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"google.golang.org/genai"
)

// geminiClient is the official SDK pointed at the fake (Gemini API backend).
func geminiClient(t *testing.T, url, key string) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:      key,
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: url + "/"},
	})
	if err != nil {
		t.Fatalf("genai.NewClient: %v", err)
	}
	return c
}

func TestSDKGemini(t *testing.T) {
	s, url := startServer(t)
	client := geminiClient(t, url, "AIza-test")
	ctx := context.Background()
	type want struct{ prompt, cached, candidates, thoughts, total int32 }
	usageOf := func(u *genai.GenerateContentResponseUsageMetadata) want {
		if u == nil {
			return want{}
		}
		return want{u.PromptTokenCount, u.CachedContentTokenCount, u.CandidatesTokenCount, u.ThoughtsTokenCount, u.TotalTokenCount}
	}
	tests := []struct {
		name  string
		usage Usage
		want  want
	}{
		{"plain", Usage{InputTokens: 100, OutputTokens: 20}, want{100, 0, 20, 0, 120}},
		{"rich", richUsage, want{480, 400, 45, 25, 550}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.SetUsage(tt.usage)
			contents := genai.Text("respond with: hello")

			resp, err := client.Models.GenerateContent(ctx, "gemini-2.5-flash", contents, nil)
			if err != nil {
				t.Fatalf("GenerateContent: %v", err)
			}
			if resp.Text() != "hello" || resp.ModelVersion != "gemini-2.5-flash" {
				t.Errorf("text/model = %q/%q", resp.Text(), resp.ModelVersion)
			}
			if fr := resp.Candidates[0].FinishReason; fr != genai.FinishReasonStop {
				t.Errorf("finishReason = %q", fr)
			}
			if got := usageOf(resp.UsageMetadata); got != tt.want {
				t.Errorf("usage = %+v, want %+v", got, tt.want)
			}

			var text string
			var last *genai.GenerateContentResponse
			chunks := 0
			for chunk, err := range client.Models.GenerateContentStream(ctx, "gemini-2.5-flash", contents, nil) {
				if err != nil {
					t.Fatalf("stream: %v", err)
				}
				chunks++
				text += chunk.Text()
				last = chunk
			}
			if text != "hello" || chunks != DefaultChunks {
				t.Errorf("streamed %q in %d chunks, want hello in %d", text, chunks, DefaultChunks)
			}
			if got := usageOf(last.UsageMetadata); got != tt.want {
				t.Errorf("streamed usage = %+v, want %+v", got, tt.want)
			}
		})
	}

	rec, _ := s.LastRequest()
	if rec.Path != "/v1beta/models/gemini-2.5-flash:streamGenerateContent" || rec.RawQuery != "alt=sse" ||
		rec.Header.Get("x-goog-api-key") != "AIza-test" || rec.Model != "gemini-2.5-flash" || !rec.Stream {
		t.Errorf("recorded request = %s ?%s key %q model %q stream %v", rec.Path, rec.RawQuery, rec.Header.Get("x-goog-api-key"), rec.Model, rec.Stream)
	}
}

func TestSDKGeminiErrors(t *testing.T) {
	s, url := startServer(t)
	ctx := context.Background()
	contents := genai.Text("hi")

	t.Run("status", func(t *testing.T) {
		s.FailNext(1, Failure{Status: http.StatusTooManyRequests, Message: "quota exceeded"})
		_, err := geminiClient(t, url, "k").Models.GenerateContent(ctx, "gemini-2.5-flash", contents, nil)
		var apiErr genai.APIError
		if !errors.As(err, &apiErr) || apiErr.Code != 429 || apiErr.Message != "quota exceeded" || apiErr.Status != "RESOURCE_EXHAUSTED" {
			t.Errorf("err = %#v, want 429 RESOURCE_EXHAUSTED quota exceeded", err)
		}
	})

	t.Run("in-band stream error", func(t *testing.T) {
		s.FailNext(1, Failure{Status: http.StatusServiceUnavailable, Message: "overloaded", AfterEvents: 1})
		var got []error
		chunks := 0
		for _, err := range geminiClient(t, url, "k").Models.GenerateContentStream(ctx, "gemini-2.5-flash", contents, nil) {
			if err != nil {
				got = append(got, err)
				continue
			}
			chunks++
		}
		var apiErr genai.APIError
		if chunks != 1 || len(got) != 1 || !errors.As(got[0], &apiErr) || apiErr.Code != 503 || apiErr.Status != "UNAVAILABLE" {
			t.Errorf("%d chunks, errors %v; want 1 chunk then a 503 UNAVAILABLE", chunks, got)
		}
	})

	t.Run("required key", func(t *testing.T) {
		s.SetRequiredKey("AIza-right")
		defer s.SetRequiredKey("")
		_, err := geminiClient(t, url, "AIza-wrong").Models.GenerateContent(ctx, "gemini-2.5-flash", contents, nil)
		var apiErr genai.APIError
		if !errors.As(err, &apiErr) || apiErr.Code != 401 || apiErr.Status != "UNAUTHENTICATED" {
			t.Errorf("wrong key: err = %v, want 401 UNAUTHENTICATED", err)
		}
		if _, err := geminiClient(t, url, "AIza-right").Models.GenerateContent(ctx, "gemini-2.5-flash", contents, nil); err != nil {
			t.Errorf("right key: %v", err)
		}
	})
}
