package gateway

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestDialTransportUsesDial(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "host="+r.Host)
	}))
	defer up.Close()
	var dialed []string
	tr := DialTransport(func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialed = append(dialed, addr)
		var d net.Dialer
		return d.DialContext(ctx, network, up.Listener.Addr().String())
	})
	res, err := (&http.Client{Transport: tr}).Get("http://llm/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "host=llm" {
		t.Errorf("answer %q, want host=llm", b)
	}
	if len(dialed) != 1 || dialed[0] != "llm:80" {
		t.Errorf("dialed %q, want [llm:80]", dialed)
	}
}
