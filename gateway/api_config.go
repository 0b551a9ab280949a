package gateway

import "net/http"

// configRoutes registers the admin config API (GET/PUT /api/config,
// POST /api/config/validate).
func (s *Server) configRoutes(mux *http.ServeMux) {}
