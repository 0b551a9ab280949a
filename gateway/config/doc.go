// Package config parses the gateway's HuJSON configuration document into a
// typed Config: providers, grants, quotas, hooks, retention and the handful
// of tuning knobs. Parsing never stops at the first problem: it walks the
// whole document and reports every unknown key and bad value as a
// Diagnostic carrying the source line, so an admin editing the config sees
// all mistakes at once. Only a document that cannot be used at all (syntax
// error, wrong top-level shapes) is rejected; everything else loads with
// warnings, and pieces that are wrong fail closed where they are used (for
// example an invalid quota makes requests charged to it fail).
package config
