package config

import (
	"net/url"
	"strings"
	"time"

	"github.com/tailscale/hujson"
)

// Exporters holds the "exporters" block: where the gateway copies its
// request records.
type Exporters struct {
	// S3 is the S3 exporter; nil when there is none (no "s3" member, or
	// an empty bucket_name, which the format uses to switch it off).
	S3 *S3Exporter
}

// S3Exporter is "exporters.s3": every Every, the gateway uploads the
// request records written since the last upload (at most Limit of them)
// as one object to Bucket. It is comparable, so a reload can tell whether
// it changed.
type S3Exporter struct {
	Bucket string
	// Region signs the requests; S3-compatible services need one too.
	Region string
	// Endpoint is the service's http(s) URL (scheme and host only); ""
	// is AWS S3.
	Endpoint string
	// Prefix is the folder the objects go in, without a trailing "/".
	Prefix      string
	AccessKeyID string
	// AccessSecret is the secret access key, resolved like a provider's
	// apikey (env:NAME, file:PATH or the key itself).
	AccessSecret string
	Every        time.Duration // between runs
	Limit        int           // records per run (per object)
}

// S3 exporter defaults and bounds from the spec.
const (
	DefaultS3Region = "us-east-1"
	DefaultS3Every  = 3600 * time.Second
	DefaultS3Limit  = 1000
	MaxS3Limit      = 10000
)

// exportersField decodes the "exporters" member into cfg, keeping its
// text in cfg.Exporters as well.
func (w *walker) exportersField(cfg *Config, baseDir string) fieldFunc {
	return func(v *hujson.Value, pth string) {
		cfg.Exporters = toJSON(v)
		cfg.Export = w.parseExporters(v, pth, baseDir)
	}
}

// parseExporters decodes the "exporters" block.
func (w *walker) parseExporters(v *hujson.Value, pth, baseDir string) Exporters {
	var out Exporters
	if lit, ok := v.Value.(hujson.Literal); ok && lit.Kind() == 'n' {
		return out // null: none, as the format allows for empty sections
	}
	obj, ok := w.object(v, pth)
	if !ok {
		return out
	}
	w.members(obj, pth, map[string]fieldFunc{
		"s3": func(v *hujson.Value, pth string) { out.S3 = w.parseS3Exporter(v, pth, baseDir) },
	})
	return out
}

// parseS3Exporter decodes "exporters.s3"; nil when it has no bucket_name.
func (w *walker) parseS3Exporter(v *hujson.Value, pth, baseDir string) *S3Exporter {
	obj, ok := w.object(v, pth)
	if !ok {
		return nil
	}
	s := &S3Exporter{Region: DefaultS3Region, Every: DefaultS3Every, Limit: DefaultS3Limit}
	var secretVal *hujson.Value
	var secret string
	w.members(obj, pth, map[string]fieldFunc{
		"bucket_name": func(v *hujson.Value, p string) {
			b, ok := w.str(v, p)
			if !ok {
				return
			}
			if strings.ContainsAny(b, "/ ") {
				w.fail(v, p, "bucket_name %q is not a bucket name (a folder inside the bucket goes in prefix)", b)
				return
			}
			s.Bucket = b
		},
		"region": func(v *hujson.Value, p string) {
			if r, ok := w.str(v, p); ok && r != "" {
				s.Region = r
			}
		},
		"endpoint": func(v *hujson.Value, p string) {
			e, ok := w.str(v, p)
			if !ok || e == "" {
				return
			}
			if msg := checkS3Endpoint(e); msg != "" {
				w.fail(v, p, "%s", msg)
				return
			}
			s.Endpoint = strings.TrimSuffix(e, "/")
		},
		"prefix": func(v *hujson.Value, p string) {
			x, ok := w.str(v, p)
			if !ok {
				return
			}
			if strings.HasSuffix(x, "/") || strings.HasPrefix(x, "/") {
				w.warn(v, p, "prefix %q should not start or end with \"/\" (objects go in %q)", x, strings.Trim(x, "/")+"/")
			}
			s.Prefix = strings.Trim(x, "/")
		},
		"access_key_id": func(v *hujson.Value, p string) {
			id, ok := w.str(v, p)
			if !ok {
				return
			}
			if IsSecretRef(id) {
				// Only access_secret is a secret site, whose references
				// the config API gates; reading one here would let a
				// saved config send any variable or file to any endpoint.
				w.warn(v, p, "access_key_id is used as written: env: and file: references are read only for access_secret")
			}
			s.AccessKeyID = id
		},
		"access_secret": func(v *hujson.Value, p string) { secret, _ = w.str(v, p); secretVal = v },
		"every": func(v *hujson.Value, p string) {
			n, ok := w.integer(v, p)
			if !ok {
				return
			}
			if n < 1 || n > 366*24*3600 {
				w.warn(v, p, "every %d is out of range (1 to 31622400 seconds); using %d", n, int(DefaultS3Every/time.Second))
				return
			}
			s.Every = time.Duration(n) * time.Second
		},
		"limit": func(v *hujson.Value, p string) {
			n, ok := w.integer(v, p)
			if !ok {
				return
			}
			switch {
			case n < 1:
				w.warn(v, p, "limit %d must be at least 1; using %d", n, DefaultS3Limit)
			case n > MaxS3Limit:
				w.warn(v, p, "limit %d is more than %d records per run; capped at %d", n, MaxS3Limit, MaxS3Limit)
				s.Limit = MaxS3Limit
			default:
				s.Limit = int(n)
			}
		},
	})
	if secret != "" {
		k, err := resolveSecret(secret, baseDir)
		if err != nil {
			w.warn(secretVal, joinPath(pth, "access_secret"), "the S3 exporter has no access secret: %v", err)
		}
		s.AccessSecret = k
	}
	if s.Bucket == "" {
		if !hasMember(obj, "bucket_name") && len(obj.Members) > 0 {
			w.warn(v, pth, "exporters.s3 has no bucket_name, so nothing is exported")
		}
		return nil
	}
	if (s.AccessKeyID == "") != (secret == "") {
		w.warn(v, pth, "the S3 exporter needs both access_key_id and access_secret, or neither (unsigned requests)")
	}
	return s
}

// checkS3Endpoint says what is wrong with an endpoint, or "". The S3
// client takes a scheme and host: it adds the bucket itself.
func checkS3Endpoint(e string) string {
	u, err := url.Parse(e)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "endpoint must be an http or https URL, such as \"https://storage.googleapis.com\""
	}
	if u.User != nil {
		return "endpoint must not hold credentials: they go in access_key_id and access_secret"
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "endpoint must be a scheme and host only (the bucket and prefix are added to it), not " + u.Redacted()
	}
	return ""
}
