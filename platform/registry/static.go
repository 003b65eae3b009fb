package registry

import "slices"

// Static is a View over a fixed configuration.
type Static struct {
	apps      map[string]App
	bots      map[string]Bot
	instances map[string]Instance
	botList   []Bot
	instList  []Instance
}

// NewStatic validates cfg and indexes it.
func NewStatic(cfg Config) (*Static, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Static{apps: map[string]App{}, bots: map[string]Bot{}, instances: map[string]Instance{}}
	for _, a := range cfg.Apps {
		if len(a.Audiences) == 0 {
			a.Audiences = DefaultAudiences
		}
		s.apps[a.ClientID] = a
	}
	for _, b := range cfg.Bots {
		s.bots[b.ID] = b
		s.botList = append(s.botList, b)
	}
	for _, in := range cfg.Instances {
		s.instances[in.BotID+"/"+in.InstanceID] = in
		s.instList = append(s.instList, in)
	}
	return s, nil
}

// App returns the app with the client id.
func (s *Static) App(clientID string) (App, bool) { a, ok := s.apps[clientID]; return a, ok }

// Bot returns the bot with the id.
func (s *Static) Bot(id string) (Bot, bool) { b, ok := s.bots[id]; return b, ok }

// Instance returns a bot's instance ("" for the first one).
func (s *Static) Instance(botID, instanceID string) (Instance, bool) {
	in, ok := s.instances[botID+"/"+instanceID]
	return in, ok
}

// Bots lists the bots.
func (s *Static) Bots() []Bot { return slices.Clone(s.botList) }

// Instances lists the instances.
func (s *Static) Instances() []Instance { return slices.Clone(s.instList) }
