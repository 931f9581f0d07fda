package watch

// IDs lists the streams this hub holds now (live, or waiting for their
// page to come back), for the cluster's directory of watch links.
func (h *Hub) IDs() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := make([]string, 0, len(h.streams))
	for id := range h.streams {
		ids = append(ids, id)
	}
	return ids
}

// Has reports whether this hub holds the stream with this id.
func (h *Hub) Has(id string) bool { return h.lookup(id) != nil }
