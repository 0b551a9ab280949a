package gateway

// responseIDWindow is how much of a created Responses object's answer is
// kept when nothing is captured: its "id" comes first (in the JSON answer,
// and in the stream's first event).
const responseIDWindow = 16 << 10

// capturing reports whether requests' headers and bodies are captured:
// when the ledger would discard them, the gateway does not copy them.
// What a capture keeps is the ledger's rule (ledger.NewCapture,
// ledger.CaptureBuffer).
func (s *Server) capturing() bool {
	return s.opts.Ledger.KeepsCaptures()
}
