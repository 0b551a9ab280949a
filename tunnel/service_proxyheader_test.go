package tunnel

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/pires/go-proxyproto"
)

// formatProxyHeader writes the header tsnet's serve forwarder writes for
// a client at src, with the library tsnet uses (ipnlocal/serve.go).
func formatProxyHeader(t testing.TB, version byte, src, dst netip.AddrPort) []byte {
	t.Helper()
	h := &proxyproto.Header{
		Version: version, Command: proxyproto.PROXY, TransportProtocol: proxyproto.TCPv4,
		SourceAddr: net.TCPAddrFromAddrPort(src), DestinationAddr: net.TCPAddrFromAddrPort(dst),
	}
	if src.Addr().Is6() {
		h.TransportProtocol = proxyproto.TCPv6
	}
	b, err := h.Format()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadProxyHeader(t *testing.T) {
	src4 := netip.MustParseAddrPort("100.64.0.2:51234")
	dst4 := netip.MustParseAddrPort("100.64.0.1:80")
	src6 := netip.MustParseAddrPort("[fd7a:115c:a1e0::2]:51234")
	dst6 := netip.MustParseAddrPort("[fd7a:115c:a1e0::1]:80")
	v4 := formatProxyHeader(t, 2, src4, dst4)
	v6 := formatProxyHeader(t, 2, src6, dst6)
	withLen := func(h []byte, n uint16) []byte {
		h = bytes.Clone(h)
		binary.BigEndian.PutUint16(h[14:], n)
		return h
	}
	withByte := func(h []byte, i int, b byte) []byte {
		h = bytes.Clone(h)
		h[i] = b
		return h
	}
	tlv := []byte{0x04, 0x00, 0x03, 'a', 'b', 'c'} // PP2_TYPE_NOOP
	for _, tc := range []struct {
		name    string
		in      []byte
		want    proxyHeader
		wantErr string
	}{
		{name: "ipv4, as tsnet writes it", in: v4, want: proxyHeader{src4, dst4}},
		{name: "ipv6, as tsnet writes it", in: v6, want: proxyHeader{src6, dst6}},
		{name: "TLVs are skipped", in: append(withLen(v4, 12+uint16(len(tlv))), tlv...), want: proxyHeader{src4, dst4}},
		{name: "version 1 (text) is refused", in: formatProxyHeader(t, 1, src4, dst4), wantErr: "not a PROXY protocol v2 header"},
		{name: "plain HTTP is refused", in: []byte("GET / HTTP/1.1\r\nHost: ai\r\n\r\n"), wantErr: "not a PROXY protocol v2 header"},
		{name: "LOCAL command", in: withByte(v4, 12, 0x20), wantErr: "want 0x21 (PROXY)"},
		{name: "version 3", in: withByte(v4, 12, 0x31), wantErr: "want 0x21 (PROXY)"},
		{name: "UDP", in: withByte(v4, 13, 0x12), wantErr: "want TCP"},
		{name: "unix socket", in: withByte(v4, 13, 0x31), wantErr: "want TCP"},
		{name: "unspecified family", in: withByte(v4, 13, 0x00), wantErr: "want TCP"},
		{name: "ipv4 length too short", in: withLen(v4, 11), wantErr: "length 11"},
		{name: "ipv6 length too short for its addresses", in: withLen(v6, 12), wantErr: "length 12"},
		{name: "length past the bound", in: withLen(v4, proxyV2MaxLen+1), wantErr: "length 1025"},
		{name: "truncated addresses", in: v4[:20], wantErr: "unexpected EOF"},
		{name: "truncated signature", in: v4[:10], wantErr: "unexpected EOF"},
		{name: "empty", in: nil, wantErr: "EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The client's stream follows a good header; a bad one is all
			// there is (else the stream would complete a truncated one).
			const body = "GET / HTTP/1.1\r\n"
			in := string(tc.in)
			if tc.wantErr == "" {
				in += body
			}
			r := strings.NewReader(in)
			got, err := readProxyHeader(r)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("readProxyHeader = %+v, %v; want an error with %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("readProxyHeader = %+v, %v; want %+v", got, err, tc.want)
			}
			// Not one byte of the client's stream was consumed.
			if rest, _ := io.ReadAll(r); string(rest) != body {
				t.Errorf("after the header the stream reads %q, want %q", rest, body)
			}
		})
	}
}

// FuzzReadProxyHeader checks the parser against go-proxyproto, the
// library tsnet writes the header with: whatever this parser accepts,
// the library reads as the same PROXY v2 TCP header; and whatever v2
// TCP header with a client the library reads (within proxyV2MaxLen),
// this parser accepts with the same addresses. Never past the header.
func FuzzReadProxyHeader(f *testing.F) {
	f.Add(formatProxyHeader(f, 2, netip.MustParseAddrPort("100.64.0.2:51234"), netip.MustParseAddrPort("100.64.0.1:80")))
	f.Add(formatProxyHeader(f, 2, netip.MustParseAddrPort("[fd7a:115c:a1e0::2]:1"), netip.MustParseAddrPort("[fd7a:115c:a1e0::1]:443")))
	f.Add(formatProxyHeader(f, 1, netip.MustParseAddrPort("100.64.0.2:51234"), netip.MustParseAddrPort("100.64.0.1:80")))
	f.Add([]byte("\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00"))
	f.Add([]byte("\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0f\x01\x02\x03\x04\x05\x06\x07\x08\x00\x01\x00\x02\x04\x00\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		got, err := readProxyHeader(r)
		lib, libErr := proxyproto.Read(bufio.NewReader(bytes.NewReader(in)))
		libOK := libErr == nil && lib.Version == 2 && lib.Command == proxyproto.PROXY &&
			(lib.TransportProtocol == proxyproto.TCPv4 || lib.TransportProtocol == proxyproto.TCPv6) &&
			int(binary.BigEndian.Uint16(in[14:])) <= proxyV2MaxLen
		if err != nil {
			if libOK {
				t.Fatalf("refused (%v) what go-proxyproto reads as %+v", err, lib)
			}
			return
		}
		if !libOK {
			t.Fatalf("accepted %+v where go-proxyproto says %+v, %v", got, lib, libErr)
		}
		src, dst, _ := lib.TCPAddrs()
		if want := (proxyHeader{src.AddrPort(), dst.AddrPort()}); got != want {
			t.Fatalf("read %+v, go-proxyproto %+v", got, want)
		}
		if used := len(in) - r.Len(); used != 16+int(binary.BigEndian.Uint16(in[14:])) {
			t.Fatalf("read %d bytes for a header of %d", used, 16+int(binary.BigEndian.Uint16(in[14:])))
		}
	})
}
