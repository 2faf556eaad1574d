package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Timestamp is a time carried in an event's detail. AWS writes these in several forms, all of
// which it reads: epoch milliseconds as a JSON integer (1635195148181), float (1592411992203.0)
// or exponent (1.592411992203E12), the same numbers inside a string ("1583831889050"), and
// RFC 3339 / ISO 8601 strings ("2021-02-24T17:00:14Z"). JSON null is the zero Timestamp.
// It is written back as epoch milliseconds in SageMaker's float form.
type Timestamp struct {
	time.Time
}

// NewTimestamp returns t as a Timestamp.
func NewTimestamp(t time.Time) Timestamp { return Timestamp{t} }

// UnmarshalJSON reads any of the forms described on Timestamp.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*t = Timestamp{}
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := ParseTime(s)
	if err != nil {
		return err
	}
	*t = Timestamp{v}
	return nil
}

// MarshalJSON writes epoch milliseconds as SageMaker does (1592411992203.0); the zero
// Timestamp is null.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(strconv.FormatInt(t.UnixMilli(), 10) + ".0"), nil
}

// ParseTime reads a time in any of the forms described on Timestamp, given without JSON
// quotes: epoch milliseconds (integer, decimal or exponent) or RFC 3339 (with or without
// fractional seconds; a missing zone means UTC).
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if ms, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(ms) || math.IsInf(ms, 0) || math.Abs(ms) > 1e17 {
			return time.Time{}, fmt.Errorf("time %q: expected epoch milliseconds or an RFC 3339 time", s)
		}
		return time.UnixMicro(int64(math.Round(ms * 1000))).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if v, err := time.Parse(layout, s); err == nil {
			return v.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: expected epoch milliseconds or an RFC 3339 time", s)
}
