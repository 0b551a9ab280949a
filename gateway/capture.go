package gateway

// responseIDWindow is how much of a created Responses object's answer is
// kept when nothing is captured: its "id" comes first (in the JSON answer,
// and in the stream's first event).
const responseIDWindow = 16 << 10

// capturing reports whether requests' headers and bodies are captured:
// when the ledger would discard them, the gateway does not copy them.
// What a capture keeps is the ledger's rule (ledger.NewCapture,
// ledger.CaptureBuffer).
//
// A capture holds the request's and the answer's header maps themselves
// (r.Header in send, w.Header() in relay), and the ledger encodes them,
// redacted, only when finish queues the capture: in the handler for a
// small capture, on a goroutine that may outlive the handler for a big
// one. Neither map changes after it is captured: the upstream request
// carries a clone of r.Header, the relay writes nothing to w.Header()
// after WriteHeader, and net/http neither reuses nor writes them once the
// handler returns (HTTP/1 makes a map per response and sends an owned
// clone of it; HTTP/2 zeroes its pooled writer state before reuse, and
// writes to the handler's map only to promote "Trailer:" keys, which no
// header the relay copies can have). A stage that changes either map
// later must capture before it, or the capture stores what it wrote.
func (s *Server) capturing() bool {
	return s.opts.Ledger.KeepsCaptures()
}
