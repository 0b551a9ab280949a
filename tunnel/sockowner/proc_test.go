package sockowner

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// A table as Linux prints it on a little-endian machine: ts-unplug
// listening on 127.0.0.1:9996 (270C), its accepted socket (uid 0), and
// the client's socket 127.0.0.1:51000 (C738) -> 9996 owned by uid 1001;
// plus another user's connection to another port.
const tableLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:270C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1155 1 0000000000000000 100 0 0 10 0
   1: 0100007F:270C 0100007F:C738 01 00000000:00000000 00:00000000 00000000     0        0 4512 1 0000000000000000 20 4 0 10 -1
   2: 0100007F:C738 0100007F:270C 01 00000000:00000000 00:00000000 00000000  1001        0 4513 1 0000000000000000 20 4 0 10 -1
   3: 0100007F:C739 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1002        0 4514 1 0000000000000000 20 4 0 10 -1
   4: 0100007F:C73A 0100007F:270C 06 00000000:00000000 03:00000F3C 00000000     0        0 0 3 0000000000000000
   5: 0100007F:C73B 0100007F:270C 05 00000000:00000000 00:00000000 00000000     0        0 0 2 0000000000000000 20 4 0 10 -1
`

// The same client connection over IPv6 ([::1]:51000 -> [::1]:9996).
const table6LE = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:C738 00000000000000000000000001000000:270C 01 00000000:00000000 00:00000000 00000000  1003        0 7 1 0000000000000000 20 4 0 10 -1
`

func TestFindInTable(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	lo6 := netip.MustParseAddr("::1")
	conn := func(ip netip.Addr, listen, peer uint16) Conn {
		return Conn{Local: netip.AddrPortFrom(ip, listen), Remote: netip.AddrPortFrom(ip, peer)}
	}
	bigEndian := strings.ReplaceAll(strings.ReplaceAll(tableLE, "0100007F", "7F000001"), "00000000:0000", "00000000:0000")
	for _, tc := range []struct {
		name    string
		table   string
		order   binary.ByteOrder
		c       Conn
		wantUID uint32
		found   bool
		inode   uint64 // the peer socket's, when found
	}{
		{"peer of the listener", tableLE, binary.LittleEndian, conn(lo, 9996, 51000), 1001, true, 4513},
		{"not the accepted socket's owner", tableLE, binary.LittleEndian, conn(lo, 51000, 9996), 0, true, 4512},
		{"other port", tableLE, binary.LittleEndian, conn(lo, 8080, 51001), 1002, true, 4514},
		{"no such connection", tableLE, binary.LittleEndian, conn(lo, 9996, 51010), 0, false, 0},
		// A client that closed before its request was read leaves a
		// TIME_WAIT (or orphaned FIN_WAIT2) row listed as uid 0, inode 0:
		// no owner, never root.
		{"closed client in TIME_WAIT", tableLE, binary.LittleEndian, conn(lo, 9996, 51002), 0, false, 0},
		{"closed client, orphaned FIN_WAIT2", tableLE, binary.LittleEndian, conn(lo, 9996, 51003), 0, false, 0},
		{"listen address must match too", tableLE, binary.LittleEndian, conn(lo, 9997, 51000), 0, false, 0},
		{"big-endian host", bigEndian, binary.BigEndian, conn(lo, 9996, 51000), 1001, true, 4513},
		{"ipv6", table6LE, binary.LittleEndian, conn(lo6, 9996, 51000), 1003, true, 7},
		{"ipv4 not found in ipv6 table", table6LE, binary.LittleEndian, conn(lo, 9996, 51000), 0, false, 0},
		{"garbage", "title\nnot a table at all\n1: x y z\n", binary.LittleEndian, conn(lo, 9996, 51000), 0, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, found, err := findInTable(strings.NewReader(tc.table), tc.c, tc.order)
			if err != nil {
				t.Fatal(err)
			}
			if found != tc.found || s.UID != tc.wantUID || s.Inode != tc.inode {
				t.Errorf("findInTable = %+v, %v; want uid %d inode %d, %v", s, found, tc.wantUID, tc.inode, tc.found)
			}
		})
	}
}

func TestParseAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:270C":                         "127.0.0.1:9996",
		"00000000:0000":                         "0.0.0.0:0",
		"00000000000000000000000001000000:0016": "[::1]:22",
		"0000000000000000FFFF00000100007F:270C": "[::ffff:127.0.0.1]:9996",
		"B80D0120000000000000000001000000:01BB": "[2001:db8::1]:443",
	} {
		got, err := parseAddr([]byte(in), binary.LittleEndian)
		if err != nil || got.String() != want {
			t.Errorf("parseAddr(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0100007F", "0100007F:", "0100007:270C", "0100007F:12345", "ZZ00007F:270C"} {
		if got, err := parseAddr([]byte(bad), binary.LittleEndian); err == nil {
			t.Errorf("parseAddr(%q) = %v, want an error", bad, got)
		}
	}
}

// encodeAddr writes ap as the kernel does (see findInTable).
func encodeAddr(ap netip.AddrPort, order binary.ByteOrder) string {
	raw := ap.Addr().AsSlice()
	var b strings.Builder
	for w := 0; w < len(raw); w += 4 {
		fmt.Fprintf(&b, "%08X", order.Uint32(raw[w:]))
	}
	fmt.Fprintf(&b, ":%04X", ap.Port())
	return b.String()
}

// FuzzFindInTable: any text is read without a panic, and a uid is
// reported only for a line that names exactly the connection's two
// addresses, as the kernel would write them.
func FuzzFindInTable(f *testing.F) {
	f.Add(tableLE, uint16(9996), uint16(51000))
	f.Add(table6LE, uint16(9996), uint16(51000))
	f.Add("t\n 1: 0100007f:c738 0100007F:270c 01 0 0 0 77", uint16(9996), uint16(51000))
	f.Fuzz(func(t *testing.T, table string, listen, peer uint16) {
		lo := netip.MustParseAddr("127.0.0.1")
		c := Conn{Local: netip.AddrPortFrom(lo, listen), Remote: netip.AddrPortFrom(lo, peer)}
		_, found, err := findInTable(strings.NewReader(table), c, binary.LittleEndian)
		if err != nil || !found {
			return
		}
		// Some line has fields 1 and 2 that parse to exactly c.Remote and
		// c.Local.
		for _, line := range strings.Split(table, "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 8 {
				continue
			}
			l, err1 := parseAddr([]byte(f[1]), binary.LittleEndian)
			r, err2 := parseAddr([]byte(f[2]), binary.LittleEndian)
			if err1 == nil && err2 == nil && l == c.Remote && r == c.Local {
				return
			}
		}
		t.Fatalf("found a uid for %v in a table with no such line", c)
	})
}

// FuzzParseAddr: whatever parses writes back, in the kernel's form, to
// text that parses to the same address.
func FuzzParseAddr(f *testing.F) {
	f.Add("0100007F:270C")
	f.Add("00000000000000000000000001000000:0016")
	f.Fuzz(func(t *testing.T, in string) {
		ap, err := parseAddr([]byte(in), binary.LittleEndian)
		if err != nil {
			return
		}
		back, err := parseAddr([]byte(encodeAddr(ap, binary.LittleEndian)), binary.LittleEndian)
		if err != nil || back != ap {
			t.Fatalf("parseAddr(%q) = %v; written back as %q it reads %v, %v", in, ap, encodeAddr(ap, binary.LittleEndian), back, err)
		}
	})
}
