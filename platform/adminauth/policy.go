package adminauth

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Policy maps each admin method (a gRPC full method name such as
// "/parley.dispatcher.v1.DeadLetterAdmin/List", or an HTTP path) to the
// least role that may call it. A method it does not name is refused.
type Policy map[string]Role

// Merge returns one policy holding every entry of ps; a method named twice
// with different roles is an error, since one of the two would be wrong.
func Merge(ps ...Policy) (Policy, error) {
	out := Policy{}
	var errs []error
	for _, p := range ps {
		for m, r := range p {
			if prev, ok := out[m]; ok && prev != r {
				errs = append(errs, fmt.Errorf("admin method %s is given both the %s and the %s role", m, prev, r))
			}
			out[m] = r
		}
	}
	return out, errors.Join(errs...)
}

// HealthPolicy lets every role check the admin server's health.
var HealthPolicy = Policy{
	healthpb.Health_Check_FullMethodName: RoleViewer,
	healthpb.Health_List_FullMethodName:  RoleViewer,
	healthpb.Health_Watch_FullMethodName: RoleViewer,
}

// Service is an admin gRPC service with the roles of its methods, for a
// server that hosts services of several packages.
type Service struct {
	// Register adds the service to an admin server.
	Register func(*grpc.Server)
	Policy   Policy
}

// Covers checks that the policy names every method registered on srv, so
// that a server fails at start rather than refusing a method every time.
func (p Policy) Covers(srv *grpc.Server) error {
	var missing []string
	for name, info := range srv.GetServiceInfo() {
		for _, m := range info.Methods {
			full := "/" + name + "/" + m.Name
			if _, ok := p[full]; !ok {
				missing = append(missing, full)
			}
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("admin methods without a role: %v", missing)
	}
	return nil
}

// Methods lists the policy's methods in order, for tests and diagnostics.
func (p Policy) Methods() []string { return slices.Sorted(maps.Keys(p)) }
