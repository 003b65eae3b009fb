# Parley's developer tasks. `make` prints this help.
MODULE   := github.com/parleyhq/parley
GOBIN    ?= $(shell go env GOPATH)/bin
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.5.1
# The chaos suite runs the nats-server release that go.mod pins, built from
# source into bin/ (Debian's is too old for it).
NATS_SERVER_VERSION := $(shell go list -m -f '{{.Version}}' github.com/nats-io/nats-server/v2 2>/dev/null)
NATS_SERVER         := $(CURDIR)/bin/chaos-tools/nats-server-$(NATS_SERVER_VERSION)/nats-server
CHAOS_FLAGS         ?=
GOLANGCI_LINT_VERSION      := v2.15.0
GOLANGCI_LINT              := $(GOBIN)/golangci-lint

.DEFAULT_GOAL := help

help: ## show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

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

$(NATS_SERVER):
	GOBIN=$(dir $@) go install github.com/nats-io/nats-server/v2@$(NATS_SERVER_VERSION)

chaos-tools: $(NATS_SERVER) ## install what the chaos suite runs: nats-server (go.mod's version) and redis-server (Debian)
	command -v redis-server >/dev/null || (apt-get update && apt-get install -y redis-server)

chaos: build chaos-tools ## the chaos suite: every fault, 5,000 turns from 200 users each (about 17 min)
	go run ./chaos -parley bin/parley -nats-server $(NATS_SERVER) $(CHAOS_FLAGS)

chaos-short: build chaos-tools ## the chaos suite's short version: 3 faults, 600 turns each (about 2 min)
	go run ./chaos -short -parley bin/parley -nats-server $(NATS_SERVER) $(CHAOS_FLAGS)

lint-tools: ## install the pinned golangci-lint into GOBIN (once)
	@$(GOLANGCI_LINT) version 2>/dev/null | grep -q 'version $(GOLANGCI_LINT_VERSION:v%=%) ' || \
		GOBIN=$(GOBIN) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

# Every file gofmt must accept: the Go files Git knows or would add, less the
# generated protobuf code.
GOFMT_FILES = $$(git ls-files --cached --others --exclude-standard '*.go' | grep -v '\.pb\.go$$' | while read -r f; do [ -f "$$f" ] && echo "$$f"; done)

lint: lint-tools ## module skew, gofmt, golangci-lint over every module, then the rules' self-test
	.ci/module-skew
	@unformatted=$$(gofmt -l $(GOFMT_FILES)); \
	if [ -n "$$unformatted" ]; then echo "gofmt: these files need \`make fmt\`:"; echo "$$unformatted"; exit 1; fi; \
	echo "gofmt: clean"
	@# golangci-lint stops at a module's edge, so each module of go.work is
	@# linted in place with the one configuration at the root.
	@failed=; for m in $$(go list -m -f '{{.Dir}}'); do \
		rel=$${m#$(CURDIR)}; rel=$${rel#/}; rel=$${rel:-.}; \
		echo "golangci-lint: $$rel"; \
		(cd $$m && $(GOLANGCI_LINT) run --config $(CURDIR)/.golangci.yml ./...) || failed="$$failed $$rel"; \
	done; \
	if [ -n "$$failed" ]; then echo "golangci-lint: findings in$$failed"; exit 1; fi
	GOLANGCI_LINT=$(GOLANGCI_LINT) .ci/lint-selftest

lint-selftest: lint-tools ## prove the import and time.Sleep rules fail on a violation
	GOLANGCI_LINT=$(GOLANGCI_LINT) .ci/lint-selftest

.PHONY: help run test test-race bench build fmt vet tidy proto-tools proto lint-tools lint lint-selftest chaos-tools chaos chaos-short
