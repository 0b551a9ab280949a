package installers

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// Installed is what the unit file of an installed service says it runs.
type Installed struct {
	Executable string
	Arguments  []string
	RunAs      string // systemd User=, launchd UserName; "" for root
}

// ReadInstalled reads back from its unit file what the installed service
// spec runs: ExecStart and User= on systemd, ProgramArguments and
// UserName on launchd. Unit files are world-readable, so this needs no
// root: `status` uses it to find the state directory a service was
// installed with, whoever asks. A missing unit is ErrNotInstalled;
// Windows services, which have no unit file, are ErrUnsupported.
func ReadInstalled(spec Spec) (Installed, error) {
	s, err := spec.normalize()
	if err != nil {
		return Installed{}, fmt.Errorf("reading service: %w", err)
	}
	m := sys.manager()
	if s.Root != "" {
		m = sys.fileManager()
	}
	path, err := unitPath(s, m)
	if err != nil {
		return Installed{}, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Installed{}, errNotInstalled(s, err)
	}
	if err != nil {
		return Installed{}, fmt.Errorf("reading service %s: %w", s.Name, err)
	}
	var in Installed
	if m == managerLaunchd {
		in, err = parseLaunchdPlist(b)
	} else {
		in, err = parseSystemdUnit(string(b))
	}
	if err != nil {
		return Installed{}, fmt.Errorf("reading service %s from %s: %w", s.Name, path, err)
	}
	return in, nil
}

// parseSystemdUnit reads ExecStart= and User= of a unit that
// RenderSystemdUnit wrote (one line each, no continuations).
func parseSystemdUnit(unit string) (Installed, error) {
	var in Installed
	found := false
	for _, l := range strings.Split(unit, "\n") {
		if v, ok := strings.CutPrefix(l, "ExecStart="); ok {
			words, err := parseExecStart(v)
			if err != nil {
				return Installed{}, fmt.Errorf("ExecStart: %w", err)
			}
			if len(words) == 0 {
				return Installed{}, errors.New("empty ExecStart")
			}
			in.Executable, in.Arguments, found = words[0], words[1:], true
		}
		if v, ok := strings.CutPrefix(l, "User="); ok {
			in.RunAs = v
		}
	}
	if !found {
		return Installed{}, errors.New("no ExecStart line")
	}
	return in, nil
}

// parseLaunchdPlist reads ProgramArguments and UserName of a property
// list that RenderLaunchdPlist wrote: a flat dict of key/value pairs.
func parseLaunchdPlist(b []byte) (Installed, error) {
	var doc struct {
		Dict struct {
			Items []struct {
				XMLName xml.Name
				Text    string   `xml:",chardata"`
				Strings []string `xml:"string"`
			} `xml:",any"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return Installed{}, fmt.Errorf("not a property list: %w", err)
	}
	var in Installed
	found := false
	items := doc.Dict.Items
	for i := 0; i+1 < len(items); i += 2 {
		if items[i].XMLName.Local != "key" {
			return Installed{}, fmt.Errorf("item %d is <%s>, want <key>", i, items[i].XMLName.Local)
		}
		switch items[i].Text {
		case "ProgramArguments":
			words := items[i+1].Strings
			if len(words) == 0 {
				return Installed{}, errors.New("empty ProgramArguments")
			}
			in.Executable, in.Arguments, found = words[0], words[1:], true
		case "UserName":
			in.RunAs = items[i+1].Text
		}
	}
	if !found {
		return Installed{}, errors.New("no ProgramArguments")
	}
	return in, nil
}

// parseExecStart splits a command line as systemd does for ExecStart
// (systemd.service(5) "Command lines"): words split on whitespace, double
// quotes with C escapes, then "%%" -> "%" (other specifiers are rejected
// here) and "$$" -> "$" (variable references are rejected here).
func parseExecStart(line string) ([]string, error) {
	var words []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			break
		}
		var w strings.Builder
		if line[i] == '"' {
			i++
			for {
				if i >= len(line) {
					return nil, fmt.Errorf("unterminated quote")
				}
				c := line[i]
				if c == '"' {
					i++
					break
				}
				if c == '\\' {
					if i+1 >= len(line) {
						return nil, fmt.Errorf("dangling backslash")
					}
					switch e := line[i+1]; e {
					case '\\', '"', '\'':
						w.WriteByte(e)
						i += 2
					case 'n':
						w.WriteByte('\n')
						i += 2
					case 't':
						w.WriteByte('\t')
						i += 2
					case 'x':
						if i+4 > len(line) {
							return nil, fmt.Errorf("short \\x escape")
						}
						n, err := strconv.ParseUint(line[i+2:i+4], 16, 8)
						if err != nil {
							return nil, err
						}
						w.WriteByte(byte(n))
						i += 4
					default:
						return nil, fmt.Errorf("unknown escape \\%c", e)
					}
					continue
				}
				w.WriteByte(c)
				i++
			}
			if i < len(line) && line[i] != ' ' {
				return nil, fmt.Errorf("text glued after closing quote")
			}
		} else {
			for i < len(line) && line[i] != ' ' && line[i] != '\t' {
				if strings.IndexByte(`"'\`, line[i]) >= 0 {
					return nil, fmt.Errorf("unquoted special character %q", line[i])
				}
				w.WriteByte(line[i])
				i++
			}
			if w.String() == ";" {
				return nil, fmt.Errorf("bare ; is a command separator")
			}
		}
		word, err := unescapeSpecifiersAndVars(w.String())
		if err != nil {
			return nil, err
		}
		words = append(words, word)
	}
	return words, nil
}

func unescapeSpecifiersAndVars(w string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		switch w[i] {
		case '%', '$':
			if i+1 < len(w) && w[i+1] == w[i] {
				b.WriteByte(w[i])
				i++
				continue
			}
			return "", fmt.Errorf("unescaped %c in %q would be expanded by systemd", w[i], w)
		}
		b.WriteByte(w[i])
	}
	return b.String(), nil
}
