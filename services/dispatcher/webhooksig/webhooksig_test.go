package webhooksig_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/services/dispatcher/webhooksig"
)

// The Standard Webhooks specification's published test vector.
const (
	specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTS     = 1614265330
	specBody   = `{"test": 2432232314}`
	specSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignMatchesSpecVector(t *testing.T) {
	got := webhooksig.Sign(specSecret, specID, time.Unix(specTS, 0), []byte(specBody))
	if got != specSig {
		t.Fatalf("Sign = %q, want %q", got, specSig)
	}
}

func headers(id string, ts int64, sig string) http.Header {
	h := http.Header{}
	h.Set(webhooksig.HeaderID, id)
	h.Set(webhooksig.HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(webhooksig.HeaderSignature, sig)
	return h
}

func TestVerify(t *testing.T) {
	oldSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("old-secret-0123456789abcdef"))
	newSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("new-secret-0123456789abcdef"))
	rawSecret := "a raw secret without prefix"
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"to":"u","from":"st-1","text":"hi"}`)
	sig := func(secrets []string, id string, ts time.Time, b []byte) string {
		return webhooksig.SignAll(secrets, id, ts, b)
	}
	cases := []struct {
		name    string
		secrets []string // receiver's
		h       http.Header
		body    []byte
		want    error
	}{
		{"valid", []string{newSecret}, headers("ms-1", now.Unix(), sig([]string{newSecret}, "ms-1", now, body)), body, nil},
		{"raw secret", []string{rawSecret}, headers("ms-1", now.Unix(), sig([]string{rawSecret}, "ms-1", now, body)), body, nil},
		{"rotation: sender signs with both, receiver has old", []string{oldSecret}, headers("ms-1", now.Unix(), sig([]string{newSecret, oldSecret}, "ms-1", now, body)), body, nil},
		{"rotation: sender signs with both, receiver has new", []string{newSecret}, headers("ms-1", now.Unix(), sig([]string{newSecret, oldSecret}, "ms-1", now, body)), body, nil},
		{"rotation: receiver accepts both, sender has new only", []string{oldSecret, newSecret}, headers("ms-1", now.Unix(), sig([]string{newSecret}, "ms-1", now, body)), body, nil},
		{"wrong secret", []string{oldSecret}, headers("ms-1", now.Unix(), sig([]string{newSecret}, "ms-1", now, body)), body, webhooksig.ErrNoMatch},
		{"tampered body", []string{newSecret}, headers("ms-1", now.Unix(), sig([]string{newSecret}, "ms-1", now, body)), []byte(`{"to":"u","from":"st-1","text":"HI"}`), webhooksig.ErrNoMatch},
		{"id swapped", []string{newSecret}, headers("ms-2", now.Unix(), sig([]string{newSecret}, "ms-1", now, body)), body, webhooksig.ErrNoMatch},
		{"timestamp swapped", []string{newSecret}, headers("ms-1", now.Unix()+1, sig([]string{newSecret}, "ms-1", now, body)), body, webhooksig.ErrNoMatch},
		{"too old", []string{newSecret}, headers("ms-1", now.Add(-6*time.Minute).Unix(), sig([]string{newSecret}, "ms-1", now.Add(-6*time.Minute), body)), body, webhooksig.ErrTimestampTooOld},
		{"too new", []string{newSecret}, headers("ms-1", now.Add(6*time.Minute).Unix(), sig([]string{newSecret}, "ms-1", now.Add(6*time.Minute), body)), body, webhooksig.ErrTimestampTooNew},
		{"within tolerance", []string{newSecret}, headers("ms-1", now.Add(-4*time.Minute).Unix(), sig([]string{newSecret}, "ms-1", now.Add(-4*time.Minute), body)), body, nil},
		{"bad timestamp", []string{newSecret}, func() http.Header {
			h := headers("ms-1", 0, "v1,AAAA")
			h.Set(webhooksig.HeaderTimestamp, "yesterday")
			return h
		}(), body, webhooksig.ErrInvalidTimestamp},
		{"missing signature", []string{newSecret}, func() http.Header {
			h := headers("ms-1", now.Unix(), "")
			h.Del(webhooksig.HeaderSignature)
			return h
		}(), body, webhooksig.ErrMissingHeaders},
		{"unknown version only", []string{newSecret}, headers("ms-1", now.Unix(), strings.Replace(sig([]string{newSecret}, "ms-1", now, body), "v1,", "v2,", 1)), body, webhooksig.ErrNoMatch},
		{"garbage next to a valid one", []string{newSecret}, headers("ms-1", now.Unix(), "v1a,!!notbase64 nocomma "+sig([]string{newSecret}, "ms-1", now, body)), body, nil},
		{"dot in id", []string{newSecret}, headers("ms.1", now.Unix(), sig([]string{newSecret}, "ms.1", now, body)), body, webhooksig.ErrInvalidID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := webhooksig.NewVerifier(tc.secrets...)
			if err != nil {
				t.Fatal(err)
			}
			v.Now = func() time.Time { return now }
			if err := v.Verify(tc.h, tc.body); !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifySpecVectorWithPackageFunction(t *testing.T) {
	h := headers(specID, specTS, specSig)
	// The vector is from 2021: outside the default tolerance.
	if err := webhooksig.Verify([]string{specSecret}, h, []byte(specBody)); !errors.Is(err, webhooksig.ErrTimestampTooOld) {
		t.Fatalf("Verify = %v, want ErrTimestampTooOld", err)
	}
	v, _ := webhooksig.NewVerifier(specSecret)
	v.Now = func() time.Time { return time.Unix(specTS+10, 0) }
	if err := v.Verify(h, []byte(specBody)); err != nil {
		t.Fatalf("Verify = %v", err)
	}
}

func TestDecodeSecret(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"whsec_" + base64.StdEncoding.EncodeToString([]byte("key")), "key", false},
		{"plain", "plain", false},
		{"whsec_***", "", true},
		{"whsec_", "", true},
		{"", "", true},
	} {
		got, err := webhooksig.DecodeSecret(tc.in)
		if (err != nil) != tc.wantErr || string(got) != tc.want {
			t.Errorf("DecodeSecret(%q) = %q, %v", tc.in, got, err)
		}
	}
	if _, err := webhooksig.NewVerifier(); !errors.Is(err, webhooksig.ErrNoSecrets) {
		t.Errorf("NewVerifier() = %v", err)
	}
}

func TestParseSignatures(t *testing.T) {
	got := webhooksig.ParseSignatures("  v1,AQID v1a,BAUG  junk v1,@@ ,AQ v1,  v2,Bw==")
	want := []webhooksig.Signature{{"v1", []byte{1, 2, 3}}, {"v1a", []byte{4, 5, 6}}, {"v2", []byte{7}}}
	if len(got) != len(want) {
		t.Fatalf("got %d signatures %v, want %v", len(got), got, want)
	}
	for i := range want {
		if got[i].Version != want[i].Version || string(got[i].Value) != string(want[i].Value) {
			t.Errorf("signature %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func FuzzParseSignatures(f *testing.F) {
	f.Add(specSig)
	f.Add("v1,AQID v1a,BAUG")
	f.Add(" , ,, v1, ,x")
	f.Add("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,====")
	f.Fuzz(func(t *testing.T, header string) {
		for _, s := range webhooksig.ParseSignatures(header) {
			if s.Version == "" || strings.ContainsAny(s.Version, " \t\n") {
				t.Fatalf("bad version %q from %q", s.Version, header)
			}
			// Every parsed value round-trips to an entry of the header.
			enc := s.Version + "," + base64.StdEncoding.EncodeToString(s.Value)
			if !strings.Contains(header, s.Version+",") {
				t.Fatalf("entry %q not in %q", enc, header)
			}
		}
		// Verification never panics and never accepts a random header.
		h := headers("ms-1", time.Now().Unix(), header)
		if err := webhooksig.Verify([]string{"whsec_c2VjcmV0"}, h, []byte("body")); err == nil {
			t.Fatalf("random header %q verified", header)
		}
	})
}
