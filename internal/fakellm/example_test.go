package fakellm_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/tsplug/ts-plug/internal/fakellm"
)

func Example() {
	fake := fakellm.New(fakellm.WithUsage(fakellm.Usage{InputTokens: 9, OutputTokens: 1}))
	url, err := fake.Start()
	if err != nil {
		panic(err)
	}
	defer fake.Close()

	// The seed page's curl test, sent straight to the fake.
	resp, err := http.Post(url+"/v1/messages", "application/json", strings.NewReader(
		`{"model":"claude-haiku-4-5-20251001","max_tokens":25,"messages":[{"role":"user","content":"respond with: hello"}]}`))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var msg struct {
		Content []struct{ Text string }
		Usage   struct {
			InputTokens  int `json:"input_tokens"`
			OutputTokens int `json:"output_tokens"`
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&msg); err != nil {
		panic(err)
	}
	fmt.Println(msg.Content[0].Text, msg.Usage.InputTokens, msg.Usage.OutputTokens)

	// The next request fails with Anthropic's overloaded error.
	fake.FailNext(1, fakellm.Failure{Status: 529})
	resp2, err := http.Post(url+"/v1/messages", "application/json", strings.NewReader(`{"model":"m","messages":[]}`))
	if err != nil {
		panic(err)
	}
	resp2.Body.Close()
	fmt.Println(resp2.StatusCode, fake.RequestCount())
	// Output:
	// hello 9 1
	// 529 2
}
