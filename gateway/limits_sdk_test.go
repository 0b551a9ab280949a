package gateway

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"google.golang.org/genai"

	"github.com/tsplug/ts-plug/internal/fakellm"
)

// sdkStreams stream one answer from the gateway at base through each
// official SDK, returning the text it gave and the error it ended with
// (for Responses, an "error" event the SDK hands over as an event).
var sdkStreams = []struct {
	name   string
	stream func(ctx context.Context, base string) (text string, err error)
}{
	{"openai chat", func(ctx context.Context, base string) (string, error) {
		s := openAIAt(base).Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
			Model: "local-llm", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
		var text string
		for s.Next() {
			if ch := s.Current(); len(ch.Choices) > 0 {
				text += ch.Choices[0].Delta.Content
			}
		}
		return text, s.Err()
	}},
	{"openai responses", func(ctx context.Context, base string) (string, error) {
		s := openAIAt(base).Responses.NewStreaming(ctx, responses.ResponseNewParams{Model: "local-llm",
			Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")}})
		var text string
		var event error
		for s.Next() {
			ev := s.Current()
			text += ev.Delta
			if ev.Type == "error" {
				event = errors.New(ev.Message)
			}
		}
		if err := s.Err(); err != nil {
			return text, err
		}
		return text, event
	}},
	{"anthropic", func(ctx context.Context, base string) (string, error) {
		c := anthropic.NewClient(aoption.WithBaseURL(base+"/"), aoption.WithAPIKey("placeholder"), aoption.WithMaxRetries(0))
		s := c.Messages.NewStreaming(ctx, anthropic.MessageNewParams{Model: "claude-sonnet-4-5", MaxTokens: 64000,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}})
		var text string
		for s.Next() {
			if d, ok := s.Current().AsAny().(anthropic.ContentBlockDeltaEvent); ok {
				text += d.Delta.Text
			}
		}
		return text, s.Err()
	}},
	{"gemini", func(ctx context.Context, base string) (string, error) {
		c, err := genai.NewClient(ctx, &genai.ClientConfig{APIKey: "placeholder", Backend: genai.BackendGeminiAPI,
			HTTPOptions: genai.HTTPOptions{BaseURL: base + "/"}})
		if err != nil {
			return "", err
		}
		var text string
		for ch, err := range c.Models.GenerateContentStream(ctx, "gemma-local", genai.Text("hi"), nil) {
			if err != nil {
				return text, err
			}
			text += ch.Text()
		}
		return text, nil
	}},
}

func openAIAt(base string) *openai.Client {
	c := openai.NewClient(option.WithBaseURL(base+"/v1/"), option.WithAPIKey("placeholder"), option.WithMaxRetries(0))
	return &c
}

// The official SDKs raise a stream the gateway ends for quota as an error,
// not as a finished answer. (Anthropic's max_tokens is required, so the
// gateway lowers it to what the bucket can pay, and the provider stops
// there: limits_test.go checks that.)
func TestSDKsRaiseAStreamEndedForQuota(t *testing.T) {
	for _, sdk := range sdkStreams {
		if sdk.name == "anthropic" {
			continue
		}
		t.Run(sdk.name, func(t *testing.T) {
			f := newLimitsFixture(t, "$0.30", fakellm.WithBodySize(800_000),
				fakellm.WithUsage(fakellm.Usage{InputTokens: 10, OutputTokens: 200_000}))
			text, err := sdk.stream(context.Background(), f.base)
			if err == nil || !strings.Contains(err.Error(), "quota") {
				t.Errorf("stream ended with err %v after %d bytes of text; want the quota error", err, len(text))
			}
		})
	}
}

// The official SDKs raise a stream the provider broke off between two
// events as an error naming the provider, not as a finished answer.
func TestSDKsRaiseAStreamTheProviderBrokeOff(t *testing.T) {
	for _, sdk := range sdkStreams {
		t.Run(sdk.name, func(t *testing.T) {
			f := newLimitsFixture(t, "$100.00", fakellm.WithBodySize(6*16<<10),
				fakellm.WithUsage(fakellm.Usage{InputTokens: 10, OutputTokens: 24_576}))
			f.fake.FailNext(1, fakellm.Failure{Cut: true, AfterEvents: 3})
			text, err := sdk.stream(context.Background(), f.base)
			if err == nil || !strings.Contains(err.Error(), "broke off its answer") {
				t.Errorf("stream ended with err %v after %d bytes of text; want the provider's break", err, len(text))
			}
		})
	}
}
