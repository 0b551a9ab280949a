package apis

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tsplug/ts-plug/tunnel/headername"
	"golang.org/x/net/http/httpguts"
)

// Authorization types a provider's "authorization" setting may name.
const (
	AuthBearer       = "bearer"               // Authorization: Bearer <key> (default)
	AuthXAPIKey      = "x-api-key"            // x-api-key: <key> (Anthropic)
	AuthXGoogAPIKey  = "x-goog-api-key"       // x-goog-api-key: <key> (Gemini)
	AuthCFAIGateway  = "cf-aig-authorization" // cf-aig-authorization: Bearer <key> (Cloudflare AI Gateway)
	redactedValue    = "REDACTED"
	forwardedXPrefix = "x-forwarded-"
)

// hopByHop are the RFC 9110 §7.6.1 connection-specific headers, plus the
// non-standard Proxy-Connection, which a proxy must never forward.
var hopByHop = []string{
	"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
	"proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
}

// credentialHeaders carry a caller's or a provider's secret. The caller's
// must not reach the provider (the gateway injects its own key) and none
// may be echoed back.
var credentialHeaders = []string{
	"authorization", "proxy-authorization", "x-api-key", "x-goog-api-key",
	"api-key",                   // Azure OpenAI
	"ocp-apim-subscription-key", // Azure API Management
	"cf-aig-authorization",      // Cloudflare AI Gateway
	"x-amz-security-token",      // AWS session credentials
	"cookie", "cookie2",
}

// passedCredentialHeaders are the credential headers a provider with
// auth_mode passthrough receives from the caller as sent: every entry of
// credentialHeaders but Proxy-Authorization, which authenticates to a
// proxy (this hop), not to the provider, and cookies, which belong to a
// browser's session with the gateway.
var passedCredentialHeaders = []string{
	"authorization", "x-api-key", "x-goog-api-key", "api-key",
	"ocp-apim-subscription-key", "cf-aig-authorization", "x-amz-security-token",
}

// ClientCredentials returns a copy, with canonical keys, of the
// credential headers in h (matched in any letter case) that passthrough
// forwards, blank values left out; nil when the client sent none.
func ClientCredentials(h http.Header) http.Header {
	var out http.Header
	for k, vs := range h {
		if !slices.Contains(passedCredentialHeaders, strings.ToLower(k)) {
			continue
		}
		for _, v := range vs {
			if strings.TrimSpace(v) == "" {
				continue
			}
			if out == nil {
				out = http.Header{}
			}
			ck := textproto.CanonicalMIMEHeaderKey(k)
			out[ck] = append(out[ck], v)
		}
	}
	return out
}

// KeyQuery returns the non-blank values of Gemini's ?key= parameter in q,
// in any letter case: the API key a client may put in the URL instead of
// a header.
func KeyQuery(q url.Values) []string {
	var out []string
	for k, vs := range q {
		if !strings.EqualFold(k, "key") {
			continue
		}
		for _, v := range vs {
			if strings.TrimSpace(v) != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// SanitizeRequestHeaders prepares a client's headers for the upstream
// request, in place. It removes:
//
//   - the client's credentials (Authorization, X-Api-Key, X-Goog-Api-Key,
//     Proxy-Authorization, Api-Key and similar, cookies): clients send
//     placeholders, and a real key a user pasted must not leak to another
//     provider; InjectKey adds the provider's own (or, for a provider with
//     auth_mode passthrough, the caller's from ClientCredentials goes back);
//   - every Tailscale-* header: those are identity assertions the gateway
//     itself may trust on other paths, so a client must never be able to
//     forge one, in any letter case;
//   - hop-by-hop headers, including any a Connection header names;
//   - X-Forwarded-*, Forwarded and X-Real-Ip sent by the client, which would
//     let it claim another address;
//   - Accept-Encoding, so Go's transport negotiates gzip itself and hands
//     the gateway a decoded stream it can meter, instead of relaying
//     brotli/zstd bytes it cannot read.
//
// Keys are matched case-insensitively, so a map filled by hand with
// non-canonical keys is cleaned too.
func SanitizeRequestHeaders(h http.Header) {
	removeConnectionHeaders(h)
	var buf [lowerNameBuf]byte
	for k := range h {
		lk := lowerName(buf[:0], k)
		if isHopByHop(lk) || isCredential(lk) ||
			headername.Reserved(k) ||
			bytes.HasPrefix(lk, []byte(forwardedXPrefix)) ||
			string(lk) == "forwarded" || string(lk) == "x-real-ip" || string(lk) == "accept-encoding" {
			delete(h, k)
		}
	}
}

// SanitizeResponseHeaders prepares an upstream response's headers for the
// client, in place. It removes hop-by-hop headers (and those Connection
// names), anything that could echo a credential (the credential headers
// above and Set-Cookie, which would hand the provider's session cookies to
// every caller), Tailscale-* headers, and Alt-Svc, which advertises the
// provider's alternative endpoints, not the gateway's.
func SanitizeResponseHeaders(h http.Header) {
	removeConnectionHeaders(h)
	var buf [lowerNameBuf]byte
	for k := range h {
		lk := lowerName(buf[:0], k)
		if isHopByHop(lk) || isCredential(lk) ||
			headername.Reserved(k) ||
			string(lk) == "set-cookie" || string(lk) == "set-cookie2" || string(lk) == "alt-svc" {
			delete(h, k)
		}
	}
}

// removeConnectionHeaders deletes the headers every Connection header
// names (RFC 9110 §7.6.1), in any letter case.
func removeConnectionHeaders(h http.Header) {
	var named []string
	for k, vs := range h {
		if !strings.EqualFold(k, "Connection") {
			continue
		}
		for _, v := range vs {
			for f := range strings.SplitSeq(v, ",") {
				if f = strings.TrimSpace(f); f != "" {
					named = append(named, strings.ToLower(f))
				}
			}
		}
	}
	if len(named) == 0 {
		return
	}
	for k := range h {
		for _, n := range named {
			if strings.EqualFold(k, n) {
				delete(h, k)
			}
		}
	}
}

// lowerNameBuf is the room lowerName lowers a name in without
// allocating: longer than any header name a client or provider sends.
const lowerNameBuf = 64

// lowerName returns name lower-cased exactly as strings.ToLower does,
// appended to buf (which it grows only for a longer name): every header
// of every request is matched by its lower-case name, and
// strings.ToLower allocates for each canonical one ("Content-Type").
// A name that is not ASCII takes strings.ToLower's own path.
func lowerName(buf []byte, name string) []byte {
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			return append(buf, strings.ToLower(name)...)
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return buf
}

// isHopByHop reports whether the lower-case name is hop-by-hop.
func isHopByHop(lk []byte) bool {
	for _, n := range hopByHop {
		if string(lk) == n {
			return true
		}
	}
	return false
}

// isCredential reports whether the lower-case name carries a credential.
func isCredential(lk []byte) bool {
	for _, n := range credentialHeaders {
		if string(lk) == n {
			return true
		}
	}
	return false
}

// deleteFold removes name from h in any letter case.
func deleteFold(h http.Header, name string) {
	for k := range h {
		if strings.EqualFold(k, name) {
			delete(h, k)
		}
	}
}

// ErrUnknownAuthorization is returned by InjectKey for an authorization
// type it does not know.
var ErrUnknownAuthorization = errors.New("unknown authorization type")

// InjectKey sets the provider credential on an upstream request's headers.
// authorization is the provider's "authorization" setting: "bearer" (or
// "", the default), "x-api-key", "x-goog-api-key" or
// "cf-aig-authorization". Every credential header is removed first, so
// exactly one credential travels even if SanitizeRequestHeaders was
// skipped. An empty key injects nothing: a provider without an apikey gets
// an unauthenticated request, which is what a keyless self-hosted upstream
// expects.
func InjectKey(h http.Header, authorization, key string) error {
	var name, value string
	switch strings.ToLower(authorization) {
	case "", AuthBearer:
		name, value = "Authorization", "Bearer "+key
	case AuthXAPIKey:
		name, value = "X-Api-Key", key
	case AuthXGoogAPIKey:
		name, value = "X-Goog-Api-Key", key
	case AuthCFAIGateway:
		name, value = "Cf-Aig-Authorization", "Bearer "+key
	default:
		return fmt.Errorf("inject key: %w %q", ErrUnknownAuthorization, authorization)
	}
	RemoveCredentials(h)
	if key != "" {
		h.Set(name, value)
	}
	return nil
}

// RemoveCredentials deletes every credential header from h, in any letter
// case, for an upstream request that must carry none.
func RemoveCredentials(h http.Header) {
	for _, n := range credentialHeaders {
		deleteFold(h, n)
	}
}

// AddHeaders adds "Name: value" lines (a provider's or grant's
// add_headers) to h. Values are added, not set, so a configured
// anthropic-beta joins the client's rather than replacing it. A line
// without a colon, with an invalid header name, or with CR, LF or NUL in
// its value is skipped; the returned error lists every skipped line so the
// caller can log it, and is nil when all lines applied.
func AddHeaders(h http.Header, lines []string) error {
	var errs []error
	for _, line := range lines {
		name, value, ok := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("add header %q: missing ':'", line))
		case !httpguts.ValidHeaderFieldName(name):
			errs = append(errs, fmt.Errorf("add header %q: invalid header name", line))
		case strings.ContainsAny(value, "\r\n\x00"):
			errs = append(errs, fmt.Errorf("add header %q: invalid header value", line))
		default:
			h.Add(name, value)
		}
	}
	return errors.Join(errs...)
}

// StripKeyQuery removes Gemini's ?key= API key parameter from q, in place,
// so a key a client put in the URL never reaches the provider or the logs.
func StripKeyQuery(q url.Values) {
	for k := range q {
		if strings.EqualFold(k, "key") {
			delete(q, k)
		}
	}
}

// RedactHeaders returns a copy of h, with canonical keys, in which every
// value of a secret-bearing header is "REDACTED", for logs and captures.
// Secret-bearing means a known credential header, Set-Cookie, or a name
// that says it holds a secret (…api-key, …apikey, …secret…, …password…,
// …authorization…, …token but not the …tokens… of rate-limit headers).
// Two spellings of one name ("X-Api-Key", "x-api-key") are joined in the
// byte order of their spellings, so that a capture stores the same bytes
// whatever the order of the map: AppendRedactedHeaders lists them in
// that order too.
//
// Like http.Header.Clone, it copies all values into one array rather
// than one per header.
func RedactHeaders(h http.Header) http.Header {
	n := 0
	for _, vs := range h {
		n += len(vs)
	}
	vals := make([]string, 0, n)
	out := make(http.Header, len(h))
	var joined []string // canonical names sent under two spellings
	var buf [lowerNameBuf]byte
	for k, vs := range h {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		start := len(vals)
		if isSecretHeader(lowerName(buf[:0], k)) {
			for range vs {
				vals = append(vals, redactedValue)
			}
		} else {
			vals = append(vals, vs...)
		}
		mine := vals[start:len(vals):len(vals)]
		if _, ok := out[ck]; ok {
			joined = append(joined, ck) // joined below, in spelling order
		} else if len(mine) == 0 {
			mine = nil // as append(nil) left it: JSON null
		}
		out[ck] = mine
	}
	for _, ck := range joined {
		out[ck] = joinSpellings(h, ck)
	}
	return out
}

// joinSpellings is RedactHeaders' entry for canonical name ck, sent under
// several spellings: their redacted values, in a new array, spellings in
// byte order; nil when none has a value.
func joinSpellings(h http.Header, ck string) []string {
	var keys []string
	for k := range h {
		if textproto.CanonicalMIMEHeaderKey(k) == ck {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		if isSecretKey(k) {
			for range h[k] {
				out = append(out, redactedValue)
			}
		} else {
			out = append(out, h[k]...)
		}
	}
	return out
}

// RedactedHeader is one key of a header map as RedactHeaders keeps it.
type RedactedHeader struct {
	Name string // canonical
	// Values are the key's values, each "REDACTED" when the name
	// carries a secret. They are shared with the map, or with other
	// entries: read only.
	Values []string
	key    string // as spelled in the map: orders two spellings of Name
}

// AppendRedactedHeaders appends to dst one entry per key of h, sorted by
// Name and, for two spellings of one name, in the order RedactHeaders
// joins them: RedactHeaders(h)[Name] is the Values of the consecutive
// entries of Name, joined, or nil when they hold none. It is
// RedactHeaders without the copy, for a capture, which encodes every
// request's headers and its answer's: nothing is allocated but dst's
// growth (a caller's array on the stack holds an ordinary request's
// headers).
func AppendRedactedHeaders(dst []RedactedHeader, h http.Header) []RedactedHeader {
	start := len(dst)
	var buf [lowerNameBuf]byte
	for k, vs := range h {
		e := RedactedHeader{Name: textproto.CanonicalMIMEHeaderKey(k), Values: vs, key: k}
		if isSecretHeader(lowerName(buf[:0], k)) {
			e.Values = redactedValues(len(vs))
		}
		dst = append(dst, e)
	}
	slices.SortFunc(dst[start:], func(a, b RedactedHeader) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.key, b.key))
	})
	return dst
}

// redactedRun backs the Values of a secret header's entry: a header sent
// more often is rare enough to take its own array.
var redactedRun = [8]string{redactedValue, redactedValue, redactedValue, redactedValue,
	redactedValue, redactedValue, redactedValue, redactedValue}

// redactedValues is n copies of the redacted value.
func redactedValues(n int) []string {
	if n <= len(redactedRun) {
		return redactedRun[:n:n]
	}
	vs := make([]string, n)
	for i := range vs {
		vs[i] = redactedValue
	}
	return vs
}

// isSecretKey reports whether the header a map holds under key (any
// letter case, as sent) carries a secret: the rule RedactHeaders applies
// to each key.
func isSecretKey(key string) bool {
	var buf [lowerNameBuf]byte
	return isSecretHeader(lowerName(buf[:0], key))
}

// IsSecretHeaderName reports whether a header of this name carries a
// secret, by the rule RedactHeaders applies: a credential header, or a
// name that says it holds one (api-key, secret, password, …, ending in
// token). Other code that must not let such a value leave the host uses
// it too (a shared config's add_headers).
func IsSecretHeaderName(name string) bool {
	return isSecretKey(strings.TrimSpace(name))
}

// secretNameParts are the parts of a header name that say it holds a
// secret.
var secretNameParts = []string{"api-key", "apikey", "api_key", "secret", "password", "authorization", "credential", "cookie"}

// isSecretHeader reports whether the lower-case name carries a secret.
func isSecretHeader(lk []byte) bool {
	if isCredential(lk) || string(lk) == "set-cookie" || string(lk) == "set-cookie2" {
		return true
	}
	for _, s := range secretNameParts {
		if bytes.Contains(lk, []byte(s)) {
			return true
		}
	}
	return bytes.HasSuffix(lk, []byte("token")) || bytes.Contains(lk, []byte("-token-")) || bytes.Contains(lk, []byte("_token_"))
}
