package config

import (
	"errors"
	"strings"
)

// Header is one parsed "Name: value" entry of an add_headers list.
type Header struct {
	Name, Value string
}

// ParseHeader splits an add_headers entry "Header-Name: value" into its
// name and value. The name must be a valid HTTP token and the value must
// not contain line breaks, so config cannot smuggle extra headers. Errors
// never repeat the value, which may be a credential.
func ParseHeader(s string) (Header, error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return Header{}, errors.New("header entry has no ':' (want \"Header-Name: value\")")
	}
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if name == "" {
		return Header{}, errors.New("header entry has an empty name")
	}
	for i := 0; i < len(name); i++ {
		if !isTokenChar(name[i]) {
			return Header{}, errors.New("header name is not a valid HTTP token")
		}
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return Header{}, errors.New("header value contains a line break or NUL")
	}
	return Header{Name: name, Value: value}, nil
}

// ParseHeaders parses every entry of list, skipping invalid ones (config
// parsing has already warned about them).
func ParseHeaders(list []string) []Header {
	out := make([]Header, 0, len(list))
	for _, s := range list {
		if h, err := ParseHeader(s); err == nil {
			out = append(out, h)
		}
	}
	return out
}

// isTokenChar reports whether c may appear in an HTTP field name (RFC 9110 token).
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
