package deploy_test

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// ScaledObject is the part of KEDA's keda.sh/v1alpha1 ScaledObject Parley
// uses, decoded strictly so that a misspelt field fails.
type ScaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ScaleTargetRef struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Name       string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicaCount *int32 `json:"minReplicaCount"`
		MaxReplicaCount *int32 `json:"maxReplicaCount"`
		PollingInterval *int32 `json:"pollingInterval"`
		CooldownPeriod  *int32 `json:"cooldownPeriod"`
		Advanced        *struct {
			HorizontalPodAutoscalerConfig *struct {
				Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior"`
			} `json:"horizontalPodAutoscalerConfig"`
		} `json:"advanced"`
		Triggers []kedaTrigger `json:"triggers"`
	} `json:"spec"`
}

// kedaTrigger is one trigger of a ScaledObject.
type kedaTrigger struct {
	Type     string            `json:"type"`
	Metadata map[string]string `json:"metadata"`
}

// objects are the decoded resources of a manifest set, by kind.
type objects struct {
	deployments []*appsv1.Deployment
	services    []*corev1.Service
	configMaps  []*corev1.ConfigMap
	secrets     []*corev1.Secret
	accounts    []*corev1.ServiceAccount
	namespaces  []*corev1.Namespace
	pdbs        []*policyv1.PodDisruptionBudget
	netpols     []*networkingv1.NetworkPolicy
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	scaled      []*ScaledObject
	all         []metav1.Object
}

// decode decodes one resource strictly (unknown and duplicate fields are
// errors) into the API type of its apiVersion and kind.
func (o *objects) decode(doc []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	var obj metav1.Object
	switch tm.APIVersion + "/" + tm.Kind {
	case "apps/v1/Deployment":
		x := &appsv1.Deployment{}
		o.deployments, obj = append(o.deployments, x), x
	case "v1/Service":
		x := &corev1.Service{}
		o.services, obj = append(o.services, x), x
	case "v1/ConfigMap":
		x := &corev1.ConfigMap{}
		o.configMaps, obj = append(o.configMaps, x), x
	case "v1/Secret":
		x := &corev1.Secret{}
		o.secrets, obj = append(o.secrets, x), x
	case "v1/ServiceAccount":
		x := &corev1.ServiceAccount{}
		o.accounts, obj = append(o.accounts, x), x
	case "v1/Namespace":
		x := &corev1.Namespace{}
		o.namespaces, obj = append(o.namespaces, x), x
	case "policy/v1/PodDisruptionBudget":
		x := &policyv1.PodDisruptionBudget{}
		o.pdbs, obj = append(o.pdbs, x), x
	case "networking.k8s.io/v1/NetworkPolicy":
		x := &networkingv1.NetworkPolicy{}
		o.netpols, obj = append(o.netpols, x), x
	case "autoscaling/v2/HorizontalPodAutoscaler":
		x := &autoscalingv2.HorizontalPodAutoscaler{}
		o.hpas, obj = append(o.hpas, x), x
	case "keda.sh/v1alpha1/ScaledObject":
		x := &ScaledObject{}
		o.scaled, obj = append(o.scaled, x), x
	default:
		return fmt.Errorf("unexpected resource %s %s", tm.APIVersion, tm.Kind)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return fmt.Errorf("%s: %w", tm.Kind, err)
	}
	if obj.GetName() == "" {
		return fmt.Errorf("%s without a name", tm.Kind)
	}
	o.all = append(o.all, obj)
	return nil
}

func TestManifests_decodeStrictly(t *testing.T) {
	n := 0
	err := filepath.WalkDir("k8s", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" {
			return err
		}
		// kustomization.yaml is kustomize's own; base/parley.yaml is Parley's
		// configuration file, checked by configcheck.
		if d.Name() == "kustomization.yaml" || path == filepath.Join("k8s", "base", "parley.yaml") {
			return nil
		}
		var o objects
		for i, doc := range splitDocs(readFile(t, path)) {
			if err := o.decode(doc); err != nil {
				t.Errorf("%s document %d: %v", path, i+1, err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 15 {
		t.Fatalf("decoded only %d manifests", n)
	}
}

func TestManifests_strictDecodingRejectsUnknownFields(t *testing.T) {
	var o objects
	bad := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 2\n"
	if err := o.decode([]byte(bad)); err == nil || !strings.Contains(err.Error(), "replica") {
		t.Fatalf("a misspelt field was accepted: %v", err)
	}
	dup := "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nmetadata: {name: y}\n"
	if err := o.decode([]byte(dup)); err == nil {
		t.Fatal("a duplicate key was accepted")
	}
}

// build runs kustomize on an overlay, as `kubectl apply -k` would, and
// decodes the result strictly.
func build(t *testing.T, overlay string) objects {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	dir, err := filepath.Abs(filepath.Join("k8s", "overlays", overlay))
	if err != nil {
		t.Fatal(err)
	}
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", overlay, err)
	}
	var o objects
	for _, r := range rm.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		if err := o.decode(y); err != nil {
			t.Fatalf("%s: %v\n%s", overlay, err, y)
		}
	}
	return o
}

// parleyConfig is the part of parley.yaml the manifests depend on.
type parleyConfig struct {
	DataDir string `json:"data_dir"`
	NATS    struct {
		URL        string `json:"url"`
		Partitions int    `json:"partitions"`
	} `json:"nats"`
	Ops struct {
		Listen        string `json:"listen"`
		ShutdownDelay string `json:"shutdown_delay"`
	} `json:"ops"`
	Ingress struct {
		Listen        string `json:"listen"`
		ShutdownGrace string `json:"shutdown_grace"`
	} `json:"ingress"`
	Dispatcher struct {
		DrainTimeout string `json:"drain_timeout"`
	} `json:"dispatcher"`
	Channels struct {
		Listen      string `json:"listen"`
		Store       string `json:"store"`
		MasterKey   string `json:"master_key"`
		AdminTokens []struct {
			Token string `json:"token"`
			Role  string `json:"role"`
		} `json:"admin_tokens"`
	} `json:"channels"`
	// raw is the file as written, before ${VAR} expansion.
	raw string
}

func (o objects) config(t *testing.T) parleyConfig {
	t.Helper()
	var found []*corev1.ConfigMap
	for _, cm := range o.configMaps {
		if strings.HasPrefix(cm.Name, "parley-config-") {
			found = append(found, cm)
		}
	}
	if len(found) != 1 || found[0].Data["parley.yaml"] == "" {
		t.Fatalf("want one hashed parley-config ConfigMap with parley.yaml, have %d", len(found))
	}
	var c parleyConfig
	if err := yaml.Unmarshal([]byte(found[0].Data["parley.yaml"]), &c); err != nil {
		t.Fatalf("parley.yaml: %v", err)
	}
	c.raw = found[0].Data["parley.yaml"]
	return c
}

func dur(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("duration %q: %v", s, err)
	}
	return d
}

func port(t *testing.T, hostPort string) int32 {
	t.Helper()
	i := strings.LastIndexByte(hostPort, ':')
	p, err := strconv.Atoi(hostPort[i+1:])
	if err != nil {
		t.Fatalf("listen address %q: %v", hostPort, err)
	}
	return int32(p)
}

func target(d *appsv1.Deployment) string {
	for _, a := range d.Spec.Template.Spec.Containers[0].Args {
		if v, ok := strings.CutPrefix(a, "-target="); ok {
			return v
		}
	}
	return ""
}

// drain is how long each target may take to stop after the shutdown
// delay: ingress.shutdown_grace, dispatcher.drain_timeout, a dialog turn
// (the 15s sync budget doubled, for a turn that calls services), and the
// channels gRPC server's graceful stop. All-in-one stops them one after
// the other.
func drain(t *testing.T, c parleyConfig, tgt string) time.Duration {
	per := map[string]time.Duration{
		"ingress":    dur(t, c.Ingress.ShutdownGrace),
		"dispatcher": dur(t, c.Dispatcher.DrainTimeout),
		"dialog":     30 * time.Second,
		"channels":   10 * time.Second,
	}
	if tgt == "all" {
		var sum time.Duration
		for _, d := range per {
			sum += d
		}
		return sum
	}
	return per[tgt]
}

func TestKustomize_prod(t *testing.T) {
	o := build(t, "prod")
	checkWorkloads(t, o)
	c := o.config(t)

	byTarget := checkProdDeployments(t, o)

	// The ingress scales on CPU with an HPA; KEDA scales dialog and
	// dispatcher. Nothing is scaled twice.
	h := checkProdHPA(t, o, byTarget["ingress"])
	checkProdScaledObjects(t, o, c, h)
}

// checkProdDeployments: one Deployment per target, at least two replicas
// each, all of one tagged image. It returns the Deployments by target.
func checkProdDeployments(t *testing.T, o objects) map[string]*appsv1.Deployment {
	byTarget := map[string]*appsv1.Deployment{}
	images := map[string]bool{}
	for _, d := range o.deployments {
		byTarget[target(d)] = d
		images[d.Spec.Template.Spec.Containers[0].Image] = true
	}
	if len(o.deployments) != 4 || len(byTarget) != 4 {
		t.Fatalf("prod: %d Deployments with targets %v, want one per ingress, dialog, dispatcher, channels", len(o.deployments), keys(byTarget))
	}
	for _, tgt := range []string{"ingress", "dialog", "dispatcher", "channels"} {
		d := byTarget[tgt]
		if d == nil {
			t.Errorf("prod: no Deployment runs -target=%s", tgt)
			continue
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
			t.Errorf("prod: %s runs fewer than 2 replicas", d.Name)
		}
	}
	if len(images) != 1 {
		t.Errorf("prod: Deployments use %d images, want one: %v", len(images), images)
	}
	for img := range images {
		if !regexp.MustCompile(`^[a-z0-9./-]+/parley:[A-Za-z0-9._-]+$`).MatchString(img) {
			t.Errorf("prod image %q is not a registry reference with a tag", img)
		}
	}
	return byTarget
}

// checkProdHPA: the one HPA scales the ingress Deployment on CPU, from at
// least two replicas. It returns the HPA.
func checkProdHPA(t *testing.T, o objects, ing *appsv1.Deployment) *autoscalingv2.HorizontalPodAutoscaler {
	if len(o.hpas) != 1 {
		t.Fatalf("prod: %d HPAs, want 1", len(o.hpas))
	}
	h := o.hpas[0]
	if ing == nil || h.Spec.ScaleTargetRef.Kind != "Deployment" || h.Spec.ScaleTargetRef.Name != ing.Name || h.Spec.ScaleTargetRef.APIVersion != "apps/v1" {
		t.Errorf("HPA targets %+v, want the ingress Deployment", h.Spec.ScaleTargetRef)
	}
	if len(h.Spec.Metrics) == 0 || h.Spec.Metrics[0].Resource == nil || h.Spec.Metrics[0].Resource.Name != corev1.ResourceCPU {
		t.Errorf("HPA does not scale on CPU: %+v", h.Spec.Metrics)
	}
	if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 || h.Spec.MaxReplicas < *h.Spec.MinReplicas {
		t.Errorf("HPA replicas %v..%d", h.Spec.MinReplicas, h.Spec.MaxReplicas)
	}
	return h
}

// jetStreamSource is the stream a target consumes and the prefix of its
// consumers' names.
type jetStreamSource struct{ stream, group string }

// kedaScaled are the targets KEDA scales, with what they consume.
var kedaScaled = map[string]jetStreamSource{
	"dialog":     {"PARLEY_IN", "dialog"},
	"dispatcher": {"PARLEY_OUT", "dispatcher"},
}

// checkProdScaledObjects: a ScaledObject per JetStream consumer target,
// none on a Deployment the HPA scales.
func checkProdScaledObjects(t *testing.T, o objects, c parleyConfig, h *autoscalingv2.HorizontalPodAutoscaler) {
	scaled := map[string]bool{}
	for _, so := range o.scaled {
		if tgt, ok := checkScaledObject(t, o, c, h, so); ok {
			scaled[tgt] = true
		}
	}
	for tgt := range kedaScaled {
		if !scaled[tgt] {
			t.Errorf("prod: no ScaledObject for %s", tgt)
		}
	}
}

// checkScaledObject checks one ScaledObject and returns the target it
// scales; ok is false when it scales no JetStream consumer.
func checkScaledObject(t *testing.T, o objects, c parleyConfig, h *autoscalingv2.HorizontalPodAutoscaler, so *ScaledObject) (tgt string, ok bool) {
	ref := so.Spec.ScaleTargetRef
	var d *appsv1.Deployment
	for _, x := range o.deployments {
		if x.Name == ref.Name {
			d = x
		}
	}
	if d == nil || (ref.Kind != "" && ref.Kind != "Deployment") {
		t.Errorf("ScaledObject %s targets missing %s %s", so.Name, ref.Kind, ref.Name)
		return "", false
	}
	tgt = target(d)
	w, ok := kedaScaled[tgt]
	if !ok {
		t.Errorf("ScaledObject %s scales %s, which does not consume JetStream", so.Name, tgt)
		return tgt, false
	}
	if h.Spec.ScaleTargetRef.Name == d.Name {
		t.Errorf("%s is scaled by both KEDA and an HPA", d.Name)
	}
	if so.Spec.MinReplicaCount == nil || *so.Spec.MinReplicaCount < 2 {
		t.Errorf("ScaledObject %s: minReplicaCount below 2 loses the standby that takes over leases", so.Name)
	}
	if so.Spec.MaxReplicaCount == nil || int(*so.Spec.MaxReplicaCount) > c.NATS.Partitions {
		t.Errorf("ScaledObject %s: maxReplicaCount must be set and at most nats.partitions (%d)", so.Name, c.NATS.Partitions)
	}
	if len(so.Spec.Triggers) == 0 {
		t.Errorf("ScaledObject %s has no trigger", so.Name)
	}
	seen := map[string]bool{}
	for i, tr := range so.Spec.Triggers {
		checkKEDATrigger(t, fmt.Sprintf("ScaledObject %s trigger %d", so.Name, i), tr, w, c.NATS.Partitions, seen)
	}
	return tgt, true
}

var partitionConsumer = regexp.MustCompile(`^([a-z]+)-p(\d{2,})$`)

// checkKEDATrigger: a nats-jetstream trigger on one partition's consumer
// of the target's stream, not watched twice (seen holds the consumers
// the ScaledObject's earlier triggers watch).
func checkKEDATrigger(t *testing.T, where string, tr kedaTrigger, w jetStreamSource, partitions int, seen map[string]bool) {
	if tr.Type != "nats-jetstream" {
		t.Errorf("%s: type %q, want nats-jetstream", where, tr.Type)
	}
	for _, k := range []string{"natsServerMonitoringEndpoint", "account", "stream", "consumer", "lagThreshold"} {
		if tr.Metadata[k] == "" {
			t.Errorf("%s: metadata.%s is required", where, k)
		}
	}
	if tr.Metadata["stream"] != w.stream {
		t.Errorf("%s: stream %q, want %s", where, tr.Metadata["stream"], w.stream)
	}
	m := partitionConsumer.FindStringSubmatch(tr.Metadata["consumer"])
	if m == nil || m[1] != w.group {
		t.Errorf("%s: consumer %q is not %s-pNN", where, tr.Metadata["consumer"], w.group)
	} else if p, _ := strconv.Atoi(m[2]); p >= partitions {
		t.Errorf("%s: consumer %s is beyond the %d partitions", where, tr.Metadata["consumer"], partitions)
	}
	if seen[tr.Metadata["consumer"]] {
		t.Errorf("%s: consumer %s watched twice", where, tr.Metadata["consumer"])
	}
	seen[tr.Metadata["consumer"]] = true
	if n, err := strconv.Atoi(tr.Metadata["lagThreshold"]); err != nil || n <= 0 {
		t.Errorf("%s: lagThreshold %q must be a positive integer", where, tr.Metadata["lagThreshold"])
	}
	if !strings.HasSuffix(strings.Split(tr.Metadata["natsServerMonitoringEndpoint"], ":")[0], ".svc.cluster.local") {
		t.Errorf("%s: monitoring endpoint %q is not a cluster Service", where, tr.Metadata["natsServerMonitoringEndpoint"])
	}
}

func TestKustomize_dev(t *testing.T) {
	o := build(t, "dev")
	checkWorkloads(t, o)
	if len(o.deployments) != 1 {
		t.Fatalf("dev: %d Deployments, want the all-in-one only", len(o.deployments))
	}
	d := o.deployments[0]
	if target(d) != "all" {
		t.Errorf("dev runs -target=%s, want all", target(d))
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Error("dev: the embedded JetStream store allows one pod at a time (replicas 1, Recreate)")
	}
	if len(o.hpas) != 0 || len(o.scaled) != 0 {
		t.Error("dev: nothing should autoscale the single all-in-one pod")
	}
	if c := o.config(t); c.NATS.URL != "${PARLEY_NATS_URL:-}" {
		t.Errorf("nats.url = %q", c.NATS.URL)
	}
	for _, cm := range o.configMaps {
		if strings.HasPrefix(cm.Name, "parley-env-") && cm.Data["PARLEY_NATS_URL"] != "" {
			t.Error("dev sets PARLEY_NATS_URL: it should use the embedded server")
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
