// Package browsertest drives the aperture dashboard in headless Chromium:
// browser_test.go starts a gateway in-process with seeded usage and runs
// ui.spec.mjs (playwright-core) against it, which loads every page at
// desktop and phone widths, checks their key content, saves a config
// change through Settings, fails on any console error, and writes a
// screenshot of each page to screenshots/.
//
// Setup: `apt-get install chromium` and `npm ci` in this directory (.ci/run
// does both). Without them the test skips, except under CI=true, where it
// fails.
package browsertest
