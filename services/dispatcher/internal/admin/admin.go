// Package admin implements the dispatcher's gRPC admin services:
// DeadLetterAdmin (list, get, replay and purge dead letters, re-enable a
// channel) and ProactiveAdmin (push messages to users of async channels).
//
// The dispatcher opens no admin port: its replicas answer these services on
// the bus (BusServices, platform/adminbus), and the one admin endpoint
// serves them with RegisterRemote behind its authentication. Policy gives
// the role each method needs; handlers log the caller of what they change.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parleyhq/parley/platform/adminauth"
	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/registry"
	dispatcherv1 "github.com/parleyhq/parley/proto/gen/go/parley/dispatcher/v1"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
	"github.com/parleyhq/parley/services/dispatcher/internal/delivery"
	"github.com/parleyhq/parley/services/dispatcher/internal/dlq"
)

// Backend gives the admin services what the running dispatcher opened; both
// are nil until it has started.
type Backend interface {
	DeadLetters() *dlq.Store
	Endpoints() *delivery.Endpoints
}

// MaxSelected bounds the dead letters one Replay or Purge acts on; callers
// repeat the call for more (acted-on entries leave the DLQ).
const MaxSelected = 10000

// MaxListBytes ends a List page early once its dead letters hold this many
// bytes, so that a page of large letters still crosses the bus (whose
// messages are 1 MiB by default); the page token continues after it.
const MaxListBytes = 256 << 10

// Server implements both admin services.
type Server struct {
	dispatcherv1.UnimplementedDeadLetterAdminServer
	dispatcherv1.UnimplementedProactiveAdminServer

	Backend  Backend
	Conn     *bus.Conn
	Registry registry.View
	Log      *slog.Logger
}

func (s *Server) store() (*dlq.Store, error) {
	st := s.Backend.DeadLetters()
	if st == nil {
		return nil, status.Error(codes.Unavailable, "dispatcher not started")
	}
	return st, nil
}

// toStatus maps internal errors to gRPC codes in one place.
func toStatus(err error) error {
	switch {
	case err == nil:
		return nil
	case status.Code(err) != codes.Unknown:
		return err
	case errors.Is(err, dlq.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return status.FromContextError(err).Err()
	}
	return status.Error(codes.Internal, err.Error())
}

// List pages through dead letters, oldest first.
func (s *Server) List(ctx context.Context, req *dispatcherv1.ListDeadLettersRequest) (*dispatcherv1.ListDeadLettersResponse, error) {
	st, err := s.store()
	if err != nil {
		return nil, err
	}
	if req.GetInstanceId() != "" && req.GetBotId() == "" {
		return nil, status.Error(codes.InvalidArgument, "instance_id needs bot_id")
	}
	size := int(req.GetPageSize())
	switch {
	case size <= 0:
		size = 50
	case size > 500:
		size = 500
	}
	var from uint64 = 1
	if t := req.GetPageToken(); t != "" {
		if from, err = strconv.ParseUint(t, 10, 64); err != nil || from == 0 {
			return nil, status.Error(codes.InvalidArgument, "invalid page_token")
		}
	}
	resp := &dispatcherv1.ListDeadLettersResponse{}
	pageBytes := 0
	next, err := st.Scan(ctx, st.Filter(req.GetBotId(), req.GetInstanceId(), req.GetFirstInstance()), from, 0, func(dl *dispatcherv1.DeadLetter) bool {
		resp.DeadLetters = append(resp.DeadLetters, dl)
		pageBytes += proto.Size(dl)
		return len(resp.DeadLetters) < size && pageBytes < MaxListBytes
	})
	if err != nil {
		return nil, toStatus(err)
	}
	if next != 0 {
		resp.NextPageToken = strconv.FormatUint(next, 10)
	}
	return resp, nil
}

// Get returns one dead letter.
func (s *Server) Get(ctx context.Context, req *dispatcherv1.GetDeadLetterRequest) (*dispatcherv1.DeadLetter, error) {
	st, err := s.store()
	if err != nil {
		return nil, err
	}
	dl, err := st.Get(ctx, req.GetSequence())
	return dl, toStatus(err)
}

// selectLetters resolves a selector.
func selectLetters(ctx context.Context, st *dlq.Store, sel *dispatcherv1.Selector) ([]*dispatcherv1.DeadLetter, error) {
	var out []*dispatcherv1.DeadLetter
	collect := func(match func(*dispatcherv1.DeadLetter) bool) func(*dispatcherv1.DeadLetter) bool {
		return func(dl *dispatcherv1.DeadLetter) bool {
			if match == nil || match(dl) {
				out = append(out, dl)
			}
			return len(out) < MaxSelected
		}
	}
	var err error
	switch s := sel.GetSelect().(type) {
	case *dispatcherv1.Selector_Sequence:
		dl, gerr := st.Get(ctx, s.Sequence)
		if gerr != nil {
			return nil, gerr
		}
		return []*dispatcherv1.DeadLetter{dl}, nil
	case *dispatcherv1.Selector_MessageId:
		if s.MessageId == "" {
			return nil, status.Error(codes.InvalidArgument, "selector.message_id is empty")
		}
		_, err = st.Scan(ctx, st.Filter("", "", false), 1, 0, collect(func(dl *dispatcherv1.DeadLetter) bool { return dl.GetMessageId() == s.MessageId }))
	case *dispatcherv1.Selector_Range:
		r := s.Range
		if r.GetLast() != 0 && r.GetLast() < r.GetFirst() {
			return nil, status.Error(codes.InvalidArgument, "selector.range: last is before first")
		}
		filter := st.Filter("", "", false)
		if c := r.GetChannel(); c != nil {
			filter = st.Filter(c.GetBotId(), c.GetInstanceId(), true)
		}
		_, err = st.Scan(ctx, filter, r.GetFirst(), r.GetLast(), collect(nil))
	case *dispatcherv1.Selector_Channel:
		if s.Channel.GetBotId() == "" {
			return nil, status.Error(codes.InvalidArgument, "selector.channel.bot_id is required")
		}
		_, err = st.Scan(ctx, st.Filter(s.Channel.GetBotId(), s.Channel.GetInstanceId(), true), 1, 0, collect(nil))
	default:
		return nil, status.Error(codes.InvalidArgument, "selector is required")
	}
	return out, err
}

// Replay re-queues the selected messages and removes them from the DLQ.
func (s *Server) Replay(ctx context.Context, req *dispatcherv1.ReplayRequest) (*dispatcherv1.ReplayResponse, error) {
	st, err := s.store()
	if err != nil {
		return nil, err
	}
	letters, err := selectLetters(ctx, st, req.GetSelector())
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &dispatcherv1.ReplayResponse{}
	for _, dl := range letters {
		msg, err := s.replayMsg(dl)
		if err != nil {
			s.Log.WarnContext(ctx, "dead letter cannot be replayed", "dlq_seq", dl.GetSequence(), "err", err)
			continue
		}
		if _, err := s.Conn.Publish(ctx, nil, msg); err != nil {
			return resp, toStatus(fmt.Errorf("re-queue dead letter %d: %w", dl.GetSequence(), err))
		}
		if err := st.Delete(ctx, dl.GetSequence()); err != nil && !errors.Is(err, dlq.ErrNotFound) {
			return resp, toStatus(err)
		}
		resp.Replayed++
		resp.Sequences = append(resp.Sequences, dl.GetSequence())
	}
	s.Log.InfoContext(ctx, "dead letters replayed", "count", resp.Replayed, "by", adminauth.CallerFrom(ctx).Name)
	return resp, nil
}

// replayMsg rebuilds the PARLEY_OUT message carrying just the dead-lettered
// part of the reply, under its original webhook-id; its id de-duplicates
// replays of the same dead letter.
func (s *Server) replayMsg(dl *dispatcherv1.DeadLetter) (bus.Message, error) {
	if dl.GetReply() == nil {
		return bus.Message{}, errors.New("no reply recorded (undecodable original)")
	}
	r := proto.Clone(dl.GetReply()).(*eventsv1.Reply)
	var part string
	switch dl.GetKind() {
	case dispatcherv1.ItemKind_ITEM_KIND_MESSAGE:
		i := int(dl.GetMessageIndex())
		if i < 0 || i >= len(r.GetMessages()) {
			return bus.Message{}, fmt.Errorf("message index %d out of range", i)
		}
		m := r.Messages[i]
		m.MessageId = dl.GetMessageId()
		r.Messages = []*eventsv1.BotMessage{m}
		part = delivery.PartMessages
	case dispatcherv1.ItemKind_ITEM_KIND_STATUS:
		part = delivery.PartStatus
	case dispatcherv1.ItemKind_ITEM_KIND_FORM:
		part = delivery.PartForm
	case dispatcherv1.ItemKind_ITEM_KIND_AGENT_TRANSFER:
		part = delivery.PartHandoff
	default:
		return bus.Message{}, fmt.Errorf("unknown kind %v", dl.GetKind())
	}
	data, err := proto.Marshal(r)
	if err != nil {
		return bus.Message{}, err
	}
	seq := strconv.FormatUint(dl.GetSequence(), 10)
	return bus.Message{
		Subject: s.Conn.Cfg.ReplySubject(r.GetBotId(), r.GetConversationKey()),
		Data:    data,
		ID:      "replay-" + seq,
		Header: map[string]string{
			bus.HeaderTurnID:       r.GetTurnId(),
			bus.HeaderDeliverParts: part,
			bus.HeaderReplay:       seq,
		},
	}, nil
}

// Purge deletes the selected dead letters.
func (s *Server) Purge(ctx context.Context, req *dispatcherv1.PurgeRequest) (*dispatcherv1.PurgeResponse, error) {
	st, err := s.store()
	if err != nil {
		return nil, err
	}
	letters, err := selectLetters(ctx, st, req.GetSelector())
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &dispatcherv1.PurgeResponse{}
	for _, dl := range letters {
		if err := st.Delete(ctx, dl.GetSequence()); err != nil {
			if errors.Is(err, dlq.ErrNotFound) {
				continue
			}
			return resp, toStatus(err)
		}
		resp.Purged++
	}
	s.Log.InfoContext(ctx, "dead letters purged", "count", resp.Purged, "by", adminauth.CallerFrom(ctx).Name)
	return resp, nil
}

// EnableChannel clears the disabled flag a 410 set.
func (s *Server) EnableChannel(ctx context.Context, req *dispatcherv1.EnableChannelRequest) (*dispatcherv1.EnableChannelResponse, error) {
	eps := s.Backend.Endpoints()
	if eps == nil {
		return nil, status.Error(codes.Unavailable, "dispatcher not started")
	}
	if req.GetChannel().GetBotId() == "" {
		return nil, status.Error(codes.InvalidArgument, "channel.bot_id is required")
	}
	was, err := eps.Enable(ctx, req.GetChannel().GetBotId(), req.GetChannel().GetInstanceId())
	if err != nil {
		return nil, toStatus(err)
	}
	s.Log.InfoContext(ctx, "channel re-enabled", "bot_id", req.GetChannel().GetBotId(), "instance_id", req.GetChannel().GetInstanceId(), "was_disabled", was, "by", adminauth.CallerFrom(ctx).Name)
	return &dispatcherv1.EnableChannelResponse{WasDisabled: was}, nil
}

// proactiveSpace namespaces turn ids derived from idempotency keys.
var proactiveSpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/parleyhq/parley/proactive"))

// MaxProactiveMessages bounds one SendMessage.
const MaxProactiveMessages = 50

// SendMessage publishes a proactive reply for one user of an async channel;
// the dispatcher delivers it like any other, in order with the user's
// replies.
func (s *Server) SendMessage(ctx context.Context, req *dispatcherv1.SendMessageRequest) (*dispatcherv1.SendMessageResponse, error) {
	switch {
	case req.GetBotId() == "":
		return nil, status.Error(codes.InvalidArgument, "bot_id is required")
	case req.GetFromId() == "":
		return nil, status.Error(codes.InvalidArgument, "from_id is required")
	case len(req.GetMessages()) == 0 || len(req.GetMessages()) > MaxProactiveMessages:
		return nil, status.Errorf(codes.InvalidArgument, "messages: between 1 and %d required", MaxProactiveMessages)
	}
	inst, ok := s.Registry.Instance(req.GetBotId(), req.GetInstanceId())
	if !ok {
		return nil, status.Errorf(codes.NotFound, "no webhook instance %q of bot %s", req.GetInstanceId(), req.GetBotId())
	}
	if inst.Mode != registry.ModeAsync {
		// Contract §11.29: sync channels cannot carry proactive output.
		return nil, status.Error(codes.FailedPrecondition, "the webhook instance is in sync mode; proactive messages need async mode")
	}
	if !inst.Serving() {
		return nil, status.Error(codes.FailedPrecondition, "the webhook instance is disabled or not approved")
	}
	turnID := "proactive-" + uuid.NewString()
	if k := req.GetIdempotencyKey(); k != "" {
		turnID = "proactive-" + uuid.NewSHA1(proactiveSpace, []byte(inst.BotID+"\x00"+inst.InstanceID+"\x00"+req.GetFromId()+"\x00"+k)).String()
	}
	userID := inst.App + "/" + req.GetFromId()
	r := &eventsv1.Reply{
		TurnId: turnID, BotId: inst.BotID, InstanceId: inst.InstanceID, UserId: userID, FromId: req.GetFromId(),
		ConversationKey: bus.ConversationKey(inst.BotID, userID), Mode: eventsv1.Mode_MODE_ASYNC,
		ProducedAt: timestamppb.New(time.Now()),
	}
	resp := &dispatcherv1.SendMessageResponse{TurnId: turnID}
	for i, m := range req.GetMessages() {
		bm := &eventsv1.BotMessage{MessageId: delivery.DerivedID(turnID, fmt.Sprintf("message/%d", i))}
		switch b := m.GetBody().(type) {
		case *dispatcherv1.ProactiveMessage_Text:
			if b.Text == "" {
				return nil, status.Errorf(codes.InvalidArgument, "messages[%d].text is empty", i)
			}
			bm.Body = &eventsv1.BotMessage_Text{Text: b.Text}
		case *dispatcherv1.ProactiveMessage_Template:
			if b.Template == nil {
				return nil, status.Errorf(codes.InvalidArgument, "messages[%d].template is empty", i)
			}
			bm.Body = &eventsv1.BotMessage_Template{Template: b.Template}
		default:
			return nil, status.Errorf(codes.InvalidArgument, "messages[%d]: text or template required", i)
		}
		r.Messages = append(r.Messages, bm)
		resp.MessageIds = append(resp.MessageIds, bm.MessageId)
	}
	data, err := proto.Marshal(r)
	if err != nil {
		return nil, toStatus(err)
	}
	msg := bus.Message{
		Subject: s.Conn.Cfg.ReplySubject(r.BotId, r.ConversationKey),
		Data:    data,
		ID:      "reply-" + turnID,
		Header:  map[string]string{bus.HeaderTurnID: turnID, bus.HeaderDeliverParts: delivery.PartMessages},
	}
	if _, err := s.Conn.Publish(ctx, nil, msg); err != nil {
		return nil, toStatus(fmt.Errorf("publish proactive reply: %w", err))
	}
	s.Log.InfoContext(ctx, "proactive message sent", "bot_id", inst.BotID, "instance_id", inst.InstanceID,
		"turn_id", turnID, "messages", len(r.Messages), "by", adminauth.CallerFrom(ctx).Name)
	return resp, nil
}
