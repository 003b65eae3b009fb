package registry

import (
	"strings"
	"testing"
)

func validConfig() Config {
	return Config{
		Apps: []App{{ClientID: "cs-11111111-1111-1111-1111-111111111111", ClientSecret: "0123456789abcdef", Algorithms: []string{HS256}}},
		Bots: []Bot{{ID: "st-22222222-2222-2222-2222-222222222222", Path: "bots/x"}},
		Instances: []Instance{{
			BotID: "st-22222222-2222-2222-2222-222222222222", App: "cs-11111111-1111-1111-1111-111111111111",
			Mode: ModeSync, Enabled: true, Approved: true,
		}},
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"bad client id", func(c *Config) { c.Apps[0].ClientID = "app" }, "registry.apps[0].client_id"},
		{"short secret", func(c *Config) { c.Apps[0].ClientSecret = "x" }, "registry.apps[0].client_secret"},
		{"unknown algorithm", func(c *Config) { c.Apps[0].Algorithms = []string{"none"} }, "registry.apps[0].algorithms[0]"},
		{"bad bot id", func(c *Config) { c.Bots[0].ID = "bot" }, "registry.bots[0].id"},
		{"unknown bot", func(c *Config) { c.Instances[0].BotID = "st-33333333-3333-3333-3333-333333333333" }, "registry.instances[0].bot_id"},
		{"unknown app", func(c *Config) { c.Instances[0].App = "cs-99999999-9999-9999-9999-999999999999" }, "registry.instances[0].app"},
		{"bad mode", func(c *Config) { c.Instances[0].Mode = "push" }, "registry.instances[0].mode"},
		{"async without POST_URL", func(c *Config) { c.Instances[0].Mode = ModeAsync }, "registry.instances[0].post_url"},
		{"duplicate instance", func(c *Config) { c.Instances = append(c.Instances, c.Instances[0]) }, "registry.instances[1].instance_id"},
		{"bad instance id", func(c *Config) { c.Instances[0].InstanceID = "a/b" }, "registry.instances[0].instance_id"},
	}
	if err := validConfig().Validate(); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			tc.mutate(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

func TestStaticLookups(t *testing.T) {
	s, err := NewStatic(validConfig())
	if err != nil {
		t.Fatal(err)
	}
	in, ok := s.Instance("st-22222222-2222-2222-2222-222222222222", "")
	if !ok || !in.Serving() {
		t.Fatalf("first instance: %+v %v", in, ok)
	}
	if _, ok := s.Instance("st-22222222-2222-2222-2222-222222222222", "other"); ok {
		t.Fatal("found an instance that does not exist")
	}
	a, ok := s.App("cs-11111111-1111-1111-1111-111111111111")
	if !ok || len(a.Audiences) != 2 {
		t.Fatalf("app %+v: default audiences not applied", a)
	}
}
