package pricing

import (
	"net"
	"net/netip"
	"net/url"
	"strings"

	"github.com/tsplug/ts-plug/gateway/config"
)

// hostBases maps well-known upstream hosts (or host suffixes) to the cost
// basis that prices them. Hosts win over compatibility flags: OpenRouter
// speaks openai_chat but bills at its own prices.
var hostBases = []struct {
	suffix, basis string
}{
	{"openrouter.ai", "openrouter"},
	{"ai-gateway.vercel.sh", "vercel"},
	{"api.anthropic.com", "anthropic"},
	{"api.openai.com", "openai"},
	{"generativelanguage.googleapis.com", "gemini"},
	{"aiplatform.googleapis.com", "vertex"},
	{"openai.azure.com", "azure"},
	{"services.ai.azure.com", "azure"},
	{"cognitiveservices.azure.com", "azure"},
	{"amazonaws.com", ""}, // Bedrock: the region's basis must be explicit
}

// InferCostBasis picks a provider's cost basis when the config sets none
// (auto_cost_basis): first from a well-known upstream host, then from the
// compatibility flags (anthropic_messages → "anthropic",
// gemini_generate_content → "gemini", openai_chat/openai_responses →
// "openai"). Self-hosted upstreams (loopback, private addresses,
// "localhost", single-label names) and Bedrock get "" (no costs): a local
// model is not billed at OpenAI's prices because it speaks OpenAI's API.
func InferCostBasis(compat map[config.API]bool, baseURL string) string {
	host := hostOf(baseURL)
	for _, h := range hostBases {
		if host == h.suffix || strings.HasSuffix(host, "."+h.suffix) {
			return h.basis
		}
	}
	if host != "" && selfHosted(host) {
		return ""
	}
	switch {
	case compat[config.AnthropicMessages]:
		return "anthropic"
	case compat[config.GeminiGenerateContent]:
		return "gemini"
	case compat[config.OpenAIChat], compat[config.OpenAIResponses]:
		return "openai"
	}
	return ""
}

func hostOf(baseURL string) string {
	s := strings.TrimSpace(baseURL)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
}

func selfHosted(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") ||
		strings.HasSuffix(host, ".local") || strings.HasSuffix(host, ".internal") ||
		strings.HasSuffix(host, ".ts.net") || !strings.Contains(host, ".") {
		return true
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
			net.IP(ip.AsSlice()).IsPrivate() || isCGNAT(ip)
	}
	return false
}

// isCGNAT reports a 100.64.0.0/10 address: tailnet peers.
func isCGNAT(ip netip.Addr) bool {
	return netip.MustParsePrefix("100.64.0.0/10").Contains(ip.Unmap())
}
