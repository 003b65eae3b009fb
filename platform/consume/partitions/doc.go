// Package partitions runs a partitioned JetStream consumer group: each
// partition of a stream is consumed by exactly one live member at a time,
// and inside a partition each key (conversation) gets a lane (see
// consume.Lanes) whose messages run strictly in stream order while other
// keys run in parallel. What becomes of each message (ack, retry, term) is
// decided by the consume package; this one decides who consumes what.
//
// Ownership is a lease in a file-backed, replicated JetStream KV bucket
// whose MaxAge is the lease TTL: members heartbeat members.<id>; the owner
// of partition p holds owner.<p> (created with Create, refreshed with a
// revision-checked Update) and loses it if it stops refreshing. The target
// owner of p is chosen by rendezvous hashing over the live members, so
// adding or removing a member moves only its share. A member giving up a
// partition stops pulling, finishes the messages it was handed, and only
// then deletes its claim; a member that crashed leaves un-acked messages
// behind, so the next owner rewinds the consumer to its ack floor and
// replays from there in order. Already-applied messages in that replay are
// recognised by the handler (the dialog service fences session writes with
// the stream sequence; the dispatcher skips what its ledger records).
//
// # NATS faults
//
// A member never exits for NATS: it waits for the bucket and the member
// watch with backoff, watches again when the server ends the watch, creates
// the bucket again when it disappeared, and restarts a partition whose
// consumer the server ended. A refresh that fails because the server is
// unreachable keeps the partition until the claim may have expired
// (two thirds of the TTL after its last successful write); a refresh the
// server refuses gives it up at once. Check reports whether the member's
// heartbeats reach the bucket, for readiness.
//
// # Why leases rather than JetStream's own coordination
//
// nats-server 2.11 brought priority groups with pinned clients (ADR-42),
// and orbit.go's pcgroups builds partitioned consumer groups on them. Both
// were weighed against these leases, and the leases were kept, because
// neither gives the same guarantees without home-made code around it:
//
//   - Pinned clients pick one puller per consumer, but do not spread
//     partitions: the first replica to pull pins every partition, and a
//     second replica gets nothing until the first dies. ADR-42 also says
//     pinning is not exclusive. Spreading the partitions still needs
//     membership and a target owner per partition, i.e. this package.
//   - A pin moves when its client stops pulling, while messages it was
//     handed are still un-acked; the new client then receives later
//     messages before those are redelivered, which breaks per-user order
//     unless MaxAckPending is 1. Here the next owner knows it takes over
//     and rewinds to the ack floor first, so a partition keeps one turn in
//     flight per conversation (lanes), not one per partition.
//   - pcgroups does keep order, by MaxAckPending 1 per partition: one turn
//     or one outbound POST at a time for every user of a partition. A
//     dispatcher message held on its retry schedule (minutes) would stall
//     every other user of its partition, and a dialog turn waiting on a
//     service call every conversation of its partition.
//   - pcgroups membership is administered: a static group's members are
//     fixed at creation, an elastic group's are added and dropped by calls.
//     A replica that dies is replaced only by a standby instance of the
//     same member name; Parley's replicas are interchangeable and come and
//     go with autoscaling, so someone would have to add and drop members on
//     liveness, which is what the heartbeats here do. Static groups also
//     need the partition as the subject's first token (Parley's comes after
//     the deployment prefix and the root), and elastic groups copy every
//     message into a work-queue stream of their own.
//   - Leases work on any JetStream server (the 2.9 of Debian included);
//     pinning needs 2.11.
//
// What changed instead is where the leases live: the bucket was
// memory-backed, so a NATS restart wiped it and every member exited on
// "stream not found"; it is now file-backed with the deployment's replica
// count, recreated when lost, and every wait on it is retried.
package partitions
