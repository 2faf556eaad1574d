package events

// Source and detail type of EventBridge schedules (rules with a rate or cron expression).
const (
	// SourceSchedule is the "source" of scheduled events.
	SourceSchedule = "aws.events"
	// DetailTypeScheduledEvent is the "detail-type" of scheduled events; the detail is {}.
	DetailTypeScheduledEvent = "Scheduled Event"
)
