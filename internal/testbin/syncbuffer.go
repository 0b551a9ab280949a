package testbin

import (
	"bytes"
	"fmt"
	"sync"
)

// SyncBuffer collects a child process's output while tests read it. Max,
// when positive, bounds what it keeps: the start, where failures show.
type SyncBuffer struct {
	Max int
	mu  sync.Mutex
	b   bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Max > 0 && s.b.Len() >= s.Max {
		return len(p), nil
	}
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Logf writes one log line, so a SyncBuffer can be a server's Logf.
func (s *SyncBuffer) Logf(format string, args ...any) {
	fmt.Fprintf(s, format+"\n", args...)
}
