package deploy_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// secretVars are the variables that must come from the Secret, key by key.
var secretVars = []string{"PARLEY_MASTER_KEY", "PARLEY_ADMIN_TOKEN"}

// requiredVar is a ${VAR} without a default, outside whole-line comments.
var requiredVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// checkSecretRefs: the registry is in KV with the master key and the admin
// token from the environment; every container gets them, one key at a
// time, from the Secret (secretKeyRef), which holds them; and every
// variable parley.yaml requires is given to every container.
func checkSecretRefs(t *testing.T, o objects, c parleyConfig) {
	t.Helper()
	if c.Channels.Store != "kv" || c.Channels.MasterKey != "${PARLEY_MASTER_KEY}" {
		t.Errorf("channels: store %q master_key %q, want kv and ${PARLEY_MASTER_KEY}", c.Channels.Store, c.Channels.MasterKey)
	}
	if len(c.Channels.AdminTokens) == 0 {
		t.Error("channels.admin_tokens is empty: `parley admin` cannot be used")
	}
	for i, tok := range c.Channels.AdminTokens {
		if tok.Token != "${PARLEY_ADMIN_TOKEN}" {
			t.Errorf("channels.admin_tokens[%d].token = %q, want ${PARLEY_ADMIN_TOKEN} (from the Secret)", i, tok.Token)
		}
	}
	var required []string
	for _, line := range strings.Split(c.raw, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, m := range requiredVar.FindAllStringSubmatch(line, -1) {
			required = append(required, m[1])
		}
	}
	for _, v := range secretVars {
		if !slices.Contains(required, v) {
			t.Errorf("parley.yaml does not require ${%s}", v)
		}
	}
	secrets := map[string]map[string]bool{}
	for _, s := range o.secrets {
		keys := map[string]bool{}
		for k := range s.StringData {
			keys[k] = true
		}
		for k := range s.Data {
			keys[k] = true
		}
		secrets[s.Name] = keys
	}
	configMaps := map[string]map[string]string{}
	for _, cm := range o.configMaps {
		configMaps[cm.Name] = cm.Data
	}
	for _, d := range o.deployments {
		for _, ct := range d.Spec.Template.Spec.Containers {
			where := fmt.Sprintf("deployment %s container %s", d.Name, ct.Name)
			checkContainerEnv(t, where, ct, required, secrets, configMaps)
		}
	}
}

func checkContainerEnv(t *testing.T, where string, ct corev1.Container, required []string, secrets map[string]map[string]bool, configMaps map[string]map[string]string) {
	t.Helper()
	given := map[string]bool{}
	for _, ef := range ct.EnvFrom {
		if ef.SecretRef != nil {
			t.Errorf("%s: takes every key of Secret %s (envFrom); name each with secretKeyRef", where, ef.SecretRef.Name)
		}
		if ef.ConfigMapRef != nil {
			for k := range configMaps[ef.ConfigMapRef.Name] {
				given[k] = true
			}
		}
	}
	fromSecret := map[string]bool{}
	for _, e := range ct.Env {
		given[e.Name] = true
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		if !secrets[ref.Name][ref.Key] {
			t.Errorf("%s: %s refers to key %s of Secret %s, which does not hold it", where, e.Name, ref.Key, ref.Name)
			continue
		}
		fromSecret[e.Name] = true
	}
	for _, v := range required {
		if !given[v] {
			t.Errorf("%s: parley.yaml requires ${%s}, which the container is not given", where, v)
		}
	}
	for _, v := range secretVars {
		if !fromSecret[v] {
			t.Errorf("%s: %s must come from the Secret (secretKeyRef)", where, v)
		}
	}
}

// reach is who may connect to one port of a pod under the NetworkPolicies.
type reach struct {
	isolated  bool // some policy selects the pod for ingress
	anywhere  bool // a rule allows every source
	namespace bool // a rule allows pods of the namespace
	outside   bool // a rule allows other namespaces or IP blocks
}

func reachOf(pols []*networkingv1.NetworkPolicy, podLabels map[string]string, p corev1.ContainerPort) reach {
	var r reach
	for _, pol := range pols {
		sel, err := metav1.LabelSelectorAsSelector(&pol.Spec.PodSelector)
		if err != nil || !sel.Matches(labels.Set(podLabels)) || !governsIngress(pol) {
			continue
		}
		r.isolated = true
		for _, rule := range pol.Spec.Ingress {
			if !coversPort(rule.Ports, p) {
				continue
			}
			if len(rule.From) == 0 {
				r.anywhere = true
			}
			for _, peer := range rule.From {
				if peer.IPBlock != nil || peer.NamespaceSelector != nil {
					r.outside = true
				} else {
					r.namespace = true
				}
			}
		}
	}
	return r
}

func governsIngress(pol *networkingv1.NetworkPolicy) bool {
	return len(pol.Spec.PolicyTypes) == 0 || slices.Contains(pol.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
}

func coversPort(ports []networkingv1.NetworkPolicyPort, p corev1.ContainerPort) bool {
	if len(ports) == 0 {
		return true
	}
	for _, np := range ports {
		switch {
		case np.Port == nil:
			return true
		case np.Port.Type == intstr.String && p.Name != "" && np.Port.StrVal == p.Name:
			return true
		case np.Port.Type == intstr.Int && np.Port.IntVal == p.ContainerPort:
			return true
		}
	}
	return false
}

// checkNetworkPolicies: ingress is denied by default; the webhook port is
// open to everyone, every other port (the admin endpoint, ops) only to the
// namespace's pods; and every named port a policy opens exists.
func checkNetworkPolicies(t *testing.T, o objects) {
	t.Helper()
	checkIngressDeniedByDefault(t, o)
	checkPortReach(t, o)
	checkOpenedPortsExist(t, o)
}

func checkIngressDeniedByDefault(t *testing.T, o objects) {
	t.Helper()
	denyAll := false
	for _, pol := range o.netpols {
		if len(pol.Spec.PodSelector.MatchLabels) == 0 && len(pol.Spec.PodSelector.MatchExpressions) == 0 &&
			governsIngress(pol) && len(pol.Spec.Ingress) == 0 {
			denyAll = true
		}
	}
	if !denyAll {
		t.Error("no NetworkPolicy denies ingress to every pod by default")
	}
}

// checkPortReach: the webhook port is open to everyone, every other port
// only to the namespace's pods.
func checkPortReach(t *testing.T, o objects) {
	t.Helper()
	webhook := 0
	for _, d := range o.deployments {
		podLabels := d.Spec.Template.Labels
		for _, p := range d.Spec.Template.Spec.Containers[0].Ports {
			where := fmt.Sprintf("deployment %s port %s", d.Name, p.Name)
			r := reachOf(o.netpols, podLabels, p)
			switch {
			case !r.isolated:
				t.Errorf("%s: no NetworkPolicy governs it", where)
			case p.Name == "http":
				webhook++
				if !r.anywhere {
					t.Errorf("%s: the webhook must be reachable from outside the namespace", where)
				}
			case r.anywhere || r.outside:
				t.Errorf("%s: reachable from outside the namespace; only the webhook may be", where)
			case !r.namespace:
				t.Errorf("%s: not reachable from the namespace's pods", where)
			}
		}
	}
	if webhook == 0 {
		t.Error("no Deployment serves the webhook (port http)")
	}
}

// checkOpenedPortsExist: every named port a policy opens is a port of a
// pod the policy selects.
func checkOpenedPortsExist(t *testing.T, o objects) {
	t.Helper()
	for _, pol := range o.netpols {
		sel, _ := metav1.LabelSelectorAsSelector(&pol.Spec.PodSelector)
		for _, rule := range pol.Spec.Ingress {
			for _, np := range rule.Ports {
				if np.Port == nil || np.Port.Type != intstr.String {
					continue
				}
				if !namedPortExists(o, sel, np.Port.StrVal) {
					t.Errorf("NetworkPolicy %s opens port %s, which no pod it selects has", pol.Name, np.Port.StrVal)
				}
			}
		}
	}
}

func namedPortExists(o objects, sel labels.Selector, name string) bool {
	for _, d := range o.deployments {
		if !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			continue
		}
		for _, p := range d.Spec.Template.Spec.Containers[0].Ports {
			if p.Name == name {
				return true
			}
		}
	}
	return false
}

// TestNATSNetworkPolicy: the bus is trusted, so only Parley's namespace may
// use NATS's client port; KEDA reads the monitoring port; nothing is open
// to every source.
func TestNATSNetworkPolicy(t *testing.T) {
	var o objects
	docs := splitDocs(readFile(t, join("helm", "nats-networkpolicy.yaml")))
	for _, doc := range docs {
		if err := o.decode(doc); err != nil {
			t.Fatal(err)
		}
	}
	if len(o.netpols) != 1 || len(o.all) != 1 {
		t.Fatalf("want one NetworkPolicy, have %d objects", len(o.all))
	}
	pol := o.netpols[0]
	natsPod := map[string]string{"app.kubernetes.io/name": "nats", "app.kubernetes.io/instance": "nats", "app.kubernetes.io/component": "nats"}
	sel, err := metav1.LabelSelectorAsSelector(&pol.Spec.PodSelector)
	if err != nil || !sel.Matches(labels.Set(natsPod)) || pol.Namespace != "nats" || !governsIngress(pol) {
		t.Fatalf("the policy does not govern the NATS pods' ingress in namespace nats: %+v", pol.ObjectMeta)
	}
	namespacesOn := func(port int32) []string {
		var out []string
		for _, rule := range pol.Spec.Ingress {
			if len(rule.From) == 0 {
				t.Errorf("a rule allows every source")
			}
			if !coversPort(rule.Ports, corev1.ContainerPort{ContainerPort: port}) {
				continue
			}
			for _, peer := range rule.From {
				if peer.IPBlock != nil {
					t.Errorf("an IP block is allowed")
				}
				if peer.NamespaceSelector != nil {
					out = append(out, peer.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
				}
			}
		}
		return out
	}
	if got := namespacesOn(4222); !slices.Equal(got, []string{"parley"}) {
		t.Errorf("client port open to namespaces %v, want [parley]", got)
	}
	if got := namespacesOn(8222); !slices.Contains(got, "keda") {
		t.Errorf("monitoring port open to namespaces %v, want keda among them", got)
	}
}
