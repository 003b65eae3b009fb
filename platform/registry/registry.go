// Package registry is the model of apps, bots and webhook channel instances
// that every service reads, and the read-only view the services depend on.
// Until the channels service owns it, the view is built from the config file
// (Static); later sources implement the same View.
package registry

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Mode is a webhook instance's integration mode.
type Mode string

// Integration modes.
const (
	ModeSync  Mode = "sync"
	ModeAsync Mode = "async"
)

// Algorithms a client may sign tokens with.
const (
	HS256 = "HS256"
	HS512 = "HS512"
	// RS256 and RS512 are verified with the public key registered for the
	// app (App.PublicKey).
	RS256 = "RS256"
	RS512 = "RS512"
)

// DefaultAudiences are the two audience URLs Kore's documentation uses.
var DefaultAudiences = []string{"https://idproxy.kore.ai/authorize", "https://idproxy.kore.com/authorize"}

// App holds the credentials clients sign tokens with.
type App struct {
	ClientID     string   `yaml:"client_id"`
	Name         string   `yaml:"name"`
	ClientSecret string   `yaml:"client_secret"`
	Algorithms   []string `yaml:"algorithms"`
	// EnforceJTI requires every token to carry a jti (Kore's Enforce JTI).
	EnforceJTI bool `yaml:"enforce_jti"`
	// RequireExp makes exp mandatory even without a jti.
	RequireExp bool `yaml:"require_exp"`
	// Audiences accepted in aud when present; empty means DefaultAudiences.
	Audiences []string `yaml:"audiences"`
	// PublicKey is the PEM RSA public key of the client, used for RS256 and
	// RS512 tokens.
	PublicKey string `yaml:"public_key"`
	// EnforceJWE accepts only JWE-wrapped tokens (Kore's Enforce JWE).
	EnforceJWE bool `yaml:"enforce_jwe"`
	// JWEPrivateKey is the platform's PEM RSA private key of this app that
	// decrypts JWE tokens; clients encrypt with its public half, published
	// as a JWK with id JWEKeyID. Without it, JWE tokens are refused.
	JWEPrivateKey string `yaml:"jwe_private_key"`
	JWEKeyID      string `yaml:"jwe_key_id"`
	// RetiringSecrets are previous client secrets still accepted until
	// their deadline, after a rotation. Only the channels registry sets them.
	RetiringSecrets []RetiringSecret `yaml:"-"`
}

// RetiringSecret is a replaced secret that stays valid until Until.
type RetiringSecret struct {
	Secret string
	Until  time.Time
}

// Bot is a deployed bot definition.
type Bot struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Path is the bot definition directory.
	Path string `yaml:"path"`
}

// Instance is one webhook channel of a bot.
type Instance struct {
	BotID string `yaml:"bot_id"`
	// InstanceID is empty for the instance served at /chatbot/hooks/{botId}.
	InstanceID string `yaml:"instance_id"`
	Name       string `yaml:"name"`
	App        string `yaml:"app"`
	Mode       Mode   `yaml:"mode"`
	Enabled    bool   `yaml:"enabled"`
	Approved   bool   `yaml:"approved"`
	// SyncTimeout overrides the ingress default for this instance.
	SyncTimeout time.Duration `yaml:"sync_timeout"`
	// PostURL receives asynchronous replies.
	PostURL string `yaml:"post_url"`
	// AccessToken is sent as a bearer token with every asynchronous reply.
	AccessToken string `yaml:"access_token"`
	// SigningSecrets sign asynchronous replies (Standard Webhooks); during a
	// rotation both the new and the old secret are listed.
	SigningSecrets []string `yaml:"signing_secrets"`
	// RetrySchedule overrides the dispatcher's retry schedule for this
	// instance: the delay before each attempt, the first usually 0.
	RetrySchedule []time.Duration `yaml:"retry_schedule"`
	// MaxConcurrency overrides the dispatcher's limit of simultaneous POSTs
	// to this instance's POST_URL.
	MaxConcurrency int `yaml:"max_concurrency"`
	// StandardResponses are this channel's overrides of the bot's standard
	// responses, by message key.
	StandardResponses map[string]string `yaml:"standard_responses"`
}

// Serving reports whether the instance may take traffic.
func (i Instance) Serving() bool { return i.Enabled && i.Approved }

// View is what services read. Implementations are safe for concurrent use
// and answer from memory: nothing on the request path makes a remote call.
type View interface {
	App(clientID string) (App, bool)
	Bot(id string) (Bot, bool)
	Instance(botID, instanceID string) (Instance, bool)
	Bots() []Bot
	Instances() []Instance
}

// Config is the declarative registry of the config file.
type Config struct {
	Apps      []App      `yaml:"apps"`
	Bots      []Bot      `yaml:"bots"`
	Instances []Instance `yaml:"instances"`
}

var (
	botIDPattern      = regexp.MustCompile(`^st-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	clientIDPattern   = regexp.MustCompile(`^cs-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	instanceIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// ValidBotID reports whether s has the shape of a bot stream id.
func ValidBotID(s string) bool { return botIDPattern.MatchString(s) }

// Validate reports every invalid key, each named by its path.
func (c Config) Validate() error {
	var errs []error
	apps := map[string]bool{}
	for i, a := range c.Apps {
		p := fmt.Sprintf("registry.apps[%d]", i)
		switch {
		case !clientIDPattern.MatchString(a.ClientID):
			errs = append(errs, fmt.Errorf("%s.client_id: %q is not cs-<uuid>", p, a.ClientID))
		case apps[a.ClientID]:
			errs = append(errs, fmt.Errorf("%s.client_id: %q is listed twice", p, a.ClientID))
		}
		apps[a.ClientID] = true
		errs = append(errs, a.validateKeys(p)...)
	}
	bots := map[string]bool{}
	for i, b := range c.Bots {
		p := fmt.Sprintf("registry.bots[%d]", i)
		if !botIDPattern.MatchString(b.ID) {
			errs = append(errs, fmt.Errorf("%s.id: %q is not st-<uuid>", p, b.ID))
		}
		if bots[b.ID] {
			errs = append(errs, fmt.Errorf("%s.id: %q is listed twice", p, b.ID))
		}
		bots[b.ID] = true
		if b.Path == "" {
			errs = append(errs, fmt.Errorf("%s.path: required", p))
		}
	}
	seen := map[string]bool{}
	for i, in := range c.Instances {
		p := fmt.Sprintf("registry.instances[%d]", i)
		if !bots[in.BotID] {
			errs = append(errs, fmt.Errorf("%s.bot_id: no bot %q in registry.bots", p, in.BotID))
		}
		if in.InstanceID != "" && !instanceIDPattern.MatchString(in.InstanceID) {
			errs = append(errs, fmt.Errorf("%s.instance_id: %q must be 1-64 letters, digits, '-' or '_'", p, in.InstanceID))
		}
		key := in.BotID + "/" + in.InstanceID
		if seen[key] {
			errs = append(errs, fmt.Errorf("%s.instance_id: bot %s already has an instance %q", p, in.BotID, in.InstanceID))
		}
		seen[key] = true
		if !apps[in.App] {
			errs = append(errs, fmt.Errorf("%s.app: no app %q in registry.apps", p, in.App))
		}
		switch in.Mode {
		case ModeSync:
		case ModeAsync:
			if in.PostURL == "" {
				errs = append(errs, fmt.Errorf("%s.post_url: required in async mode", p))
			} else if !strings.HasPrefix(in.PostURL, "http://") && !strings.HasPrefix(in.PostURL, "https://") {
				errs = append(errs, fmt.Errorf("%s.post_url: %q is not an http(s) URL", p, in.PostURL))
			}
		default:
			errs = append(errs, fmt.Errorf("%s.mode: %q is not sync or async", p, in.Mode))
		}
		if in.SyncTimeout < 0 || in.SyncTimeout > 5*time.Minute {
			errs = append(errs, fmt.Errorf("%s.sync_timeout: must be between 0 (the default) and 5m", p))
		}
		if len(in.RetrySchedule) > 50 {
			errs = append(errs, fmt.Errorf("%s.retry_schedule: at most 50 attempts", p))
		}
		for j, d := range in.RetrySchedule {
			if d < 0 || d > 24*time.Hour {
				errs = append(errs, fmt.Errorf("%s.retry_schedule[%d]: must be between 0 and 24h", p, j))
			}
		}
		if in.MaxConcurrency < 0 || in.MaxConcurrency > 10000 {
			errs = append(errs, fmt.Errorf("%s.max_concurrency: must be between 0 (the dispatcher default) and 10000", p))
		}
	}
	return errors.Join(errs...)
}

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
