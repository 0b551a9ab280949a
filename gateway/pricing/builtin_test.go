package pricing

import (
	"encoding/json"
	"testing"
)

func usd(s string) int64 {
	n, err := ParseUSD(s)
	if err != nil {
		panic(err)
	}
	return n
}

func TestBuiltinLookup(t *testing.T) {
	type want struct {
		in, out, read, w5m, w1h string // "" = unknown
		threshold               int64
		longIn                  string
	}
	tests := []struct {
		basis, model string
		want         want
	}{
		{"anthropic", "claude-sonnet-4-5", want{"3", "15", "0.3", "3.75", "6", 200_000, "6"}},
		{"anthropic", "claude-sonnet-4-5-20250929", want{"3", "15", "0.3", "3.75", "6", 200_000, "6"}},
		{"anthropic", "claude-haiku-4-5-20251001", want{"1", "5", "0.1", "1.25", "2", 0, ""}},
		{"anthropic", "claude-opus-4-1-20250805", want{"15", "75", "1.5", "18.75", "30", 0, ""}},
		{"anthropic", "claude-opus-4-5", want{"5", "25", "0.5", "6.25", "10", 0, ""}},
		{"anthropic", "claude-3-5-haiku-20241022", want{"0.8", "4", "0.08", "1", "1.6", 0, ""}},
		{"anthropic", "CLAUDE-SONNET-4-5", want{"3", "15", "0.3", "3.75", "6", 200_000, "6"}},
		{"openai", "gpt-4o", want{"2.5", "10", "1.25", "", "", 0, ""}},
		{"openai", "gpt-4o-2024-08-06", want{"2.5", "10", "1.25", "", "", 0, ""}},
		{"openai", "gpt-4o-2024-05-13", want{"5", "15", "", "", "", 0, ""}}, // its own entry beats the prefix
		{"openai", "gpt-4o-mini-2024-07-18", want{"0.15", "0.6", "0.075", "", "", 0, ""}},
		{"openai", "gpt-5", want{"1.25", "10", "0.125", "", "", 0, ""}},
		{"openai", "gpt-5-mini", want{"0.25", "2", "0.025", "", "", 0, ""}},
		{"openai", "gpt-5-nano-2025-08-07", want{"0.05", "0.4", "0.005", "", "", 0, ""}},
		{"openai", "gpt-5.1-codex-max", want{"1.25", "10", "0.125", "", "", 0, ""}},
		{"openai", "gpt-4.1", want{"2", "8", "0.5", "", "", 0, ""}},
		{"openai", "gpt-4.1-nano", want{"0.1", "0.4", "0.025", "", "", 0, ""}},
		{"openai", "o3", want{"2", "8", "0.5", "", "", 0, ""}},
		{"openai", "o4-mini", want{"1.1", "4.4", "0.275", "", "", 0, ""}},
		{"gemini", "gemini-2.5-pro", want{"1.25", "10", "0.125", "", "", 200_000, "2.5"}},
		{"gemini", "models/gemini-2.5-flash", want{"0.3", "2.5", "0.03", "", "", 0, ""}},
		{"google", "gemini-2.0-flash-001", want{"0.1", "0.4", "0.025", "", "", 0, ""}},
		{"gemini", "gemini-2.5-flash-lite", want{"0.1", "0.4", "0.01", "", "", 0, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.basis+"/"+tt.model, func(t *testing.T) {
			p, ok := Lookup(tt.basis, tt.model)
			if !ok {
				t.Fatal("not found")
			}
			check := func(name string, got int64, c Components, want string) {
				if want == "" {
					if p.Known.Has(c) {
						t.Errorf("%s = %d, want unknown", name, got)
					}
					return
				}
				if !p.Known.Has(c) || got != usd(want) {
					t.Errorf("%s = %d (known %v), want $%s/M", name, got, p.Known.Has(c), want)
				}
			}
			check("input", p.Input, CompInput, tt.want.in)
			check("output", p.Output, CompOutput, tt.want.out)
			check("cache read", p.CacheRead, CompCacheRead, tt.want.read)
			check("cache write 5m", p.CacheWrite5m, CompCacheWrite5m, tt.want.w5m)
			check("cache write 1h", p.CacheWrite1h, CompCacheWrite1h, tt.want.w1h)
			if p.LongContextThreshold != tt.want.threshold {
				t.Errorf("threshold = %d, want %d", p.LongContextThreshold, tt.want.threshold)
			}
			if tt.want.longIn != "" && (p.LongContext == nil || p.LongContext.Input != usd(tt.want.longIn)) {
				t.Errorf("long-context input = %+v, want $%s/M", p.LongContext, tt.want.longIn)
			}
		})
	}
}

func TestBuiltinLookupMisses(t *testing.T) {
	tests := []struct{ basis, model string }{
		{"openai", "gpt-5.1-pro"},        // a different model, not a snapshot of gpt-5.1
		{"openai", "gpt-4o-turbo-magic"}, // ditto
		{"openai", "llama-3.1-8b"},
		{"openai", ""},
		{"anthropic", "gpt-4o"},
		{"nonesuch", "gpt-4o"},
		{"", "gpt-4o"},
		{"openrouter", "openai/gpt-4o"}, // not in the built-in table
	}
	for _, tt := range tests {
		if p, ok := Lookup(tt.basis, tt.model); ok {
			t.Errorf("Lookup(%q, %q) = %+v, want miss", tt.basis, tt.model, p)
		}
	}
}

// TestBuiltinTableSane checks every generated entry: input and output
// known, prices non-negative, tiers well-formed.
func TestBuiltinTableSane(t *testing.T) {
	tables, err := builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, basis := range []string{"anthropic", "openai", "gemini"} {
		tb := tables[basis]
		if tb == nil || len(tb.exact) < 10 {
			t.Fatalf("table %q missing or tiny", basis)
		}
		for name, p := range tb.exact {
			if !p.Known.Has(CompInput) && !p.Known.Has(CompOutput) {
				t.Errorf("%s/%s: neither input nor output known", basis, name)
			}
			for _, v := range []int64{p.Input, p.Output, p.CacheRead, p.CacheWrite5m, p.CacheWrite1h,
				p.InputAudio, p.InputImage, p.InputVideo, p.CacheReadAudio, p.OutputAudio, p.OutputImage, p.OutputVideo, p.WebSearchPer1k, p.FileSearchPer1k} {
				if v < 0 {
					t.Errorf("%s/%s: negative price", basis, name)
				}
			}
			if (p.LongContext != nil) != (p.LongContextThreshold > 0) {
				t.Errorf("%s/%s: tier without threshold or vice versa", basis, name)
			}
		}
	}
	if BuiltinSource() == "" {
		t.Error("no source recorded")
	}
}

func TestIsSnapshotSuffix(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"", true},
		{"-2024-08-06", true},
		{"-20251001", true},
		{"-001", true},
		{"@20250929", true},
		{"-latest", true},
		{"-20250929-v1:0", true},
		{"-pro", false},
		{"-mini", false},
		{".1", false},
		{"-", false},
		{"-v1", false},
		{"x2024", false},
	}
	for _, tt := range tests {
		if got := isSnapshotSuffix(tt.s); got != tt.want {
			t.Errorf("isSnapshotSuffix(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestPriceSpecJSON(t *testing.T) {
	var s PriceSpec
	err := json.Unmarshal([]byte(`{"input":"3.00","output":15,"cache_read":"$0.30","cache_write":0.1,"long_context_threshold":10,"long_context":{"input":"6"}}`), &s)
	if err != nil {
		t.Fatal(err)
	}
	p := s.Price()
	if p.Input != 3_000_000_000 || p.Output != 15_000_000_000 || p.CacheRead != 300_000_000 || p.CacheWrite5m != 100_000_000 {
		t.Errorf("got %+v", p)
	}
	if p.Known != CompInput|CompOutput|CompCacheRead|CompCacheWrite5m {
		t.Errorf("Known = %b: an absent component must stay unknown", p.Known)
	}
	if p.LongContext == nil || p.LongContext.Input != 6_000_000_000 || p.LongContextThreshold != 10 {
		t.Errorf("long context = %+v", p.LongContext)
	}
	var x PriceSpec
	if err := json.Unmarshal([]byte(`{"input":1,"input_audio":"3","input_image":2,"input_video":"1","cache_read_audio":"0.3","output_audio":12,"output_image":"30","output_video":"0","web_searches_per_1k":"10","file_searches_per_1k":"2.5"}`), &x); err != nil {
		t.Fatal(err)
	}
	xp := x.Price()
	if got, want := [...]int64{xp.InputAudio, xp.InputImage, xp.InputVideo, xp.CacheReadAudio, xp.OutputAudio, xp.OutputImage, xp.OutputVideo, xp.WebSearchPer1k, xp.FileSearchPer1k},
		[...]int64{3e9, 2e9, 1e9, 3e8, 12e9, 30e9, 0, 10e9, 25e8}; got != want {
		t.Errorf("modality and search prices = %v, want %v", got, want)
	}
	if want := CompInput | CompInputAudio | CompInputImage | CompInputVideo | CompCacheReadAudio | CompOutputAudio | CompOutputImage | CompOutputVideo | CompWebSearch | CompFileSearch; xp.Known != want {
		t.Errorf("Known = %b, want %b", xp.Known, want)
	}
	for _, bad := range []string{`{"input":"-1"}`, `{"input":"x"}`, `{"input":true}`, `{"input":1e-12}`} {
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("%s: want error", bad)
		}
	}
	b, _ := json.Marshal(USD(75_000_000))
	if string(b) != `"0.075"` {
		t.Errorf("marshal = %s", b)
	}
}
