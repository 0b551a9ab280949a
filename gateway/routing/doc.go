// Package routing picks the upstream provider for a request and builds the
// upstream URL. Requests are never translated between API formats, so a
// provider is a candidate only if it lists the model and speaks the API
// the client called; among candidates the highest preference wins.
package routing
