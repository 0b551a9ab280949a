package headername

import "testing"

// The full table and the fuzz test, against models of how servers fold
// names, are in package tunnel (headerfold_test.go); these are the cases
// the gateway relies on.
func TestReserved(t *testing.T) {
	for name, want := range map[string]bool{
		"Tailscale-User-Login":   true,
		"Tailscale_User_Login":   true,
		"TAILSCALE.USER.LOGIN":   true,
		"X-Tailscale-User-Login": true,
		"Bad Name":               true, // not a token
		"Content-Type":           false,
		"X_Request_Id":           false,
	} {
		if got := Reserved(name); got != want {
			t.Errorf("Reserved(%q) = %v, want %v", name, got, want)
		}
	}
}
