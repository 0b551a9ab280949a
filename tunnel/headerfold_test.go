package tunnel

import (
	"net/http"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/net/http/httpguts"
)

// identityHeaders are every header a tunnel sets, plus the one `tailscale
// serve` documents and removes.
var identityHeaders = []string{HeaderUserLogin, HeaderUserName, HeaderUserProfilePic, HeaderNodeName,
	HeaderTags, HeaderAppCapabilities, HeaderFunnelRequest, "Tailscale-Headers-Info"}

func TestIsReservedHeader(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"Tailscale-User-Login", true},
		{"tailscale-user-login", true},
		{"Tailscale_User_Login", true},
		{"TAILSCALE_USER_LOGIN", true},
		{"Tailscale.User.Login", true},
		{"Tailscale-User_Login", true},
		{"Tailscale--User--Login", true},
		{"TailscaleUserLogin", true},
		{"X-Tailscale-User-Login", true},
		{"X_Forwarded_Tailscale_Tags", true},
		{"Tailscale~Funnel~Request", true},
		{"Tailscale-Headers-Info", true},
		{"Tailscale-Anything-New", true},
		{"Tailscale User Login", true}, // not a token
		{"Tailſcale-User-Login", true}, // not a token; Unicode upper-cases ſ to S
		{"", true},
		{"Authorization", false},
		{"X-Forwarded-For", false},
		{"X_Request_Id", false},
		{"Content-Type", false},
		{"Tail-Light", false},
		{"Scale", false},
	}
	for _, tt := range tests {
		if got := IsReservedHeader(tt.name); got != tt.want {
			t.Errorf("IsReservedHeader(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestStripTailscaleHeaders(t *testing.T) {
	h := http.Header{
		"Tailscale-User-Login":   {"evil", "evil"},
		"Tailscale_user_login":   {"evil"},
		"TAILSCALE_USER_LOGIN":   {"evil"},
		"Tailscale.User.Login":   {"evil"},
		"X-Tailscale-User-Login": {"evil"},
		"Authorization":          {"Bearer keep"},
		"X_Request_Id":           {"keep"},
	}
	StripTailscaleHeaders(h)
	if len(h) != 2 || h.Get("Authorization") != "Bearer keep" || h["X_Request_Id"][0] != "keep" {
		t.Errorf("after stripping: %v", h)
	}
	StripTailscaleHeaders(nil) // a request without trailers
}

// The ways servers turn a header name into the name an application reads.
var serverFolds = map[string]func(string) string{
	// CGI, WSGI, Rack, PHP: upper case, '-' becomes '_'.
	"cgi": func(s string) string { return "HTTP_" + strings.ToUpper(strings.ReplaceAll(s, "-", "_")) },
	// Servers that fold every separator, '.' included.
	"separators": func(s string) string {
		return "HTTP_" + strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return unicode.ToUpper(r)
			}
			return '_'
		}, s)
	},
	// Unicode-aware upper-casing (Python's str.upper on a decoded name).
	"unicode": func(s string) string {
		return "HTTP_" + strings.ReplaceAll(strings.ReplaceAll(strings.ToUpper(s), "-", "_"), ".", "_")
	},
	// Case-insensitive lookups that also ignore separators.
	"loose": func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return unicode.ToLower(r)
			}
			return -1
		}, s)
	},
}

// FuzzIsReservedHeader checks that no spelling any server model folds to
// an identity header's name survives, and that a valid name with no
// trace of "tailscale" in it always does.
func FuzzIsReservedHeader(f *testing.F) {
	for _, s := range []string{"Tailscale_User_Login", "tailscale-user-login", "TAILSCALE.USER.LOGIN",
		"X-Tailscale-Tags", "Tailſcale-Tags", "Authorization", "X_Request_Id", "tail.scale", "a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		reserved := IsReservedHeader(name)
		for model, fold := range serverFolds {
			got := fold(name)
			for _, id := range identityHeaders {
				if got == fold(id) && !reserved {
					t.Fatalf("%q folds to %s (%s) like %s, but is not reserved", name, got, model, id)
				}
			}
		}
		if httpguts.ValidHeaderFieldName(name) && !strings.Contains(serverFolds["loose"](name), "tailscale") && reserved {
			t.Fatalf("ordinary header %q is reserved", name)
		}
		h := http.Header{name: {"x"}}
		StripTailscaleHeaders(h)
		if (len(h) == 0) != reserved {
			t.Fatalf("StripTailscaleHeaders kept=%v for %q, reserved=%v", len(h) == 1, name, reserved)
		}
	})
}
