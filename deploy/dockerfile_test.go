package deploy_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

type dockerStage struct {
	from, name string
	lines      []string // instructions, continuation lines joined
}

func parseDockerfile(t *testing.T, text string) []dockerStage {
	t.Helper()
	var stages []dockerStage
	var cur string
	for _, raw := range strings.Split(text, "\n") {
		l := strings.TrimSpace(raw)
		if cur == "" && (l == "" || strings.HasPrefix(l, "#")) {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		l, cur = cur+l, ""
		f := strings.Fields(l)
		if strings.EqualFold(f[0], "FROM") {
			st := dockerStage{from: f[1]}
			if len(f) >= 4 && strings.EqualFold(f[2], "AS") {
				st.name = f[3]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile: %q before FROM", l)
		}
		stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, l)
	}
	return stages
}

func (s dockerStage) instr(name string) []string {
	var out []string
	for _, l := range s.lines {
		if f := strings.Fields(l); strings.EqualFold(f[0], name) {
			out = append(out, strings.TrimSpace(l[len(f[0]):]))
		}
	}
	return out
}

func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t, string(readFile(t, join(repoRoot, "Dockerfile"))))
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build, have %d stages", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	checkDockerBuilder(t, build)
	checkDockerModuleCopies(t, build)
	checkDockerFinalStage(t, build, final)
	checkDockerIgnore(t)
}

// checkDockerBuilder: a Go 1.26 builder builds ./cmd/parley statically.
func checkDockerBuilder(t *testing.T, build dockerStage) {
	if !strings.HasPrefix(build.from, "golang:1.26") {
		t.Errorf("builder is %s, want golang:1.26", build.from)
	}
	env := strings.Join(build.instr("ENV"), " ")
	if !strings.Contains(env, "CGO_ENABLED=0") {
		t.Error("the binary must be static: CGO_ENABLED=0")
	}
	runs := strings.Join(build.instr("RUN"), "\n")
	if !regexp.MustCompile(`go build .*-o \S*parley \./cmd/parley`).MatchString(runs) {
		t.Errorf("builder does not build ./cmd/parley: %s", runs)
	}
}

// checkDockerModuleCopies: every module the binary needs has its go.mod
// copied before the download; the deploy module is dropped from the
// workspace.
func checkDockerModuleCopies(t *testing.T, build dockerStage) {
	work := string(readFile(t, join(repoRoot, "go.work")))
	runs := strings.Join(build.instr("RUN"), "\n")
	copies := strings.Join(build.instr("COPY"), "\n")
	for _, m := range regexp.MustCompile(`(?m)^\s+\./(\S+)\s*$`).FindAllStringSubmatch(work, -1) {
		if m[1] == "deploy" {
			if !strings.Contains(runs, "go work edit -dropuse=./deploy") {
				t.Error("go.work uses ./deploy but the build does not drop it")
			}
			continue
		}
		if !strings.Contains(copies, m[1]+"/go.mod") {
			t.Errorf("the builder does not copy %s/go.mod", m[1])
		}
	}
}

// checkDockerFinalStage: a minimal non-root image that execs parley,
// exposes its ports and carries the binary and the example bots.
func checkDockerFinalStage(t *testing.T, build, final dockerStage) {
	if final.from != "gcr.io/distroless/static-debian12:nonroot" && final.from != "scratch" {
		t.Errorf("final stage is %s, want distroless static nonroot (or scratch)", final.from)
	}
	users := final.instr("USER")
	if len(users) == 0 {
		t.Fatal("the final stage sets no USER")
	}
	if u := strings.Split(users[len(users)-1], ":")[0]; u == "root" || u == "0" || u == "" {
		t.Errorf("final USER %q is root", users[len(users)-1])
	}
	entry := strings.Join(final.instr("ENTRYPOINT"), " ")
	if !strings.Contains(entry, "parley") || !strings.HasPrefix(entry, "[") {
		t.Errorf("ENTRYPOINT %q should exec parley in the exec form", entry)
	}
	var exposed []string
	for _, e := range final.instr("EXPOSE") {
		exposed = append(exposed, strings.Fields(e)...)
	}
	for _, p := range []string{"8080", "9090", "9100"} {
		if !slices.Contains(exposed, p) {
			t.Errorf("EXPOSE lacks %s", p)
		}
	}
	fc := strings.Join(final.instr("COPY"), "\n")
	if !strings.Contains(fc, "examples/bots") || !strings.Contains(fc, "--from="+build.name) {
		t.Errorf("final stage must copy the binary from %s and the example bots: %s", build.name, fc)
	}
}

// checkDockerIgnore: the build context keeps what the Dockerfile copies.
func checkDockerIgnore(t *testing.T) {
	ignore := strings.Split(string(readFile(t, join(repoRoot, ".dockerignore"))), "\n")
	for _, keep := range []string{"cmd", "platform", "proto", "services", "examples", "go.work", "go.work.sum"} {
		for _, l := range ignore {
			l = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(l), "/"), "/")
			if l == keep || l == keep+"/**" {
				t.Errorf(".dockerignore excludes %s, which the build needs", keep)
			}
		}
	}
}
