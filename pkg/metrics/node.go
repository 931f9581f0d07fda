package metrics

import "github.com/prometheus/client_golang/prometheus"

// NewForNode is New with a node label on every metric, so one Prometheus
// scraping every node of a cluster tells them apart even where the
// instance label is a balancer's address.
func NewForNode(node string) *Metrics {
	if node == "" {
		return New()
	}
	return newMetrics(prometheus.Labels{"node": node})
}
