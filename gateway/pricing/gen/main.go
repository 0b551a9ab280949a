//go:build ignore

// Command gen regenerates ../prices.json, the pricing package's built-in
// price table, from the npm package @pydantic/genai-prices (MIT licensed),
// and copies that package's license to ../THIRD_PARTY_LICENSE.
//
// The package ships its data inside a JavaScript bundle, so the generator
// fetches it with `npm pack`, asks node for the providers through the
// package's own findProvider export, and converts the result:
//
//	cd gateway/pricing && go run ./gen/main.go [-version 0.1.8] [-pkgdir DIR]
//
// Conversions: prices stay decimal strings of USD per million tokens, or
// per 1,000 for web and file searches (the pricing package parses them exactly, no
// floats); token prices by modality (audio, image, video) are kept beside
// the text ones; the first price tier
// becomes the long-context tier; of date-conditional prices the one in force
// on -date is kept; match rules become exact names (equals, ends_with) and
// explicit prefixes (starts_with, contains); regex rules are dropped (model
// ids also match dated snapshots of themselves, see pricing.Lookup).
package main

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

var (
	version = flag.String("version", "0.1.8", "version of @pydantic/genai-prices to fetch")
	pkgDir  = flag.String("pkgdir", "", "an already extracted npm package directory (skips npm pack)")
	outPath = flag.String("out", "prices.json", "output table")
	licPath = flag.String("license", "THIRD_PARTY_LICENSE", "where to copy the package's license")
	date    = flag.String("date", time.Now().UTC().Format("2006-01-02"), "pick date-conditional prices in force on this day")
)

// Our cost_basis names for genai-prices provider ids.
var providers = []struct{ ours, theirs string }{
	{"anthropic", "anthropic"},
	{"openai", "openai"},
	{"gemini", "google"},
}

func main() {
	log.SetFlags(0)
	flag.Parse()
	dir := *pkgDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "genai-prices")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		dir, err = fetch(tmp, *version)
		if err != nil {
			log.Fatal(err)
		}
	}
	raw, err := dump(dir)
	if err != nil {
		log.Fatal(err)
	}
	ver, err := pkgVersion(dir)
	if err != nil {
		log.Fatal(err)
	}
	out := table{
		Source:    "npm @pydantic/genai-prices@" + ver + " (https://github.com/pydantic/genai-prices, MIT)",
		Generated: *date,
		Providers: map[string][]model{},
	}
	for _, p := range providers {
		prov, ok := raw[p.theirs]
		if !ok || prov == nil {
			log.Fatalf("provider %q missing from the package data", p.theirs)
		}
		for _, m := range prov.Models {
			conv, ok, err := convert(m)
			if err != nil {
				log.Fatalf("%s/%s: %v", p.theirs, m.ID, err)
			}
			if ok {
				out.Providers[p.ours] = append(out.Providers[p.ours], conv)
			}
		}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*outPath, append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	lic, err := os.ReadFile(filepath.Join(dir, "LICENSE"))
	if err != nil {
		log.Fatal(err)
	}
	hdr := "prices.json is generated from " + out.Source + ".\nIts license follows.\n\n"
	if err := os.WriteFile(*licPath, append([]byte(hdr), lic...), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s from %s", *outPath, out.Source)
}

// fetch runs npm pack in tmp and extracts the tarball, returning the
// package directory.
func fetch(tmp, version string) (string, error) {
	cmd := exec.Command("npm", "pack", "@pydantic/genai-prices@"+version)
	cmd.Dir = tmp
	cmd.Stderr = os.Stderr
	name, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("npm pack: %w", err)
	}
	f, err := os.Open(filepath.Join(tmp, strings.TrimSpace(string(name))))
	if err != nil {
		return "", fmt.Errorf("opening tarball: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return "", fmt.Errorf("reading tarball: %w", err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("reading tarball: %w", err)
		}
		clean := filepath.Clean(h.Name)
		if h.Typeflag != tar.TypeReg || strings.HasPrefix(clean, "..") || filepath.IsAbs(clean) {
			continue
		}
		dst := filepath.Join(tmp, clean)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", err
		}
		b, err := io.ReadAll(io.LimitReader(tr, 64<<20))
		if err != nil {
			return "", fmt.Errorf("extracting %s: %w", h.Name, err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return "", err
		}
	}
	return filepath.Join(tmp, "package"), nil
}

func pkgVersion(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return "", err
	}
	var p struct{ Version string }
	if err := json.Unmarshal(b, &p); err != nil {
		return "", fmt.Errorf("package.json: %w", err)
	}
	return p.Version, nil
}

// The input shapes (genai-prices Provider / ModelInfo).
type (
	rawProvider struct {
		Models []rawModel `json:"models"`
	}
	rawModel struct {
		ID     string          `json:"id"`
		Match  json.RawMessage `json:"match"`
		Prices json.RawMessage `json:"prices"`
	}
)

// dump asks node for the providers' data through the package's API.
func dump(dir string) (map[string]*rawProvider, error) {
	abs, err := filepath.Abs(filepath.Join(dir, "dist", "index.js"))
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, p := range providers {
		ids = append(ids, `"`+p.theirs+`"`)
	}
	script := fmt.Sprintf(`import { findProvider } from %q;
const out = {};
for (const id of [%s]) out[id] = findProvider({ providerId: id }) ?? null;
process.stdout.write(JSON.stringify(out));`, "file://"+abs, strings.Join(ids, ","))
	cmd := exec.Command("node", "--input-type=module", "-e", script)
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	var out map[string]*rawProvider
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decoding node output: %w", err)
	}
	return out, nil
}

// The output shapes, read by the pricing package (builtin.go).
type (
	table struct {
		Source    string             `json:"source"`
		Generated string             `json:"generated"`
		Providers map[string][]model `json:"providers"`
	}
	model struct {
		ID     string   `json:"id"`
		Exact  []string `json:"exact,omitempty"`
		Prefix []string `json:"prefix,omitempty"`
		Price  price    `json:"price"`
	}
	price struct {
		Input                string `json:"input,omitempty"`
		Output               string `json:"output,omitempty"`
		CacheRead            string `json:"cache_read,omitempty"`
		CacheWrite           string `json:"cache_write,omitempty"`
		CacheWrite1h         string `json:"cache_write_1h,omitempty"`
		InputAudio           string `json:"input_audio,omitempty"`
		InputImage           string `json:"input_image,omitempty"`
		InputVideo           string `json:"input_video,omitempty"`
		CacheReadAudio       string `json:"cache_read_audio,omitempty"`
		OutputAudio          string `json:"output_audio,omitempty"`
		OutputImage          string `json:"output_image,omitempty"`
		OutputVideo          string `json:"output_video,omitempty"`
		WebSearchesPer1k     string `json:"web_searches_per_1k,omitempty"`
		FileSearchesPer1k    string `json:"file_searches_per_1k,omitempty"`
		LongContextThreshold int64  `json:"long_context_threshold,omitempty"`
		LongContext          *price `json:"long_context,omitempty"`
	}
)

func convert(m rawModel) (model, bool, error) {
	out := model{ID: m.ID}
	var match any
	if err := json.Unmarshal(m.Match, &match); err != nil {
		return out, false, fmt.Errorf("match: %w", err)
	}
	collect(match, &out)
	prices, err := pickPrices(m.Prices)
	if err != nil {
		return out, false, err
	}
	p, err := convertPrice(prices)
	if err != nil {
		return out, false, err
	}
	if p.Input == "" && p.Output == "" {
		return out, false, nil // not a token-priced model (audio hours, images)
	}
	out.Price = p
	return out, true, nil
}

// collect turns a match rule into exact names and explicit prefixes.
func collect(rule any, m *model) {
	r, ok := rule.(map[string]any)
	if !ok {
		return
	}
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := r[k]
		switch k {
		case "or", "and":
			list, _ := v.([]any)
			for _, x := range list {
				collect(x, m)
			}
		case "equals", "ends_with":
			if s, ok := v.(string); ok && s != m.ID {
				m.Exact = append(m.Exact, s)
			}
		case "starts_with", "contains":
			if s, ok := v.(string); ok {
				m.Prefix = append(m.Prefix, s)
			}
		}
	}
}

// pickPrices returns the price object in force on -date.
func pickPrices(raw json.RawMessage) (map[string]json.RawMessage, error) {
	var single map[string]json.RawMessage
	if err := json.Unmarshal(raw, &single); err == nil {
		return single, nil
	}
	var cond []struct {
		Constraint *struct {
			Type      string `json:"type"`
			StartDate string `json:"start_date"`
		} `json:"constraint"`
		Prices map[string]json.RawMessage `json:"prices"`
	}
	if err := json.Unmarshal(raw, &cond); err != nil {
		return nil, fmt.Errorf("prices: %w", err)
	}
	var pick map[string]json.RawMessage
	for _, c := range cond {
		switch {
		case c.Constraint == nil:
			if pick == nil {
				pick = c.Prices
			}
		case c.Constraint.Type == "start_date" && c.Constraint.StartDate <= *date:
			pick = c.Prices
		}
	}
	if pick == nil {
		return nil, fmt.Errorf("no unconditional price")
	}
	return pick, nil
}

func convertPrice(ps map[string]json.RawMessage) (price, error) {
	var base, long price
	var threshold int64
	fields := []struct {
		key        string
		base, long *string
	}{
		{"input_mtok", &base.Input, &long.Input},
		{"output_mtok", &base.Output, &long.Output},
		{"cache_read_mtok", &base.CacheRead, &long.CacheRead},
		{"cache_write_mtok", &base.CacheWrite, &long.CacheWrite},
		{"cache_write_1h_mtok", &base.CacheWrite1h, &long.CacheWrite1h},
		{"input_audio_mtok", &base.InputAudio, &long.InputAudio},
		{"input_image_mtok", &base.InputImage, &long.InputImage},
		{"input_video_mtok", &base.InputVideo, &long.InputVideo},
		{"cache_audio_read_mtok", &base.CacheReadAudio, &long.CacheReadAudio},
		{"output_audio_mtok", &base.OutputAudio, &long.OutputAudio},
		{"output_image_mtok", &base.OutputImage, &long.OutputImage},
		{"output_video_mtok", &base.OutputVideo, &long.OutputVideo},
		// Per 1,000 searches, not per million tokens. "storage" searches
		// are OpenAI's file_search tool calls.
		{"web_searches_kcount", &base.WebSearchesPer1k, &long.WebSearchesPer1k},
		{"storage_searches_kcount", &base.FileSearchesPer1k, &long.FileSearchesPer1k},
	}
	for _, f := range fields {
		raw, ok := ps[f.key]
		if !ok {
			continue
		}
		var num json.Number
		if err := json.Unmarshal(raw, &num); err == nil {
			d, err := decimal(num)
			if err != nil {
				return base, fmt.Errorf("%s: %w", f.key, err)
			}
			*f.base, *f.long = d, d
			continue
		}
		var tiered struct {
			Base  json.Number `json:"base"`
			Tiers []struct {
				Start int64       `json:"start"`
				Price json.Number `json:"price"`
			} `json:"tiers"`
		}
		if err := json.Unmarshal(raw, &tiered); err != nil {
			return base, fmt.Errorf("%s: %w", f.key, err)
		}
		d, err := decimal(tiered.Base)
		if err != nil {
			return base, fmt.Errorf("%s: %w", f.key, err)
		}
		*f.base, *f.long = d, d
		if len(tiered.Tiers) > 0 {
			t := tiered.Tiers[0]
			if threshold != 0 && threshold != t.Start {
				return base, fmt.Errorf("%s: tier starts differ (%d vs %d)", f.key, threshold, t.Start)
			}
			threshold = t.Start
			if *f.long, err = decimal(t.Price); err != nil {
				return base, fmt.Errorf("%s tier: %w", f.key, err)
			}
		}
	}
	if threshold > 0 {
		base.LongContextThreshold = threshold
		base.LongContext = &long
	}
	return base, nil
}

// decimal renders a JSON number as an exact plain decimal string.
func decimal(n json.Number) (string, error) {
	s := n.String()
	if !strings.ContainsAny(s, "eE") {
		return s, nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return "", fmt.Errorf("bad number %q", s)
	}
	for prec := 0; prec <= 18; prec++ {
		d := r.FloatString(prec)
		if back, _ := new(big.Rat).SetString(d); back.Cmp(r) == 0 {
			return d, nil
		}
	}
	return "", fmt.Errorf("number %q has more than 18 decimals", s)
}
