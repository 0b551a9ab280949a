package ui

import (
	"cmp"
	"fmt"
	"html"
	"html/template"
	"sort"
	"strings"
)

// palette colours chart series; it is distinguishable with the common
// colour-vision deficiencies (Okabe–Ito). The last colour is for "other".
var palette = []string{"#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#b59a00"}

const otherColor = "#8c8c8c"

// series is one stacked layer of a bar chart: a value per bar.
type series struct {
	Name   string
	Color  string
	Values []int64
}

// barChart is a stacked bar chart rendered as SVG on the server: one bar
// per label (a day), stacked by series (a model).
type barChart struct {
	Title  string   // accessible name, also the SVG <title>
	Labels []string // one per bar
	Series []series
	Format func(int64) string // axis and tooltip values
}

// Empty reports whether the chart has nothing to draw.
func (c barChart) Empty() bool {
	for _, s := range c.Series {
		for _, v := range s.Values {
			if v > 0 {
				return false
			}
		}
	}
	return true
}

// Chart geometry, in SVG user units; the SVG scales to its container.
const (
	chartW, chartH                     = 720, 220
	marginL, marginR, marginT, marginB = 64, 8, 10, 24
	plotW, plotH                       = chartW - marginL - marginR, chartH - marginT - marginB
	maxXLabels                         = 8    // x labels shown at most; the rest are skipped
	barFill                            = 0.72 // share of each slot a bar takes
	gridLines                          = 4
	chartFont                          = 11
	maxSeries                          = 6 // named series before the rest become "other"
)

// SVG renders the chart, or nothing when it is empty (pages then show an
// empty state instead). Every bar segment has a <title> tooltip, and the
// whole image an accessible name.
func (c barChart) SVG() template.HTML {
	if c.Empty() || len(c.Labels) == 0 {
		return ""
	}
	format := c.Format
	if format == nil {
		format = compactInt
	}
	var top int64
	for i := range c.Labels {
		var sum int64
		for _, s := range c.Series {
			if i < len(s.Values) {
				sum += max(s.Values[i], 0)
			}
		}
		top = max(top, sum)
	}
	top = niceCeil(top)
	title := cmp.Or(c.Title, "chart")
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" preserveAspectRatio="xMidYMid meet">`,
		chartW, chartH, html.EscapeString(title))
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(title))
	ticks := tickCount(top)
	for g := 0; g <= ticks; g++ {
		v := top * int64(g) / int64(ticks)
		y := marginT + plotH - float64(plotH)*float64(g)/float64(ticks)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, marginL, chartW-marginR, y, y)
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end" font-size="%d">%s</text>`,
			marginL-6, y+4, chartFont, html.EscapeString(format(v)))
	}
	n := len(c.Labels)
	slot := float64(plotW) / float64(n)
	bw := max(slot*barFill, 1)
	step := (n + maxXLabels - 1) / maxXLabels
	for i, label := range c.Labels {
		x := marginL + slot*float64(i) + (slot-bw)/2
		y := float64(marginT + plotH)
		for _, s := range c.Series {
			if i >= len(s.Values) || s.Values[i] <= 0 {
				continue
			}
			h := float64(plotH) * float64(s.Values[i]) / float64(top)
			y -= h
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`,
				x, y, bw, h, s.Color, html.EscapeString(label+" · "+s.Name+": "+format(s.Values[i])))
		}
		if (n-1-i)%step == 0 { // always label the latest bar
			fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="middle" font-size="%d">%s</text>`,
				marginL+slot*float64(i)+slot/2, chartH-6, chartFont, html.EscapeString(label))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// tickCount divides an axis of niceCeil height into steps that are whole
// numbers: quarters, fifths, halves, or one step.
func tickCount(top int64) int {
	switch {
	case top%gridLines == 0:
		return gridLines
	case top%5 == 0:
		return 5
	case top%2 == 0:
		return 2
	}
	return 1
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten, so axis ticks
// at quarters of it read well. It is at least 1.
func niceCeil(v int64) int64 {
	if v <= 1 {
		return 1
	}
	p := int64(1)
	for p*10 < v {
		p *= 10
	}
	for _, m := range []int64{1, 2, 4, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// stack builds the series of a chart from per-name values: the biggest
// maxSeries names (by total) get their own colour, the rest are summed
// into "other". Ties break by name, so colours are stable.
func stack(values map[string][]int64, bars int) []series {
	type tot struct {
		name string
		sum  int64
	}
	var order []tot
	for name, vs := range values {
		var s int64
		for _, v := range vs {
			s += v
		}
		if s > 0 {
			order = append(order, tot{name, s})
		}
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].sum != order[j].sum {
			return order[i].sum > order[j].sum
		}
		return order[i].name < order[j].name
	})
	var out []series
	var other []int64
	for i, t := range order {
		if i < maxSeries {
			out = append(out, series{Name: t.name, Color: palette[i%len(palette)], Values: values[t.name]})
			continue
		}
		if other == nil {
			other = make([]int64, bars)
		}
		for j, v := range values[t.name] {
			other[j] += v
		}
	}
	if other != nil {
		out = append(out, series{Name: "other", Color: otherColor, Values: other})
	}
	return out
}

// stackLike groups values into the series of legend (same names, same
// colours, anything else in "other"), so a second chart of the same
// breakdown reads with the first one's legend.
func stackLike(values map[string][]int64, legend []series, bars int) []series {
	out := make([]series, 0, len(legend))
	named := map[string]bool{}
	var other *series
	for _, l := range legend {
		if l.Name == "other" && l.Color == otherColor {
			other = &series{Name: l.Name, Color: l.Color, Values: make([]int64, bars)}
			continue
		}
		named[l.Name] = true
		vs := values[l.Name]
		if vs == nil {
			vs = make([]int64, bars)
		}
		out = append(out, series{Name: l.Name, Color: l.Color, Values: vs})
	}
	for name, vs := range values {
		if named[name] {
			continue
		}
		if other == nil {
			other = &series{Name: "other", Color: otherColor, Values: make([]int64, bars)}
		}
		for i, v := range vs {
			other.Values[i] += v
		}
	}
	if other != nil {
		out = append(out, *other)
	}
	return out
}

// swatch is a legend colour square as inline SVG (the page's security
// policy forbids inline styles, but SVG fill attributes are fine).
func swatch(color string) template.HTML {
	return template.HTML(`<svg class="swatch" viewBox="0 0 10 10" aria-hidden="true"><rect width="10" height="10" rx="2" fill="` +
		html.EscapeString(color) + `"/></svg>`)
}
