package s3copy

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const mib = 1 << 20

func TestVerificationChoice(t *testing.T) {
	crc := Checksum{Algorithm: "CRC32", Value: "abc=", Type: "FULL_OBJECT"}
	sha := Checksum{Algorithm: "SHA256", Value: "abc=", Type: "FULL_OBJECT"}
	tests := []struct {
		name string
		obj  Object
		opts Options
		want string // "" = refused with *IntegrityError
	}{
		{"CRC32 single", Object{Observed: Headed, Size: 10, Checksum: crc}, Options{}, "size + CRC32"},
		{"CRC32 multipart with KMS", Object{Observed: Headed, Size: 10 * mib, Checksum: crc}, Options{MultipartThreshold: mib, KMSKeyARN: "k"}, "size + CRC32"},
		{"SHA256 single", Object{Observed: Headed, Size: 10, Checksum: sha}, Options{}, "size + SHA256"},
		{"SHA256 multipart cannot be verified", Object{Observed: Headed, Size: 10 * mib, Checksum: sha, ETag: `"x"`}, Options{MultipartThreshold: mib}, ""},
		{"no checksum: ETag", Object{Observed: Headed, Size: 10, ETag: `"md5"`}, Options{}, "size + ETag (MD5)"},
		{"no checksum, KMS target", Object{Observed: Headed, Size: 10, ETag: `"md5"`}, Options{KMSKeyARN: "k"}, ""},
		{"no checksum, multipart source", Object{Observed: Headed, Size: 10, ETag: `"md5-3"`}, Options{}, ""},
		{"composite checksum", Object{Observed: Headed, Size: 10, ETag: `"md5-2"`, Checksum: Checksum{Algorithm: "CRC32", Value: "a=-2", Type: "COMPOSITE"}}, Options{}, ""},
	}
	for _, tc := range tests {
		got, err := Verification(tc.obj, tc.opts)
		var ie *IntegrityError
		if got != tc.want || (tc.want == "" && !errors.As(err, &ie)) {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestPartSizeFor(t *testing.T) {
	tests := []struct{ size, part, want int64 }{
		{100 * mib, 64 * mib, 64 * mib},
		{5 << 40, 64 * mib, 525 * mib}, // 5 TiB needs > 524.288 MiB parts to fit 10,000 parts
	}
	for _, tc := range tests {
		got := PartSizeFor(tc.size, tc.part)
		if got != tc.want || (tc.size+got-1)/got > MaxParts {
			t.Errorf("PartSizeFor(%d, %d) = %d, want %d", tc.size, tc.part, got, tc.want)
		}
	}
}

// TestVerificationEveryCombination walks every combination of source checksum, target KMS key,
// single or multipart copy, source ETag, source encryption and verify mode, against the rule:
// a full-object CRC verifies anything; a full-object SHA verifies a single copy; a plain MD5
// ETag verifies a single unencrypted copy; anything else is refused in checksum mode and copied
// pinned (size verified) in size mode.
func TestVerificationEveryCombination(t *testing.T) {
	checksums := []struct {
		name string
		c    Checksum
	}{
		{"no checksum", Checksum{}},
		{"CRC32", Checksum{Algorithm: "CRC32", Value: "abc=", Type: "FULL_OBJECT"}},
		{"SHA256", Checksum{Algorithm: "SHA256", Value: "abc=", Type: "FULL_OBJECT"}},
		{"composite CRC32", Checksum{Algorithm: "CRC32", Value: "abc=-2", Type: "COMPOSITE"}},
	}
	n := 0
	for _, ck := range checksums {
		for _, kmsTarget := range []bool{false, true} {
			for _, multipart := range []bool{false, true} {
				for _, etag := range []string{`"0cc175b9c0f1b6a831c399e269772661"`, `"0cc175b9c0f1b6a831c399e269772661-3"`} {
					for _, sse := range []s3types.ServerSideEncryption{"", s3types.ServerSideEncryptionAwsKms} {
						for _, mode := range []VerifyMode{"", VerifyChecksum, VerifySize} {
							n++
							opts := Options{MultipartThreshold: mib, Verify: mode}
							if kmsTarget {
								opts.KMSKeyARN = "arn:aws:kms:us-east-1:123456789012:key/k"
							}
							obj := Object{Observed: Headed, Size: 10, ETag: etag, Checksum: ck.c, SSE: sse}
							if multipart {
								obj.Size = 10 * mib
							}
							name := fmt.Sprintf("%s, KMS target %v, multipart %v, ETag %s, SSE %q, mode %q", ck.name, kmsTarget, multipart, etag, sse, mode)
							want := ""
							switch {
							case ck.name == "CRC32":
								want = "size + CRC32"
							case ck.name == "SHA256" && !multipart:
								want = "size + SHA256"
							case !kmsTarget && sse == "" && !multipart && !strings.HasSuffix(etag, `-3"`):
								want = "size + ETag (MD5)"
							case mode == VerifySize:
								want = VerifiedSizePinned
							}
							got, err := Verification(obj, opts)
							if want != "" {
								if got != want || err != nil {
									t.Errorf("%s: %q, %v; want %q", name, got, err, want)
								}
								continue
							}
							var ie *IntegrityError
							if got != "" || !errors.As(err, &ie) || !errors.Is(err, ErrUnverifiable) || !strings.Contains(err.Error(), "re-upload it with a checksum") {
								t.Errorf("%s: %q, %v; want a refusal (*IntegrityError, ErrUnverifiable)", name, got, err)
							}
						}
					}
				}
			}
		}
	}
	if n != 4*2*2*2*2*3 {
		t.Fatalf("walked %d combinations", n)
	}
}

func TestVerificationEdges(t *testing.T) {
	tests := []struct {
		name    string
		obj     Object
		opts    Options
		want    string
		wantErr string
	}{
		{"size mode without an ETag to pin", Object{Observed: Headed, Size: 10}, Options{KMSKeyARN: "k", Verify: VerifySize}, "", "no ETag to pin"},
		{"unknown mode", Object{Observed: Headed, Size: 10, ETag: `"x"`}, Options{Verify: "md5"}, "", `verify mode "md5": expected checksum or size`},
		{"SSE-KMS source, single, size mode", Object{Observed: Headed, Size: 10, ETag: `"x"`, SSE: s3types.ServerSideEncryptionAwsKms}, Options{Verify: VerifySize}, VerifiedSizePinned, ""},
		{"DSSE-KMS source, checksum mode", Object{Observed: Headed, Size: 10, ETag: `"x"`, SSE: s3types.ServerSideEncryptionAwsKmsDsse}, Options{}, "", "cannot be verified"},
	}
	for _, tc := range tests {
		got, err := Verification(tc.obj, tc.opts)
		if got != tc.want || (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: %q, %v; want %q, error with %q", tc.name, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestParseVerifyMode(t *testing.T) {
	tests := []struct {
		in      string
		want    VerifyMode
		wantErr bool
	}{
		{"", VerifyChecksum, false},
		{"checksum", VerifyChecksum, false},
		{"size", VerifySize, false},
		{"Size", "", true},
		{"etag", "", true},
	}
	for _, tc := range tests {
		got, err := ParseVerifyMode(tc.in)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("ParseVerifyMode(%q) = %q, %v; want %q (error %v)", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

// TestNeedsHead: a listed object is headed exactly when its listing cannot prove the copy.
func TestNeedsHead(t *testing.T) {
	md5 := `"0cc175b9c0f1b6a831c399e269772661"`
	tests := []struct {
		name string
		obj  Object
		opts Options
		want bool
	}{
		{"listed, small, MD5 ETag", Object{Observed: Listed, Size: 10, ETag: md5}, Options{}, false},
		{"listed, at the threshold", Object{Observed: Listed, Size: DefaultMultipartThreshold, ETag: md5}, Options{}, false},
		{"listed, above the threshold (metadata and tags)", Object{Observed: Listed, Size: DefaultMultipartThreshold + 1, ETag: md5}, Options{}, true},
		{"listed, KMS target (ETag not comparable)", Object{Observed: Listed, Size: 10, ETag: md5}, Options{KMSKeyARN: "k"}, true},
		{"listed, multipart source", Object{Observed: Listed, Size: 10, ETag: `"x-2"`}, Options{}, true},
		{"listed, no ETag", Object{Observed: Listed, Size: 10}, Options{}, true},
		{"named by URI", Object{Source: Location{Bucket: "b", Key: "k"}}, Options{}, true},
		{"already headed", Object{Observed: Headed, Size: 1 << 40}, Options{}, false},
	}
	for _, tc := range tests {
		opts, err := tc.opts.WithDefaults()
		if err != nil {
			t.Fatal(err)
		}
		if got := needsHead(tc.obj, opts); got != tc.want {
			t.Errorf("%s: needsHead = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCommonPrefix(t *testing.T) {
	tests := []struct{ a, b, want string }{
		{"p/churn/3/b/model/a.bin", "p/churn/3/b/model/b.bin", "p/churn/3/b/model/"},
		{"x", "x", "x"},
		{"abc", "ab", "ab"},
		{"a", "b", ""},
	}
	for _, tc := range tests {
		if got := commonPrefix(tc.a, tc.b); got != tc.want {
			t.Errorf("commonPrefix(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestOptionsOutOfRange(t *testing.T) {
	for _, o := range []Options{{Concurrency: -1}, {MultipartThreshold: MaxSingleCopySize + 1}, {PartSize: MinPartSize - 1}, {Verify: "md5"}} {
		if _, err := o.WithDefaults(); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}
