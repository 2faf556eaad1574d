package endpoint

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
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
	failed := emf(refresher.MetricEndpointFailed)
	deliveries, deadLetterDeliveries := s.ruleMetrics(period)
	s.alarms = &Alarms{
		EndpointFailed: alarm("EndpointFailedAlarm", "SageMaker endpoint "+name+" is Failed (or its rollback failed): it serves nothing the refresher can fix; see its FailureReason", failed),
		OutOfService: alarm("OutOfServiceAlarm", "SageMaker endpoint "+name+" has been OutOfService for several reconcile passes; the refresher waits for it",
			emf(refresher.MetricOutOfService)),
		EventDeliveryFailed: alarm("EventDeliveryFailedAlarm", "EventBridge could not deliver events of SageMaker endpoint "+name+
			" to the refresher's queues or function (for example a queue key whose policy does not let events.amazonaws.com use it); see the rules' AWS/Events metrics and the dead-letter queue", deliveries),
		DeadLetterDeliveryFailed: alarm("DeadLetterDeliveryFailedAlarm", "EventBridge could not deliver events of SageMaker endpoint "+name+
			" to the dead-letter queue either: those events are lost, the scheduled reconcile is the only path left", deadLetterDeliveries),
		UpdateFailed: alarm("UpdateFailedAlarm", "A refresh of SageMaker endpoint "+name+" failed (rolled back or Failed); the next artifact change tries again", emf(refresher.MetricUpdateFailed)),
		Drift:        alarm("DriftAlarm", "SageMaker endpoint "+name+" is on an endpoint config that is neither A nor B; the refresher will not touch it", emf(refresher.MetricDrift)),
		DeadLetters: alarm("DeadLetterAlarm", "Events for SageMaker endpoint "+name+" could not be handled; see the dead-letter queue",
			s.dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: period})),
		FunctionErrors: alarm("FunctionErrorsAlarm", "The refresher of SageMaker endpoint "+name+" failed",
			s.function.MetricErrors(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: period})),
	}
}

// ruleMetrics sums, over the construct's EventBridge rules, AWS/Events FailedInvocations
// (deliveries that failed for good) and InvocationsFailedToBeSentToDlq (and could not be
// parked in the dead-letter queue either). Missing data counts as zero, so one rule's
// failures raise the sum whatever the other rules report.
func (s *sagemakerEndpoint) ruleMetrics(period awscdk.Duration) (failed, notParked awscloudwatch.IMetric) {
	var rules []awsevents.Rule
	for _, c := range *s.Node().Children() {
		if r, ok := c.(awsevents.Rule); ok {
			rules = append(rules, r)
		}
	}
	sum := func(metric, label string) awscloudwatch.IMetric {
		using := map[string]awscloudwatch.IMetric{}
		terms := make([]string, len(rules))
		for i, r := range rules {
			id := fmt.Sprintf("m%d", i)
			using[id] = awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace:     jsii.String(eventsNamespace),
				MetricName:    jsii.String(metric),
				DimensionsMap: &map[string]*string{"RuleName": r.RuleName()},
				Statistic:     jsii.String("Sum"),
				Period:        period,
			})
			terms[i] = "FILL(" + id + ", 0)"
		}
		return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression:   jsii.String("SUM([" + strings.Join(terms, ", ") + "])"),
			UsingMetrics: &using,
			Label:        jsii.String(label),
			Period:       period,
		})
	}
	return sum(metricFailedInvocations, "Failed EventBridge deliveries"), sum(metricFailedToDLQ, "EventBridge deliveries lost (dead-letter queue unreachable)")
}

// EventBridge's metrics of a rule (namespace AWS/Events, dimension RuleName).
const (
	eventsNamespace         = "AWS/Events"
	metricFailedInvocations = "FailedInvocations"
	metricFailedToDLQ       = "InvocationsFailedToBeSentToDlq"
)
