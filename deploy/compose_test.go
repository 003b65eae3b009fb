package deploy_test

import (
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// composeFile is the part of the Compose specification Parley's file uses.
type composeFile struct {
	Services map[string]composeService `json:"services"`
	Volumes  map[string]any            `json:"volumes"`
}

type composeService struct {
	Image       string            `json:"image"`
	Build       any               `json:"build"`
	Command     []string          `json:"command"`
	Environment map[string]string `json:"environment"`
	Volumes     []string          `json:"volumes"`
	Ports       []string          `json:"ports"`
	User        string            `json:"user"`
	ReadOnly    bool              `json:"read_only"`
	CapDrop     []string          `json:"cap_drop"`
	DependsOn   any               `json:"depends_on"`
}

var parleyTargets = []string{"ingress", "dialog", "dispatcher", "channels"}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	if err := yaml.Unmarshal(readFile(t, join(repoRoot, "docker-compose.yml")), &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

func TestCompose_services(t *testing.T) {
	c := loadCompose(t)
	for _, name := range []string{"nats", "redis", "ingress", "dialog", "dispatcher", "channels", "otel-collector", "jaeger", "prometheus", "grafana"} {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("docker-compose.yml: service %s missing", name)
		}
	}
	nats := c.Services["nats"]
	if !strings.HasPrefix(nats.Image, "nats:2.12") || !slices.Contains(nats.Command, "-js") {
		t.Errorf("nats: image %q command %v, want nats:2.12 with -js", nats.Image, nats.Command)
	}

	image := ""
	otelNames := map[string]bool{}
	for _, name := range parleyTargets {
		s := c.Services[name]
		if image == "" {
			image = s.Image
		}
		checkComposeParleyService(t, name, s, image)
		sn := s.Environment["OTEL_SERVICE_NAME"]
		if sn == "" || otelNames[sn] {
			t.Errorf("%s: OTEL_SERVICE_NAME %q empty or shared", name, sn)
		}
		otelNames[sn] = true
	}
}

// checkComposeParleyService: the service runs its one target from the
// one Parley image, hardened, with its config file mounted from
// deploy/compose/ and its traces sent to the collector.
func checkComposeParleyService(t *testing.T, name string, s composeService, image string) {
	if targets := flagValues(s.Command, "-target="); !slices.Equal(targets, []string{name}) {
		t.Errorf("%s: runs targets %v, want [%s]", name, targets, name)
	}
	if s.Image == "" || s.Image != image {
		t.Errorf("%s: image %q, want the one Parley image %q", name, s.Image, image)
	}
	if !s.ReadOnly || s.User == "" || strings.HasPrefix(s.User, "0") || !slices.Contains(s.CapDrop, "ALL") {
		t.Errorf("%s: must run read-only, as a non-root user, with all capabilities dropped", name)
	}
	cfgFile := ""
	if files := flagValues(s.Command, "-config.file="); len(files) > 0 {
		cfgFile = files[len(files)-1]
	}
	mounted := strings.HasPrefix(mountSource(s.Volumes, cfgFile), "./deploy/compose/")
	if cfgFile == "" || !mounted {
		t.Errorf("%s: -config.file %q is not mounted from deploy/compose/", name, cfgFile)
	}
	if !strings.HasPrefix(s.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"], "http://otel-collector:") {
		t.Errorf("%s: traces do not go to the collector: %q", name, s.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"])
	}
}

// flagValues returns the values of the arguments of the form prefix+value,
// in order.
func flagValues(args []string, prefix string) []string {
	var out []string
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, prefix); ok {
			out = append(out, v)
		}
	}
	return out
}

// mountSource returns the host side of the last volume mounted at
// containerPath, or "" when none is.
func mountSource(volumes []string, containerPath string) string {
	src := ""
	for _, v := range volumes {
		if parts := strings.Split(v, ":"); len(parts) >= 2 && parts[1] == containerPath {
			src = parts[0]
		}
	}
	return src
}

// TestCompose_mountedFilesExist checks every bind mount of the stack points
// at a file or directory of the repository.
func TestCompose_mountedFilesExist(t *testing.T) {
	c := loadCompose(t)
	n := 0
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src := strings.Split(v, ":")[0]
			if !strings.HasPrefix(src, "./") {
				if _, named := c.Volumes[src]; !named {
					t.Errorf("%s: volume %q is neither a bind mount nor a declared volume", name, src)
				}
				continue
			}
			n++
			if !exists(join(repoRoot, src)) {
				t.Errorf("%s: mounts %s, which does not exist", name, src)
			}
		}
	}
	if n < 8 {
		t.Fatalf("only %d bind mounts found", n)
	}
}

// TestCompose_collectorAndConfig checks the collector forwards traces to a
// service of the stack and that the Parley config listens where the stack
// expects it.
func TestCompose_collectorAndConfig(t *testing.T) {
	c := loadCompose(t)
	var col struct {
		Receivers map[string]any `json:"receivers"`
		Exporters map[string]struct {
			Endpoint string `json:"endpoint"`
		} `json:"exporters"`
		Service struct {
			Pipelines map[string]struct {
				Receivers  []string `json:"receivers"`
				Processors []string `json:"processors"`
				Exporters  []string `json:"exporters"`
			} `json:"pipelines"`
		} `json:"service"`
	}
	if err := yaml.Unmarshal(readFile(t, join("compose", "otel-collector.yaml")), &col); err != nil {
		t.Fatal(err)
	}
	tr, ok := col.Service.Pipelines["traces"]
	if !ok || !slices.Contains(tr.Receivers, "otlp") || len(tr.Exporters) == 0 {
		t.Fatalf("collector: traces pipeline %+v", tr)
	}
	for _, name := range tr.Exporters {
		exp, ok := col.Exporters[name]
		if !ok {
			t.Errorf("collector: exporter %s is not configured", name)
			continue
		}
		host := strings.Split(exp.Endpoint, ":")[0]
		if _, ok := c.Services[host]; !ok {
			t.Errorf("collector: exporter %s sends to %q, not a service of the stack", name, exp.Endpoint)
		}
	}
	if _, ok := col.Receivers["otlp"]; !ok {
		t.Error("collector: no otlp receiver")
	}

	var cfg parleyConfig
	if err := yaml.Unmarshal(readFile(t, join("compose", "parley.yaml")), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.NATS.URL != "nats://nats:4222" || !strings.HasPrefix(cfg.Ops.Listen, "0.0.0.0:") || !strings.HasPrefix(cfg.Ingress.Listen, "0.0.0.0:") {
		t.Errorf("compose parley.yaml: nats %q ops %q ingress %q", cfg.NATS.URL, cfg.Ops.Listen, cfg.Ingress.Listen)
	}
}

// TestCompose_onlyTheWebhookIsPublic: every published port but the webhook
// is bound to the host's loopback, the admin endpoint included; the
// dispatcher publishes no admin port; and the admin plane is configured
// from the operator's environment, so that `parley admin` works against
// the stack.
func TestCompose_onlyTheWebhookIsPublic(t *testing.T) {
	c := loadCompose(t)
	adminOnLoopback := false
	for name, s := range c.Services {
		for _, p := range s.Ports {
			parts := strings.Split(p, ":")
			containerPort := parts[len(parts)-1]
			webhook := name == "ingress" && containerPort == "8080"
			switch {
			case len(parts) == 3 && parts[0] == "127.0.0.1":
				adminOnLoopback = adminOnLoopback || (name == "channels" && containerPort == "9090")
			case webhook:
			default:
				t.Errorf("%s: port %q is published on every interface; only the webhook may be", name, p)
			}
			if containerPort == "9091" {
				t.Errorf("%s: publishes 9091, the dispatcher's former admin port", name)
			}
		}
	}
	if !adminOnLoopback {
		t.Error("channels: the admin endpoint (9090) is not published on 127.0.0.1")
	}
	// Required from the operator, without a default: a default would be a
	// secret published with the source.
	for _, name := range parleyTargets {
		for _, v := range []string{"PARLEY_MASTER_KEY", "PARLEY_ADMIN_TOKEN"} {
			if !strings.HasPrefix(c.Services[name].Environment[v], "${"+v+":?") {
				t.Errorf("%s: %s = %q, want it required from the environment (${%s:?...})", name, v, c.Services[name].Environment[v], v)
			}
		}
	}
	var cfg parleyConfig
	if err := yaml.Unmarshal(readFile(t, join("compose", "parley.yaml")), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Channels.Store != "kv" || cfg.Channels.MasterKey != "${PARLEY_MASTER_KEY}" ||
		len(cfg.Channels.AdminTokens) == 0 || cfg.Channels.AdminTokens[0].Token != "${PARLEY_ADMIN_TOKEN}" {
		t.Errorf("compose parley.yaml channels: %+v, want store kv with the master key and admin token from the environment", cfg.Channels)
	}
}
