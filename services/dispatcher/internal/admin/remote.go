package admin

import (
	"context"

	"google.golang.org/grpc"

	"github.com/parleyhq/parley/platform/adminauth"
	"github.com/parleyhq/parley/platform/adminbus"
	dispatcherv1 "github.com/parleyhq/parley/proto/gen/go/parley/dispatcher/v1"
)

// Policy is the least role of each dispatcher admin method: reading dead
// letters is a viewer's; acting on them, re-enabling a channel and sending
// proactive messages a developer's.
var Policy = adminauth.Policy{
	dispatcherv1.DeadLetterAdmin_List_FullMethodName:          adminauth.RoleViewer,
	dispatcherv1.DeadLetterAdmin_Get_FullMethodName:           adminauth.RoleViewer,
	dispatcherv1.DeadLetterAdmin_Replay_FullMethodName:        adminauth.RoleDeveloper,
	dispatcherv1.DeadLetterAdmin_Purge_FullMethodName:         adminauth.RoleDeveloper,
	dispatcherv1.DeadLetterAdmin_EnableChannel_FullMethodName: adminauth.RoleDeveloper,
	dispatcherv1.ProactiveAdmin_SendMessage_FullMethodName:    adminauth.RoleDeveloper,
}

// BusServices are the services a dispatcher replica answers on the bus.
func (s *Server) BusServices() []adminbus.Service {
	return []adminbus.Service{
		{Desc: &dispatcherv1.DeadLetterAdmin_ServiceDesc, Impl: s},
		{Desc: &dispatcherv1.ProactiveAdmin_ServiceDesc, Impl: s},
	}
}

// RegisterRemote adds DeadLetterAdmin and ProactiveAdmin to an admin
// server, each call forwarded through cc (an adminbus.Client) to whichever
// dispatcher replica answers.
func RegisterRemote(g *grpc.Server, cc grpc.ClientConnInterface) {
	dispatcherv1.RegisterDeadLetterAdminServer(g, deadLetterForwarder{cl: dispatcherv1.NewDeadLetterAdminClient(cc)})
	dispatcherv1.RegisterProactiveAdminServer(g, proactiveForwarder{cl: dispatcherv1.NewProactiveAdminClient(cc)})
}

type deadLetterForwarder struct {
	dispatcherv1.UnimplementedDeadLetterAdminServer
	cl dispatcherv1.DeadLetterAdminClient
}

func (f deadLetterForwarder) List(ctx context.Context, r *dispatcherv1.ListDeadLettersRequest) (*dispatcherv1.ListDeadLettersResponse, error) {
	return f.cl.List(ctx, r)
}

func (f deadLetterForwarder) Get(ctx context.Context, r *dispatcherv1.GetDeadLetterRequest) (*dispatcherv1.DeadLetter, error) {
	return f.cl.Get(ctx, r)
}

func (f deadLetterForwarder) Replay(ctx context.Context, r *dispatcherv1.ReplayRequest) (*dispatcherv1.ReplayResponse, error) {
	return f.cl.Replay(ctx, r)
}

func (f deadLetterForwarder) Purge(ctx context.Context, r *dispatcherv1.PurgeRequest) (*dispatcherv1.PurgeResponse, error) {
	return f.cl.Purge(ctx, r)
}

func (f deadLetterForwarder) EnableChannel(ctx context.Context, r *dispatcherv1.EnableChannelRequest) (*dispatcherv1.EnableChannelResponse, error) {
	return f.cl.EnableChannel(ctx, r)
}

type proactiveForwarder struct {
	dispatcherv1.UnimplementedProactiveAdminServer
	cl dispatcherv1.ProactiveAdminClient
}

func (f proactiveForwarder) SendMessage(ctx context.Context, r *dispatcherv1.SendMessageRequest) (*dispatcherv1.SendMessageResponse, error) {
	return f.cl.SendMessage(ctx, r)
}
