package refresher

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// Metric names the refresher emits (CloudWatch Embedded Metric Format, unit Count, dimension
// EndpointName).
const (
	MetricChangeRecorded   = "ChangeRecorded"
	MetricCoalesced        = "Coalesced"
	MetricDuplicateIgnored = "DuplicateIgnored"
	MetricUpdateStarted    = "UpdateStarted"
	MetricUpdateSucceeded  = "UpdateSucceeded"
	MetricUpdateFailed     = "UpdateFailed"
	MetricWaiting          = "Waiting"
	MetricDrift            = "Drift"
	MetricEndpointFailed   = "EndpointFailed"
	// MetricOutOfService counts passes that found the endpoint OutOfService for longer than
	// refresh.Policy.OutOfServicePasses passes.
	MetricOutOfService = "OutOfService"
)

// MetricDimension is the one dimension of every metric the refresher emits; its value is the
// endpoint name. The endpoint construct's alarms select their metrics by it.
const MetricDimension = "EndpointName"

// Metrics writes CloudWatch Embedded Metric Format records, one JSON object per line. Lambda
// sends stdout to CloudWatch Logs, which extracts the metrics; no PutMetricData call is made.
type Metrics struct {
	// W receives the records (os.Stdout in the Lambda).
	W io.Writer
	// Namespace is the CloudWatch namespace (DefaultMetricsNamespace when empty).
	Namespace string
	// Clock stamps the records (time.Now when nil).
	Clock func() time.Time

	mu sync.Mutex
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// Count writes one record with each name counted once for endpoint. Names repeat to count
// more than once. A nil *Metrics writes nothing.
func (m *Metrics) Count(endpoint string, names ...string) error {
	if m == nil || m.W == nil || len(names) == 0 {
		return nil
	}
	values := map[string]float64{}
	var order []string
	for _, n := range names {
		if _, ok := values[n]; !ok {
			order = append(order, n)
		}
		values[n]++
	}
	ns := m.Namespace
	if ns == "" {
		ns = DefaultMetricsNamespace
	}
	now := time.Now
	if m.Clock != nil {
		now = m.Clock
	}
	d := emfDirective{Namespace: ns, Dimensions: [][]string{{MetricDimension}}}
	record := map[string]any{MetricDimension: endpoint}
	for _, n := range order {
		d.Metrics = append(d.Metrics, emfMetric{Name: n, Unit: "Count"})
		record[n] = values[n]
	}
	record["_aws"] = emfMeta{Timestamp: now().UnixMilli(), CloudWatchMetrics: []emfDirective{d}}
	line, err := json.Marshal(record)
	if err != nil {
		return fmt.Errorf("encode metrics: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.W.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("write metrics: %w", err)
	}
	return nil
}
