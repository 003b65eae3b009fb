package app

import (
	"testing"
)

// TestChannelOverridesItsStandardResponses: a webhook instance's own
// standard responses replace the bot's on that channel only.
func TestChannelOverridesItsStandardResponses(t *testing.T) {
	_, busCfg := newServer(t)
	cfg := testConfig(t, busCfg)
	const override = "This line only knows balances. Try: show my balance."
	for i, in := range cfg.Registry.Instances {
		if in.InstanceID == "second" {
			cfg.Registry.Instances[i].StandardResponses = map[string]string{"default": override}
		}
	}
	p := startProcess(t, cfg, All)
	const nonsense = "purple elephants compose sonnets"
	onSecond := texts(t, say(t, p.base()+"/chatbot/hooks/"+botID+"/hookInstance/second", "olga", nonsense))
	if len(onSecond) != 1 || onSecond[0] != override {
		t.Fatalf("the overriding channel answered %v", onSecond)
	}
	onFirst := texts(t, say(t, p.base()+"/chatbot/hooks/"+botID, "oscar", nonsense))
	if len(onFirst) == 0 || onFirst[0] == override {
		t.Fatalf("the other channel answered %v: the override leaked", onFirst)
	}
}
