// Package installers installs, controls and runs the ts-plug binaries
// (ts-unplug, ts-plug, aperture) as operating-system services, backing their
// install, uninstall, start, stop, restart and status subcommands.
//
// Real installs go through github.com/kardianos/service and are supported
// on three service managers only: systemd (Linux), launchd (macOS) and the
// Windows service control manager. On any other init system the functions
// return ErrNoServiceManager rather than letting kardianos fall back to a
// SysV script that would not work. For systemd and launchd the unit text is
// rendered by this package (RenderSystemdUnit, RenderLaunchdPlist) and
// handed to kardianos as its custom template, so what the tests check is
// byte for byte what kardianos writes.
//
// Setting Spec.Root (like DESTDIR) bypasses kardianos and the service
// manager entirely: Install only writes the unit file below Root and
// Uninstall only removes it. That mode exists for packaging and for tests;
// it never runs systemctl or launchctl.
//
// Run is the other half: the binaries call it from their foreground command
// so the same code runs under a terminal (stopped by Ctrl-C or SIGTERM) and
// under the service manager (stopped by the manager, restarted on failure).
package installers
