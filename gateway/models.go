package gateway

import (
	"encoding/json"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/modelinfo"
	"github.com/tsplug/ts-plug/gateway/pricing"
	"github.com/tsplug/ts-plug/gateway/routing"
)

// listFormat names the model-list shape a caller's SDK reads.
type listFormat int

const (
	listOpenAI listFormat = iota
	listAnthropic
	listGemini
)

// modelListFormat picks the list shape from the request, the way each
// vendor's SDK asks for it: Gemini's under /v1beta (or with its
// x-goog-api-key header or key= query, for a client whose base URL holds
// another version), Anthropic's with the anthropic-version or x-api-key
// header every Anthropic SDK sends, and OpenAI's otherwise. The three
// cannot share one shape: Gemini's list is {"models": [...]}, and the
// other two want different fields under "data".
func modelListFormat(r *http.Request) listFormat {
	p := r.URL.Path
	h := r.Header
	switch {
	case strings.HasPrefix(p, "/v1beta/"), strings.HasPrefix(p, "/v1alpha/"),
		h.Get("X-Goog-Api-Key") != "", r.URL.Query().Has("key"):
		return listGemini
	case h.Get("Anthropic-Version") != "", h.Get("X-Api-Key") != "":
		return listAnthropic
	}
	return listOpenAI
}

// serveModels lists the models the caller may use, in the list format of
// the API the caller speaks (see modelListFormat), each with what the
// gateway knows of it: limits, modalities and reasoning from modelinfo,
// prices from the pricing table, and which APIs serve it. A model
// modelinfo does not know, or the pricing table cannot price, has those
// fields left out rather than guessed.
func (s *Server) serveModels(w http.ResponseWriter, r *http.Request) {
	format := modelListFormat(r)
	c, ok := s.callerIn(w, r, format.api())
	if !ok {
		return
	}
	models := s.listedModels(c)
	switch format {
	case listAnthropic:
		writeJSON(w, http.StatusOK, anthropicList(models))
	case listGemini:
		writeJSON(w, http.StatusOK, geminiList(models))
	default:
		writeJSON(w, http.StatusOK, openAIList(models))
	}
}

// serveModel answers one model's retrieve call (OpenAI's and Anthropic's
// GET /v1/models/{id}, Gemini's models.get at GET /v1beta/models/{name}),
// as the entry the list has for it. A model the caller may not use gets
// the same 404 as one that does not exist: the answer never tells a
// caller which models others are granted.
func (s *Server) serveModel(w http.ResponseWriter, r *http.Request) {
	format := modelListFormat(r)
	c, ok := s.callerIn(w, r, format.api())
	if !ok {
		return
	}
	id := r.PathValue("id")
	if format == listGemini {
		id = strings.TrimPrefix(id, "models/")
	}
	if id == "" {
		s.serveModels(w, r)
		return
	}
	for _, lm := range s.listedModels(c) {
		if lm.m.ID != id && lm.m.FQN != id {
			continue
		}
		switch format {
		case listAnthropic:
			writeJSON(w, http.StatusOK, anthropicEntry(lm))
		case listGemini:
			writeJSON(w, http.StatusOK, geminiEntry(lm))
		default:
			writeJSON(w, http.StatusOK, openAIEntry(lm))
		}
		return
	}
	list := "GET /v1/models"
	if format == listGemini {
		list = "GET /v1beta/models"
	}
	apis.WriteError(w, format.api(), http.StatusNotFound, apis.KindNotFound,
		"model "+strconv.Quote(id)+" is not available to you; "+list+" lists the ones you may use")
}

// listedModels are the models c may use, with what is known about each.
func (s *Server) listedModels(c *caller) []listedModel {
	var models []listedModel
	for _, m := range routing.Models(c.cfg(), c.access) {
		lm := listedModel{m: m}
		lm.info, lm.known = modelinfo.Lookup(m.ID)
		if q, ok := c.rc.prices.Resolve(m.ProviderID, m.ID); ok {
			lm.price = pricingFor(q)
		}
		models = append(models, lm)
	}
	return models
}

// api is the dialect errors to a caller of this list format are in.
func (f listFormat) api() config.API {
	switch f {
	case listAnthropic:
		return config.AnthropicMessages
	case listGemini:
		return config.GeminiGenerateContent
	}
	return config.OpenAIChat
}

// listedModel is one granted model with what is known about it.
type listedModel struct {
	m     routing.ModelInfo
	info  modelinfo.Info
	known bool // info is set
	price *pricingJSON
}

// extras are the fields the gateway adds to every list format's entries,
// after the API's own fields.
func (lm listedModel) extras() modelExtras {
	e := modelExtras{
		Provider:           lm.m.ProviderID,
		ProviderName:       lm.m.Provider.DisplayName(),
		APIs:               lm.m.APIs,
		SupportedEndpoints: lm.m.Endpoints(),
		Pricing:            lm.price,
	}
	if e.APIs == nil {
		e.APIs = []config.API{}
	}
	if lm.known {
		e.Modalities = &modalitiesJSON{Input: lm.info.Input, Output: lm.info.Output}
	}
	return e
}

// modelExtras are the gateway's own fields on a model entry.
type modelExtras struct {
	// Provider is the provider ID: the model's FQN is provider + "/" + ID.
	Provider     string `json:"provider"`
	ProviderName string `json:"provider_name,omitempty"`
	// APIs are the wire formats that serve the model; the gateway never
	// translates between them.
	APIs []config.API `json:"apis"`
	// SupportedEndpoints are the request paths of those APIs, as
	// Aperture's CLI reads them.
	SupportedEndpoints []string        `json:"supported_endpoints"`
	Modalities         *modalitiesJSON `json:"modalities,omitempty"`
	Pricing            *pricingJSON    `json:"pricing,omitempty"`
}

// modalitiesJSON is what a model reads and writes, in models.dev's names
// ("text", "image", "audio", "video", "pdf").
type modalitiesJSON struct {
	Input  []string `json:"input"`
	Output []string `json:"output"`
}

// pricingJSON is a model's price. Input, Output, CacheRead and CacheWrite
// are USD per million tokens, as price pages quote them. Prompt,
// Completion, InputCacheRead and InputCacheWrite repeat them in
// OpenRouter's /models shape (USD per token, as decimal strings), which
// OpenRouter-aware clients read. Every number is exact; an unknown
// component is left out, never 0.
type pricingJSON struct {
	Basis      string      `json:"cost_basis,omitempty"`
	Input      json.Number `json:"input,omitempty"`
	Output     json.Number `json:"output,omitempty"`
	CacheRead  json.Number `json:"cache_read,omitempty"`
	CacheWrite json.Number `json:"cache_write,omitempty"`

	Prompt          string `json:"prompt,omitempty"`
	Completion      string `json:"completion,omitempty"`
	InputCacheRead  string `json:"input_cache_read,omitempty"`
	InputCacheWrite string `json:"input_cache_write,omitempty"`
}

// pricingFor renders quote q's base-rate token prices (cache writes at the
// 5-minute rate, the one clients send by default).
func pricingFor(q pricing.Quote) *pricingJSON {
	p := &pricingJSON{Basis: q.Basis}
	p.Prompt, _ = q.Price.PerToken(pricing.CompInput, false)
	p.Completion, _ = q.Price.PerToken(pricing.CompOutput, false)
	p.InputCacheRead, _ = q.Price.PerToken(pricing.CompCacheRead, false)
	p.InputCacheWrite, _ = q.Price.PerToken(pricing.CompCacheWrite5m, false)
	p.Input = perMillion(p.Prompt)
	p.Output = perMillion(p.Completion)
	p.CacheRead = perMillion(p.InputCacheRead)
	p.CacheWrite = perMillion(p.InputCacheWrite)
	return p
}

// perMillion turns an exact per-token decimal into the per-million one
// ("" stays "").
func perMillion(perToken string) json.Number {
	r, ok := new(big.Rat).SetString(perToken)
	if perToken == "" || !ok {
		return ""
	}
	r.Mul(r, big.NewRat(1_000_000, 1))
	// A price times 10^6 still has a finite decimal expansion; look for
	// the shortest exact one.
	for prec := 0; prec <= 30; prec++ {
		s := r.FloatString(prec)
		if back, _ := new(big.Rat).SetString(s); back != nil && back.Cmp(r) == 0 {
			return json.Number(s)
		}
	}
	return json.Number(r.FloatString(18))
}

// openAIModel is an entry of OpenAI's GET /v1/models list. OpenAI's own
// fields are id, object, created and owned_by; the rest are the gateway's.
type openAIModel struct {
	ID              string `json:"id"`
	Object          string `json:"object"`
	Created         int64  `json:"created"`
	OwnedBy         string `json:"owned_by"`
	ContextWindow   int64  `json:"context_window,omitempty"`
	MaxOutputTokens int64  `json:"max_output_tokens,omitempty"`
	Reasoning       *bool  `json:"reasoning,omitempty"`
	modelExtras
}

func openAIEntry(lm listedModel) openAIModel {
	e := openAIModel{ID: lm.m.ID, Object: "model", OwnedBy: lm.m.ProviderID, modelExtras: lm.extras()}
	if lm.known {
		e.ContextWindow, e.MaxOutputTokens = lm.info.ContextWindow, lm.info.MaxOutput
		e.Reasoning = &lm.info.Reasoning
	}
	return e
}

func openAIList(models []listedModel) any {
	data := []openAIModel{}
	for _, lm := range models {
		data = append(data, openAIEntry(lm))
	}
	return struct {
		Object string        `json:"object"`
		Data   []openAIModel `json:"data"`
	}{"list", data}
}

// anthropicModel is an entry of Anthropic's GET /v1/models list
// (anthropic-sdk-go's ModelInfo): type, id, display_name, created_at,
// max_input_tokens, max_tokens and capabilities are Anthropic's own; the
// rest are the gateway's.
type anthropicModel struct {
	Type           string                 `json:"type"`
	ID             string                 `json:"id"`
	DisplayName    string                 `json:"display_name"`
	CreatedAt      string                 `json:"created_at"`
	MaxInputTokens int64                  `json:"max_input_tokens,omitempty"`
	MaxTokens      int64                  `json:"max_tokens,omitempty"`
	Capabilities   *anthropicCapabilities `json:"capabilities,omitempty"`
	modelExtras
}

// anthropicCapabilities is the part of Anthropic's capabilities object
// the gateway knows from modelinfo.
type anthropicCapabilities struct {
	ImageInput supportJSON `json:"image_input"`
	PDFInput   supportJSON `json:"pdf_input"`
	Thinking   supportJSON `json:"thinking"`
}

type supportJSON struct {
	Supported bool `json:"supported"`
}

func anthropicEntry(lm listedModel) anthropicModel {
	e := anthropicModel{Type: "model", ID: lm.m.ID, DisplayName: lm.m.ID,
		CreatedAt: "1970-01-01T00:00:00Z", modelExtras: lm.extras()}
	if i := lm.info; lm.known {
		e.MaxInputTokens, e.MaxTokens = i.InputLimit(), i.MaxOutput
		e.Capabilities = &anthropicCapabilities{
			ImageInput: supportJSON{slices.Contains(i.Input, modelinfo.Image)},
			PDFInput:   supportJSON{slices.Contains(i.Input, modelinfo.PDF)},
			Thinking:   supportJSON{i.Reasoning},
		}
	}
	return e
}

func anthropicList(models []listedModel) any {
	data := []anthropicModel{}
	for _, lm := range models {
		data = append(data, anthropicEntry(lm))
	}
	list := struct {
		Data    []anthropicModel `json:"data"`
		HasMore bool             `json:"has_more"`
		FirstID *string          `json:"first_id"`
		LastID  *string          `json:"last_id"`
	}{Data: data}
	if len(data) > 0 {
		list.FirstID, list.LastID = &data[0].ID, &data[len(data)-1].ID
	}
	return list
}

// geminiModel is an entry of Gemini's models.list (genai's Model): name,
// baseModelId, displayName, inputTokenLimit, outputTokenLimit,
// supportedGenerationMethods and thinking are Gemini's own; the rest are
// the gateway's.
type geminiModel struct {
	Name                       string   `json:"name"`
	BaseModelID                string   `json:"baseModelId"`
	DisplayName                string   `json:"displayName"`
	InputTokenLimit            int64    `json:"inputTokenLimit,omitempty"`
	OutputTokenLimit           int64    `json:"outputTokenLimit,omitempty"`
	SupportedGenerationMethods []string `json:"supportedGenerationMethods"`
	Thinking                   *bool    `json:"thinking,omitempty"`
	modelExtras
}

// geminiMethods are the methods a model served over Gemini's API
// answers through the gateway.
var geminiMethods = []string{"generateContent", "streamGenerateContent", "countTokens"}

func geminiEntry(lm listedModel) geminiModel {
	e := geminiModel{Name: "models/" + lm.m.ID, BaseModelID: lm.m.ID, DisplayName: lm.m.ID,
		SupportedGenerationMethods: []string{}, modelExtras: lm.extras()}
	// A model no Gemini provider serves is listed (the caller may use it
	// through another API) but has no Gemini methods.
	if slices.Contains(lm.m.APIs, config.GeminiGenerateContent) {
		e.SupportedGenerationMethods = geminiMethods
	}
	if lm.known {
		e.InputTokenLimit, e.OutputTokenLimit = lm.info.InputLimit(), lm.info.MaxOutput
		e.Thinking = &lm.info.Reasoning
	}
	return e
}

func geminiList(models []listedModel) any {
	list := []geminiModel{}
	for _, lm := range models {
		list = append(list, geminiEntry(lm))
	}
	return struct {
		Models []geminiModel `json:"models"`
	}{list}
}
