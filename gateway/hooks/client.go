package hooks

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/tsplug/ts-plug/gateway/config"
)

// maxHookAnswer bounds what is read of a hook's answer: a guardrail's
// modified request body at most, which the gateway would have refused
// from a client beyond its own body limit anyway.
const maxHookAnswer = 64 << 20

// client posts payloads to hooks.
type client struct {
	rt        http.RoundTripper
	userAgent string
	// gzipOK remembers, per hook URL, that the hook said (RFC 7694: an
	// Accept-Encoding header on its answers) it reads gzip-encoded
	// requests, so later payloads are compressed; a 415 turns it off.
	gzipOK sync.Map // url → bool
}

// answer is what a hook said.
type answer struct {
	status int
	body   []byte
}

// post sends payload to h, within h's timeout, with its credential. The
// error never holds the credential, nor a password in the URL.
func (c *client) post(ctx context.Context, h *config.Hook, payload []byte) (answer, error) {
	if h.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.Timeout)
		defer cancel()
	}
	gz, _ := c.gzipOK.Load(h.URL)
	compress, _ := gz.(bool)
	a, err := c.send(ctx, h, payload, compress)
	if err == nil && compress && a.status == http.StatusUnsupportedMediaType {
		// The hook no longer reads gzip: say it plainly from now on.
		c.gzipOK.Store(h.URL, false)
		a, err = c.send(ctx, h, payload, false)
	}
	if err != nil {
		return answer{}, hookError(h, err)
	}
	return a, nil
}

func (c *client) send(ctx context.Context, h *config.Hook, payload []byte, compress bool) (answer, error) {
	body := payload
	if compress {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(payload)
		zw.Close()
		body = buf.Bytes()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if compress {
		req.Header.Set("Content-Encoding", "gzip")
	}
	setCredential(req.Header, h.Authorization, h.APIKey)
	res, err := c.rt.RoundTrip(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	if ae := res.Header.Get("Accept-Encoding"); ae != "" {
		c.gzipOK.Store(h.URL, acceptsGzip(ae))
	}
	rd := io.Reader(res.Body)
	if strings.EqualFold(res.Header.Get("Content-Encoding"), "gzip") {
		// A transport that asked for gzip itself decodes it; one that
		// did not (or a hook that compresses unasked) is decoded here.
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			return answer{}, fmt.Errorf("reading gzip answer: %w", err)
		}
		defer zr.Close()
		rd = zr
	}
	b, err := io.ReadAll(io.LimitReader(rd, maxHookAnswer+1))
	if err != nil {
		return answer{}, fmt.Errorf("reading answer: %w", err)
	}
	if len(b) > maxHookAnswer {
		return answer{}, fmt.Errorf("answer is larger than %d MiB", maxHookAnswer>>20)
	}
	return answer{status: res.StatusCode, body: b}, nil
}

// setCredential adds a hook's key in the header its authorization names.
func setCredential(hdr http.Header, authorization, key string) {
	if key == "" {
		return
	}
	switch authorization {
	case config.AuthXAPIKey:
		hdr.Set("X-Api-Key", key)
	case config.AuthXGoogAPIKey:
		hdr.Set("X-Goog-Api-Key", key)
	default:
		hdr.Set("Authorization", "Bearer "+key)
	}
}

// acceptsGzip reports whether an Accept-Encoding value admits gzip: it
// names gzip (or *) with a q-value other than zero.
func acceptsGzip(v string) bool {
	for part := range strings.SplitSeq(v, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		enc = strings.TrimSpace(enc)
		if !strings.EqualFold(enc, "gzip") && enc != "*" {
			continue
		}
		for p := range strings.SplitSeq(params, ";") {
			k, q, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(q), 64); err == nil && f == 0 {
					return false
				}
			}
		}
		return true
	}
	return false
}

// hookError describes err without the hook's key or a password in its
// URL: url.Error repeats the URL, and a transport error may quote it.
func hookError(h *config.Hook, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if h.APIKey != "" {
		msg = strings.ReplaceAll(msg, h.APIKey, "[REDACTED]")
	}
	if u, perr := url.Parse(h.URL); perr == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "[REDACTED]")
		}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("no answer within %s", h.Timeout)
	case errors.Is(err, context.Canceled):
		return errors.New("request canceled")
	}
	return errors.New(msg)
}
