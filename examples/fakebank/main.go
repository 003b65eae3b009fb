//go:build ignore

// Command fakebank serves the fake bank API the banking sample bot calls.
// Run it from services/dialog (the module that holds the package):
//
//	cd services/dialog && go run ../../examples/fakebank/main.go -listen 127.0.0.1:8089
package main

import (
	"flag"
	"log"
	"net/http"

	"github.com/parleyhq/parley/services/dialog/fakebank"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8089", "address to serve on")
	flag.Parse()
	log.Printf("fakebank listening on http://%s", *listen)
	log.Fatal(http.ListenAndServe(*listen, fakebank.Handler()))
}
