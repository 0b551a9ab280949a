package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/tsplug/ts-plug/tunnel"
	"github.com/urfave/cli/v2"
	"tailscale.com/tailcfg"
	"tailscale.com/tsnet"
)

// serviceFlag is --service: the Tailscale Service several replicas
// answer as (spec/scale-out.md).
func serviceFlag() cli.Flag {
	return &cli.StringFlag{Name: "service", Usage: "also answer as the Tailscale Service `NAME` (e.g. svc:ai), one name for several replicas; " +
		"the device must be tagged, and the tailnet must define the Service and approve this device as a host. Linux only"}
}

// parseService checks --service: a valid Service name, a tailnet to
// advertise it on, and an OS where its callers can be identified.
func parseService(name string, noTailnet bool) (string, error) {
	if name == "" {
		return "", nil
	}
	if noTailnet {
		return "", usageError("--service needs the tailnet: it cannot be used with --no-tailnet")
	}
	if !tunnel.ServiceSupported {
		return "", usageError("--service: %v", tunnel.ErrServiceUnsupported)
	}
	if err := tailcfg.ServiceName(name).Validate(); err != nil {
		return "", usageError("--service %q: %v (a Service name looks like svc:ai)", name, err)
	}
	return name, nil
}

// tailnetService serves the gateway on a Tailscale Service's ports once
// the node is up, until withdraw. Its callers are identified as on the
// node's own listener (tunnel.ServiceListener).
type tailnetService struct {
	name string
	logf func(string, ...any)

	mu        sync.Mutex
	withdrawn bool
	listeners []*tunnel.ServiceListener
}

// startService advertises the Service name (none when empty) once node
// is Running: port 80, and 443 (TLS terminated by tsnet) when the
// tailnet issues certificates, as on the node's own name. A failure to
// listen on port 80 is passed to fail: a replica asked to answer as the
// Service that cannot should stop, not run on unnoticed.
func startService(ctx context.Context, name string, node *tunnel.Node, serve func(net.Listener, http.Handler, string), h http.Handler, fail func(error), logf func(string, ...any)) *tailnetService {
	if name == "" || node == nil {
		return nil
	}
	s := &tailnetService{name: name, logf: logf}
	go func() {
		select {
		case <-node.Ready():
		case <-ctx.Done():
			return
		}
		ln, err := s.listen(node, 80, false, serve, h)
		if err != nil {
			fail(err)
			return
		}
		if ln == nil {
			return // withdrawn meanwhile
		}
		logf("advertising the Tailscale Service %s: serving http://%s once the tailnet approves this device as its host "+
			"(tsnet forwards it over %v, where only this process's own connections are accepted)", name, ln.FQDN, ln.Loopback)
		if len(node.Server().CertDomains()) > 0 {
			if _, err := s.listen(node, 443, true, serve, h); err != nil {
				logf("HTTPS on the Tailscale Service %s not served: %v", name, err)
				return
			}
			logf("also serving https://%s", ln.FQDN)
		}
	}()
	return s
}

// listen opens port of the Service and serves h on it. It returns the
// listener, or nil when the Service has been withdrawn meanwhile.
func (s *tailnetService) listen(node *tunnel.Node, port uint16, tls bool, serve func(net.Listener, http.Handler, string), h http.Handler) (*tunnel.ServiceListener, error) {
	ln, err := tunnel.ListenService(node.Server(), s.name, port, tls, s.logf)
	if errors.Is(err, tsnet.ErrUntaggedServiceHost) {
		return nil, fmt.Errorf("%w: start it with --advertise-tags tag:aperture (tags must be approved in the tailnet policy's tagOwners), or with a tagged auth key", err)
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.withdrawn {
		ln.Close()
		return nil, nil
	}
	s.listeners = append(s.listeners, ln)
	serve(ln, h, ln.Addr().String())
	return ln, nil
}

// withdraw stops advertising the Service, so the tailnet sends new
// callers to the other replicas, and keeps serving what still arrives
// here: the servers' Shutdown then closes the listeners and lets the
// requests in flight finish. Shutdown calls it first. Nil-safe.
func (s *tailnetService) withdraw() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.withdrawn {
		return
	}
	s.withdrawn = true
	for _, ln := range s.listeners {
		if err := ln.Withdraw(); err != nil {
			s.logf("withdrawing the Tailscale Service %s: %v", s.name, err)
		}
	}
	if len(s.listeners) > 0 {
		s.logf("stopped advertising the Tailscale Service %s: the tailnet sends new callers to the other replicas", s.name)
	}
}

// withServiceNames adds the Service's names (short and MagicDNS) to the
// names the gateway answers to, so its Host check lets requests to the
// Service through.
func withServiceNames(names func() []string, service string, node *tunnel.Node) func() []string {
	if service == "" || node == nil {
		return names
	}
	short := tailcfg.ServiceName(service).WithoutPrefix()
	return func() []string {
		out := append(names(), short)
		if suffix := node.State().MagicDNSSuffix; suffix != "" {
			out = append(out, short+"."+suffix)
		}
		return out
	}
}
