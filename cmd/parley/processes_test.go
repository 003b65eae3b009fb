package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/cli/token"
	"github.com/parleyhq/parley/cmd/parley/app"
	"github.com/parleyhq/parley/platform/bustest"
)

// TestTwoDialogProcessesShareTheWork builds the binary and runs it as three
// OS processes against one NATS server: an ingress and two -target=dialog
// replicas. Both replicas must take partitions and every user must get the
// sample bot's answers.
func TestTwoDialogProcessesShareTheWork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "parley")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	srv := bustest.RunJetStream(t)
	port := freePort(t)
	cfgPath := writeConfig(t, srv.URL, srv.Config(t).Prefix)

	ingress := startBinary(t, bin, "-config.file", cfgPath, "-target=ingress", "-ingress.listen", fmt.Sprintf("127.0.0.1:%d", port))
	d1 := startBinary(t, bin, "-config.file", cfgPath, "-target=dialog")
	d2 := startBinary(t, bin, "-config.file", cfgPath, "-target=dialog")
	for _, d := range []*proc{d1, d2} {
		d.waitLog(t, regexp.MustCompile(`"msg":"partitions rebalanced".*"owned":[1-9][0-9]*,"members":2`), 90*time.Second)
	}
	ingress.waitLog(t, regexp.MustCompile(`webhook listening`), 30*time.Second)

	cfg, err := app.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/chatbot/hooks/%s", port, cfg.Registry.Instances[0].BotID)
	var wg sync.WaitGroup
	for u := range 12 {
		wg.Go(func() {
			user := fmt.Sprintf("proc-user-%d", u)
			tok, err := token.Mint(cfg.Registry, token.Options{User: user, Alg: "HS256", TTL: time.Hour}, time.Now())
			if err != nil {
				t.Error(err)
				return
			}
			for _, step := range []struct{ say, want string }{
				{"show my balance", "Which account"},
				{"savings", "You have $45,000 in your Savings account."},
			} {
				got, err := ask(url, tok, user, step.say)
				if err != nil || !strings.Contains(got, step.want) {
					t.Errorf("%s said %q: got %q, %v", user, step.say, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func writeConfig(t *testing.T, natsURL, prefix string) string {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(string(app.DefaultYAML()), `url: ""            # empty: start the embedded server`,
		fmt.Sprintf("url: %q\n  prefix: %q\n  partitions: 16", natsURL, prefix), 1)
	doc = strings.Replace(doc, "path: examples/bots/banking", "path: "+filepath.Join(root, "examples/bots/banking"), 1)
	doc = strings.Replace(doc, "listen: 127.0.0.1:9090", "listen: 127.0.0.1:0", 1)
	doc = strings.Replace(doc, "format: text", "format: json", 1)
	path := filepath.Join(t.TempDir(), "parley.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs bytes.Buffer
}

func startBinary(t *testing.T, bin string, args ...string) *proc {
	ctx, cancel := context.WithCancel(context.Background())
	p := &proc{cmd: exec.CommandContext(ctx, bin, args...)}
	p.cmd.Env = append(os.Environ(), "PARLEY_DATA_DIR="+t.TempDir())
	p.cmd.Cancel = func() error { return p.cmd.Process.Signal(os.Interrupt) }
	p.cmd.WaitDelay = 20 * time.Second
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout = io.Discard
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.logs.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		_ = p.cmd.Wait()
		if t.Failed() {
			t.Logf("%s logs:\n%s", strings.Join(args, " "), p.output())
		}
	})
	return p
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

func ask(url, token, user, text string) (string, error) {
	body, _ := json.Marshal(map[string]any{"message": map[string]any{"text": text}, "from": map[string]any{"id": user}})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Authorization", "bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return string(raw), nil
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
