package gateway

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/identity"
	"github.com/tsplug/ts-plug/gateway/quotas"
)

// Errors to clients. A client is told what it can act on: what is wrong
// with its own request, or that the gateway failed, with an ID to quote.
// The text of an internal error (a database's, a file's, a socket's,
// which name paths, SQL and addresses) goes to the gateway's log under
// that ID, never to the client.

// clientError is an error whose message is meant for the client: it
// describes the client's request, or what the client may do about it.
type clientError struct {
	status int
	kind   apis.ErrorKind
	msg    string
}

func (e *clientError) Error() string { return e.msg }

// clientErr returns an error whose message the client is told as is.
func clientErr(status int, kind apis.ErrorKind, msg string) error {
	return &clientError{status, kind, msg}
}

// publicError is the one mapping from an error to what a client is told:
// a clientError as it is; a sentinel whose text describes the client's
// own input with its status; anything else is internal, logged with the
// request under a new error ID and answered 500 with only that ID.
func (s *Server) publicError(r *http.Request, err error) *clientError {
	return s.publicErrorID(r, "", err)
}

// publicErrorID is publicError logging an internal error under id (""
// for a new one).
func (s *Server) publicErrorID(r *http.Request, id string, err error) *clientError {
	var ce *clientError
	switch {
	case errors.As(err, &ce):
		return ce
	case errors.Is(err, quotas.ErrUnknownBucket):
		// "refilling quota NAME: unknown quota bucket": the name is the client's.
		return &clientError{http.StatusNotFound, apis.KindNotFound, err.Error()}
	case errors.Is(err, quotas.ErrUnavailable):
		// The shared spending-limit database: retry, not a bug.
		return &clientError{http.StatusServiceUnavailable, apis.KindUnavailable,
			"the spending-limit database cannot be reached right now; try again shortly (" + s.logInternal(r, id, err) + ")"}
	}
	return &clientError{http.StatusInternalServerError, apis.KindInternal, s.logInternal(r, id, err)}
}

// logInternal logs an internal error with the request (method, path,
// remote address) and an ID (the
// request's own ID when it has one, else a new one), and returns what the
// client is told instead: that ID, to quote to the gateway's admin.
func (s *Server) logInternal(r *http.Request, id string, err error) string {
	if id == "" {
		id = newErrorID()
	}
	s.opts.Logf("ERROR %s %s from %s (error %s): %v", r.Method, r.URL.Path, r.RemoteAddr, id, err)
	return "internal error " + id + "; the gateway's log has the details under that ID"
}

// newErrorID names one logged error for a request without a request ID.
func newErrorID() string { return "err-" + rand.Text()[:12] }

// writeAPIError answers an admin JSON API call (/api/..., /metrics) with
// err as publicError maps it, in the gateway's own envelope
// {"error":{"message","type"}}.
func (s *Server) writeAPIError(w http.ResponseWriter, r *http.Request, err error) {
	ce := s.publicError(r, err)
	apis.WriteError(w, "", ce.status, ce.kind, ce.msg)
}

// apiHandler serves one admin JSON API call: it writes its answer, or
// returns the error writeAPIError answers with.
type apiHandler func(w http.ResponseWriter, r *http.Request) error

// api adapts h to net/http, sending every error it returns through
// writeAPIError, the admin API's one place that decides what a client is
// told of an error.
func (s *Server) api(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeAPIError(w, r, err)
		}
	}
}

// identifyClient is identify with its errors made fit for the caller: no
// tailnet, or a peer with neither user nor tags, are said; a failed WhoIs
// (whose text names the local API's socket, addresses and the like) is
// logged and the caller told only that it could not be identified.
func (s *Server) identifyClient(r *http.Request) (*caller, error) {
	c, err := s.identify(r)
	switch {
	case err == nil:
		return c, nil
	case errors.Is(err, errNoTailnet), errors.Is(err, identity.ErrNoIdentity):
		return nil, clientErr(http.StatusForbidden, apis.KindPermissionDenied, "access denied: "+err.Error())
	}
	id := newErrorID()
	s.logInternal(r, id, fmt.Errorf("identifying the caller: %w", err))
	return nil, clientErr(http.StatusForbidden, apis.KindPermissionDenied,
		"access denied: the gateway could not identify this connection on its tailnet (error "+id+" in its log)")
}

// failWith answers the exchange's caller, in its API's dialect, with err
// as publicError maps it; an internal error is logged under the
// request's ID.
func (x *exchange) failWith(err error) bool {
	ce := x.s.publicErrorID(x.r, x.requestID(), err)
	return x.fail(ce.status, ce.kind, ce.msg)
}

// failInternal answers the exchange's caller with status, kind and the
// public description of what failed, and logs err, which says why, under
// the request's ID, which the caller is given to quote.
func (x *exchange) failInternal(status int, kind apis.ErrorKind, public string, err error) bool {
	id := x.requestID()
	x.s.logInternal(x.r, id, err)
	return x.fail(status, kind, public+" (request "+id+"; the gateway's log has the details)")
}

// unreachable says, in a few words a caller can act on, why a provider
// could not be reached, without the addresses, host names and paths the
// transport's error names (they stay in the gateway's log).
func unreachable(err error) string {
	var dns *net.DNSError
	var ne net.Error
	var cert *tls.CertificateVerificationError
	var hdr tls.RecordHeaderError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "the connection timed out"
	case errors.As(err, &dns):
		return "its host name did not resolve"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the connection was refused"
	case errors.As(err, &cert), errors.As(err, &hdr):
		return "the TLS handshake failed"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was closed"
	}
	return "the connection failed"
}
