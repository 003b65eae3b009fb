package adminbus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/parleyhq/parley/platform/adminauth"
	"github.com/parleyhq/parley/platform/bus"
)

// Client sends unary calls to whichever replica answers on the bus. Wrap it
// in a generated client (dispatcherv1.NewDeadLetterAdminClient(c)).
type Client struct {
	NC *nats.Conn
	// Root is the subject root, usually Config.Subject(bus.SubjectAdmin).
	Root string
}

var _ grpc.ClientConnInterface = (*Client)(nil)

// Invoke sends args and decodes the answer into reply. The caller of ctx
// (adminauth.CallerFrom) travels with the call.
func (c *Client) Invoke(ctx context.Context, method string, args, reply any, _ ...grpc.CallOption) error {
	req, ok := args.(proto.Message)
	out, ok2 := reply.(proto.Message)
	if !ok || !ok2 {
		return status.Errorf(codes.Internal, "adminbus: %s: messages must be protobuf", method)
	}
	data, err := proto.Marshal(req)
	if err != nil {
		return status.Errorf(codes.Internal, "adminbus: encode %s request: %v", method, err)
	}
	if _, has := ctx.Deadline(); !has {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()
	caller := adminauth.CallerFrom(ctx)
	msg := &nats.Msg{Subject: Subject(c.Root, method), Data: data, Header: nats.Header{}}
	msg.Header.Set(bus.HeaderReplyDeadline, strconv.FormatInt(deadline.UnixMilli(), 10))
	msg.Header.Set(bus.HeaderAdminCaller, caller.Name)
	msg.Header.Set(bus.HeaderAdminRole, string(caller.Role))
	answer, err := c.NC.RequestMsgWithContext(ctx, msg)
	if err != nil {
		return requestStatus(method, err)
	}
	code, err := strconv.Atoi(answer.Header.Get(bus.HeaderStatus))
	if err != nil {
		return status.Errorf(codes.Internal, "adminbus: %s: answer without a status", method)
	}
	if codes.Code(code) != codes.OK {
		return status.Error(codes.Code(code), string(answer.Data))
	}
	if err := proto.Unmarshal(answer.Data, out); err != nil {
		return status.Errorf(codes.Internal, "adminbus: decode %s answer: %v", method, err)
	}
	return nil
}

// requestStatus says why a request got no answer, as a gRPC status.
func requestStatus(method string, err error) error {
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return status.Errorf(codes.Unavailable, "no replica serving %s is running", serviceOf(method))
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return status.Errorf(codes.DeadlineExceeded, "%s: no answer in time", method)
	case errors.Is(err, context.Canceled):
		return status.FromContextError(err).Err()
	case errors.Is(err, nats.ErrMaxPayload):
		return status.Errorf(codes.ResourceExhausted, "%s: the request is larger than the bus carries", method)
	}
	return status.Errorf(codes.Unavailable, "%s: %v", method, err)
}

// NewStream refuses: only unary calls are carried.
func (c *Client) NewStream(_ context.Context, desc *grpc.StreamDesc, method string, _ ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, status.Error(codes.Unimplemented, fmt.Sprintf("adminbus: %s streams; only unary calls are carried over the bus", method))
}

// deadlineOf reads a call's deadline header; ok is false when it is
// missing or malformed.
func deadlineOf(h nats.Header) (time.Time, bool) {
	ms, err := strconv.ParseInt(h.Get(bus.HeaderReplyDeadline), 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}
