package convtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"strings"
	"time"
)

// Run plays the files through Parley's V1 webhook at baseURL as bot botID
// (instance instanceID, "" for the first), minting a token per user.
// Context assertions are skipped: the webhook does not expose the context.
func Run(ctx context.Context, baseURL string, mintToken func(user string) string, botID, instanceID string, files []string, out io.Writer) (passed, failed int, err error) {
	url := strings.TrimRight(baseURL, "/") + "/chatbot/hooks/" + botID
	if instanceID != "" {
		url += "/hookInstance/" + instanceID
	}
	d := &HTTPDriver{URL: url, Token: mintToken, Client: &http.Client{Timeout: 30 * time.Second}}
	return RunWith(ctx, d, files, out)
}

// HTTPDriver talks to a V1 webhook endpoint.
type HTTPDriver struct {
	URL    string
	Token  func(user string) string
	Client *http.Client
}

// Send implements Driver.
func (h *HTTPDriver) Send(ctx context.Context, user string, t Turn, newSession bool) (Reply, error) {
	msg := map[string]any{}
	if t.Form != nil {
		msg["formData"] = map[string]any{"formId": t.Form.FormID, "data": normalize(t.Form.Data), "meta": map[string]any{}}
	} else {
		msg["text"] = t.User
	}
	body, err := json.Marshal(map[string]any{
		"message": msg, "from": map[string]any{"id": user}, "session": map[string]any{"new": newSession},
	})
	if err != nil {
		return Reply{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return Reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "bearer "+h.Token(user))
	resp, err := h.Client.Do(req)
	if err != nil {
		return Reply{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return Reply{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return Reply{}, fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(raw))
	}
	var v1 struct {
		Text              json.RawMessage `json:"text"`
		EndOfTask         bool            `json:"endOfTask"`
		EndReason         string          `json:"endReason"`
		CompletedTaskID   string          `json:"completedTaskId"`
		CompletedTaskName string          `json:"completedTaskName"`
		Form              map[string]any  `json:"form"`
	}
	if err := json.Unmarshal(raw, &v1); err != nil {
		return Reply{}, fmt.Errorf("unreadable reply %s: %w", raw, err)
	}
	r := Reply{EndOfTask: v1.EndOfTask, EndReason: v1.EndReason, CompletedTaskID: v1.CompletedTaskID,
		CompletedTaskName: v1.CompletedTaskName, Form: v1.Form}
	var text any
	if len(v1.Text) > 0 {
		if err := json.Unmarshal(v1.Text, &text); err != nil {
			return Reply{}, fmt.Errorf("reply text: %w", err)
		}
	}
	// text may be a bare string, an object or an array of either (§4.1).
	items, ok := text.([]any)
	if !ok && text != nil {
		items = []any{text}
	}
	for _, it := range items {
		r.Messages = append(r.Messages, decodeEscaped(it))
	}
	return r, nil
}

// decodeEscaped turns the observed HTML-escaped template strings back into
// objects (contract §11.7's compatibility mode).
func decodeEscaped(it any) any {
	s, ok := it.(string)
	if !ok || !strings.HasPrefix(s, "{&quot;") {
		return it
	}
	var obj map[string]any
	if json.Unmarshal([]byte(html.UnescapeString(s)), &obj) == nil {
		return obj
	}
	return it
}
