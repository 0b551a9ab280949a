package fakellm

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
)

// openAIClient is the official SDK pointed at the fake.
func openAIClient(url string, retries int) *openai.Client {
	c := openai.NewClient(
		option.WithBaseURL(url+"/v1/"),
		option.WithAPIKey("sk-test"),
		option.WithMaxRetries(retries),
	)
	return &c
}

// wantChatUsage is the usage the SDK must report, field by field.
type wantChatUsage struct{ prompt, completion, total, cached, cacheWrite, reasoning int64 }

func chatUsageOf(u openai.CompletionUsage) wantChatUsage {
	return wantChatUsage{u.PromptTokens, u.CompletionTokens, u.TotalTokens,
		u.PromptTokensDetails.CachedTokens, u.PromptTokensDetails.CacheWriteTokens, u.CompletionTokensDetails.ReasoningTokens}
}

func TestSDKOpenAIChat(t *testing.T) {
	s, url := startServer(t)
	client := openAIClient(url, 0)
	ctx := context.Background()
	tests := []struct {
		name  string
		usage Usage
		want  wantChatUsage
	}{
		{"plain", Usage{InputTokens: 100, OutputTokens: 20}, wantChatUsage{100, 20, 120, 0, 0, 0}},
		{"rich", richUsage, wantChatUsage{480, 70, 550, 400, 30, 25}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.SetUsage(tt.usage)
			params := openai.ChatCompletionNewParams{
				Model:    "gpt-4o",
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("respond with: hello")},
			}

			resp, err := client.Chat.Completions.New(ctx, params)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if got := resp.Choices[0].Message.Content; got != "hello" {
				t.Errorf("content = %q, want hello", got)
			}
			if resp.Model != "gpt-4o" || resp.Object != "chat.completion" || resp.Choices[0].FinishReason != "stop" {
				t.Errorf("model/object/finish = %q/%q/%q", resp.Model, resp.Object, resp.Choices[0].FinishReason)
			}
			if got := chatUsageOf(resp.Usage); got != tt.want {
				t.Errorf("usage = %+v, want %+v", got, tt.want)
			}

			// Streamed with include_usage: the accumulated usage must match.
			params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
			stream := client.Chat.Completions.NewStreaming(ctx, params)
			var acc openai.ChatCompletionAccumulator
			var usageChunk openai.CompletionUsage
			deltas, usageChunks := 0, 0
			for stream.Next() {
				c := stream.Current()
				acc.AddChunk(c)
				if len(c.Choices) > 0 && c.Choices[0].Delta.Content != "" {
					deltas++
				}
				if c.Usage.TotalTokens != 0 {
					usageChunks++
					usageChunk = c.Usage
					if len(c.Choices) != 0 {
						t.Errorf("usage chunk has choices: %s", c.RawJSON())
					}
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("stream: %v", err)
			}
			if got := acc.Choices[0].Message.Content; got != "hello" {
				t.Errorf("streamed content = %q, want hello", got)
			}
			if deltas != DefaultChunks {
				t.Errorf("content deltas = %d, want %d", deltas, DefaultChunks)
			}
			if got := chatUsageOf(usageChunk); got != tt.want || usageChunks != 1 {
				t.Errorf("streamed usage = %+v in %d chunks, want %+v in 1", got, usageChunks, tt.want)
			}
			// The SDK's accumulator sums all but cache_write_tokens.
			accWant := tt.want
			accWant.cacheWrite = 0
			if got := chatUsageOf(acc.Usage); got != accWant {
				t.Errorf("accumulated usage = %+v, want %+v", got, accWant)
			}

			// Streamed without include_usage: no chunk carries usage.
			params.StreamOptions = openai.ChatCompletionStreamOptionsParam{}
			stream = client.Chat.Completions.NewStreaming(ctx, params)
			var text string
			for stream.Next() {
				c := stream.Current()
				if c.JSON.Usage.Valid() {
					t.Errorf("chunk has usage without include_usage: %s", c.RawJSON())
				}
				if len(c.Choices) > 0 {
					text += c.Choices[0].Delta.Content
				}
			}
			if err := stream.Err(); err != nil || text != "hello" {
				t.Errorf("stream without usage: text %q, err %v", text, err)
			}
		})
	}
}

func TestSDKOpenAIResponses(t *testing.T) {
	s, url := startServer(t)
	client := openAIClient(url, 0)
	ctx := context.Background()
	type want struct{ input, cached, cacheWrite, output, reasoning, total int64 }
	usageOf := func(u responses.ResponseUsage) want {
		return want{u.InputTokens, u.InputTokensDetails.CachedTokens, u.InputTokensDetails.CacheWriteTokens,
			u.OutputTokens, u.OutputTokensDetails.ReasoningTokens, u.TotalTokens}
	}
	tests := []struct {
		name  string
		usage Usage
		input responses.ResponseNewParamsInputUnion
		want  want
	}{
		{"plain string input", Usage{InputTokens: 100, OutputTokens: 20},
			responses.ResponseNewParamsInputUnion{OfString: openai.String("respond with: hello")},
			want{100, 0, 0, 20, 0, 120}},
		{"rich item input", richUsage,
			responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
				responses.ResponseInputItemParamOfMessage("respond with: hello", responses.EasyInputMessageRoleUser),
			}},
			want{480, 400, 30, 70, 25, 550}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.SetUsage(tt.usage)
			params := responses.ResponseNewParams{Model: "gpt-4o", Input: tt.input}

			resp, err := client.Responses.New(ctx, params)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if resp.OutputText() != "hello" || resp.Model != "gpt-4o" || resp.Status != "completed" {
				t.Errorf("text/model/status = %q/%q/%q", resp.OutputText(), resp.Model, resp.Status)
			}
			if got := usageOf(resp.Usage); got != tt.want {
				t.Errorf("usage = %+v, want %+v", got, tt.want)
			}

			// The stored response comes back by ID, then is deleted.
			got, err := client.Responses.Get(ctx, resp.ID, responses.ResponseGetParams{})
			if err != nil || got.OutputText() != "hello" || usageOf(got.Usage) != tt.want {
				t.Errorf("Get = %v, %v", got, err)
			}
			if err := client.Responses.Delete(ctx, resp.ID); err != nil {
				t.Errorf("Delete: %v", err)
			}
			var apiErr *openai.Error
			if _, err := client.Responses.Get(ctx, resp.ID, responses.ResponseGetParams{}); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
				t.Errorf("Get after Delete: %v, want 404", err)
			}

			stream := client.Responses.NewStreaming(ctx, params)
			var types []string
			var text string
			var completed responses.Response
			for i := 0; stream.Next(); i++ {
				ev := stream.Current()
				if ev.SequenceNumber != int64(i) {
					t.Errorf("event %d has sequence_number %d", i, ev.SequenceNumber)
				}
				types = append(types, ev.Type)
				switch ev.Type {
				case "response.output_text.delta":
					text += ev.Delta
				case "response.completed":
					completed = ev.Response
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("stream: %v", err)
			}
			wantTypes := []string{"response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"}
			for range DefaultChunks {
				wantTypes = append(wantTypes, "response.output_text.delta")
			}
			wantTypes = append(wantTypes, "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed")
			if !equalStrings(types, wantTypes) {
				t.Errorf("event types = %v\nwant %v", types, wantTypes)
			}
			if text != "hello" || completed.OutputText() != "hello" {
				t.Errorf("streamed text %q, completed text %q", text, completed.OutputText())
			}
			if got := usageOf(completed.Usage); got != tt.want {
				t.Errorf("streamed usage = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSDKOpenAIErrors(t *testing.T) {
	s, url := startServer(t)
	ctx := context.Background()
	params := openai.ChatCompletionNewParams{
		Model:    "gpt-4o",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	}

	t.Run("status", func(t *testing.T) {
		s.FailNext(1, Failure{Status: http.StatusTooManyRequests, Message: "slow down"})
		_, err := openAIClient(url, 0).Chat.Completions.New(ctx, params)
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("err = %v, want *openai.Error", err)
		}
		if apiErr.StatusCode != 429 || apiErr.Message != "slow down" || apiErr.Code != "rate_limit_exceeded" {
			t.Errorf("error = %d %q %q", apiErr.StatusCode, apiErr.Message, apiErr.Code)
		}
	})

	t.Run("retried", func(t *testing.T) {
		s.Reset()
		s.FailNext(1, Failure{Status: http.StatusInternalServerError, RetryAfter: time.Millisecond})
		resp, err := openAIClient(url, 1).Chat.Completions.New(ctx, params)
		if err != nil || resp.Choices[0].Message.Content != DefaultReply {
			t.Fatalf("New after one 500 = %v, %v", resp, err)
		}
		if n := s.RequestCount(); n != 2 {
			t.Errorf("requests = %d, want 2 (one failed, one retried)", n)
		}
	})

	t.Run("in-band stream error", func(t *testing.T) {
		s.FailNext(1, Failure{Status: http.StatusInternalServerError, Message: "boom", AfterEvents: 2})
		stream := openAIClient(url, 0).Chat.Completions.NewStreaming(ctx, params)
		n := 0
		for stream.Next() {
			n++
		}
		if err := stream.Err(); err == nil || n != 2 || !strings.Contains(err.Error(), "boom") {
			t.Errorf("after %d chunks err = %v, want in-band error with boom after 2", n, err)
		}
	})

	t.Run("cut stream", func(t *testing.T) {
		s.FailNext(1, Failure{Cut: true, AfterEvents: 1})
		stream := openAIClient(url, 0).Chat.Completions.NewStreaming(ctx, params)
		n := 0
		for stream.Next() {
			n++
		}
		if err := stream.Err(); err == nil || n != 1 {
			t.Errorf("after %d chunks err = %v, want an error after 1", n, err)
		}
	})

	t.Run("required key", func(t *testing.T) {
		s.SetRequiredKey("sk-right")
		defer s.SetRequiredKey("")
		_, err := openAIClient(url, 0).Chat.Completions.New(ctx, params)
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code != "invalid_api_key" {
			t.Errorf("wrong key: err = %v, want 401 invalid_api_key", err)
		}
		c := openai.NewClient(option.WithBaseURL(url+"/v1/"), option.WithAPIKey("sk-right"), option.WithMaxRetries(0))
		if _, err := c.Chat.Completions.New(ctx, params); err != nil {
			t.Errorf("right key: %v", err)
		}
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
