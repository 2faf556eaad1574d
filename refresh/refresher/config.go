package refresher

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/events"
	"github.com/sagemaker-cd/sagemaker-cd/refresh"
)

// Config is the refresher's configuration, read from the environment the endpoint construct
// sets (see env.go) or from smcd's flags.
type Config struct {
	// Endpoint is the endpoint name.
	Endpoint string
	// ConfigA and ConfigB are the two identical endpoint configs.
	ConfigA, ConfigB string
	// Table is the DynamoDB state table.
	Table string
	// QuietPeriod and MarkerKey tune the debounce (refresh.Policy).
	QuietPeriod time.Duration
	MarkerKey   string
	// DriftGrace is refresh.Policy.DriftGrace: LoadConfig (the Lambda) defaults it to
	// DefaultDriftGrace; zero, as smcd uses, reports a foreign config at once.
	DriftGrace time.Duration
	// IntentTimeout is refresh.Policy.IntentTimeout (refresh.DefaultIntentTimeout when zero).
	IntentTimeout time.Duration
	// Watch says which S3 changes count. A zero Watch accepts every S3 event (smcd events
	// replay without --bucket); the Lambda always sets it.
	Watch Watch
	// RetainAllVariantProperties is passed to UpdateEndpoint (default true: keep autoscaled
	// instance counts).
	RetainAllVariantProperties bool
	// DeploymentConfig is passed to UpdateEndpoint when set (blue/green, rolling, rollback alarms).
	DeploymentConfig *types.DeploymentConfig
	// MetricsNamespace is the CloudWatch namespace of the embedded metrics.
	MetricsNamespace string
}

// Policy returns the pure core's view of c.
func (c Config) Policy() refresh.Policy {
	return refresh.Policy{ConfigA: c.ConfigA, ConfigB: c.ConfigB, QuietPeriod: c.QuietPeriod, MarkerKey: c.MarkerKey, DriftGrace: c.DriftGrace, IntentTimeout: c.IntentTimeout}
}

// Watch is the set of S3 objects whose changes trigger a refresh (EnvWatch).
type Watch struct {
	Bucket  string   `json:"bucket"`
	Filters []Filter `json:"filters,omitempty"`
}

// Filter matches object keys by prefix and suffix (both optional), like S3 notification filters.
type Filter struct {
	Prefix string `json:"prefix,omitempty"`
	Suffix string `json:"suffix,omitempty"`
}

// Matches reports whether a change to bucket/key is watched. No filters means every key. The
// key may be delivered as is or form-encoded (events.KeyForms): both match.
func (w Watch) Matches(bucket, key string) bool {
	_, ok := w.match(bucket, key)
	return ok
}

// match reports whether bucket/key is watched and which spelling of the key matched: the key
// as delivered, or, when only that matches, the key its form encoding stands for.
func (w Watch) match(bucket, key string) (string, bool) {
	if w.Bucket != "" && bucket != w.Bucket {
		return "", false
	}
	if w.Bucket == "" || w.filtersMatch(key) {
		return key, true
	}
	if decoded, ok := events.DecodeKey(key); ok && decoded != key && w.filtersMatch(decoded) {
		return decoded, true
	}
	return "", false
}

func (w Watch) filtersMatch(key string) bool {
	for _, f := range w.Filters {
		if f.Matches(key) {
			return true
		}
	}
	return len(w.Filters) == 0
}

// WatchedKey reports whether a change to bucket/key counts and returns the key to record: the
// key as delivered when it matches the watch as is, otherwise the key its form encoding stands
// for (EventBridge may deliver detail.object.key either way), and MarkerKey when the key is the
// completion marker in either spelling.
func (c Config) WatchedKey(bucket, key string) (string, bool) {
	k, ok := c.Watch.match(bucket, key)
	if !ok {
		return "", false
	}
	if c.MarkerKey != "" && k != c.MarkerKey {
		if decoded, ok := events.DecodeKey(key); ok && decoded == c.MarkerKey {
			return c.MarkerKey, true
		}
	}
	return k, true
}

// Matches reports whether key starts with f.Prefix and ends with f.Suffix.
func (f Filter) Matches(key string) bool {
	return strings.HasPrefix(key, f.Prefix) && strings.HasSuffix(key, f.Suffix)
}

// LoadConfig reads the refresher's environment through getenv (os.Getenv in the Lambda). The
// endpoint, both configs, the table and the watched bucket are required.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		Endpoint:                   getenv(EnvEndpointName),
		ConfigA:                    getenv(EnvConfigA),
		ConfigB:                    getenv(EnvConfigB),
		Table:                      getenv(EnvTableName),
		MarkerKey:                  getenv(EnvMarkerKey),
		MetricsNamespace:           getenv(EnvMetricsNamespace),
		RetainAllVariantProperties: true,
	}
	var missing []string
	for _, v := range []struct{ name, value string }{
		{EnvEndpointName, c.Endpoint}, {EnvConfigA, c.ConfigA}, {EnvConfigB, c.ConfigB}, {EnvTableName, c.Table}, {EnvWatch, getenv(EnvWatch)},
	} {
		if v.value == "" {
			missing = append(missing, v.name)
		}
	}
	if len(missing) > 0 {
		return Config{}, fmt.Errorf("refresher configuration: %s not set", strings.Join(missing, ", "))
	}
	var err error
	if c.Watch, err = ParseWatch(getenv(EnvWatch)); err != nil {
		return Config{}, err
	}
	if c.Watch.Bucket == "" {
		return Config{}, fmt.Errorf("refresher configuration: %s %q has no bucket", EnvWatch, getenv(EnvWatch))
	}
	if v := getenv(EnvQuietPeriod); v != "" {
		if c.QuietPeriod, err = time.ParseDuration(v); err != nil || c.QuietPeriod < 0 {
			return Config{}, fmt.Errorf("refresher configuration: %s %q: expected a non-negative Go duration such as 0s or 2m", EnvQuietPeriod, v)
		}
	}
	c.DriftGrace = DefaultDriftGrace
	if v := getenv(EnvDriftGrace); v != "" {
		if c.DriftGrace, err = time.ParseDuration(v); err != nil || c.DriftGrace < 0 {
			return Config{}, fmt.Errorf("refresher configuration: %s %q: expected a non-negative Go duration such as 0s or 10m", EnvDriftGrace, v)
		}
	}
	if v := getenv(EnvRetainAllVariantProperties); v != "" {
		if c.RetainAllVariantProperties, err = strconv.ParseBool(v); err != nil {
			return Config{}, fmt.Errorf("refresher configuration: %s %q: expected true or false", EnvRetainAllVariantProperties, v)
		}
	}
	if c.DeploymentConfig, err = ParseDeploymentConfig(getenv(EnvDeploymentConfig)); err != nil {
		return Config{}, err
	}
	if c.MetricsNamespace == "" {
		c.MetricsNamespace = DefaultMetricsNamespace
	}
	return c, nil
}

// ParseWatch decodes EnvWatch's JSON.
func ParseWatch(s string) (Watch, error) {
	var w Watch
	if err := strictUnmarshal(s, &w); err != nil {
		return Watch{}, fmt.Errorf("refresher configuration: %s %q: expected {\"bucket\": \"...\", \"filters\": [{\"prefix\": \"...\", \"suffix\": \"...\"}]}: %w", EnvWatch, s, err)
	}
	return w, nil
}

// ParseDeploymentConfig decodes EnvDeploymentConfig's JSON, in the SageMaker API's shape
// (PascalCase field names, which encoding/json matches onto the SDK's types). Empty means none.
func ParseDeploymentConfig(s string) (*types.DeploymentConfig, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var d types.DeploymentConfig
	if err := strictUnmarshal(s, &d); err != nil {
		return nil, fmt.Errorf("refresher configuration: %s: expected the SageMaker DeploymentConfig shape (BlueGreenUpdatePolicy, RollingUpdatePolicy, AutoRollbackConfiguration): %w", EnvDeploymentConfig, err)
	}
	if d.BlueGreenUpdatePolicy == nil && d.RollingUpdatePolicy == nil && d.AutoRollbackConfiguration == nil {
		return nil, fmt.Errorf("refresher configuration: %s %q sets none of BlueGreenUpdatePolicy, RollingUpdatePolicy, AutoRollbackConfiguration", EnvDeploymentConfig, s)
	}
	return &d, nil
}

func strictUnmarshal(s string, v any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}
