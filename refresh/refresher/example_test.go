package refresher_test

import (
	"fmt"
	"os"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

func ExampleLoadConfig() {
	env := map[string]string{
		refresher.EnvEndpointName: "churn",
		refresher.EnvConfigA:      "churn-config-a",
		refresher.EnvConfigB:      "churn-config-b",
		refresher.EnvTableName:    "churn-refresh-state",
		refresher.EnvWatch:        `{"bucket": "models", "filters": [{"prefix": "churn/"}]}`,
		refresher.EnvQuietPeriod:  "0s",
	}
	cfg, err := refresher.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Endpoint, cfg.RetainAllVariantProperties, cfg.Watch.Matches("models", "churn/model.tar.gz"))
	// Output: churn true true
}

func ExampleMetrics_Count() {
	m := &refresher.Metrics{W: os.Stdout, Clock: func() time.Time { return time.UnixMilli(1717192194000) }}
	_ = m.Count("churn", refresher.MetricUpdateStarted)
	// Output: {"EndpointName":"churn","UpdateStarted":1,"_aws":{"Timestamp":1717192194000,"CloudWatchMetrics":[{"Namespace":"SagemakerCD","Dimensions":[["EndpointName"]],"Metrics":[{"Name":"UpdateStarted","Unit":"Count"}]}]}}
}
