package deploy_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestMetricNames_parser(t *testing.T) {
	for expr, want := range map[string][]string{
		`histogram_quantile(0.99, sum by (le, op) (rate(parley_session_store_seconds_bucket[5m]))) > 0.25`: {"parley_session_store_seconds_bucket"},
		`sum by (channel) (rate(parley_delivery_outcomes_total{outcome="failed"}[$__rate_interval]))`:      {"parley_delivery_outcomes_total"},
		`sum(rate(a_total[5m])) / sum(rate(b_total[5m])) > 0.05`:                                           {"a_total", "b_total"},
		`up{job="parley"} == 0`: {"up"},
	} {
		if got := metricNames(expr); !slices.Equal(got, want) {
			t.Errorf("metricNames(%q) = %v, want %v", expr, got, want)
		}
	}
}

type dashPanel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []dashPanel `json:"panels"`
}

func TestGrafana_dashboardUsesDocumentedMetrics(t *testing.T) {
	doc := loadMetricDoc(t)
	var dash struct {
		UID    string      `json:"uid"`
		Title  string      `json:"title"`
		Panels []dashPanel `json:"panels"`
	}
	if err := json.Unmarshal(readFile(t, join("grafana", "dashboards", "parley.json")), &dash); err != nil {
		t.Fatalf("parley.json: %v", err)
	}
	pc := panelCheck{t: t, doc: doc, promUID: provisionedPrometheusUID(t), used: map[string]bool{}, ids: map[int]bool{}}
	pc.walk(dash.Panels)
	// The dashboard covers what the issue asks: turn rate, latency
	// percentiles, consumer lag, delivery failures, dead letters.
	for _, m := range []string{"parley_turns_received_total", "parley_sync_latency_seconds", "parley_dialog_processing_seconds",
		"parley_jetstream_consumer_pending", "parley_delivery_outcomes_total", "parley_dead_letters", "parley_circuit_breaker_state"} {
		if !pc.used[m] {
			t.Errorf("the dashboard has no panel on %s", m)
		}
	}
	if dash.UID == "" || dash.Title == "" {
		t.Error("dashboard needs a uid and a title")
	}
	checkDashboardProvider(t)
}

// provisionedPrometheusUID returns the uid of the Prometheus datasource
// Grafana is provisioned with.
func provisionedPrometheusUID(t *testing.T) string {
	t.Helper()
	var ds struct {
		APIVersion  int `json:"apiVersion"`
		Datasources []struct {
			UID  string `json:"uid"`
			Type string `json:"type"`
		} `json:"datasources"`
	}
	if err := yaml.Unmarshal(readFile(t, join("grafana", "provisioning", "datasources", "prometheus.yaml")), &ds); err != nil || ds.APIVersion != 1 {
		t.Fatalf("datasource provisioning (apiVersion %d): %v", ds.APIVersion, err)
	}
	promUID := ""
	for _, d := range ds.Datasources {
		if d.Type == "prometheus" {
			promUID = d.UID
		}
	}
	if promUID == "" {
		t.Fatal("no provisioned Prometheus datasource")
	}
	return promUID
}

// panelCheck walks a dashboard's panels, rows included, and collects the
// documented metrics their queries use.
type panelCheck struct {
	t       *testing.T
	doc     metricDoc
	promUID string
	used    map[string]bool // documented metrics the panels query
	ids     map[int]bool    // panel ids seen so far
}

func (pc panelCheck) walk(ps []dashPanel) {
	t := pc.t
	for _, p := range ps {
		if pc.ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		pc.ids[p.ID] = true
		pc.walk(p.Panels)
		if p.Type == "row" {
			continue
		}
		pc.checkPanel(p)
	}
}

// checkPanel: a panel queries documented metrics of the provisioned
// datasource.
func (pc panelCheck) checkPanel(p dashPanel) {
	t := pc.t
	if len(p.Targets) == 0 {
		t.Errorf("panel %q has no query", p.Title)
	}
	if p.Datasource == nil || p.Datasource.UID != pc.promUID {
		t.Errorf("panel %q does not use the provisioned datasource %q", p.Title, pc.promUID)
	}
	for _, tg := range p.Targets {
		for _, m := range checkExpr(t, fmt.Sprintf("panel %q", p.Title), tg.Expr, pc.doc) {
			pc.used[m] = true
		}
	}
}

// checkDashboardProvider: Grafana looks for dashboards where Compose
// mounts them.
func checkDashboardProvider(t *testing.T) {
	t.Helper()
	var prov struct {
		Providers []struct {
			Options struct {
				Path string `json:"path"`
			} `json:"options"`
		} `json:"providers"`
	}
	if err := yaml.Unmarshal(readFile(t, join("grafana", "provisioning", "dashboards", "parley.yaml")), &prov); err != nil {
		t.Fatal(err)
	}
	c := loadCompose(t)
	mountedAt := ""
	for _, v := range c.Services["grafana"].Volumes {
		if p := strings.Split(v, ":"); p[0] == "./deploy/grafana/dashboards" {
			mountedAt = p[1]
		}
	}
	if len(prov.Providers) != 1 || prov.Providers[0].Options.Path != mountedAt {
		t.Errorf("dashboard provider path %+v, compose mounts the dashboards at %q", prov.Providers, mountedAt)
	}
}

type ruleFile struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Alert       string            `json:"alert"`
			Record      string            `json:"record"`
			Expr        string            `json:"expr"`
			For         string            `json:"for"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"rules"`
	} `json:"groups"`
}

func TestPrometheus_rulesUseDocumentedMetrics(t *testing.T) {
	doc := loadMetricDoc(t)
	var rf ruleFile
	if err := yaml.UnmarshalStrict(readFile(t, join("compose", "alerts.yml")), &rf); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	alerts := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			where := fmt.Sprintf("group %s alert %s", g.Name, r.Alert)
			if r.Alert == "" || strings.TrimSpace(r.Expr) == "" {
				t.Errorf("%s: alert name and expr are required", where)
				continue
			}
			if alerts[r.Alert] {
				t.Errorf("%s: defined twice", where)
			}
			alerts[r.Alert] = true
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("%s: severity %q", where, s)
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("%s: no summary", where)
			}
			checkExpr(t, where, r.Expr, doc)
		}
	}
	for a := range doc.alerts {
		if !alerts[a] {
			t.Errorf("METRICS.md documents alert %s, which alerts.yml lacks", a)
		}
	}
	for a := range alerts {
		if !doc.alerts[a] {
			t.Errorf("alerts.yml defines %s, which METRICS.md does not document", a)
		}
	}
}

func TestPrometheus_scrapesEveryParleyService(t *testing.T) {
	var pc struct {
		RuleFiles     []string `json:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `json:"job_name"`
			StaticConfigs []struct {
				Targets []string          `json:"targets"`
				Labels  map[string]string `json:"labels"`
			} `json:"static_configs"`
		} `json:"scrape_configs"`
	}
	if err := yaml.Unmarshal(readFile(t, join("compose", "prometheus.yml")), &pc); err != nil {
		t.Fatal(err)
	}
	var cfg parleyConfig
	if err := yaml.Unmarshal(readFile(t, join("compose", "parley.yaml")), &cfg); err != nil {
		t.Fatal(err)
	}
	opsPort := cfg.Ops.Listen[strings.LastIndexByte(cfg.Ops.Listen, ':'):]
	scraped := map[string]bool{}
	for _, sc := range pc.ScrapeConfigs {
		if sc.JobName != "parley" {
			continue
		}
		for _, st := range sc.StaticConfigs {
			for _, tg := range st.Targets {
				scraped[tg] = true
			}
		}
	}
	for _, svc := range parleyTargets {
		if !scraped[svc+opsPort] {
			t.Errorf("prometheus does not scrape %s%s (job parley; the rules' up{job=\"parley\"} relies on it)", svc, opsPort)
		}
	}
	c := loadCompose(t)
	for _, rf := range pc.RuleFiles {
		mounted := false
		for _, v := range c.Services["prometheus"].Volumes {
			if p := strings.Split(v, ":"); p[1] == rf && exists(join(repoRoot, p[0])) {
				mounted = true
			}
		}
		if !mounted {
			t.Errorf("rule file %s is not mounted into the prometheus container", rf)
		}
	}
	if len(pc.RuleFiles) == 0 {
		t.Error("prometheus loads no rule file")
	}
}
