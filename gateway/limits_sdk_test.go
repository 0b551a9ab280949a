package gateway

import (
	"context"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"google.golang.org/genai"

	"github.com/tsplug/ts-plug/internal/fakellm"
)

// The official SDKs raise a stream the gateway ends for quota as an error,
// not as a finished answer.
func TestSDKsRaiseAStreamEndedForQuota(t *testing.T) {
	ctx := context.Background()
	newFixture := func(t *testing.T) *limitsFixture {
		return newLimitsFixture(t, "$0.30", fakellm.WithBodySize(800_000),
			fakellm.WithUsage(fakellm.Usage{InputTokens: 10, OutputTokens: 200_000}))
	}
	oai := func(base string) openai.Client {
		return openai.NewClient(option.WithBaseURL(base+"/v1/"), option.WithAPIKey("placeholder"), option.WithMaxRetries(0))
	}
	wantQuotaErr := func(t *testing.T, err error, text string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), "quota") {
			t.Errorf("stream ended with err %v after %d bytes of text; want the quota error", err, len(text))
		}
	}
	t.Run("openai chat", func(t *testing.T) {
		f := newFixture(t)
		c := oai(f.base)
		s := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
			Model: "local-llm", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
		var text string
		for s.Next() {
			if ch := s.Current(); len(ch.Choices) > 0 {
				text += ch.Choices[0].Delta.Content
			}
		}
		wantQuotaErr(t, s.Err(), text)
	})
	t.Run("openai responses", func(t *testing.T) {
		f := newFixture(t)
		c := oai(f.base)
		s := c.Responses.NewStreaming(ctx, responses.ResponseNewParams{Model: "local-llm",
			Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")}})
		var text string
		var sawError bool
		for s.Next() {
			ev := s.Current()
			text += ev.Delta
			if ev.Type == "error" && strings.Contains(ev.Message, "quota") {
				sawError = true
			}
		}
		if err := s.Err(); !sawError {
			wantQuotaErr(t, err, text)
		}
	})
	t.Run("gemini", func(t *testing.T) {
		f := newFixture(t)
		c, err := genai.NewClient(ctx, &genai.ClientConfig{APIKey: "placeholder", Backend: genai.BackendGeminiAPI,
			HTTPOptions: genai.HTTPOptions{BaseURL: f.base + "/"}})
		if err != nil {
			t.Fatal(err)
		}
		var text string
		var last error
		for ch, err := range c.Models.GenerateContentStream(ctx, "gemma-local", genai.Text("hi"), nil) {
			if err != nil {
				last = err
				break
			}
			text += ch.Text()
		}
		wantQuotaErr(t, last, text)
	})
}
