package installers

import (
	"encoding/xml"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// LaunchdThrottleSec is the minimum time launchd leaves between two starts
// of the service, in seconds, matching SystemdRestartSec.
const LaunchdThrottleSec = 5

// RenderLaunchdPlist returns the launchd property list for spec: exactly
// the text Install writes on macOS. The job starts at load and is kept
// alive (restarted whenever it exits). Its stdout and stderr go to
// /var/log/NAME.log for a daemon, or ~/Library/Logs/NAME.log for a
// per-user agent (spec.User). spec.RunAs becomes UserName. EnvFile is not
// supported by launchd.
func RenderLaunchdPlist(spec Spec) (string, error) {
	s, err := spec.normalize()
	if err != nil {
		return "", fmt.Errorf("rendering launchd plist: %w", err)
	}
	return renderLaunchdPlist(s)
}

// renderLaunchdPlist renders an already normalized spec.
func renderLaunchdPlist(s Spec) (string, error) {
	if s.EnvFile != "" {
		return "", &userError{
			msg:  "rendering launchd plist: environment files are not supported by launchd; use environment variables instead",
			kind: ErrUnsupported,
		}
	}
	logPath, err := launchdLogPath(s)
	if err != nil {
		return "", fmt.Errorf("rendering launchd plist: %w", err)
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
`)
	key := func(k string) { fmt.Fprintf(&b, "\t<key>%s</key>\n", xmlText(k)) }
	str := func(indent, v string) { fmt.Fprintf(&b, "%s<string>%s</string>\n", indent, xmlText(v)) }
	key("Label")
	str("\t", s.Name)
	key("ProgramArguments")
	b.WriteString("\t<array>\n")
	str("\t\t", s.Executable)
	for _, a := range s.Arguments {
		str("\t\t", a)
	}
	b.WriteString("\t</array>\n")
	if len(s.Env) > 0 {
		key("EnvironmentVariables")
		b.WriteString("\t<dict>\n")
		keys := make([]string, 0, len(s.Env))
		for k := range s.Env {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "\t\t<key>%s</key>\n", xmlText(k))
			str("\t\t", s.Env[k])
		}
		b.WriteString("\t</dict>\n")
	}
	if s.RunAs != "" {
		key("UserName")
		str("\t", s.RunAs)
	}
	key("RunAtLoad")
	b.WriteString("\t<true/>\n")
	key("KeepAlive")
	b.WriteString("\t<true/>\n")
	key("ThrottleInterval")
	fmt.Fprintf(&b, "\t<integer>%d</integer>\n", LaunchdThrottleSec)
	key("StandardOutPath")
	str("\t", logPath)
	key("StandardErrorPath")
	str("\t", logPath)
	b.WriteString("</dict>\n</plist>\n")
	return b.String(), nil
}

// launchdLogPath is where the service's output goes. It is not prefixed
// with Root: it is the path launchd will use on the target machine.
func launchdLogPath(s Spec) (string, error) {
	if !s.User {
		return "/var/log/" + s.Name + ".log", nil
	}
	home, err := sys.homeDir()
	if err != nil {
		return "", fmt.Errorf("finding home directory: %w", err)
	}
	return filepath.Join(home, "Library", "Logs", s.Name+".log"), nil
}

// xmlText escapes t for XML character data.
func xmlText(t string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(t)) // writes to a strings.Builder cannot fail
	return b.String()
}
