// Package adminbus carries unary admin gRPC calls over NATS request/reply,
// so that one authenticated admin endpoint reaches services that open no
// port of their own: the admin server forwards a call with a Client (a
// grpc.ClientConnInterface), and the replicas of the service answer it with
// Serve.
//
// The endpoint has already authenticated and authorized the call; the bus
// carries its request, the caller's name and role (adminauth.CallerFrom on
// the answering side) and its deadline. Anyone who may publish on the bus
// may call these methods, as they may publish replies for the dispatcher to
// deliver: the bus is trusted, and must be kept internal.
//
// Subjects are <root>.<service>.<method>, the service's dots written '_'
// (parley.admin.parley_dispatcher_v1_DeadLetterAdmin.List). Replicas answer
// in one queue group, so each call runs once. Requests and answers are the
// methods' protobuf messages; HeaderStatus holds the status code, and the
// body of a failure is its message.
package adminbus

import (
	"strings"
	"time"

	"github.com/parleyhq/parley/platform/bus"
)

// DefaultTimeout bounds a call whose context has no deadline.
const DefaultTimeout = time.Minute

// payloadSlack is kept free of a message's payload for its headers.
const payloadSlack = 4 << 10

// Subject is the subject of a gRPC full method ("/pkg.Service/Method")
// under root.
func Subject(root, fullMethod string) string {
	service, method, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	return root + "." + bus.SubjectToken(service) + "." + bus.SubjectToken(method)
}

// serviceOf returns the service of a gRPC full method.
func serviceOf(fullMethod string) string {
	service, _, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	return service
}
