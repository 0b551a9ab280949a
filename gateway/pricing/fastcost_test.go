package pricing

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/tsplug/ts-plug/gateway/usage"
)

// costCase builds a price and a usage from fuzzed numbers; the same
// numbers feed every test here.
func costCase(known uint32, tier uint8, in, out, cached, w5, w1h, audio, image, video, searches int64,
	pIn, pOut, pCache, pW5, pW1h, pAudio, pImage, pSearch, multNum, multDen, longAt int64) (Price, usage.Usage) {
	tiers := []string{"", "standard", "batch", "flex", "priority", "scale"}
	p := Price{
		Input: pIn, Output: pOut, CacheRead: pCache, CacheWrite5m: pW5, CacheWrite1h: pW1h,
		InputAudio: pAudio, InputImage: pImage, OutputAudio: pAudio, OutputVideo: pImage, CacheReadAudio: pAudio,
		WebSearchPer1k: pSearch, FileSearchPer1k: pSearch,
		Known: Components(known), NoFallback: Components(known >> 16), Multiplier: Ratio{multNum, multDen},
	}
	if longAt > 0 {
		long := p
		long.Input, long.Output = pIn*2, pOut+pIn
		p.LongContext, p.LongContextThreshold = &long, longAt
	}
	u := usage.Usage{Found: true, InputTokens: in, OutputTokens: out, CachedTokens: cached,
		CacheCreationTokens: w5 + w1h, CacheCreation5mTokens: w5, CacheCreation1hTokens: w1h,
		InputAudioTokens: audio, InputImageTokens: image, OutputAudioTokens: audio, OutputVideoTokens: video,
		CachedAudioTokens: audio / 2, WebSearches: searches, FileSearches: searches / 3,
		ServiceTier: tiers[int(tier)%len(tiers)]}
	return p, u
}

// costDetailInt64 and costDetailBig are CostDetail by one arithmetic
// only, for comparing the two.
func costDetailInt64(p Price, u usage.Usage) (nanos int64, unpriced []string, fits bool) {
	t := gatherCostTerms(p, u)
	if nanos, fits = t.sumInt64(); !fits {
		return 0, nil, false
	}
	return nanos, t.unpriced, true
}

func costDetailBig(p Price, u usage.Usage) (nanos int64, unpriced []string, ok bool) {
	if !u.Found {
		return 0, nil, false
	}
	t := gatherCostTerms(p, u)
	if nanos, ok = t.sumBig(); !ok {
		return 0, nil, false
	}
	return nanos, t.unpriced, true
}

// FuzzCostDetailInt64 checks the int64 path against the exact big.Int
// one: whenever it claims the sum fits, it is the same sum, to the
// nanodollar, with the same unpriced list.
func FuzzCostDetailInt64(f *testing.F) {
	all := uint32(^Components(0))
	f.Add(all, uint8(0), int64(1000), int64(500), int64(200), int64(50), int64(10), int64(0), int64(0), int64(0), int64(2),
		int64(3_000_000_000), int64(15_000_000_000), int64(300_000_000), int64(3_750_000_000), int64(6_000_000_000), int64(0), int64(0), int64(10_000_000_000), int64(1), int64(1), int64(0))
	f.Add(uint32(CompInput|CompOutput), uint8(2), int64(7), int64(9), int64(0), int64(0), int64(0), int64(3), int64(2), int64(1), int64(0),
		int64(1), int64(3), int64(0), int64(0), int64(0), int64(5), int64(0), int64(0), int64(3), int64(7), int64(5))
	f.Add(all, uint8(4), int64(math.MaxInt64/3), int64(math.MaxInt64), int64(1), int64(1), int64(1), int64(1), int64(1), int64(1), int64(1),
		int64(math.MaxInt64), int64(2), int64(3), int64(4), int64(5), int64(6), int64(7), int64(8), int64(-1), int64(2), int64(1))
	f.Fuzz(func(t *testing.T, known uint32, tier uint8, in, out, cached, w5, w1h, audio, image, video, searches int64,
		pIn, pOut, pCache, pW5, pW1h, pAudio, pImage, pSearch, multNum, multDen, longAt int64) {
		p, u := costCase(known, tier, in, out, cached, w5, w1h, audio, image, video, searches,
			pIn, pOut, pCache, pW5, pW1h, pAudio, pImage, pSearch, multNum, multDen, longAt)
		fast, fastUnpriced, fits := costDetailInt64(p, u)
		exact, exactUnpriced, ok := costDetailBig(p, u)
		if fits && (!ok || fast != exact || !reflect.DeepEqual(fastUnpriced, exactUnpriced)) {
			t.Fatalf("int64 path: %d %q; exact: %d %q ok %v\nprice %+v\nusage %+v", fast, fastUnpriced, exact, exactUnpriced, ok, p, u)
		}
		got, gotUnpriced, gotOK := CostDetail(p, u)
		if got != exact || gotOK != ok || !reflect.DeepEqual(gotUnpriced, exactUnpriced) {
			t.Fatalf("CostDetail %d %q %v, exact %d %q %v", got, gotUnpriced, gotOK, exact, exactUnpriced, ok)
		}
	})
}

// A real answer's cost allocates nothing: the gateway prices every one.
func TestCostDetailAllocatesNothing(t *testing.T) {
	p, u := costCase(uint32(^Components(0)), 2, 120_000, 8_000, 40_000, 1_000, 500, 0, 0, 0, 3,
		3_000_000_000, 15_000_000_000, 300_000_000, 3_750_000_000, 6_000_000_000, 0, 0, 10_000_000_000, 1, 1, 0)
	var nanos int64
	allocs := testing.AllocsPerRun(100, func() { nanos, _, _ = CostDetail(p, u) })
	if allocs != 0 {
		t.Errorf("CostDetail allocates %.0f times per call", allocs)
	}
	if want, _, _ := costDetailBig(p, u); nanos != want {
		t.Errorf("CostDetail = %d, exact %d", nanos, want)
	}
}

func BenchmarkCostDetail(b *testing.B) {
	p, u := costCase(uint32(^Components(0)), 0, 120_000, 8_000, 40_000, 1_000, 500, 0, 0, 0, 3,
		3_000_000_000, 15_000_000_000, 300_000_000, 3_750_000_000, 6_000_000_000, 0, 0, 10_000_000_000, 1, 1, 0)
	b.ReportAllocs()
	for b.Loop() {
		CostDetail(p, u)
	}
}

// Realistic sizes (up to 2 million tokens of each kind, prices up to
// $200 per million, a multiplier up to 4) always take the int64 path,
// and it agrees with the exact sum.
func TestCostDetailInt64Realistic(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tok := func() int64 { return r.Int64N(2_000_000) }
	price := func() int64 { return r.Int64N(200 * 1_000_000_000) }
	for i := range 20000 {
		p, u := costCase(r.Uint32(), uint8(r.IntN(6)), tok(), tok(), tok(), tok()/4, tok()/4, tok()/8, tok()/8, tok()/8, r.Int64N(1000),
			price(), price(), price(), price(), price(), price(), price(), price(), 1+r.Int64N(4), 1+r.Int64N(4), tok())
		fast, fastUnpriced, fits := costDetailInt64(p, u)
		exact, exactUnpriced, ok := costDetailBig(p, u)
		if !fits {
			t.Fatalf("case %d: a realistic usage left the int64 path\nprice %+v\nusage %+v", i, p, u)
		}
		if !ok || fast != exact || !reflect.DeepEqual(fastUnpriced, exactUnpriced) {
			t.Fatalf("case %d: int64 %d %q, exact %d %q %v", i, fast, fastUnpriced, exact, exactUnpriced, ok)
		}
	}
}
