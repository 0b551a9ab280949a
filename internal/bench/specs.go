package main

import (
	"fmt"
	"net/http"
	"strings"
)

// Models the benchmark config serves. bigModel is served by a second fake
// whose every answer is a huge generated text.
const (
	openAIModel    = "gpt-4o"
	anthropicModel = "claude-sonnet-4-5"
	bigModel       = "gpt-4o-mini"
)

// apiCase is one provider API the harness measures.
type apiCase struct {
	Name string
	Spec func(stream bool, padding int) RequestSpec
}

// apiCases are the three APIs of the issue: chat completions, responses,
// messages.
var apiCases = []apiCase{
	{"chat", chatSpec},
	{"responses", responsesSpec},
	{"messages", messagesSpec},
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

// pad is a system/instructions text of n bytes, so a request can carry
// the kind of long context an agent sends; 0 adds nothing.
func pad(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("lorem ipsum ", n/12+1)[:n]
}

func chatSpec(stream bool, padding int) RequestSpec {
	sys := ""
	if padding > 0 {
		sys = fmt.Sprintf(`{"role":"system","content":%q},`, pad(padding))
	}
	body := fmt.Sprintf(`{"model":%q,"stream":%t,"messages":[%s{"role":"user","content":"respond with: hello from the benchmark harness"}]}`, openAIModel, stream, sys)
	return RequestSpec{Method: "POST", Path: "/v1/chat/completions", Body: []byte(body), Header: jsonHeader}
}

func responsesSpec(stream bool, padding int) RequestSpec {
	instr := ""
	if padding > 0 {
		instr = fmt.Sprintf(`"instructions":%q,`, pad(padding))
	}
	body := fmt.Sprintf(`{"model":%q,%s"stream":%t,"input":"respond with: hello from the benchmark harness"}`, openAIModel, instr, stream)
	return RequestSpec{Method: "POST", Path: "/v1/responses", Body: []byte(body), Header: jsonHeader}
}

func messagesSpec(stream bool, padding int) RequestSpec {
	sys := ""
	if padding > 0 {
		sys = fmt.Sprintf(`"system":%q,`, pad(padding))
	}
	body := fmt.Sprintf(`{"model":%q,"max_tokens":256,%s"stream":%t,"messages":[{"role":"user","content":"respond with: hello from the benchmark harness"}]}`, anthropicModel, sys, stream)
	h := jsonHeader.Clone()
	h.Set("anthropic-version", "2023-06-01")
	return RequestSpec{Method: "POST", Path: "/v1/messages", Body: []byte(body), Header: h}
}

// bigStreamSpec asks the big fake for its huge streamed answer.
func bigStreamSpec() RequestSpec {
	body := fmt.Sprintf(`{"model":%q,"stream":true,"messages":[{"role":"user","content":"write a lot"}]}`, bigModel)
	return RequestSpec{Method: "POST", Path: "/v1/chat/completions", Body: []byte(body), Header: jsonHeader}
}
