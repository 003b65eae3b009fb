package processor

import (
	"encoding/json"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
)

// newContext starts the context of a new session. UserSession outlives the
// bot session (it is shared across the user's bots), so it is carried over;
// everything else starts afresh.
func newContext(old map[string]any) map[string]any {
	sess := map[string]any{"BotUserSession": map[string]any{}, "UserSession": map[string]any{}}
	if oldSess, ok := old["session"].(map[string]any); ok {
		if us, ok := oldSess["UserSession"].(map[string]any); ok {
			sess["UserSession"] = us
		}
	}
	return map[string]any{"session": sess, "history": []any{}}
}

// recordTurn writes what Kore exposes about the incoming message:
// BotUserSession.lastMessage (the whole payload, customData included),
// UserContext from from.userInfo and the token, and the meta tags.
func recordTurn(ctx map[string]any, turn *eventsv1.Turn, now time.Time) {
	sess, _ := ctx["session"].(map[string]any)
	if sess == nil {
		sess = map[string]any{}
		ctx["session"] = sess
	}
	bus, _ := sess["BotUserSession"].(map[string]any)
	if bus == nil {
		bus = map[string]any{}
		sess["BotUserSession"] = bus
	}
	var payload any
	if len(turn.RawPayload) > 0 && json.Unmarshal(turn.RawPayload, &payload) == nil {
		bus["lastMessage"] = map[string]any{"channel": "webhook", "messagePayload": payload}
	}
	bus["lastUserMessageTime"] = now.UTC().Format(time.RFC3339Nano)

	user := map[string]any{
		"identities": []any{map[string]any{"val": turn.UserId, "type": "mapped"}},
	}
	if turn.TokenSubject != "" {
		user["subject"] = turn.TokenSubject
	}
	for k, v := range structMap(turn.UserInfo) {
		user[k] = v
	}
	if pc := structMap(turn.PrivateClaims); pc != nil {
		user["privateClaims"] = pc
	}
	sess["UserContext"] = user
	sess["opts"] = map[string]any{"userId": turn.UserId, "streamId": turn.BotId}

	if mt := turn.MetaTags; mt != nil {
		ctx["currentTags"] = map[string]any{"tags": map[string]any{
			"userLevelTags":    tagList(mt.UserLevel),
			"sessionLevelTags": tagList(mt.SessionLevel),
			"messageLevelTags": tagList(mt.MessageLevel),
		}}
	}
}

func tagList(tags []*eventsv1.Tag) []any {
	out := make([]any, 0, len(tags))
	for _, t := range tags {
		out = append(out, map[string]any{"name": t.Name, "value": t.Value.AsInterface()})
	}
	return out
}

func structMap(s *structpb.Struct) map[string]any {
	if s == nil {
		return nil
	}
	return s.AsMap()
}

// appendHistory keeps the last limit exchanges.
func appendHistory(ctx map[string]any, turn *eventsv1.Turn, r *eventsv1.Reply, now time.Time, limit int) {
	hist, _ := ctx["history"].([]any)
	texts := make([]any, 0, len(r.Messages))
	for _, m := range r.Messages {
		texts = append(texts, m.GetText())
	}
	hist = append(hist, map[string]any{
		"turnId": turn.TurnId, "userText": turn.Text, "botMessages": texts,
		"timestamp": now.UTC().Format(time.RFC3339Nano),
	})
	if n := len(hist) - limit; n > 0 {
		hist = hist[n:]
	}
	ctx["history"] = hist
}
