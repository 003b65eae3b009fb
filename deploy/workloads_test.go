package deploy_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// checkWorkloads holds for every overlay: hardening, probes, resources,
// references and the stop budget.
func checkWorkloads(t *testing.T, o objects) {
	c := o.config(t)
	if c.Ops.Listen == "" || !strings.HasPrefix(c.Ops.Listen, "0.0.0.0:") {
		t.Errorf("ops.listen = %q: probes from the kubelet need 0.0.0.0", c.Ops.Listen)
	}
	w := workloadContext{
		config:  c,
		names:   resourceNames(t, o),
		opsPort: port(t, c.Ops.Listen),
		delay:   dur(t, c.Ops.ShutdownDelay),
	}
	for _, d := range o.deployments {
		w.checkDeployment(t, d)
	}

	checkSecretRefs(t, o, c)
	checkNetworkPolicies(t, o)

	// Every PDB and Service selects pods of exactly one Deployment, and
	// every Deployment has a PDB.
	checkPodDisruptionBudgets(t, o)
	checkServiceSelectors(t, o)
}

// workloadContext is what the checks of one Deployment compare it with:
// the Parley configuration and the names of the overlay's resources.
type workloadContext struct {
	config  parleyConfig
	names   map[string]map[string]bool // Go type of the resource -> names
	opsPort int32
	delay   time.Duration // ops.shutdown_delay
}

// resourceNames indexes every resource's name by its Go type and checks
// all but the Namespace live in namespace parley.
func resourceNames(t *testing.T, o objects) map[string]map[string]bool {
	names := map[string]map[string]bool{}
	for _, x := range o.all {
		kind := fmt.Sprintf("%T", x)
		if names[kind] == nil {
			names[kind] = map[string]bool{}
		}
		names[kind][x.GetName()] = true
		if _, ns := x.(*corev1.Namespace); !ns && x.GetNamespace() != "parley" {
			t.Errorf("%s %s is in namespace %q, want parley", kind, x.GetName(), x.GetNamespace())
		}
	}
	return names
}

func (w workloadContext) checkDeployment(t *testing.T, d *appsv1.Deployment) {
	ps := d.Spec.Template.Spec
	where := "deployment " + d.Name
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("%s: selector does not match its pod labels", where)
	}
	if !w.names["*v1.ServiceAccount"][ps.ServiceAccountName] {
		t.Errorf("%s: service account %q does not exist", where, ps.ServiceAccountName)
	}
	if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
		t.Errorf("%s: mounts a service account token", where)
	}
	checkPodSecurityContext(t, where, ps.SecurityContext)
	tgt := target(d)
	if tgt == "" {
		t.Errorf("%s: no -target argument", where)
	}
	w.checkStopBudget(t, where, ps, tgt)
	volumes := w.checkVolumes(t, where, ps.Volumes)
	if len(ps.Containers) != 1 {
		t.Errorf("%s: want one container, have %d", where, len(ps.Containers))
	}
	for _, ct := range ps.Containers {
		w.checkContainer(t, workloadContainer{
			where:   where + " container " + ct.Name,
			deploy:  d,
			ct:      ct,
			target:  tgt,
			volumes: volumes,
		})
	}
}

func checkPodSecurityContext(t *testing.T, where string, psc *corev1.PodSecurityContext) {
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("%s: pod securityContext must run as a non-root uid", where)
	}
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod seccomp profile must be RuntimeDefault", where)
	}
}

// checkStopBudget: the kubelet waits long enough for the shutdown delay
// and the target's drain before it kills the pod.
func (w workloadContext) checkStopBudget(t *testing.T, where string, ps corev1.PodSpec, tgt string) {
	grace := time.Duration(0)
	if ps.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*ps.TerminationGracePeriodSeconds) * time.Second
	}
	if need := w.delay + drain(t, w.config, tgt); grace <= need {
		t.Errorf("%s: terminationGracePeriodSeconds %v must exceed shutdown_delay + drain = %v", where, grace, need)
	}
}

// checkVolumes checks the ConfigMaps the volumes reference exist and
// returns the volumes by name.
func (w workloadContext) checkVolumes(t *testing.T, where string, vs []corev1.Volume) map[string]corev1.Volume {
	volumes := map[string]corev1.Volume{}
	for _, v := range vs {
		volumes[v.Name] = v
		if v.ConfigMap != nil && !w.names["*v1.ConfigMap"][v.ConfigMap.Name] {
			t.Errorf("%s: volume %s references missing ConfigMap %s", where, v.Name, v.ConfigMap.Name)
		}
	}
	return volumes
}

// workloadContainer is one container of a Deployment, with what its
// checks need of the pod around it.
type workloadContainer struct {
	where   string
	deploy  *appsv1.Deployment
	ct      corev1.Container
	target  string
	volumes map[string]corev1.Volume
}

func (w workloadContext) checkContainer(t *testing.T, wc workloadContainer) {
	if !checkContainerSecurityContext(t, wc.where, wc.ct.SecurityContext) {
		return
	}
	checkContainerResources(t, wc.where, wc.ct.Resources)
	w.checkContainerPorts(t, wc)
	checkContainerProbes(t, wc.where, wc.ct)
	w.checkContainerMounts(t, wc)
	w.checkEnvRefsAndServiceName(t, wc)
}

// checkContainerSecurityContext reports the first hardening setting the
// container lacks; it returns false when the container has no
// securityContext at all, which ends the container's checks.
func checkContainerSecurityContext(t *testing.T, where string, csc *corev1.SecurityContext) bool {
	switch {
	case csc == nil:
		t.Errorf("%s: no securityContext", where)
		return false
	case csc.RunAsNonRoot == nil || !*csc.RunAsNonRoot:
		t.Errorf("%s: runAsNonRoot is not true", where)
	case csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem:
		t.Errorf("%s: root filesystem is writable", where)
	case csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation:
		t.Errorf("%s: allowPrivilegeEscalation is not false", where)
	case csc.Capabilities == nil || !slices.Equal(csc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(csc.Capabilities.Add) > 0:
		t.Errorf("%s: capabilities must drop ALL and add none", where)
	case csc.Privileged != nil && *csc.Privileged:
		t.Errorf("%s: privileged", where)
	}
	return true
}

func checkContainerResources(t *testing.T, where string, res corev1.ResourceRequirements) {
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		lim, okL := res.Limits[r]
		req, okR := res.Requests[r]
		if !okL || !okR {
			t.Errorf("%s: %s request and limit required", where, r)
		} else if req.Cmp(lim) > 0 {
			t.Errorf("%s: %s request %s above limit %s", where, r, req.String(), lim.String())
		}
	}
}

// checkContainerPorts: the container ports are the ones the config
// listens on for the target, and no other.
func (w workloadContext) checkContainerPorts(t *testing.T, wc workloadContainer) {
	where, tgt, c := wc.where, wc.target, w.config
	ports := map[string]int32{}
	for _, p := range wc.ct.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["ops"] != w.opsPort {
		t.Errorf("%s: ops port %d, ops.listen says %d", where, ports["ops"], w.opsPort)
	}
	servesHTTP := tgt == "ingress" || tgt == "all"
	servesGRPC := tgt == "channels" || tgt == "all"
	if servesHTTP && ports["http"] != port(t, c.Ingress.Listen) {
		t.Errorf("%s: http port %d, ingress.listen says %s", where, ports["http"], c.Ingress.Listen)
	}
	if servesGRPC && ports["grpc"] != port(t, c.Channels.Listen) {
		t.Errorf("%s: grpc port %d, channels.listen says %s", where, ports["grpc"], c.Channels.Listen)
	}
	// No other port: the dispatcher opens no admin port, and
	// one the config does not listen on would be a stale door.
	for name := range ports {
		ok := name == "ops" || (name == "http" && servesHTTP) || (name == "grpc" && servesGRPC)
		if !ok {
			t.Errorf("%s: port %s is not one target %s listens on", where, name, tgt)
		}
	}
}

func checkContainerProbes(t *testing.T, where string, ct corev1.Container) {
	for name, p := range map[string]*corev1.Probe{"startup": ct.StartupProbe, "liveness": ct.LivenessProbe, "readiness": ct.ReadinessProbe} {
		want := "/livez"
		if name == "readiness" {
			want = "/readyz"
		}
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s: no HTTP %s probe", where, name)
			continue
		}
		if p.HTTPGet.Path != want || p.HTTPGet.Port.String() != "ops" {
			t.Errorf("%s: %s probe %s on %s, want %s on ops", where, name, p.HTTPGet.Path, p.HTTPGet.Port.String(), want)
		}
	}
}

// checkContainerMounts: a writable /tmp, the config file from its
// ConfigMap, and for the all-in-one with embedded NATS a writable data_dir.
func (w workloadContext) checkContainerMounts(t *testing.T, wc workloadContainer) {
	where, volumes, c := wc.where, wc.volumes, w.config
	mounts := map[string]string{}
	for _, m := range wc.ct.VolumeMounts {
		if _, ok := volumes[m.Name]; !ok {
			t.Errorf("%s: mount of undeclared volume %s", where, m.Name)
		}
		mounts[m.MountPath] = m.Name
	}
	if v, ok := volumes[mounts["/tmp"]]; !ok || v.EmptyDir == nil {
		t.Errorf("%s: /tmp must be an emptyDir on a read-only root", where)
	}
	if v, ok := volumes[mounts["/etc/parley"]]; !ok || v.ConfigMap == nil || !slices.Contains(wc.ct.Args, "-config.file=/etc/parley/parley.yaml") {
		t.Errorf("%s: the config file must be mounted from the ConfigMap and passed with -config.file", where)
	}
	if c.NATS.URL == "${PARLEY_NATS_URL:-}" && wc.target == "all" {
		if v, ok := volumes[mounts[c.DataDir]]; !ok || v.EmptyDir == nil {
			t.Errorf("%s: the embedded JetStream store (data_dir %s) needs a writable volume", where, c.DataDir)
		}
	}
}

// checkEnvRefsAndServiceName: envFrom references exist and the traces carry the
// Deployment's name.
func (w workloadContext) checkEnvRefsAndServiceName(t *testing.T, wc workloadContainer) {
	where := wc.where
	for _, ef := range wc.ct.EnvFrom {
		if ef.ConfigMapRef != nil && !w.names["*v1.ConfigMap"][ef.ConfigMapRef.Name] {
			t.Errorf("%s: envFrom missing ConfigMap %s", where, ef.ConfigMapRef.Name)
		}
		if ef.SecretRef != nil && !w.names["*v1.Secret"][ef.SecretRef.Name] {
			t.Errorf("%s: envFrom missing Secret %s", where, ef.SecretRef.Name)
		}
	}
	otelName := ""
	for _, e := range wc.ct.Env {
		if e.Name == "OTEL_SERVICE_NAME" {
			otelName = e.Value
		}
	}
	if otelName != wc.deploy.Name {
		t.Errorf("%s: OTEL_SERVICE_NAME = %q, want %q", where, otelName, wc.deploy.Name)
	}
}

// selectedDeployments returns the Deployments whose pods sel matches; an
// empty selector matches none.
func selectedDeployments(o objects, sel labels.Selector) []*appsv1.Deployment {
	var out []*appsv1.Deployment
	for _, d := range o.deployments {
		if !sel.Empty() && sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			out = append(out, d)
		}
	}
	return out
}

// checkPodDisruptionBudgets: every PDB covers exactly one Deployment
// without blocking every eviction, and every Deployment has one.
func checkPodDisruptionBudgets(t *testing.T, o objects) {
	covered := map[string]int{}
	for _, p := range o.pdbs {
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err != nil {
			t.Errorf("pdb %s: %v", p.Name, err)
			continue
		}
		ds := selectedDeployments(o, sel)
		if len(ds) != 1 {
			t.Errorf("pdb %s selects %d Deployments' pods, want 1", p.Name, len(ds))
			continue
		}
		covered[ds[0].Name]++
		if p.Spec.MinAvailable != nil && ds[0].Spec.Replicas != nil && p.Spec.MinAvailable.IntValue() >= int(*ds[0].Spec.Replicas) {
			t.Errorf("pdb %s: minAvailable %s blocks every eviction of %d replicas", p.Name, p.Spec.MinAvailable.String(), *ds[0].Spec.Replicas)
		}
	}
	for _, d := range o.deployments {
		if covered[d.Name] != 1 {
			t.Errorf("deployment %s has %d PodDisruptionBudgets, want 1", d.Name, covered[d.Name])
		}
	}
}

// checkServiceSelectors: every Service selects exactly one Deployment and
// targets ports its container names.
func checkServiceSelectors(t *testing.T, o objects) {
	for _, s := range o.services {
		ds := selectedDeployments(o, labels.SelectorFromSet(s.Spec.Selector))
		if len(ds) != 1 {
			t.Errorf("service %s selects %d Deployments' pods, want 1", s.Name, len(ds))
			continue
		}
		named := map[string]bool{}
		for _, p := range ds[0].Spec.Template.Spec.Containers[0].Ports {
			named[p.Name] = true
		}
		for _, p := range s.Spec.Ports {
			if !named[p.TargetPort.String()] {
				t.Errorf("service %s: targetPort %s is not a port of %s", s.Name, p.TargetPort.String(), ds[0].Name)
			}
		}
	}
}
