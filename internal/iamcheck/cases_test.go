package iamcheck_test

// refresherCases are the refresher scenarios of TestRefresherCallsAllowed.
var refresherCases = []refreshCase{
	{name: "capitalised endpoint", endpointName: "Churn-Endpoint"},
}

// promoteCases are the promotion scenarios of TestPromoteCallsAllowed.
var promoteCases = []promoteCase{
	{name: "capitalised group, target key given", group: "Churn-Models", kmsKeyArn: true},
	{name: "capitalised group, bucket default key", group: "Churn-Models"},
}
