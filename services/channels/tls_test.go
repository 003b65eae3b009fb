package channels_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/parleyhq/parley/platform/bustest"
	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
	"github.com/parleyhq/parley/services/channels"
)

// TestTLS: with cert and key files the admin API speaks TLS only.
func TestTLS(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "parley"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)

	conn := bustest.Connect(t, bustest.RunJetStream(t).Config(t))
	svc, err := channels.New(channels.Config{Listen: "127.0.0.1:0", Store: channels.StoreKV, MasterKey: masterKey,
		AdminTokens: []channels.AdminToken{{Token: devToken, Role: channels.RoleDeveloper}},
		TLS:         channels.TLSConfig{CertFile: certFile, KeyFile: keyFile}},
		channels.Deps{Bus: conn, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("the channels service stopped: %v", err)
		}
	})
	<-svc.Ready()

	pool := x509.NewCertPool()
	pool.AddCert(must(x509.ParseCertificate(der)))
	call := func(creds credentials.TransportCredentials) error {
		cc, err := grpc.NewClient(svc.Addr().String(), grpc.WithTransportCredentials(creds))
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Close()
		cctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+devToken), 5*time.Second)
		defer cancel()
		_, err = channelsv1.NewChannelAdminClient(cc).ListApps(cctx, &channelsv1.ListAppsRequest{})
		return err
	}
	if err := call(credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})); err != nil {
		t.Fatalf("TLS client: %v", err)
	}
	if err := call(insecure.NewCredentials()); err == nil {
		t.Fatal("a plaintext client was served")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
