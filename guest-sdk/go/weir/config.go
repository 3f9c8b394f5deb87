package weir

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Config is a plugin's configuration (weir hands it over as JSON). Getters
// return the default when a key is absent; the first wrong value, and any
// key no getter read, is the error weir shows (like the Rust SDK's
// deny_unknown_fields).
type Config struct {
	values map[string]json.RawMessage
	read   map[string]bool
	err    error
}

// ParseConfig reads the JSON text weir passes to init.
func ParseConfig(text string) *Config {
	c := &Config{read: map[string]bool{}}
	if err := json.Unmarshal([]byte(text), &c.values); err != nil {
		c.err = fmt.Errorf("invalid configuration: %v", err)
	}
	return c
}

func (c *Config) fail(key, format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("invalid configuration at `%s`: %s", key, fmt.Sprintf(format, args...))
	}
}

func (c *Config) get(key, expected string, into any) bool {
	c.read[key] = true
	raw, ok := c.values[key]
	if !ok || string(raw) == "null" {
		return false
	}
	if err := json.Unmarshal(raw, into); err != nil {
		c.fail(key, "expected %s", expected)
		return false
	}
	return true
}

// Has says whether key is set.
func (c *Config) Has(key string) bool {
	c.read[key] = true
	raw, ok := c.values[key]
	return ok && string(raw) != "null"
}

// String is a string value.
func (c *Config) String(key, fallback string) string {
	var v string
	if !c.get(key, "a string", &v) {
		return fallback
	}
	return v
}

// Bool is true or false.
func (c *Config) Bool(key string, fallback bool) bool {
	var v bool
	if !c.get(key, "true or false", &v) {
		return fallback
	}
	return v
}

// Strings is a list of strings.
func (c *Config) Strings(key string, fallback []string) []string {
	var v []string
	if !c.get(key, "a list of strings", &v) {
		return fallback
	}
	return v
}

// Severity is a severity name or number, as its number; required.
func (c *Config) Severity(key string) uint8 {
	c.read[key] = true
	raw, ok := c.values[key]
	if !ok {
		if c.err == nil {
			c.err = fmt.Errorf("invalid configuration: missing field `%s`", key)
		}
		return 0
	}
	var text string
	if json.Unmarshal(raw, &text) != nil {
		text = string(raw)
	}
	n, err := ParseSeverity(text)
	if err != nil {
		c.fail(key, "%v", err)
	}
	return n
}

// Err is the first problem found, including keys nobody read.
func (c *Config) Err() error {
	if c.err != nil {
		return c.err
	}
	for key := range c.values {
		if !c.read[key] {
			return fmt.Errorf("invalid configuration: unknown field `%s`", key)
		}
	}
	return nil
}

var severityNames = map[string]uint8{
	"TRACE": 1, "DEBUG": 5, "INFO": 9, "INFORMATION": 9, "WARN": 13,
	"WARNING": 13, "ERROR": 17, "FATAL": 21, "CRITICAL": 21,
}

// ParseSeverity reads a severity name (WARN, error, INFO2) or number 1-24.
func ParseSeverity(value string) (uint8, error) {
	text := strings.TrimSpace(value)
	if n, err := strconv.Atoi(text); err == nil {
		if n < 1 || n > 24 {
			return 0, fmt.Errorf("severity number %d is out of range 1-24", n)
		}
		return uint8(n), nil
	}
	upper := strings.ToUpper(text)
	name := strings.TrimRight(upper, "0123456789")
	step := upper[len(name):]
	base, ok := severityNames[name]
	if !ok {
		return 0, fmt.Errorf("unknown severity `%s`: expected TRACE, DEBUG, INFO, WARN, ERROR, "+
			"FATAL (optionally 2-4, e.g. INFO2) or a number 1-24", value)
	}
	switch step {
	case "":
		return base, nil
	case "2", "3", "4":
		return base + step[0] - '1', nil
	}
	return 0, fmt.Errorf("unknown severity `%s`: the suffix must be 2, 3 or 4", value)
}
