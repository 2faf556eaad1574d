package endpoint

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

// alarmsFor creates the alarms.
func (s *sagemakerEndpoint) alarmsFor() {
	name := s.plan.endpointName
	period := awscdk.Duration_Minutes(jsii.Number(5))
	emf := func(metric string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String(refresher.DefaultMetricsNamespace),
			MetricName:    jsii.String(metric),
			DimensionsMap: &map[string]*string{refresher.MetricDimension: jsii.String(name)},
			Statistic:     jsii.String("Sum"),
			Period:        period,
		})
	}
	alarm := func(id, description string, m awscloudwatch.IMetric) awscloudwatch.Alarm {
		return awscloudwatch.NewAlarm(s.Construct, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(description),
			Metric:             m,
			Threshold:          jsii.Number(0),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	}
	s.alarms = &Alarms{
		UpdateFailed: alarm("UpdateFailedAlarm", "A refresh of SageMaker endpoint "+name+" failed (rolled back or Failed); the next artifact change tries again", emf(refresher.MetricUpdateFailed)),
		Drift:        alarm("DriftAlarm", "SageMaker endpoint "+name+" is on an endpoint config that is neither A nor B; the refresher will not touch it", emf(refresher.MetricDrift)),
		DeadLetters: alarm("DeadLetterAlarm", "Events for SageMaker endpoint "+name+" could not be handled; see the dead-letter queue",
			s.dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: period})),
		FunctionErrors: alarm("FunctionErrorsAlarm", "The refresher of SageMaker endpoint "+name+" failed",
			s.function.MetricErrors(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: period})),
	}
}
