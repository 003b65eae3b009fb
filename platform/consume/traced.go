package consume

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"

	"github.com/parleyhq/parley/platform/otelx"
)

// Traced gives each message a CONSUMER span "process <destination>" whose
// parent is the trace context the producer put in the message's headers,
// so one trace runs from the webhook through every service; h runs inside
// it, and whatever h calls downstream (an HTTP POST) joins the same trace.
// destination is the low-cardinality subject root (subjects carry
// conversation keys).
func Traced(h Handler, tp trace.TracerProvider, destination string) Handler {
	return func(ctx context.Context, msg jetstream.Msg) error {
		ctx, span := otelx.StartJetStreamProcess(ctx, tp, msg, destination)
		err := h(ctx, msg)
		otelx.End(span, err)
		return err
	}
}
