package installers

import (
	"errors"
	"os/user"
	"testing"
)

func TestSudoInvoker(t *testing.T) {
	alice := &user.User{Username: "alice", Uid: "1000", Gid: "1001", HomeDir: "/home/alice"}
	tests := []struct {
		name       string
		goos       string
		privileged bool
		sudoUser   string
		lookup     *user.User
		lookupErr  error
		want       Account
		wantOK     bool
		wantErr    bool
	}{
		{name: "sudo by alice", goos: "linux", privileged: true, sudoUser: "alice", lookup: alice,
			want: Account{Name: "alice", UID: 1000, GID: 1001, Home: "/home/alice"}, wantOK: true},
		{name: "root shell", goos: "linux", privileged: true},
		{name: "sudo by root", goos: "linux", privileged: true, sudoUser: "root", lookup: alice},
		{name: "not root (sudo -u someone)", goos: "linux", sudoUser: "alice", lookup: alice},
		{name: "windows", goos: "windows", privileged: true, sudoUser: "alice", lookup: alice},
		{name: "unknown user", goos: "linux", privileged: true, sudoUser: "ghost", lookupErr: errors.New("unknown user ghost"), wantErr: true},
		{name: "non-numeric uid", goos: "linux", privileged: true, sudoUser: "alice",
			lookup: &user.User{Username: "alice", Uid: "S-1-5", Gid: "1", HomeDir: "/home/alice"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := sys
			t.Cleanup(func() { sys = old })
			sys.goos = tt.goos
			sys.privileged = func() bool { return tt.privileged }
			sys.sudoUser = func() string { return tt.sudoUser }
			sys.lookupUser = func(string) (*user.User, error) { return tt.lookup, tt.lookupErr }
			got, ok, err := SudoInvoker()
			if (err != nil) != tt.wantErr || ok != tt.wantOK || got != tt.want {
				t.Errorf("SudoInvoker() = %+v, %v, %v; want %+v, %v, error %v", got, ok, err, tt.want, tt.wantOK, tt.wantErr)
			}
		})
	}
}
