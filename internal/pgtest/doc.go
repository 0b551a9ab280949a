// Package pgtest runs a real PostgreSQL server (Debian's postgresql
// package) as a child process for tests: initdb in a fresh temporary
// directory, the server listening only on a Unix socket there, trust
// authentication for the "postgres" role, and the process stopped at
// cleanup (and killed by the kernel if the test binary dies first).
//
// Start gives a test a server of its own (for tests that stop or kill
// it); Database gives a test a fresh database on a server shared by the
// whole test binary, which is much cheaper. Main stops that shared server
// when the tests end: call it from TestMain.
//
// PostgreSQL refuses to run as root, so when the tests run as root the
// server runs as the "postgres" user the package creates.
//
// Without the package, tests that need it skip, except under CI=true,
// where they fail (.ci/run installs it).
package pgtest
