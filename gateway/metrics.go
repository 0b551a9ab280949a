package gateway

import "net/http"

// metricsRoutes registers GET /metrics.
func (s *Server) metricsRoutes(mux *http.ServeMux) {}
