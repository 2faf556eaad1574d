package refresh

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// RecentKeys is how many object keys Recent remembers. With a fixed entry size it bounds the
// state item whatever the number and length of the keys (see Recent).
const RecentKeys = 64

// MaxSequencerDigits is the longest S3 sequencer (in hex digits, leading zeros removed) Recent
// stores. S3 sequencers seen in practice have 16 to 18 digits; a longer or non-hex one is not
// remembered, so its change always counts (a possible redundant update, never a lost one).
const MaxSequencerDigits = 2 * sequencerBytes

const (
	sequencerBytes = 16
	entryBytes     = 8 + sequencerBytes
)

// Recent is a fixed-size memory of the newest S3 sequencer accepted for the most recently
// changed object keys, newest first. A key is remembered by a 64-bit hash of it (collisions
// between the few remembered keys have odds of about 2^-58), so its length does not matter;
// the sequencer is stored left-padded to MaxSequencerDigits hex digits, so comparing two stored
// sequencers is S3's documented comparison (pad the shorter with leading zeros).
//
// Recent is a value: copying a State copies it. Its JSON form is one base64 string of at most
// RecentKeys*24 bytes.
type Recent struct {
	n int
	e [RecentKeys]recentEntry
}

type recentEntry struct {
	key uint64
	seq [sequencerBytes]byte
}

// Len is how many keys are remembered.
func (r Recent) Len() int { return r.n }

// IsZero reports whether nothing is remembered (for JSON omitzero).
func (r Recent) IsZero() bool { return r.n == 0 }

func keyHash(key string) uint64 {
	sum := sha256.Sum256([]byte(key))
	return binary.BigEndian.Uint64(sum[:8])
}

// parseSequencer returns a sequencer as a fixed-width big-endian number, and false when it is
// not hex or longer than MaxSequencerDigits.
func parseSequencer(s string) ([sequencerBytes]byte, bool) {
	var out [sequencerBytes]byte
	s = strings.TrimLeft(s, "0")
	if len(s) > MaxSequencerDigits {
		return out, false
	}
	padded := strings.Repeat("0", MaxSequencerDigits-len(s)) + s
	if _, err := hex.Decode(out[:], []byte(padded)); err != nil {
		return out, false
	}
	return out, true
}

// Accept reports whether the change of key at sequencer seq is newer than everything remembered
// for key, and returns the memory with it remembered as key's newest (the key moves to the
// front; the oldest key is forgotten when full). A duplicate or an older sequencer is not
// accepted and leaves r unchanged. A sequencer Recent cannot store is accepted and not
// remembered.
func (r Recent) Accept(key, seq string) (Recent, bool) {
	s, ok := parseSequencer(seq)
	if !ok {
		return r, true
	}
	h := keyHash(key)
	at := -1
	for i := range r.n {
		if r.e[i].key == h {
			if bytes.Compare(s[:], r.e[i].seq[:]) <= 0 {
				return r, false
			}
			at = i
			break
		}
	}
	if at < 0 {
		if r.n < RecentKeys {
			r.n++
		}
		at = r.n - 1 // the slot to overwrite: free, or the oldest key
	}
	copy(r.e[1:at+1], r.e[:at])
	r.e[0] = recentEntry{key: h, seq: s}
	return r, true
}

// MarshalJSON encodes the entries as one base64 string.
func (r Recent) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, r.n*entryBytes)
	for _, e := range r.e[:r.n] {
		b = binary.BigEndian.AppendUint64(b, e.key)
		b = append(b, e.seq[:]...)
	}
	return json.Marshal(base64.StdEncoding.EncodeToString(b))
}

// UnmarshalJSON decodes MarshalJSON's form.
func (r *Recent) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("recent keys: expected a base64 string: %w", err)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("recent keys: %w", err)
	}
	if len(b)%entryBytes != 0 || len(b)/entryBytes > RecentKeys {
		return fmt.Errorf("recent keys: %d bytes: expected a multiple of %d, at most %d", len(b), entryBytes, RecentKeys*entryBytes)
	}
	*r = Recent{n: len(b) / entryBytes}
	for i := range r.n {
		chunk := b[i*entryBytes:]
		r.e[i].key = binary.BigEndian.Uint64(chunk)
		copy(r.e[i].seq[:], chunk[8:entryBytes])
	}
	return nil
}
