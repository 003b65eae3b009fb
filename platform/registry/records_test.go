package registry_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parleyhq/parley/platform/registry"
	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
)

// TestRecordsRoundTrip: a record decodes to what was encoded.
func TestRecordsRoundTrip(t *testing.T) {
	want := &registryv1.InstanceRecord{
		BotId: bot, InstanceId: "ivr", AppClientId: app, Mode: registryv1.Mode_MODE_ASYNC, PostUrl: "https://example.com/r",
		SyncTimeout: durationpb.New(3 * time.Second), RetrySchedule: []*durationpb.Duration{durationpb.New(0), durationpb.New(time.Minute)},
		StandardResponses: map[string]string{"a": "b", "c": "d"}, CreateTime: timestamppb.Now(),
	}
	b, err := registry.Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := registry.DecodeInstance(b)
	if err != nil || !proto.Equal(got, want) {
		t.Fatalf("decoded %v, %v", got, err)
	}
	if _, err := registry.DecodeApp([]byte{0xff, 0xff}); err == nil {
		t.Fatal("garbage decoded")
	}
}

// TestDecodeReadsJSONRecords: records stored as JSON, before the registry
// used protobuf, still read.
func TestDecodeReadsJSONRecords(t *testing.T) {
	a, err := registry.DecodeApp([]byte(`{"client_id":"` + app + `","name":"A","algorithms":["HS256"],"client_secret":"v1:x",` +
		`"retiring_secrets":[{"sealed":"v1:y","until":"2030-01-02T03:04:05Z"}],"managed":"config","created":"2025-01-01T00:00:00Z","updated":"0001-01-01T00:00:00Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	if a.GetName() != "A" || a.GetClientSecret() != "v1:x" || a.GetManagedBy() != "config" || a.GetUpdateTime() != nil ||
		len(a.GetRetiringSecrets()) != 1 || a.GetRetiringSecrets()[0].GetUntil().AsTime().Year() != 2030 {
		t.Fatalf("app %v", a)
	}
	b, err := registry.DecodeBot([]byte(`{"id":"` + bot + `","name":"B","published":2,"publish_history":[1],` +
		`"versions":[{"version":1,"digest":"sha256:a","size":10,"files":2},{"version":2,"digest":"sha256:b"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := registry.FindBotVersion(b, 2); !ok || b.GetPublishedVersion() != 2 || v.GetDigest() != "sha256:b" || b.GetPublishHistory()[0] != 1 {
		t.Fatalf("bot %v", b)
	}
	in, err := registry.DecodeInstance([]byte(`{"bot_id":"` + bot + `","instance_id":"","app":"` + app + `","mode":"async",` +
		`"enabled":true,"approved":true,"sync_timeout":2000000000,"retry_schedule":[0,1000000000],"signing_secrets":[{"sealed":"v1:z"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if in.GetMode() != registryv1.Mode_MODE_ASYNC || in.GetAppClientId() != app || in.GetSyncTimeout().AsDuration() != 2*time.Second ||
		len(in.GetRetrySchedule()) != 2 || in.GetSigningSecrets()[0].GetUntil() != nil {
		t.Fatalf("instance %v", in)
	}
}
