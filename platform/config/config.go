// Package config loads Parley's YAML configuration: environment expansion,
// then strict decoding (unknown keys and duplicate keys are errors that name
// the line), so that a typo fails at start instead of being ignored.
package config

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
)

// LoadFile reads path, expands ${VAR} and ${VAR:-default}, and decodes it
// strictly into out.
func LoadFile(path string, out any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config %s: %w", path, err)
	}
	if err := Decode(data, out); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// Decode expands the environment in data and decodes it strictly into out.
func Decode(data []byte, out any) error {
	expanded, err := ExpandEnv(string(data), os.LookupEnv)
	if err != nil {
		return err
	}
	if err := yaml.UnmarshalWithOptions([]byte(expanded), out, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		return fmt.Errorf("%s", yaml.FormatError(err, false, true))
	}
	return nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// ExpandEnv replaces ${NAME} with the variable's value and ${NAME:-default}
// with the default when NAME is unset or empty, except on whole-line
// comments. A ${NAME} whose variable is
// unset is an error that names it, because an empty secret or URL would
// otherwise pass silently. A bare $NAME is left alone so that values such as
// passwords may contain '$'.
func ExpandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	var missing []string
	expand := func(ref string) string {
		m := envRef.FindStringSubmatch(ref)
		v, ok := lookup(m[1])
		if ok && v != "" {
			return v
		}
		if m[2] != "" {
			return m[3]
		}
		if !ok {
			missing = append(missing, m[1])
		}
		return v
	}
	// Whole-line comments are left alone, so that a config file can
	// document the ${VAR} syntax without referencing a variable.
	lines := strings.SplitAfter(s, "\n")
	for i, line := range lines {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			lines[i] = envRef.ReplaceAllStringFunc(line, expand)
		}
	}
	out := strings.Join(lines, "")
	if len(missing) > 0 {
		return "", fmt.Errorf("environment variable %s is referenced but not set", strings.Join(missing, ", "))
	}
	return out, nil
}
