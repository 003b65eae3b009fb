package registry

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

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

// ValidClientID reports whether s has the shape of an app client id.
func ValidClientID(s string) bool { return clientIDPattern.MatchString(s) }

// ValidInstanceID reports whether s is a valid id of a bot's second or later
// instance.
func ValidInstanceID(s string) bool { return instanceIDPattern.MatchString(s) }

// Validate reports every invalid key, each named by its path.
func (c Config) Validate() error {
	var errs []error
	apps := map[string]bool{}
	for i, a := range c.Apps {
		errs = append(errs, a.validateIn(fmt.Sprintf("registry.apps[%d]", i), apps)...)
	}
	bots := map[string]bool{}
	for i, b := range c.Bots {
		errs = append(errs, b.validateIn(fmt.Sprintf("registry.bots[%d]", i), bots)...)
	}
	seen := map[string]bool{}
	for i, in := range c.Instances {
		p := fmt.Sprintf("registry.instances[%d]", i)
		errs = append(errs, in.validateRefs(p, bots, apps, seen)...)
		errs = append(errs, in.validateDelivery(p)...)
	}
	return errors.Join(errs...)
}

// validateIn checks the app at path p and records its client id in seen, so
// that a later app with the same id is reported as listed twice.
func (a App) validateIn(p string, seen map[string]bool) []error {
	var errs []error
	switch {
	case !clientIDPattern.MatchString(a.ClientID):
		errs = append(errs, fmt.Errorf("%s.client_id: %q is not cs-<uuid>", p, a.ClientID))
	case seen[a.ClientID]:
		errs = append(errs, fmt.Errorf("%s.client_id: %q is listed twice", p, a.ClientID))
	}
	seen[a.ClientID] = true
	return append(errs, a.validateKeys(p)...)
}

// validateIn checks the bot at path p and records its id in seen, so that a
// later bot with the same id is reported as listed twice.
func (b Bot) validateIn(p string, seen map[string]bool) []error {
	var errs []error
	if !botIDPattern.MatchString(b.ID) {
		errs = append(errs, fmt.Errorf("%s.id: %q is not st-<uuid>", p, b.ID))
	}
	if seen[b.ID] {
		errs = append(errs, fmt.Errorf("%s.id: %q is listed twice", p, b.ID))
	}
	seen[b.ID] = true
	if b.Path == "" {
		errs = append(errs, fmt.Errorf("%s.path: required", p))
	}
	return errs
}

// validateRefs checks what the instance at path p refers to: a known bot, a
// known app, and an instance id not yet used for that bot (recorded in seen).
func (in Instance) validateRefs(p string, bots, apps, seen map[string]bool) []error {
	var errs []error
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
	return errs
}

// validateDelivery checks how replies of the instance at path p are
// delivered: the mode, its post URL, and the timeout and retry limits.
func (in Instance) validateDelivery(p string) []error {
	var errs []error
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
	return errs
}
