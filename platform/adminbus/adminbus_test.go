package adminbus_test

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/parleyhq/parley/platform/adminauth"
	"github.com/parleyhq/parley/platform/adminbus"
	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/bustest"
)

// probe is a health service whose answers show what reached it.
type probe struct {
	healthpb.UnimplementedHealthServer
	calls atomic.Int64
	// last is the caller and deadline the latest Check saw.
	caller   atomic.Pointer[adminauth.Caller]
	deadline atomic.Pointer[time.Time]
}

func (p *probe) Check(ctx context.Context, r *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	p.calls.Add(1)
	c := adminauth.CallerFrom(ctx)
	p.caller.Store(&c)
	if d, ok := ctx.Deadline(); ok {
		p.deadline.Store(&d)
	}
	switch r.GetService() {
	case "panic":
		panic("boom")
	case "missing":
		return nil, status.Error(codes.NotFound, "no service missing")
	case "slow":
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}, nil
}

// List answers more than the bus carries.
func (p *probe) List(context.Context, *healthpb.HealthListRequest) (*healthpb.HealthListResponse, error) {
	big := &healthpb.HealthListResponse{Statuses: map[string]*healthpb.HealthCheckResponse{}}
	big.Statuses[strings.Repeat("x", 2<<20)] = &healthpb.HealthCheckResponse{}
	return big, nil
}

type env struct {
	conn *bus.Conn
	root string
}

func newEnv(t *testing.T) env {
	srv := bustest.RunJetStream(t)
	cfg := srv.Config(t)
	return env{conn: bustest.Connect(t, cfg), root: cfg.Subject(bus.SubjectAdmin)}
}

func (e env) serve(t *testing.T, p *probe) *adminbus.Server {
	t.Helper()
	s, err := adminbus.Serve(e.conn.NC, e.root, "test", slog.New(slog.DiscardHandler), adminbus.Service{Desc: &healthpb.Health_ServiceDesc, Impl: p})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(context.Background()) })
	return s
}

func (e env) client() healthpb.HealthClient {
	return healthpb.NewHealthClient(&adminbus.Client{NC: e.conn.NC, Root: e.root})
}

func TestCallsCrossTheBus(t *testing.T) {
	e := newEnv(t)
	p := &probe{}
	e.serve(t, p)
	cl := e.client()
	ctx, cancel := context.WithTimeout(adminauth.WithCaller(t.Context(), adminauth.Caller{Name: "alice", Role: adminauth.RoleDeveloper}), 5*time.Second)
	defer cancel()
	want, _ := ctx.Deadline()

	resp, err := cl.Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("Check = %v, %v", resp, err)
	}
	if c := p.caller.Load(); c == nil || c.Name != "alice" || c.Role != adminauth.RoleDeveloper {
		t.Errorf("the handler saw caller %+v", c)
	}
	if d := p.deadline.Load(); d == nil || d.Sub(want).Abs() > time.Millisecond {
		t.Errorf("the handler's deadline %v, want the caller's %v", d, want)
	}

	check := func(service string) func() error {
		return func() error { _, err := cl.Check(ctx, &healthpb.HealthCheckRequest{Service: service}); return err }
	}
	for _, tc := range []struct {
		name string
		call func() error
		code codes.Code
		msg  string
	}{
		{"status kept", check("missing"), codes.NotFound, "no service missing"},
		{"panic", check("panic"), codes.Internal, "internal error"},
		{"deadline", func() error {
			short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			_, err := cl.Check(short, &healthpb.HealthCheckRequest{Service: "slow"})
			return err
		}, codes.DeadlineExceeded, ""},
		{"too large", func() error { _, err := cl.List(ctx, &healthpb.HealthListRequest{}); return err }, codes.ResourceExhausted, "larger than the bus carries"},
		{"streams", func() error { _, err := cl.Watch(ctx, &healthpb.HealthCheckRequest{}); return err }, codes.Unimplemented, "only unary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if st := status.Convert(err); st.Code() != tc.code || !strings.Contains(st.Message(), tc.msg) {
				t.Fatalf("err = %v, want %v mentioning %q", err, tc.code, tc.msg)
			}
		})
	}
}

// Replicas share the calls: each runs once. Without any, or once they have
// stopped, a call is Unavailable at once rather than waiting its deadline.
func TestReplicasAnswerOnce(t *testing.T) {
	e := newEnv(t)
	cl := e.client()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := cl.Check(ctx, &healthpb.HealthCheckRequest{}); status.Code(err) != codes.Unavailable ||
		!strings.Contains(err.Error(), "grpc.health.v1.Health") {
		t.Fatalf("without a replica: %v, want Unavailable naming the service", err)
	}
	a, b := &probe{}, &probe{}
	sa, sb := e.serve(t, a), e.serve(t, b)
	const n = 40
	for range n {
		if _, err := cl.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := a.calls.Load() + b.calls.Load(); got != n {
		t.Fatalf("%d calls ran, want %d", got, n)
	}
	sa.Stop(ctx)
	sb.Stop(ctx)
	start := time.Now()
	if _, err := cl.Check(ctx, &healthpb.HealthCheckRequest{}); status.Code(err) != codes.Unavailable || time.Since(start) > 2*time.Second {
		t.Fatalf("after Stop: %v after %v, want Unavailable at once", err, time.Since(start))
	}
}
