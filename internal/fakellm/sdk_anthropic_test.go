package fakellm

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
)

// anthropicClient is the official SDK pointed at the fake.
func anthropicClient(url, key string) *anthropic.Client {
	c := anthropic.NewClient(
		option.WithBaseURL(url+"/"),
		option.WithAPIKey(key),
		option.WithMaxRetries(0),
	)
	return &c
}

func TestSDKAnthropicMessages(t *testing.T) {
	s, url := startServer(t)
	client := anthropicClient(url, "sk-ant-test")
	ctx := context.Background()
	type want struct{ input, cacheRead, cacheCreate, eph5m, eph1h, output, thinking int64 }
	usageOf := func(u anthropic.Usage) want {
		return want{u.InputTokens, u.CacheReadInputTokens, u.CacheCreationInputTokens,
			u.CacheCreation.Ephemeral5mInputTokens, u.CacheCreation.Ephemeral1hInputTokens,
			u.OutputTokens, u.OutputTokensDetails.ThinkingTokens}
	}
	tests := []struct {
		name  string
		usage Usage
		want  want
		count int64
	}{
		{"plain", Usage{InputTokens: 100, OutputTokens: 20}, want{100, 0, 0, 0, 0, 20, 0}, 100},
		{"rich", richUsage, want{50, 400, 30, 20, 10, 70, 25}, 480},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.SetUsage(tt.usage)
			params := anthropic.MessageNewParams{
				Model:     "claude-haiku-4-5-20251001",
				MaxTokens: 25,
				Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("respond with: hello"))},
			}

			msg, err := client.Messages.New(ctx, params)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if len(msg.Content) != 1 || msg.Content[0].Text != "hello" {
				t.Errorf("content = %+v, want one text block hello", msg.Content)
			}
			if msg.Model != "claude-haiku-4-5-20251001" || msg.StopReason != anthropic.StopReasonEndTurn {
				t.Errorf("model/stop = %q/%q", msg.Model, msg.StopReason)
			}
			if got := usageOf(msg.Usage); got != tt.want {
				t.Errorf("usage = %+v, want %+v", got, tt.want)
			}

			stream := client.Messages.NewStreaming(ctx, params)
			var acc anthropic.Message
			var types []string
			for stream.Next() {
				ev := stream.Current()
				types = append(types, ev.Type)
				if err := acc.Accumulate(ev); err != nil {
					t.Fatalf("Accumulate: %v", err)
				}
				if ev.Type == "message_start" && ev.Message.Usage.OutputTokens != 1 {
					t.Errorf("message_start output_tokens = %d, want 1", ev.Message.Usage.OutputTokens)
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("stream: %v", err)
			}
			// The SDK hides ping events.
			wantTypes := []string{"message_start", "content_block_start"}
			for range DefaultChunks {
				wantTypes = append(wantTypes, "content_block_delta")
			}
			wantTypes = append(wantTypes, "content_block_stop", "message_delta", "message_stop")
			if !equalStrings(types, wantTypes) {
				t.Errorf("event types = %v\nwant %v", types, wantTypes)
			}
			if len(acc.Content) != 1 || acc.Content[0].Text != "hello" {
				t.Errorf("streamed content = %+v", acc.Content)
			}
			if got := usageOf(acc.Usage); got != tt.want {
				t.Errorf("streamed usage = %+v, want %+v", got, tt.want)
			}

			count, err := client.Messages.CountTokens(ctx, anthropic.MessageCountTokensParams{
				Model:    "claude-haiku-4-5-20251001",
				Messages: params.Messages,
			})
			if err != nil || count.InputTokens != tt.count {
				t.Errorf("CountTokens = %+v, %v; want %d", count, err, tt.count)
			}
		})
	}
}

func TestSDKAnthropicErrors(t *testing.T) {
	s, url := startServer(t)
	ctx := context.Background()
	params := anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 25,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))},
	}

	t.Run("overloaded", func(t *testing.T) {
		s.FailNext(1, Failure{Status: 529, Message: "Overloaded"})
		_, err := anthropicClient(url, "k").Messages.New(ctx, params)
		var apiErr *anthropic.Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("err = %v, want *anthropic.Error", err)
		}
		if apiErr.StatusCode != 529 || apiErr.Message != "Overloaded" || apiErr.Type() != "overloaded_error" || apiErr.RequestID == "" {
			t.Errorf("error = %d %q %q id %q", apiErr.StatusCode, apiErr.Message, apiErr.Type(), apiErr.RequestID)
		}
	})

	t.Run("in-band stream error", func(t *testing.T) {
		s.FailNext(1, Failure{Status: 529, Message: "Overloaded", AfterEvents: 3})
		stream := anthropicClient(url, "k").Messages.NewStreaming(ctx, params)
		var types []string
		for stream.Next() {
			types = append(types, stream.Current().Type)
		}
		err := stream.Err()
		// Three events went out: message_start, content_block_start and
		// the ping the SDK skips.
		if err == nil || !strings.Contains(err.Error(), "overloaded_error") || len(types) != 2 {
			t.Errorf("events %v then err %v; want 2 events then overloaded_error", types, err)
		}
	})

	t.Run("required key", func(t *testing.T) {
		s.SetRequiredKey("sk-ant-right")
		defer s.SetRequiredKey("")
		_, err := anthropicClient(url, "sk-ant-wrong").Messages.New(ctx, params)
		var apiErr *anthropic.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized || apiErr.Type() != "authentication_error" {
			t.Errorf("wrong key: err = %v, want 401 authentication_error", err)
		}
		// This SDK sends its API key as a bearer token.
		if _, err := anthropicClient(url, "sk-ant-right").Messages.New(ctx, params); err != nil {
			t.Errorf("right key as bearer: %v", err)
		}
		last, _ := s.LastRequest()
		if got := last.Header.Get("Authorization"); got != "Bearer sk-ant-right" {
			t.Errorf("recorded Authorization = %q", got)
		}
		// The classic x-api-key header works too.
		c := anthropic.NewClient(option.WithBaseURL(url+"/"), option.WithHeader("x-api-key", "sk-ant-right"), option.WithMaxRetries(0))
		if _, err := c.Messages.New(ctx, params); err != nil {
			t.Errorf("right key as x-api-key: %v", err)
		}
		last, _ = s.LastRequest()
		if got := last.Header.Get("x-api-key"); got != "sk-ant-right" {
			t.Errorf("recorded x-api-key = %q", got)
		}
	})
}
