// Package chat is Kore's "Talk to Bot" in a terminal: `parley chat`.
package chat

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/cli"
	"github.com/parleyhq/parley/cli/token"
)

// Run talks to the bot of the config's first webhook instance: each line is
// POSTed to the webhook and the bot's answer printed. "/new" starts a new
// session.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer, load cli.LoadConfig) int {
	var configFile, baseURL, user string
	fs := flag.NewFlagSet("parley chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&configFile, "config.file", "", "config file (default: the built-in one)")
	fs.StringVar(&baseURL, "url", "", "Parley's base URL (default: from ingress.listen)")
	fs.StringVar(&user, "user", fmt.Sprintf("cli-%d", time.Now().Unix()%100000), "from.id of the conversation")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := load(configFile)
	if err != nil {
		fmt.Fprintf(stderr, "parley chat: %v\n", err)
		return 1
	}
	if len(cfg.Registry.Instances) == 0 {
		fmt.Fprintln(stderr, "parley chat: the config has no webhook instance")
		return 1
	}
	in := cfg.Registry.Instances[0]
	if baseURL == "" {
		baseURL = "http://" + cfg.WebhookListen
	}
	url := strings.TrimRight(baseURL, "/") + "/chatbot/hooks/" + in.BotID
	if in.InstanceID != "" {
		url += "/hookInstance/" + in.InstanceID
	}
	tok, err := token.Mint(cfg.Registry, token.Options{AppID: in.App, User: user, Alg: "HS256", TTL: 12 * time.Hour}, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "parley chat: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Talking to %s as %q. Type a message, /new for a new session, Ctrl-D to quit.\n", url, user)
	talk(stdin, stdout, url, tok, user)
	fmt.Fprintln(stdout)
	return 0
}

// talk POSTs each line of stdin to url and prints the bot's answer, until
// stdin ends.
func talk(stdin io.Reader, stdout io.Writer, url, tok, user string) {
	client := &http.Client{Timeout: 30 * time.Second}
	scanner := bufio.NewScanner(stdin)
	newSession := false
	for fmt.Fprint(stdout, "> "); scanner.Scan(); fmt.Fprint(stdout, "> ") {
		line := strings.TrimSpace(scanner.Text())
		if line == "" {
			continue
		}
		if line == "/new" {
			newSession = true
			fmt.Fprintln(stdout, "(the next message starts a new session)")
			continue
		}
		body, _ := json.Marshal(map[string]any{
			"message": map[string]any{"text": line},
			"from":    map[string]any{"id": user},
			"session": map[string]any{"new": newSession},
		})
		newSession = false
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Authorization", "bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			fmt.Fprintf(stdout, "! %v\n", err)
			continue
		}
		printReply(stdout, resp)
	}
}

func printReply(w io.Writer, resp *http.Response) {
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(w, "! HTTP %d %s\n", resp.StatusCode, strings.TrimSpace(string(raw)))
		return
	}
	var r struct {
		Text      []any  `json:"text"`
		EndOfTask bool   `json:"endOfTask"`
		EndReason string `json:"endReason"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		fmt.Fprintf(w, "! unreadable reply: %s\n", raw)
		return
	}
	for _, t := range r.Text {
		if s, ok := t.(string); ok {
			fmt.Fprintf(w, "bot: %s\n", s)
		} else {
			b, _ := json.Marshal(t)
			fmt.Fprintf(w, "bot: %s\n", b)
		}
	}
	if r.EndOfTask {
		fmt.Fprintf(w, "     (task ended: %s)\n", r.EndReason)
	}
}
