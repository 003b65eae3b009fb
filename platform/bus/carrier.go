package bus

import "github.com/nats-io/nats.go"

// HeaderCarrier adapts NATS headers to OpenTelemetry's TextMapCarrier
// without canonicalising keys, so traceparent stays lower-case and readable
// by consumers in other languages.
type HeaderCarrier nats.Header

// Get returns the first value of key.
func (c HeaderCarrier) Get(key string) string {
	if v := c[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Set replaces the values of key.
func (c HeaderCarrier) Set(key, value string) { c[key] = []string{value} }

// Keys lists the header names.
func (c HeaderCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}
