package engine

import (
	"context"
	"time"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

// The engine's ports. The engine owns these interfaces; adapters (the NLU
// package, the HTTP client, the script sandbox, the scope stores) implement
// them outside, so the engine stays testable without I/O.

// Resolver statuses, as the NLU's ranking and resolver reports them.
const (
	StatusNone      = "none"
	StatusDefinite  = "definite"
	StatusProbable  = "probable"
	StatusAmbiguous = "ambiguous"
)

// Recognition is the resolver's verdict on one utterance.
type Recognition struct {
	Status string
	// Intent wins for definite and probable results.
	Intent string
	// Candidates are offered when Status is ambiguous.
	Candidates []string
}

// IntentRecognizer classifies an utterance against the bot's intents.
type IntentRecognizer interface {
	Recognize(text string) Recognition
}

// RecognizerFactory trains or builds a recognizer for a bot.
type RecognizerFactory func(b *botdef.Bot) (IntentRecognizer, error)

// EntityMatch is an extracted value and its byte span in the text.
type EntityMatch struct {
	Value      any
	Start, End int
}

// EntityExtractor finds an entity's value in text; now is the reference for
// relative dates.
type EntityExtractor interface {
	Extract(def *botdef.EntityDef, text string, now time.Time) (EntityMatch, bool)
}

// ServiceRequest is the call a service node makes.
type ServiceRequest struct {
	Method  string
	URL     string
	Header  map[string]string
	Body    []byte
	Timeout time.Duration
}

// ServiceResponse is what came back.
type ServiceResponse struct {
	StatusCode  int
	ContentType string
	Body        []byte
}

// ServiceCaller performs HTTP calls for service nodes. Implementations
// enforce the timeout and the outbound address policy.
type ServiceCaller interface {
	Call(ctx context.Context, req ServiceRequest) (ServiceResponse, error)
}

// ScopeKind names one of Kore's shared variable scopes.
type ScopeKind string

// Scopes kept outside the session (reference §1.1). BotUserSession values
// live in the session unless they were put with a TTL.
const (
	ScopeEnterprise  ScopeKind = "EnterpriseContext"
	ScopeBot         ScopeKind = "BotContext"
	ScopeUserSession ScopeKind = "UserSession"
	ScopeBotUser     ScopeKind = "BotUserSession"
)

// ScopeReader reads shared scopes for the turn's enterprise, bot and user.
type ScopeReader interface {
	Get(ctx context.Context, kind ScopeKind, key string) (any, bool, error)
}

// ScopeOp is a write the processor applies after the turn commits.
type ScopeOp struct {
	Kind   ScopeKind
	Key    string
	Value  any
	TTL    time.Duration
	Delete bool
}

// Script is a compiled script.
type Script interface {
	// Run executes the script against env; it must honour the time and
	// memory limits and ctx.
	Run(ctx context.Context, env *ScriptEnv) error
}

// ScriptRunner compiles scripts at bot load.
type ScriptRunner interface {
	Compile(name, src string, timeout time.Duration) (Script, error)
}

// ScriptEnv is what a script sees: the context (which it may change) and
// the shared scopes.
type ScriptEnv struct {
	Context map[string]any
	Get     func(kind ScopeKind, key string) any
	Put     func(kind ScopeKind, key string, value any, ttl time.Duration)
	Delete  func(kind ScopeKind, key string)
}
