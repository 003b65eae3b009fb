package bus

import (
	"fmt"
	"strings"
)

// The names below are base names: Config.Name and Config.Subject add the
// deployment prefix.

// Stream names.
const (
	StreamTurns   = "PARLEY_IN"
	StreamReplies = "PARLEY_OUT"
	// StreamEvents holds events for integrations (agent handoffs).
	StreamEvents = "PARLEY_EVENTS"
	// StreamDeadLetters holds the dispatcher's dead letters. The dispatcher
	// creates it, with a retention of its own, rather than EnsureStreams.
	StreamDeadLetters = "PARLEY_DLQ"
)

// Subject roots.
const (
	// SubjectTurns: <root>.<partition>.<bot>.<convkey> (TurnSubject).
	SubjectTurns = "parley.in"
	// SubjectReplies: <root>.<partition>.<bot>.<convkey> (ReplySubject).
	SubjectReplies = "parley.out"
	// SubjectEvents is the root of StreamEvents.
	SubjectEvents = "parley.events"
	// SubjectHandoffs: <root>.<bot>.<convkey> (Config.HandoffSubject).
	SubjectHandoffs = SubjectEvents + ".handoff"
	// SubjectSync is the core NATS root of synchronous replies, outside
	// every stream: <root>.<ingress id>.<turn id> (Config.SyncInbox,
	// SyncReplySubject).
	SubjectSync = "parley.sync"
	// SubjectDeadLetters: <root>.<bot>.<instance>, built by the
	// dispatcher's dlq package.
	SubjectDeadLetters = "parley.dlq"
	// SubjectAdmin is the core NATS root of admin calls forwarded from the
	// admin endpoint to the services that answer them, outside every
	// stream: <root>.<gRPC service, '.' as '_'>.<method> (platform/adminbus).
	SubjectAdmin = "parley.admin"
)

// Headers Parley sets on bus messages. Trace context travels as the W3C
// lower-case traceparent/tracestate/baggage headers, written by Publish and
// Send and read by consume.Traced.
const (
	// HeaderReplyTo names the core NATS subject a synchronous ingress waits on.
	HeaderReplyTo = "Parley-Reply-To"
	// HeaderReplyDeadline is the Unix milliseconds after which nobody waits.
	HeaderReplyDeadline = "Parley-Reply-Deadline"
	// HeaderTurnID carries the turn id for consumers that do not decode.
	HeaderTurnID = "Parley-Turn-Id"
	// HeaderDeliverParts lists the parts of a reply the dispatcher delivers
	// ("messages", "form", "status", comma-separated); absent means all of
	// them. Proactive sends carry "messages" (no turn ended), replays the
	// one part replayed.
	HeaderDeliverParts = "Parley-Deliver"
	// HeaderReplay marks a reply replayed from the DLQ: a message recorded
	// as dead-lettered is attempted again.
	HeaderReplay = "Parley-Replay"
	// HeaderDeadLetterReason is the reason code on a dead letter.
	HeaderDeadLetterReason = "Parley-Reason"
	// HeaderMessageID is the id of the bot message a dead letter holds.
	HeaderMessageID = "Parley-Message-Id"
	// HeaderAdminCaller and HeaderAdminRole name the authenticated holder
	// of a forwarded admin call's token; HeaderReplyDeadline carries its
	// deadline.
	HeaderAdminCaller = "Parley-Admin-Caller"
	HeaderAdminRole   = "Parley-Admin-Role"
	// HeaderStatus is the gRPC status code of a forwarded admin call's
	// answer; a failure's body is a google.rpc.Status.
	HeaderStatus = "Parley-Status"
)

// Buckets shared by several services.
const (
	// BucketLeases holds the consumer groups' memberships and partition
	// claims (consume/partitions); keys are scoped by group.
	BucketLeases = "parley_leases"
	// bucketLayout records the partition count the streams were made with.
	bucketLayout = "parley_bus"
)

// Name returns a stream or bucket name with the deployment prefix.
func (c Config) Name(base string) string { return c.Prefix + base }

// Subject returns a subject root with the deployment prefix.
func (c Config) Subject(root string) string {
	if c.Prefix == "" {
		return root
	}
	return c.Prefix + "." + root
}

// TurnSubject is the subject a turn is published on.
func TurnSubject(partitions int, botID, convKey string) string {
	return fmt.Sprintf("%s.%d.%s.%s", SubjectTurns, Partition(convKey, partitions), SubjectToken(botID), convKey)
}

// ReplySubject is the subject an asynchronous reply is published on.
func ReplySubject(partitions int, botID, convKey string) string {
	return fmt.Sprintf("%s.%d.%s.%s", SubjectReplies, Partition(convKey, partitions), SubjectToken(botID), convKey)
}

// TurnSubject is the prefixed subject of a turn.
func (c Config) TurnSubject(botID, convKey string) string {
	return c.Subject(TurnSubject(c.Partitions, botID, convKey))
}

// ReplySubject is the prefixed subject of an asynchronous reply.
func (c Config) ReplySubject(botID, convKey string) string {
	return c.Subject(ReplySubject(c.Partitions, botID, convKey))
}

// HandoffSubject is where an agent handoff of a conversation is published.
func (c Config) HandoffSubject(botID, convKey string) string {
	return c.Subject(SubjectHandoffs) + "." + SubjectToken(botID) + "." + convKey
}

// PartitionFilter is the filter subject of partition p under a root.
func (c Config) PartitionFilter(root string, p int) string {
	return fmt.Sprintf("%s.%d.>", c.Subject(root), p)
}

// SyncInbox is the subject root on which one ingress replica receives the
// synchronous replies to its turns.
func (c Config) SyncInbox(ingressID string) string {
	return c.Subject(SubjectSync) + "." + ingressID
}

// SyncReplySubject is the subject of the synchronous reply to a turn, under
// the inbox of the ingress waiting for it; turnID "*" matches them all.
func SyncReplySubject(inbox, turnID string) string { return inbox + "." + turnID }

// ConversationKeyOf returns the last token of a turn or reply subject.
func ConversationKeyOf(subject string) string {
	if i := strings.LastIndexByte(subject, '.'); i >= 0 {
		return subject[i+1:]
	}
	return subject
}

// SubjectToken makes a bot id safe as one subject token. Bot ids are
// validated at the edge, so this only guards against configuration typos.
func SubjectToken(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '.', '*', '>', ' ', '\t', '\r', '\n':
			return '_'
		}
		return r
	}, s)
}
