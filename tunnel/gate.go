package tunnel

import "net/http"

// ReadyGate answers 503 with the node's state and what to do about it
// while the node cannot carry traffic, so the local port can open at once
// and a person running curl learns why nothing works yet. A node that was
// Running and is briefly re-syncing still forwards: the dial decides.
// The answer goes to any local process, so it never carries the login
// URL: it points to statusCmd ("ts-unplug status") and the log instead.
func ReadyGate(n *Node, statusCmd string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := n.State()
		switch {
		case st.Phase == PhaseRunning:
		case st.Phase == PhaseStarting && isClosed(n.Ready()):
		default:
			w.Header().Set("Retry-After", "5")
			WriteJSONError(w, http.StatusServiceUnavailable, "tailnet_not_ready", st.LocalMessage(statusCmd))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
