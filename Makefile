# Parley's developer tasks. `make` prints this help.
MODULE   := github.com/parleyhq/parley
GOBIN    ?= $(shell go env GOPATH)/bin
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.5.1

.DEFAULT_GOAL := help

help: ## show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

run: ## run every service in one process with the sample bot
	go run ./cmd/parley

test: ## run every test (the README's test command; .ci/run calls it)
	go test $(MODULE)/...

test-race: ## run every test with the race detector
	go test -race $(MODULE)/...

bench: ## run the benchmarks
	go test -run XXX -bench . -benchtime 3s $(MODULE)/...

build: ## build the parley binary into bin/
	go build -o bin/parley ./cmd/parley

fmt: ## format the Go code
	gofmt -w $$(git ls-files '*.go' | grep -v '\.pb\.go$$')

vet: ## go vet every module
	go vet $(MODULE)/...

tidy: ## go mod tidy every module (tidy ignores go.work, so each is done in place)
	for m in $$(go list -m -f '{{.Dir}}'); do (cd $$m && go mod tidy); done

proto-tools: ## install protoc (Debian) and the Go plugins
	command -v protoc >/dev/null || (apt-get update && apt-get install -y protobuf-compiler)
	GOBIN=$(GOBIN) go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(GOBIN) go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)

proto: proto-tools ## regenerate the Go code of proto/
	cd proto && PATH=$(GOBIN):$$PATH protoc -I . \
		--go_out=gen/go --go_opt=paths=source_relative \
		--go-grpc_out=gen/go --go-grpc_opt=paths=source_relative \
		$$(find parley -name '*.proto' | sort)

.PHONY: help run test test-race bench build fmt vet tidy proto-tools proto
