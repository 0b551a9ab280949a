package tunnel

import (
	"cmp"
	"fmt"
	"strings"
)

// Phase is where a node is on its way to Running, in terms a person can
// act on.
type Phase string

// Phases of a node.
const (
	PhaseStarting      Phase = "starting"
	PhaseNeedsLogin    Phase = "needs-login"
	PhaseNeedsApproval Phase = "needs-approval"
	PhaseUnreachable   Phase = "control-unreachable"
	PhaseFailed        Phase = "failed"
	PhaseStopped       Phase = "stopped"
	PhaseRunning       Phase = "running"
)

// State is a snapshot of a node, as `status` and the 503 answers show it.
type State struct {
	Phase          Phase    `json:"phase"`
	BackendState   string   `json:"backend_state,omitempty"`
	Hostname       string   `json:"hostname"`
	DNSName        string   `json:"dns_name,omitempty"`
	IPs            []string `json:"tailnet_ips,omitempty"`
	LoginName      string   `json:"login_name,omitempty"`
	Tags           []string `json:"tags,omitempty"` // the device's ACL tags: then it has no user
	Tailnet        string   `json:"tailnet,omitempty"`
	MagicDNSSuffix string   `json:"magic_dns_suffix,omitempty"`
	AuthURL        string   `json:"login_url,omitempty"`
	ControlURL     string   `json:"control_url,omitempty"`
	Health         []string `json:"health,omitempty"`
	Err            string   `json:"error,omitempty"`
}

// DeviceName is the device's MagicDNS name once known, else the name it
// asked for.
func (s State) DeviceName() string { return cmp.Or(s.DNSName, s.Hostname) }

// Message says what the state is and what to do about it.
func (s State) Message() string {
	switch s.Phase {
	case PhaseRunning:
		return fmt.Sprintf("tailnet device %s is connected (%s) as %s", s.DeviceName(), strings.Join(s.IPs, ", "), s.LoginName)
	case PhaseNeedsLogin:
		return fmt.Sprintf("tailnet device %s needs to log in: open %s in a browser (or restart with an auth key)", s.Hostname, s.AuthURL)
	case PhaseNeedsApproval:
		return fmt.Sprintf("waiting for an admin to approve device %s in the admin console (Machines page)", s.Hostname)
	case PhaseUnreachable:
		ctl := s.ControlURL
		if ctl == "" {
			ctl = "the Tailscale coordination server"
		}
		return fmt.Sprintf("cannot reach the coordination server (%s); still trying: check the network and -control-url", ctl)
	case PhaseFailed:
		return fmt.Sprintf("tailnet device %s cannot join the tailnet: %s", s.Hostname, s.Err)
	case PhaseStopped:
		return fmt.Sprintf("tailnet device %s is stopped", s.Hostname)
	default:
		return fmt.Sprintf("tailnet device %s is starting (%s)", s.Hostname, orDash(s.BackendState))
	}
}

// LocalMessage is Message for an answer to anyone who can reach a local
// port: every process on the machine, and web pages in its browsers. It
// never holds the login URL, which would let them log the device into
// their own tailnet (or watch the owner log in); the URL is only in the
// log and in statusCmd, which reads an owner-only socket.
func (s State) LocalMessage(statusCmd string) string {
	if s.Phase == PhaseNeedsLogin {
		return fmt.Sprintf("tailnet device %s needs login; run `%s` or see the log", s.Hostname, statusCmd)
	}
	s.AuthURL = ""
	return s.Message()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
