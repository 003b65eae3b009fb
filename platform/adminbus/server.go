package adminbus

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/parleyhq/parley/platform/adminauth"
	"github.com/parleyhq/parley/platform/bus"
)

// Service is a gRPC service implementation to answer on the bus.
type Service struct {
	Desc *grpc.ServiceDesc
	Impl any
}

// MaxConcurrent bounds the calls one Server runs at once; more wait.
const MaxConcurrent = 8

// Server answers the unary methods of its services on the bus.
type Server struct {
	nc    *nats.Conn
	log   *slog.Logger
	subs  []*nats.Subscription
	slots chan struct{}
	calls sync.WaitGroup
}

// Serve subscribes to every unary method of services under root, in queue
// group queue, until Stop.
func Serve(nc *nats.Conn, root, queue string, log *slog.Logger, services ...Service) (*Server, error) {
	s := &Server{nc: nc, log: log, slots: make(chan struct{}, MaxConcurrent)}
	for _, svc := range services {
		for _, m := range svc.Desc.Methods {
			full := "/" + svc.Desc.ServiceName + "/" + m.MethodName
			sub, err := nc.QueueSubscribe(Subject(root, full), queue, s.handler(full, m, svc.Impl))
			if err != nil {
				s.unsubscribe()
				return nil, fmt.Errorf("adminbus: subscribe %s: %w", full, err)
			}
			s.subs = append(s.subs, sub)
		}
	}
	// The subscriptions must reach the server before a caller relies on
	// them (a request sent earlier finds no responder).
	if err := nc.Flush(); err != nil {
		s.unsubscribe()
		return nil, fmt.Errorf("adminbus: flush subscriptions: %w", err)
	}
	return s, nil
}

func (s *Server) unsubscribe() {
	for _, sub := range s.subs {
		_ = sub.Unsubscribe()
	}
}

// Stop takes the server out of the queue group, so that other replicas
// answer, and waits for the calls under way until ctx is done.
func (s *Server) Stop(ctx context.Context) {
	s.unsubscribe()
	done := make(chan struct{})
	go func() { s.calls.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.log.Warn("admin calls still running at shutdown")
	}
}

// handler runs each call on a goroutine of its own, at most MaxConcurrent
// at a time: a long replay must not hold back a list.
func (s *Server) handler(full string, m grpc.MethodDesc, impl any) nats.MsgHandler {
	return func(msg *nats.Msg) {
		s.slots <- struct{}{}
		s.calls.Add(1)
		go func() {
			defer func() { <-s.slots; s.calls.Done() }()
			resp, err := s.call(full, m, impl, msg)
			s.answer(msg, resp, err)
		}()
	}
}

// call decodes the request and runs the method with the call's deadline
// and caller; a panic becomes Internal.
func (s *Server) call(full string, m grpc.MethodDesc, impl any, msg *nats.Msg) (resp any, err error) {
	deadline, ok := deadlineOf(msg.Header)
	if !ok {
		deadline = time.Now().Add(DefaultTimeout)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	ctx = adminauth.WithCaller(ctx, adminauth.Caller{
		Name: msg.Header.Get(bus.HeaderAdminCaller),
		Role: adminauth.Role(msg.Header.Get(bus.HeaderAdminRole)),
	})
	defer func() {
		if p := recover(); p != nil {
			s.log.ErrorContext(ctx, "admin handler panic", "method", full, "panic", p, "stack", string(debug.Stack()))
			resp, err = nil, status.Error(codes.Internal, "internal error")
		}
	}()
	decode := func(v any) error {
		pm, ok := v.(proto.Message)
		if !ok {
			return status.Errorf(codes.Internal, "%s: request is not protobuf", full)
		}
		if err := proto.Unmarshal(msg.Data, pm); err != nil {
			return status.Errorf(codes.InvalidArgument, "%s: undecodable request: %v", full, err)
		}
		return nil
	}
	return m.Handler(impl, ctx, decode, nil)
}

// answer replies with the response, or with the error's status.
func (s *Server) answer(msg *nats.Msg, resp any, err error) {
	out := &nats.Msg{Header: nats.Header{}}
	pm, ok := resp.(proto.Message)
	if err == nil && !ok {
		err = status.Error(codes.Internal, "the handler returned no message")
	}
	if err == nil {
		out.Data, err = proto.Marshal(pm)
		if err == nil && len(out.Data) > int(s.nc.MaxPayload())-payloadSlack {
			err = status.Errorf(codes.ResourceExhausted, "the answer (%d bytes) is larger than the bus carries; ask for less", len(out.Data))
		}
	}
	st := status.Convert(err)
	out.Header.Set(bus.HeaderStatus, strconv.Itoa(int(st.Code())))
	if st.Code() != codes.OK {
		out.Data = []byte(st.Message())
	}
	if rerr := msg.RespondMsg(out); rerr != nil {
		s.log.Warn("admin answer not sent", "subject", msg.Subject, "err", rerr)
	}
}
