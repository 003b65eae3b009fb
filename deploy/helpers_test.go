package deploy_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is the repository root: the deploy module sits in deploy/.
const repoRoot = ".."

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// splitDocs splits a multi-document YAML file, dropping empty documents.
func splitDocs(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
		if strings.TrimSpace(stripComments(d)) != "" {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// metricDoc is deploy/METRICS.md, parsed.
type metricDoc struct {
	types  map[string]string // Prometheus name -> counter|histogram|gauge
	alerts map[string]bool   // alert names of the Alerts table
	extra  map[string]bool   // non-catalogue series the rules may use
}

var (
	catalogueRow = regexp.MustCompile("(?m)^\\| `([a-zA-Z_:][a-zA-Z0-9_:]*)` \\| (counter|histogram|gauge) \\|")
	alertRow     = regexp.MustCompile(`(?m)^\| (Parley[A-Za-z]+) \| (critical|warning) \|`)
)

func loadMetricDoc(t *testing.T) metricDoc {
	t.Helper()
	text := readFile(t, "METRICS.md")
	d := metricDoc{types: map[string]string{}, alerts: map[string]bool{}, extra: map[string]bool{"up": true}}
	for _, m := range catalogueRow.FindAllSubmatch(text, -1) {
		d.types[string(m[1])] = string(m[2])
	}
	for _, m := range alertRow.FindAllSubmatch(text, -1) {
		d.alerts[string(m[1])] = true
	}
	if len(d.types) < 10 || len(d.alerts) < 10 {
		t.Fatalf("METRICS.md: found %d metrics and %d alerts; the tables' format changed?", len(d.types), len(d.alerts))
	}
	if !bytes.Contains(text, []byte("`up`")) {
		t.Fatal("METRICS.md no longer documents the use of `up`")
	}
	return d
}

// series returns every series name a PromQL expression may use for the
// documented metrics: histograms are queried through _bucket, _sum, _count.
func (d metricDoc) series() map[string]string {
	out := map[string]string{}
	for name, typ := range d.types {
		if typ == "histogram" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				out[name+s] = name
			}
			continue
		}
		out[name] = name
	}
	return out
}

var (
	identifier  = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	labelBlock  = regexp.MustCompile(`\{[^{}]*\}`)
	stringLit   = regexp.MustCompile(`"[^"]*"`)
	groupingArg = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	rangeArg    = regexp.MustCompile(`\[[^\]]*\]`)
)

// promqlFunctions and keywords are the identifiers of a PromQL expression
// that are not metric names.
var promqlWords = map[string]bool{
	"sum": true, "avg": true, "min": true, "max": true, "count": true, "topk": true, "bottomk": true,
	"rate": true, "irate": true, "increase": true, "delta": true, "deriv": true, "histogram_quantile": true,
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "abs": true, "clamp_min": true,
	"clamp_max": true, "vector": true, "scalar": true, "time": true, "absent": true, "changes": true,
	"resets": true, "avg_over_time": true, "max_over_time": true, "min_over_time": true, "quantile": true,
	"label_replace": true, "round": true, "sort_desc": true, "sort": true, "e": true, "inf": true, "nan": true,
}

// metricNames returns the metric names an expression selects: the
// identifiers left once label matchers, grouping clauses, ranges, strings,
// Grafana variables and PromQL words are removed.
func metricNames(expr string) []string {
	s := stringLit.ReplaceAllString(expr, " ")
	s = labelBlock.ReplaceAllString(s, " ")
	s = groupingArg.ReplaceAllString(s, " ")
	s = rangeArg.ReplaceAllString(s, " ")
	s = regexp.MustCompile(`\$\{?[a-zA-Z_]+\}?`).ReplaceAllString(s, " ")
	s = regexp.MustCompile(`\b[0-9][0-9.e+-]*\b`).ReplaceAllString(s, " ")
	var out []string
	for _, id := range identifier.FindAllString(s, -1) {
		if !promqlWords[strings.ToLower(id)] {
			out = append(out, id)
		}
	}
	return out
}

// checkExpr fails when expr uses a metric that METRICS.md does not
// document, or no metric at all.
func checkExpr(t *testing.T, where, expr string, doc metricDoc) []string {
	t.Helper()
	series := doc.series()
	names := metricNames(expr)
	if len(names) == 0 {
		t.Errorf("%s: no metric in %q", where, expr)
	}
	var used []string
	for _, n := range names {
		if base, ok := series[n]; ok {
			used = append(used, base)
			continue
		}
		if doc.extra[n] {
			used = append(used, n)
			continue
		}
		t.Errorf("%s: %q is not a metric documented in METRICS.md (expr %q)", where, n, expr)
	}
	if strings.Count(expr, "(") != strings.Count(expr, ")") {
		t.Errorf("%s: unbalanced parentheses in %q", where, expr)
	}
	return used
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func join(elem ...string) string { return filepath.Join(elem...) }
