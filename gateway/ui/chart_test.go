package ui

import (
	"fmt"
	"strings"
	"testing"
)

func TestNiceCeil(t *testing.T) {
	t.Parallel()
	for in, want := range map[int64]int64{0: 1, 1: 1, 3: 4, 7: 10, 11: 20, 38: 40, 41: 50, 99: 100, 101: 200, 4050: 5000} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", in, got, want)
		}
	}
}

func TestTickCount(t *testing.T) {
	t.Parallel()
	for top, want := range map[int64]int{1: 1, 2: 2, 4: 4, 5: 5, 10: 5, 20: 4, 50: 5, 1000: 4} {
		if got := tickCount(top); got != want {
			t.Errorf("tickCount(%d) = %d, want %d", top, got, want)
		}
		if top%int64(tickCount(top)) != 0 {
			t.Errorf("ticks of %d are not whole", top)
		}
	}
}

func TestBarChartSVG(t *testing.T) {
	t.Parallel()
	c := barChart{Title: `tokens <by> "model"`, Labels: []string{"May 1", "May 2", "May 3"},
		Series: []series{
			{Name: "a<b>", Color: "#111111", Values: []int64{10, 0, 30}},
			{Name: "c", Color: "#222222", Values: []int64{10, 0, 10}},
		}}
	svg := string(c.SVG())
	if n := strings.Count(svg, "<rect "); n != 4 {
		t.Errorf("%d segments, want 4 (zeros are not drawn)", n)
	}
	for _, s := range []string{`aria-label="tokens &lt;by&gt; &#34;model&#34;"`, "May 3 · a&lt;b&gt;: 30", ">40<" /* axis top */} {
		if !strings.Contains(svg, s) {
			t.Errorf("svg lacks %s:\n%s", s, svg)
		}
	}
	if strings.Contains(svg, "<b>") {
		t.Errorf("series name not escaped")
	}
	// The tallest bar (40) tops the axis; a's 30 is 3/4 of the plot height.
	want := fmt.Sprintf(`height="%.1f"`, float64(plotH)*30/40)
	if !strings.Contains(svg, want) {
		t.Errorf("a's May 3 segment should have %s:\n%s", want, svg)
	}
	if (barChart{Labels: []string{"x"}, Series: []series{{Values: []int64{0}}}}).SVG() != "" {
		t.Errorf("empty chart drew something")
	}
}

func TestStack(t *testing.T) {
	t.Parallel()
	values := map[string][]int64{}
	for i := 0; i < maxSeries+2; i++ {
		values[fmt.Sprintf("m%d", i)] = []int64{int64(100 - i), 1}
	}
	values["zero"] = []int64{0, 0}
	got := stack(values, 2)
	if len(got) != maxSeries+1 {
		t.Fatalf("%d series, want %d named + other", len(got), maxSeries)
	}
	if got[0].Name != "m0" || got[0].Color != palette[0] {
		t.Errorf("biggest first: %+v", got[0])
	}
	other := got[len(got)-1]
	if other.Name != "other" || other.Values[0] != (100-6)+(100-7) || other.Values[1] != 2 {
		t.Errorf("other = %+v", other)
	}
	// A second chart of the same breakdown keeps names and colours.
	cost := map[string][]int64{"m1": {5, 0}, "m7": {1, 1}, "new": {2, 0}}
	like := stackLike(cost, got, 2)
	if len(like) != len(got) || like[1].Name != "m1" || like[1].Color != got[1].Color || like[1].Values[0] != 5 {
		t.Errorf("stackLike = %+v", like)
	}
	if o := like[len(like)-1]; o.Name != "other" || o.Values[0] != 3 || o.Values[1] != 1 {
		t.Errorf("stackLike other = %+v", o)
	}
}
