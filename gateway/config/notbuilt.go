package config

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/tailscale/hujson"
)

// notBuiltYet ends every refusal of a field that the config format has
// (Aperture's) but this gateway does not act on yet. Accepting it would be
// worse than refusing it: an admin who configures a fail_closed guardrail
// believes requests are screened.
const notBuiltYet = "is not built in this gateway yet, so it would do nothing; remove it (the config is refused rather than silently ignore it)"

// refuseNotBuilt turns the refusals on; parse tests of those fields (kept
// for when they are built) turn it off.
var refuseNotBuilt = true

// notBuiltMu serializes ParseAcceptingNotBuilt's use of refuseNotBuilt.
var notBuiltMu sync.Mutex

// unbuilt fails v as a field that is not built yet.
func (w *walker) unbuilt(v *hujson.Value, pth, format string, args ...any) {
	if refuseNotBuilt {
		w.fail(v, pth, format, args...)
	}
}

// refuseUnbuilt fails a member whose value is set (not null, {}, [] or
// false): what the gateway would silently ignore.
func (w *walker) refuseUnbuilt(v *hujson.Value, pth, what string) {
	raw := bytes.TrimSpace(toJSON(v))
	switch string(raw) {
	case "", "null", "{}", "[]", "false", `""`:
		return
	}
	var empty any
	if json.Unmarshal(raw, &empty) == nil {
		if m, ok := empty.(map[string]any); ok && len(m) == 0 {
			return
		}
		if a, ok := empty.([]any); ok && len(a) == 0 {
			return
		}
	}
	w.unbuilt(v, pth, "%s %s", what, notBuiltYet)
}

// ParseAcceptingNotBuilt is Parse without the refusal of fields that are
// not built yet, for tests in other packages of the code that will act on
// them (grants gather send_hooks). The gateway never calls it.
func ParseAcceptingNotBuilt(src []byte) (*Config, []Diagnostic, error) {
	notBuiltMu.Lock()
	defer notBuiltMu.Unlock()
	refuseNotBuilt = false
	defer func() { refuseNotBuilt = true }()
	return Parse(src)
}
