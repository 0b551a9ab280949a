package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tsplug/ts-plug/tunnel"
	"tailscale.com/ipn/ipnstate"
	"tailscale.com/util/dnsname"
)

// keyExpiryWarning is how long before the gateway's node key expires the
// dashboard and the log start saying so: long enough to catch a
// fortnight's holiday, short enough not to be ignored as permanent.
const keyExpiryWarning = 14 * 24 * time.Hour

// joinPlan says, in one line at start, how the gateway's device will join
// the tailnet and what follows from it (who owns the device, whether its
// key expires), since that is decided once, at the first start, and is
// hard to change later. tailnetDir is the node's state directory.
func joinPlan(hostname, tailnetDir string, authKey bool, tags []string, ephemeral bool) string {
	if st, err := os.Stat(filepath.Join(tailnetDir, "tailscaled.state")); err == nil && st.Size() > 0 {
		return fmt.Sprintf("tailnet: rejoining as the device saved in %s (requested name %q); to join as a new device, stop aperture and move that directory away", tailnetDir, hostname)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "tailnet: joining as a new device %q", hostname)
	if ephemeral {
		b.WriteString(" (ephemeral: removed from the tailnet soon after it goes offline)")
	}
	tagged := strings.Join(tags, ",")
	switch {
	case authKey && tagged != "":
		fmt.Fprintf(&b, " with an auth key, tagged %s: the device belongs to the tags, and a tagged device's key does not expire unless the tailnet says so", tagged)
	case authKey:
		b.WriteString(" with an auth key: the device belongs to whoever created the key (unless the key itself is tagged), and its node key expires (180 days by default). For a server, tag it: --advertise-tags tag:aperture")
	case tagged != "":
		fmt.Fprintf(&b, " tagged %s, interactively: the log then shows a login URL, and whoever opens it must be an owner of those tags (tagOwners in the tailnet policy). An auth key (--authkey) avoids the login", tagged)
	default:
		b.WriteString(" interactively: the log then shows a login URL to open; whoever logs in owns the device, and its node key expires (180 days by default) unless key expiry is disabled for it. For a server, prefer --authkey KEY --advertise-tags tag:aperture")
	}
	return b.String()
}

// renamedDevice reports whether the tailnet gave the device another name
// than the one requested: when a device named "ai" already exists, the
// new one becomes "ai-1", and http://ai reaches the other one. got is the
// name the tailnet uses (the first label of dnsName).
func renamedDevice(requested, dnsName string) (got string, renamed bool) {
	got = strings.ToLower(dnsname.FirstLabel(strings.TrimSuffix(dnsName, ".")))
	if got == "" {
		return "", false
	}
	return got, got != strings.ToLower(dnsname.SanitizeHostname(requested))
}

// renameNotice is the warning for a device named got instead of
// requested, "" when it has the name it asked for.
func renameNotice(requested, dnsName string) string {
	got, renamed := renamedDevice(requested, dnsName)
	if !renamed {
		return ""
	}
	want := strings.ToLower(dnsname.SanitizeHostname(requested))
	fqdn := strings.TrimSuffix(dnsName, ".")
	if n, ok := strings.CutPrefix(got, want+"-"); ok && isDigits(n) {
		return fmt.Sprintf("the tailnet device name %q was already taken, so this gateway is %q (%s): http://%s reaches the other device, not this gateway. "+
			"Remove or rename the other device on the admin console's Machines page, then rename this one to %s there; or point clients at http://%s",
			want, got, fqdn, want, want, got)
	}
	return fmt.Sprintf("this gateway asked to be tailnet device %q but is %q (%s), renamed in the admin console perhaps: clients must use http://%s",
		want, got, fqdn, got)
}

func isDigits(s string) bool {
	_, err := strconv.ParseUint(s, 10, 32)
	return s != "" && err == nil
}

// keyExpiryNotice is the warning for a node key that expires within
// keyExpiryWarning of now (or has expired), "" otherwise. A nil expiry
// is a key that never expires (tagged devices, or expiry disabled).
func keyExpiryNotice(expiry *time.Time, now time.Time) string {
	if expiry == nil || expiry.IsZero() {
		return ""
	}
	left := expiry.Sub(now)
	at := expiry.UTC().Format("2006-01-02 15:04 MST")
	fix := "disable key expiry for this device on the admin console's Machines page (or tag it), or re-authenticate it"
	switch {
	case left <= 0:
		return fmt.Sprintf("this gateway's node key expired at %s: the tailnet no longer reaches it. To bring it back, %s (restart aperture with a new --authkey, or open the login URL it logs)", at, fix)
	case left <= keyExpiryWarning:
		return fmt.Sprintf("this gateway's node key expires in %s (%s), and then every client loses it: %s before then", roughDuration(left), at, fix)
	}
	return ""
}

// roughDuration says d in days, or hours when less than two days remain.
func roughDuration(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	if h := int(d / time.Hour); h >= 1 {
		return fmt.Sprintf("%d hours", h)
	}
	return "less than an hour"
}

// deviceNotices are the warnings about the gateway's own device, for the
// log and the dashboard's banner.
func deviceNotices(requested string, self *ipnstate.PeerStatus, now time.Time) []string {
	if self == nil {
		return nil
	}
	var out []string
	for _, n := range []string{renameNotice(requested, self.DNSName), keyExpiryNotice(self.KeyExpiry, now)} {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// selfRefresh is how often the device's own status is read again for the
// dashboard: a key re-authenticated in the admin console shows up within it.
const selfRefresh = time.Minute

// deviceWatch follows the gateway's own tailnet device. Its methods are
// safe on a nil *deviceWatch (no tailnet: nothing to say).
type deviceWatch struct {
	node      *tunnel.Node
	requested string
	logf      func(string, ...any)
	now       func() time.Time

	mu      sync.Mutex
	self    *ipnstate.PeerStatus // as last read; nil before the node is up
	readAt  time.Time
	reading bool
}

// watchDevice starts following node, requested as hostname: once it is
// up, the warnings are logged (and again twice a day, for an expiring
// key), and Notices has them for the dashboard.
func watchDevice(ctx context.Context, node *tunnel.Node, hostname string, logf func(string, ...any)) *deviceWatch {
	d := &deviceWatch{node: node, requested: hostname, logf: logf, now: time.Now}
	go d.logLoop(ctx)
	return d
}

// logLoop logs the device's warnings when it is first up and every 12
// hours after.
func (d *deviceWatch) logLoop(ctx context.Context) {
	select {
	case <-d.node.Ready():
	case <-ctx.Done():
		return
	}
	t := time.NewTicker(12 * time.Hour)
	defer t.Stop()
	for {
		d.read(ctx)
		for _, n := range d.Notices() {
			d.logf("WARNING: %s", n)
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// read fetches the device's own status.
func (d *deviceWatch) read(ctx context.Context) {
	lc, err := d.node.Server().LocalClient()
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := lc.StatusWithoutPeers(ctx)
	if err != nil || st.Self == nil {
		return
	}
	d.mu.Lock()
	d.self, d.readAt = st.Self, d.now()
	d.mu.Unlock()
}

// Notices lists the current warnings about the device. It never waits on
// the tailnet: a status older than selfRefresh is read again in the
// background, for the next page.
func (d *deviceWatch) Notices() []string {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	self, now := d.self, d.now()
	stale := self != nil && now.Sub(d.readAt) > selfRefresh && !d.reading
	if stale {
		d.reading = true
	}
	d.mu.Unlock()
	if stale {
		go func() {
			d.read(context.Background())
			d.mu.Lock()
			d.reading = false
			d.mu.Unlock()
		}()
	}
	return deviceNotices(d.requested, self, now)
}
