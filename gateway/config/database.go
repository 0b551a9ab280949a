package config

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tailscale/hujson"
)

// Database holds the "database" block: how long captured request and
// response bodies are kept.
type Database struct {
	Retention Retention
}

// DefaultRetention is how long captures (request and response headers
// and bodies, the prompts and answers themselves) are kept when the config
// does not say: long enough to look into last month's problems, short
// enough that the gateway is not an archive of every prompt. Metric rows
// (tokens, cost, model, who, when) are never purged, whatever the
// retention: dashboards and billing need every one.
const DefaultRetention = "30d"

// defaultRetention is the Retention in force without a
// "database.retention.duration": DefaultRetention, captures only.
func defaultRetention() Retention {
	_, d, _ := ParseRetention(DefaultRetention)
	return Retention{Duration: DefaultRetention, Period: d, Purge: []string{"captures"}}
}

// Retention says when captures are purged. Metric rows are always kept.
type Retention struct {
	Duration      string        // as written ("", "0", "30d", "720h"), or DefaultRetention
	Forever       bool          // true when Duration is written "" (keep forever)
	Period        time.Duration // purge captures older than this; 0 = do not keep bodies
	RequireExport bool          // purge only captures exported to S3
	Purge         []string      // what to purge: "captures", "tools"
}

// Retention bounds from the spec.
const (
	MinRetention = time.Hour
	MaxRetention = 3650 * 24 * time.Hour
)

// ParseRetention parses a retention duration: "" keeps forever, "0" keeps
// nothing, otherwise a Go duration or a whole number of days ("30d")
// between MinRetention and MaxRetention.
func ParseRetention(s string) (forever bool, d time.Duration, ok bool) {
	switch s = strings.TrimSpace(s); s {
	case "":
		return true, 0, true
	case "0":
		return false, 0, true
	}
	if days, found := strings.CutSuffix(s, "d"); found {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 3650 {
			return false, 0, false
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return false, 0, false
		}
	}
	if d < MinRetention || d > MaxRetention {
		return false, 0, false
	}
	return false, d, true
}

func (w *walker) parseDatabase(v *hujson.Value, pth string) Database {
	db := Database{Retention: defaultRetention()}
	obj, ok := w.object(v, pth)
	if !ok {
		return db
	}
	w.members(obj, pth, map[string]fieldFunc{
		"retention": func(v *hujson.Value, pth string) {
			o, ok := w.object(v, pth)
			if !ok {
				return
			}
			r := &db.Retention
			w.members(o, pth, map[string]fieldFunc{
				"duration": func(v *hujson.Value, p string) {
					s, ok := w.str(v, p)
					if !ok {
						return
					}
					forever, d, ok := ParseRetention(s)
					if !ok {
						w.warn(v, p, "invalid retention duration %q (want \"\" for forever, \"0\", \"30d\" or a duration between 1h and 3650d); keeping captures the default %s", s, DefaultRetention)
						return
					}
					r.Duration, r.Forever, r.Period = s, forever, d
				},
				"require_export": func(v *hujson.Value, p string) {
					r.RequireExport, _ = w.boolean(v, p)
					if r.RequireExport {
						w.later = append(w.later, func() {
							if w.cfg.Export.S3 == nil {
								w.fail(v, p, "require_export keeps captures until they are exported to S3, but no S3 exporter is configured (exporters.s3 with a bucket_name), so none would ever be purged")
							}
						})
					}
				},
				"purge": func(v *hujson.Value, p string) {
					list, ok := w.strings(v, p)
					if !ok {
						return
					}
					r.Purge = nil
					for _, s := range list {
						if !slices.Contains([]string{"captures", "tools"}, s) {
							w.warn(v, p, "unknown purge target %q (want captures or tools)", s)
							continue
						}
						r.Purge = append(r.Purge, s)
					}
				},
			})
		},
	})
	return db
}
