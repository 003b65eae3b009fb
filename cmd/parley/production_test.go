package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestProductionFlagAndEnvironment: -production and PARLEY_PRODUCTION turn
// production on, as a listen address other than loopback does (the
// Dockerfile's PARLEY_*_LISTEN=0.0.0.0); the built-in configuration's
// development secrets then stop Parley before it starts, naming the keys.
func TestProductionFlagAndEnvironment(t *testing.T) {
	t.Setenv("PARLEY_MASTER_KEY", "")
	t.Setenv("PARLEY_ADMIN_TOKEN", "")
	verify := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := dispatch(append(args, "-config.verify"), nil, &out, &errOut)
		return code, errOut.String()
	}
	if code, stderr := verify(); code != 0 {
		t.Fatalf("the built-in config on loopback: exit %d: %s", code, stderr)
	}
	check := func(name string, code int, stderr string) {
		t.Helper()
		if code == 0 || !strings.Contains(stderr, "channels.master_key") || !strings.Contains(stderr, "PARLEY_ADMIN_TOKEN") {
			t.Errorf("%s: exit %d, stderr %q; want a refusal naming the development secrets", name, code, stderr)
		}
	}
	code, stderr := verify("-production")
	check("-production", code, stderr)
	code, stderr = verify("-ingress.listen", "0.0.0.0:8080")
	check("-ingress.listen 0.0.0.0:8080", code, stderr)

	t.Setenv("PARLEY_PRODUCTION", "true")
	code, stderr = verify()
	check("PARLEY_PRODUCTION=true", code, stderr)

	t.Setenv("PARLEY_MASTER_KEY", "YW4tb3BlcmF0b3ItY2hvc2VuLWtleS0zMi1ieXRlcyE=")
	t.Setenv("PARLEY_ADMIN_TOKEN", "an-operator-chosen-admin-token")
	if code, stderr := verify("-ingress.listen", "0.0.0.0:8080"); code != 0 {
		t.Fatalf("production with the operator's secrets: exit %d: %s", code, stderr)
	}
}
