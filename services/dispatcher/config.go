package dispatcher

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
)

// DefaultRetrySchedule is contract §11.2's chat schedule: the delay before
// each of six attempts, ±20 % jitter, about 36 minutes in all. A chat reply
// hours late is useless, so there is no long tail; MaxRetryDuration (1 h)
// also bounds time spent in backpressure.
var DefaultRetrySchedule = []time.Duration{0, 2 * time.Second, 10 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute}

// Config of the dispatcher.
type Config struct {
	// MemberID names this replica in the consumer group; default: host name
	// and a random suffix.
	MemberID string `yaml:"member_id"`
	// AckWait is JetStream's redelivery timer. Held messages are reported in
	// progress every AckWait/3, so it does not need to cover the schedule.
	AckWait time.Duration `yaml:"ack_wait"`
	// MaxInFlight bounds the replies handed out per partition, including
	// those held by retries; it is how many users of dead endpoints one
	// partition can hold before other users in it wait.
	MaxInFlight int `yaml:"max_in_flight"`
	// LeaseTTL is how long a dead replica keeps its partitions.
	LeaseTTL time.Duration `yaml:"lease_ttl"`
	// DrainTimeout bounds shutdown: POSTs under way finish, then messages
	// still waiting for a retry are left to the next owner.
	DrainTimeout time.Duration `yaml:"drain_timeout"`

	// PerAttemptTimeout bounds one POST.
	PerAttemptTimeout time.Duration `yaml:"per_attempt_timeout"`
	// RetrySchedule is the delay before each attempt (the first usually 0);
	// a webhook instance may override it with retry_schedule.
	RetrySchedule []time.Duration `yaml:"retry_schedule"`
	// Jitter is the proportional jitter of each delay (0.2 is ±20 %).
	Jitter float64 `yaml:"jitter"`
	// MaxRetryDuration bounds how long a message is retried, backpressure
	// included, before it is dead-lettered.
	MaxRetryDuration time.Duration `yaml:"max_retry_duration"`
	// DisableAfter disables a channel whose endpoint has failed every
	// attempt for this long (network errors, timeouts, 5xx), as a 410
	// does; an operator re-enables it through the admin API.
	DisableAfter time.Duration `yaml:"disable_after"`
	// MaxConcurrency bounds simultaneous POSTs to one channel's endpoint; a
	// webhook instance may override it with max_concurrency.
	MaxConcurrency int `yaml:"max_concurrency"`
	// MaxResponseBytes bounds how much of a response body is read.
	MaxResponseBytes int64 `yaml:"max_response_bytes"`
	// AllowPrivateNetworks lets POST_URLs resolve to loopback, private,
	// link-local and CGNAT addresses (development, tests, in-cluster
	// receivers). Cloud metadata addresses are always refused.
	AllowPrivateNetworks bool `yaml:"allow_private_networks"`

	// Breaker opens a channel's circuit when FailureRatio of at least
	// MinRequests attempts in Window failed; after OpenTimeout one probe is
	// let through and its success closes it.
	Breaker BreakerConfig `yaml:"breaker"`

	// DeliveredTTL is how long delivered message ids are remembered; it
	// must exceed the longest time a reply can be redelivered or replayed
	// after delivery.
	DeliveredTTL time.Duration `yaml:"delivered_ttl"`
	// DLQMaxAge is how long dead letters are kept.
	DLQMaxAge time.Duration `yaml:"dlq_max_age"`
	// MetricsInterval is how often the dead letters per channel and the lag
	// of the owned partitions' consumers are sampled for the metrics.
	MetricsInterval time.Duration `yaml:"metrics_interval"`
}

// BreakerConfig configures the per-endpoint circuit breaker.
type BreakerConfig struct {
	FailureRatio float64       `yaml:"failure_ratio"`
	MinRequests  int           `yaml:"min_requests"`
	Window       time.Duration `yaml:"window"`
	OpenTimeout  time.Duration `yaml:"open_timeout"`
}

// Defaults fills zero fields.
func (c *Config) Defaults() {
	if c.MemberID == "" {
		host, _ := os.Hostname()
		c.MemberID = sanitize(host) + "-" + uuid.NewString()[:8]
	}
	if c.AckWait == 0 {
		c.AckWait = time.Minute
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 256
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = 6 * time.Second
	}
	if c.PerAttemptTimeout == 0 {
		c.PerAttemptTimeout = 10 * time.Second
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = c.PerAttemptTimeout + 5*time.Second
	}
	if len(c.RetrySchedule) == 0 {
		c.RetrySchedule = append([]time.Duration(nil), DefaultRetrySchedule...)
	}
	if c.Jitter == 0 {
		c.Jitter = 0.2
	}
	if c.MaxRetryDuration == 0 {
		c.MaxRetryDuration = time.Hour
	}
	if c.MaxConcurrency == 0 {
		c.MaxConcurrency = 32
	}
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = 64 << 10
	}
	if c.Breaker.FailureRatio == 0 {
		c.Breaker.FailureRatio = 0.7
	}
	if c.Breaker.MinRequests == 0 {
		c.Breaker.MinRequests = 20
	}
	if c.Breaker.Window == 0 {
		c.Breaker.Window = time.Minute
	}
	if c.Breaker.OpenTimeout == 0 {
		c.Breaker.OpenTimeout = 30 * time.Second
	}
	if c.DeliveredTTL == 0 {
		c.DeliveredTTL = 24 * time.Hour
	}
	if c.DisableAfter == 0 {
		c.DisableAfter = 24 * time.Hour // contract §11.2
	}
	if c.DLQMaxAge == 0 {
		c.DLQMaxAge = 14 * 24 * time.Hour
	}
	if c.MetricsInterval == 0 {
		c.MetricsInterval = 15 * time.Second
	}
}

// Validate reports every invalid key.
func (c Config) Validate() error {
	var v keyErrors
	c.validateIntake(&v)
	c.validateRetries(&v)
	c.validateOutbound(&v)
	c.Breaker.validate(&v)
	c.validateRetention(&v)
	return errors.Join(v.errs...)
}

// keyErrors collects the invalid keys of the dispatcher section, in order.
type keyErrors struct{ errs []error }

func (v *keyErrors) bad(key, msg string) {
	v.errs = append(v.errs, fmt.Errorf("dispatcher.%s: %s", key, msg))
}

// validateIntake checks how the dispatcher takes work: its member id,
// consumer and lease settings.
func (c Config) validateIntake(v *keyErrors) {
	if c.MemberID == "" || strings.ContainsAny(c.MemberID, ". *>") {
		v.bad("member_id", "must be non-empty without '.', '*', '>' or spaces")
	}
	if c.AckWait < 3*time.Second {
		v.bad("ack_wait", "must be at least 3s")
	}
	if c.MaxInFlight < 1 || c.MaxInFlight > 10000 {
		v.bad("max_in_flight", "must be between 1 and 10000")
	}
	if c.LeaseTTL < time.Second {
		v.bad("lease_ttl", "must be at least 1s")
	}
	if c.DrainTimeout <= 0 {
		v.bad("drain_timeout", "must be positive")
	}
}

// validateRetries checks the attempt timeout and the retry schedule.
func (c Config) validateRetries(v *keyErrors) {
	if c.PerAttemptTimeout <= 0 || c.PerAttemptTimeout > 2*time.Minute {
		v.bad("per_attempt_timeout", "must be between 0 and 2m")
	}
	if len(c.RetrySchedule) == 0 || len(c.RetrySchedule) > 50 {
		v.bad("retry_schedule", "must list between 1 and 50 delays")
	}
	for i, d := range c.RetrySchedule {
		if d < 0 || d > 24*time.Hour {
			v.bad(fmt.Sprintf("retry_schedule[%d]", i), "must be between 0 and 24h")
		}
	}
	if c.Jitter < 0 || c.Jitter >= 1 {
		v.bad("jitter", "must be in [0, 1)")
	}
	if c.MaxRetryDuration <= 0 {
		v.bad("max_retry_duration", "must be positive")
	}
}

// validateOutbound checks the limits on outbound posts.
func (c Config) validateOutbound(v *keyErrors) {
	if c.MaxConcurrency < 1 || c.MaxConcurrency > 10000 {
		v.bad("max_concurrency", "must be between 1 and 10000")
	}
	if c.MaxResponseBytes < 256 {
		v.bad("max_response_bytes", "must be at least 256")
	}
}

// validate checks the circuit breaker's keys.
func (b BreakerConfig) validate(v *keyErrors) {
	if b.FailureRatio <= 0 || b.FailureRatio > 1 {
		v.bad("breaker.failure_ratio", "must be in (0, 1]")
	}
	if b.MinRequests < 1 {
		v.bad("breaker.min_requests", "must be at least 1")
	}
	if b.Window < 10*time.Millisecond {
		v.bad("breaker.window", "must be at least 10ms")
	}
	if b.OpenTimeout <= 0 {
		v.bad("breaker.open_timeout", "must be positive")
	}
}

// validateRetention checks how long deliveries and dead letters are kept,
// when a failing channel is disabled, and how often metrics are read.
func (c Config) validateRetention(v *keyErrors) {
	if c.DeliveredTTL < time.Minute {
		v.bad("delivered_ttl", "must be at least 1m")
	}
	if c.DisableAfter < 0 {
		v.bad("disable_after", "must not be negative")
	}
	if c.DLQMaxAge < time.Hour {
		v.bad("dlq_max_age", "must be at least 1h")
	}
	if c.MetricsInterval < 10*time.Millisecond || c.MetricsInterval > time.Hour {
		v.bad("metrics_interval", "must be between 10ms and 1h")
	}
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, s)
}
