package fakellm

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentUse drives requests while the controls change, for the
// race detector, and checks every request was served and recorded.
func TestConcurrentUse(t *testing.T) {
	s, url := startServer(t)
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				body := fmt.Sprintf(`{"model":"m%d","stream":%v,"messages":[{"role":"user","content":"respond with: %d"}]}`, w, i%2 == 0, i)
				resp, err := http.Post(url+"/v1/chat/completions", "application/json", strings.NewReader(body))
				if err != nil {
					errs <- err
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 50 {
			s.SetUsage(Usage{InputTokens: int64(i), OutputTokens: 1})
			s.SetChunks(i%5 + 1)
			_ = s.Requests()
			_, _ = s.LastRequest()
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := s.RequestCount(); n != workers*each {
		t.Errorf("RequestCount = %d, want %d", n, workers*each)
	}
}
