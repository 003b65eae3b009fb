package bus_test

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/polltest"
)

// TestConnRidesThroughARestartAndRecreatesWhatDisappeared: across a
// nats-server restart the connection comes back by itself and Check goes
// from failing to passing; a stream and a bucket deleted behind its back
// are created again, the turns stream above the sequences it had reached.
func TestConnRidesThroughARestartAndRecreatesWhatDisappeared(t *testing.T) {
	srv := bustest.RunRestartable(t)
	conn := bustest.Connect(t, srv.Config(t))
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	if err := conn.EnsureStreams(ctx); err != nil {
		t.Fatal(err)
	}
	kv, err := conn.JS.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: conn.Cfg.Name("things")})
	if err != nil {
		t.Fatal(err)
	}
	healthy := func() bool { return conn.Check(ctx) == nil }
	conn.Repair()
	polltest.Until(t, "the bus to be healthy", 10*time.Second, healthy)

	srv.Shutdown()
	polltest.Until(t, "Check to fail while NATS is down", 10*time.Second, func() bool { return !healthy() })
	if _, err := conn.Publish(ctx, nil, bus.Message{Subject: conn.Cfg.TurnSubject("b", "k"), Data: []byte("x")}); err == nil {
		t.Fatal("a publish while disconnected succeeded")
	}
	srv.Start(t)
	polltest.Until(t, "Check to pass after the restart", 20*time.Second, healthy)

	turns := conn.Cfg.Name(bus.StreamTurns)
	ack, err := conn.Publish(ctx, nil, bus.Message{Subject: conn.Cfg.TurnSubject("b", "k"), Data: []byte("x"), ID: "t-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.JS.DeleteStream(ctx, turns); err != nil {
		t.Fatal(err)
	}
	if err := conn.JS.DeleteKeyValue(ctx, conn.Cfg.Name("things")); err != nil {
		t.Fatal(err)
	}
	conn.Repair()
	polltest.Until(t, "the turns stream to be created again", 20*time.Second, func() bool {
		_, err := conn.JS.Stream(ctx, turns)
		return err == nil
	})
	polltest.Until(t, "the bucket to be created again", 20*time.Second, func() bool {
		_, err := kv.Put(ctx, "k", []byte("v"))
		return err == nil
	})
	again, err := conn.Publish(ctx, nil, bus.Message{Subject: conn.Cfg.TurnSubject("b", "k"), Data: []byte("y"), ID: "t-2"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Sequence <= ack.Sequence {
		t.Fatalf("sequence after re-creation %d, want above %d", again.Sequence, ack.Sequence)
	}
}

// TestConnectWaitsForTheServer: with nothing listening, Connect returns a
// connection that is not healthy, and that connects by itself once the
// server is there.
func TestConnectWaitsForTheServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	cfg := bus.Config{URL: "nats://127.0.0.1:" + strconv.Itoa(port), Prefix: "wait"}
	cfg.Defaults()
	conn, err := bus.Connect(cfg, t.Name(), nil)
	if err != nil {
		t.Fatalf("Connect with the server down: %v", err)
	}
	t.Cleanup(conn.Close)
	if err := conn.Check(t.Context()); err == nil {
		t.Fatal("Check passes with the server down")
	}
	bustest.RunJetStreamAt(t, t.TempDir(), port)
	polltest.Until(t, "the connection to come up", 20*time.Second, func() bool {
		return conn.Check(t.Context()) == nil
	})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := conn.EnsureStreams(ctx); err != nil {
		t.Fatal(err)
	}
}
