package installers

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
)

func TestRenderLaunchdPlistExact(t *testing.T) {
	useFake(t, "darwin-launchd", true, &fakeService{})
	got, err := RenderLaunchdPlist(Spec{
		Name:       "ts-unplug",
		Executable: "/usr/local/bin/ts-unplug",
		Arguments:  []string{"--dir", "/var/lib/ts unplug", "a&b<c>"},
		Env:        map[string]string{"TS_DEBUG": "1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>ts-unplug</string>
	<key>ProgramArguments</key>
	<array>
		<string>/usr/local/bin/ts-unplug</string>
		<string>--dir</string>
		<string>/var/lib/ts unplug</string>
		<string>a&amp;b&lt;c&gt;</string>
	</array>
	<key>EnvironmentVariables</key>
	<dict>
		<key>TS_DEBUG</key>
		<string>1</string>
	</dict>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<true/>
	<key>ThrottleInterval</key>
	<integer>5</integer>
	<key>StandardOutPath</key>
	<string>/var/log/ts-unplug.log</string>
	<key>StandardErrorPath</key>
	<string>/var/log/ts-unplug.log</string>
</dict>
</plist>
`
	if got != want {
		t.Errorf("plist differs:\n--- got\n%s--- want\n%s", got, want)
	}
}

// TestLaunchdArgumentsRoundTrip decodes the plist as XML and checks the
// program arguments survive escaping.
func TestLaunchdArgumentsRoundTrip(t *testing.T) {
	home := useFake(t, "darwin-launchd", true, &fakeService{})
	args := []string{`"quoted"`, "it's", "<tag>", "&amp;", "line1\nline2", "tab\t", "", "日本"}
	got, err := RenderLaunchdPlist(Spec{Name: "x", Executable: "/Applications/My App/x", Arguments: args, User: true})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Dict struct {
			Items []struct {
				XMLName xml.Name
				Text    string   `xml:",chardata"`
				Strings []string `xml:"string"`
			} `xml:",any"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal([]byte(got), &doc); err != nil {
		t.Fatalf("plist is not valid XML: %v\n%s", err, got)
	}
	var prog []string
	values := map[string]string{}
	items := doc.Dict.Items
	for i := 0; i+1 < len(items); i += 2 {
		if items[i].XMLName.Local != "key" {
			t.Fatalf("item %d is <%s>, want <key>", i, items[i].XMLName.Local)
		}
		if items[i].Text == "ProgramArguments" {
			prog = items[i+1].Strings
		}
		values[items[i].Text] = items[i+1].Text
	}
	want := append([]string{"/Applications/My App/x"}, args...)
	if strings.Join(prog, "|") != strings.Join(want, "|") || len(prog) != len(want) {
		t.Errorf("ProgramArguments = %q, want %q", prog, want)
	}
	if wantLog := home + "/Library/Logs/x.log"; values["StandardErrorPath"] != wantLog {
		t.Errorf("user agent log = %q, want %q", values["StandardErrorPath"], wantLog)
	}
}

func TestRenderLaunchdPlistRejectsEnvFile(t *testing.T) {
	_, err := RenderLaunchdPlist(Spec{Name: "x", Executable: "/bin/x", EnvFile: "/etc/x.env"})
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err = %v, want ErrUnsupported", err)
	}
}
