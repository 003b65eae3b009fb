package channels

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func TestValidateProductionRefusesDevelopmentSecrets(t *testing.T) {
	devKey, _ := base64.StdEncoding.DecodeString(DevelopmentMasterKey)
	own := Config{
		MasterKey:   base64.StdEncoding.EncodeToString([]byte("an-operator-chosen-key-32-bytes!")),
		AdminTokens: []AdminToken{{Token: "an-operator-chosen-token", Role: RoleBotsAdmin}},
	}
	if err := own.ValidateProduction(); err != nil {
		t.Fatalf("operator secrets refused: %v", err)
	}
	cases := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"development key", Config{MasterKey: DevelopmentMasterKey}, []string{"channels.master_key", "PARLEY_MASTER_KEY"}},
		// The same key spelt in hex is the same key.
		{"development key in hex", Config{MasterKey: hex.EncodeToString(devKey)}, []string{"channels.master_key"}},
		{"development token", Config{AdminTokens: []AdminToken{own.AdminTokens[0], {Token: DevelopmentAdminToken, Role: RoleDeveloper}}},
			[]string{"channels.admin_tokens[1].token", "PARLEY_ADMIN_TOKEN"}},
	}
	for _, tc := range cases {
		err := tc.cfg.ValidateProduction()
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v, want an error naming %s", tc.name, err, w)
			}
		}
	}
}
