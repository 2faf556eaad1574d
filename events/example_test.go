package events_test

import (
	"encoding/json"
	"fmt"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/sagemaker-cd/sagemaker-cd/events"
)

func ExampleParseS3Object() {
	body := `{"version":"0","id":"1","detail-type":"Object Created","source":"aws.s3",
	  "time":"2021-11-12T00:00:00Z","detail":{"bucket":{"name":"models-bucket"},
	  "object":{"key":"churn/model.tar.gz","sequencer":"617f08299329d189"},"reason":"PutObject"}}`
	var e lambdaevents.CloudWatchEvent
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		panic(err)
	}
	c, err := events.ParseS3Object(e)
	if err != nil {
		panic(err)
	}
	fmt.Println(events.Classify(e), c.Bucket, c.Key, c.Sequencer, c.Deleted)
	// Output: s3-object models-bucket churn/model.tar.gz 617f08299329d189 false
}

func ExampleParseEndpointStateChange() {
	body := `{"version":"0","id":"2","detail-type":"SageMaker Endpoint State Change",
	  "source":"aws.sagemaker","time":"2024-05-31T21:49:54Z",
	  "detail":{"EndpointName":"churn","EndpointConfigName":"churn-config-b","EndpointStatus":"IN_SERVICE"}}`
	var e lambdaevents.CloudWatchEvent
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		panic(err)
	}
	d, err := events.ParseEndpointStateChange(e)
	if err != nil {
		panic(err)
	}
	fmt.Println(d.EndpointName, d.EndpointConfigName, d.EndpointStatus == events.EndpointStatusInService)
	// Output: churn churn-config-b true
}
