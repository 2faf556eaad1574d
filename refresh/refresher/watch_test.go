package refresher_test

import (
	"testing"

	"github.com/sagemaker-cd/sagemaker-cd/events"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

// TestWatchedKeyEncodings: whether EventBridge delivers detail.object.key as is or form-encoded
// is not documented, so watched prefixes, suffixes and the marker match either spelling, and
// the key recorded is the one the object has.
func TestWatchedKeyEncodings(t *testing.T) {
	const prefix, suffix, marker = "models/v 1+2%=é/", ".tar gz", "models/v 1+2%=é/_DONE é"
	cfg := refresher.Config{
		Watch:     refresher.Watch{Bucket: "b", Filters: []refresher.Filter{{Prefix: prefix, Suffix: suffix}, {Prefix: prefix, Suffix: "_DONE é"}}},
		MarkerKey: marker,
	}
	key := prefix + "model=a+b c%.tar gz"
	tests := []struct {
		name, key string
		want      string
		watched   bool
	}{
		{"as is", key, key, true},
		{"form-encoded, slash kept", "models/v+1%2B2%25%3D%C3%A9/model%3Da%2Bb+c%25.tar+gz", key, true},
		{"form-encoded, slash encoded", "models%2Fv+1%2B2%25%3D%C3%A9%2Fmodel%3Da%2Bb+c%25.tar+gz", key, true},
		{"marker as is", marker, marker, true},
		{"marker form-encoded", "models/v+1%2B2%25%3D%C3%A9/_DONE+%C3%A9", marker, true},
		{"other suffix", prefix + "notes.txt", "", false},
		{"other suffix, form-encoded", "models/v+1%2B2%25%3D%C3%A9/notes.txt", "", false},
		{"other prefix", "models/v 1/model.tar gz", "", false},
		{"invalid encoding outside the prefix", "models/v 1+2%=x/model.tar gz", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := cfg.WatchedKey("b", tt.key)
			if ok != tt.watched || got != tt.want {
				t.Errorf("WatchedKey(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.watched)
			}
			if m := cfg.Watch.Matches("b", tt.key); m != tt.watched {
				t.Errorf("Matches(%q) = %v, want %v", tt.key, m, tt.watched)
			}
			if _, ok := cfg.WatchedKey("other", tt.key); ok {
				t.Errorf("WatchedKey(other bucket, %q) watched", tt.key)
			}
		})
	}
	// Every spelling events.KeyForms gives (the ones the rule pattern lists) is watched.
	for _, form := range events.KeyForms(key) {
		if got, ok := cfg.WatchedKey("b", form); !ok || got != key {
			t.Errorf("KeyForms spelling %q: WatchedKey = %q, %v; want %q", form, got, ok, key)
		}
	}
	// A key that is a plain '+' in the watched prefix stays itself.
	plain := refresher.Config{Watch: refresher.Watch{Bucket: "b", Filters: []refresher.Filter{{Prefix: "a+b/"}}}}
	if got, ok := plain.WatchedKey("b", "a+b/model"); !ok || got != "a+b/model" {
		t.Errorf("plain '+' key: %q, %v", got, ok)
	}
	// No filters: every key, recorded as delivered unless it spells the marker.
	all := refresher.Config{Watch: refresher.Watch{Bucket: "b"}, MarkerKey: "done now"}
	if got, ok := all.WatchedKey("b", "done+now"); !ok || got != "done now" {
		t.Errorf("encoded marker without filters: %q, %v", got, ok)
	}
	if got, ok := all.WatchedKey("b", "x+y"); !ok || got != "x+y" {
		t.Errorf("key without filters: %q, %v", got, ok)
	}
}
