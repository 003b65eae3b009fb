// Package registry is the read side of the channels registry: the apps,
// bots and webhook channel instances every service reads, and the views that
// serve them from memory. Static is the config file's registry section;
// Watched follows the records the channels service stores in JetStream (the
// protobuf messages of parley.registry.v1) and opens their sealed secrets.
// Writing the registry is the channels service's business alone.
package registry

import "time"

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
