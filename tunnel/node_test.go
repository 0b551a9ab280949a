package tunnel

import (
	"testing"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// optionRecorder stands in for tailscale's netstack.Impl.
type optionRecorder struct {
	got []tcpip.SettableTransportProtocolOption
}

func (r *optionRecorder) SetTransportProtocolOption(p tcpip.TransportProtocolNumber, o tcpip.SettableTransportProtocolOption) tcpip.Error {
	if p != tcp.ProtocolNumber {
		return &tcpip.ErrUnknownProtocol{}
	}
	r.got = append(r.got, o)
	return nil
}

func TestCapReceiveWindow(t *testing.T) {
	tests := []struct {
		max  int
		want *tcpip.TCPReceiveBufferSizeRangeOption // nil: refused
	}{
		{1 << 20, &tcpip.TCPReceiveBufferSizeRangeOption{Min: tcp.MinBufferSize, Default: 1 << 20, Max: 1 << 20}},
		{4 << 20, &tcpip.TCPReceiveBufferSizeRangeOption{Min: tcp.MinBufferSize, Default: tcp.DefaultReceiveBufferSize, Max: 4 << 20}},
		{256 << 10, &tcpip.TCPReceiveBufferSizeRangeOption{Min: tcp.MinBufferSize, Default: 256 << 10, Max: 256 << 10}},
		{100, nil},
	}
	for _, tt := range tests {
		var r optionRecorder
		err := capReceiveWindow(&r, tt.max)
		if tt.want == nil {
			if err == nil || len(r.got) > 0 {
				t.Errorf("max %d: err %v, set %v; want refused", tt.max, err, r.got)
			}
			continue
		}
		if err != nil || len(r.got) != 1 {
			t.Fatalf("max %d: err %v, set %v", tt.max, err, r.got)
		}
		if got := r.got[0].(*tcpip.TCPReceiveBufferSizeRangeOption); *got != *tt.want {
			t.Errorf("max %d: set %+v, want %+v", tt.max, *got, *tt.want)
		}
	}
}
