package webrtc

// RefusedPackets, for tests, is the number of packets peers sent on video m-lines
// their answer refused, all discarded, over the sessions now open.
func (s *Server) RefusedPackets() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, p := range s.peers {
		n += p.buffers.discarded.Load()
	}
	return n
}
