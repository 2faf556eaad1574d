package iamcheck_test

// refresherCases are the refresher scenarios of TestRefresherCallsAllowed.
var refresherCases = []refreshCase{
	{name: "capitalised endpoint", endpointName: "Churn-Endpoint"},
	{name: "config key and rollback alarms", endpointName: "Churn-Endpoint", kms: true, alarms: []string{"Churn-5xx"}},
}

// promoteCases are the promotion scenarios of TestPromoteCallsAllowed: each reads its source
// group by ARN across accounts, copies SSE-KMS artifacts (one tagged, one in parts) into the
// target bucket under a customer KMS key, and runs the package cleaner.
var promoteCases = []promoteCase{
	{name: "target key given", group: "churn-models", kmsKeyArn: true},
	{name: "capitalised group", group: "Churn-Models", kmsKeyArn: true},
}
