// Package bus holds Parley's NATS JetStream layout: stream and subject names,
// message headers, and the idempotent setup every service runs at start.
//
// # Subjects and ordering
//
// Turns are published on parley.in.<partition>.<bot>.<convkey> and replies on
// parley.out.<partition>.<bot>.<convkey>. The conversation key is a
// token-safe hash of the bot and the user identity; the partition is
// derived from it (see Partition), so one user's turns always share a
// partition while users spread over all of them.
//
// Each partition has one durable pull consumer per consuming service
// (dialog-p07, dispatcher-p07, ...). The consume/partitions package hands
// each partition to exactly one live replica at a time through leases kept
// in a JetStream KV bucket, and that replica runs one lane per conversation
// inside the partition (consume.Lanes): a user's turns run strictly in
// stream order, while other users in the same partition run in parallel.
// Session writes are fenced by the turn's stream sequence, so a turn is
// applied once even when a lease changes hands in the middle of it.
//
// Why not pinned consumers (nats-server 2.11 priority groups) or orbit.go's
// pcgroups? The consume/partitions package doc weighs them: pinning does
// not spread partitions and is not exclusive, pcgroups keeps order only by
// one message in flight per partition and administers its membership, and
// leases run on nats-server 2.9 as well.
//
// The partition is computed by the publisher rather than by a stream subject
// transform so that the layout works on servers without transforms; the
// count is recorded in the parley_bus KV bucket at creation and every service
// refuses to start with a different one.
//
// # Names and publishing
//
// Every stream, subject root, header and shared bucket name is declared in
// subjects.go, together with the functions that build subjects from them,
// so that a name has one definition to look up.
//
// Producers never build a nats.Msg themselves: they describe a Message and
// hand it to Conn.Publish (JetStream) or Conn.Send (core NATS), which set
// the headers, the Nats-Msg-Id and the trace context the same way for every
// message (see publish.go).
package bus

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"strings"
)

// DefaultPartitions is the partition count of a new deployment. It is much
// larger than the expected replica count so that a slow conversation blocks
// few others, and it cannot change without recreating the streams.
const DefaultPartitions = 64

var keyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// ConversationKey returns the token-safe key of the conversation between a
// bot and a user: NATS subject tokens and KV keys cannot hold the dots,
// slashes and spaces that user ids may contain.
func ConversationKey(botID, userID string) string {
	h := sha256.Sum256([]byte(botID + "\x00" + userID))
	return strings.ToLower(keyEncoding.EncodeToString(h[:16]))
}

// Partition maps a conversation key to one of n partitions.
func Partition(convKey string, n int) int {
	h := sha256.Sum256([]byte(convKey))
	return int(binary.BigEndian.Uint64(h[:8]) % uint64(n))
}
