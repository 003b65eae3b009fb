# syntax=docker/dockerfile:1
#
# One image for every Parley target: `parley -target=all` (the default) or
# -target=ingress|dialog|dispatcher|channels.
#
#   docker build -t parley:local .
#   docker run --rm -p 8080:8080 -e PARLEY_MASTER_KEY="$(openssl rand -base64 32)" \
#     -e PARLEY_ADMIN_TOKEN="$(openssl rand -hex 24)" parley:local
#
# The listen addresses below are not loopback, so Parley runs in production
# mode and refuses the built-in configuration's development master key and
# admin token: pass your own, as above (or as a Kubernetes Secret).

FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath

# Module files first, so that dependencies are cached apart from the code.
# The deploy module (manifest tests) is not part of the binary: drop it from
# the workspace instead of downloading Kubernetes and kustomize.
COPY go.work go.work.sum go.mod go.sum ./
COPY proto/go.mod proto/go.sum proto/
COPY nlu/go.mod nlu/go.sum nlu/
RUN go work edit -dropuse=./deploy \
 && go mod download

COPY cmd/ cmd/
COPY nlu/ nlu/
COPY platform/ platform/
COPY proto/ proto/
COPY services/ services/
RUN go build -ldflags="-s -w" -o /out/parley ./cmd/parley \
 && mkdir -p /out/data

# distroless static: no shell, no package manager, CA certificates and
# tzdata included, runs as uid/gid 65532 ("nonroot").
FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /usr/share/parley
COPY --from=build /out/parley /usr/local/bin/parley
# The sample bots: the built-in configuration finds examples/bots/banking
# relative to the working directory, and config files can use
# /usr/share/parley/examples/bots/<bot>.
COPY examples/bots/ /usr/share/parley/examples/bots/
COPY --from=build --chown=65532:65532 /out/data /var/lib/parley
# Containers are reached from outside: listen on every interface. These are
# PARLEY_* overrides of the flags, and win over config files. The embedded
# NATS server (only without nats.url) keeps its store in /var/lib/parley,
# the one writable directory (mount a volume there).
ENV PARLEY_DATA_DIR=/var/lib/parley \
    PARLEY_INGRESS_LISTEN=0.0.0.0:8080 \
    PARLEY_CHANNELS_LISTEN=0.0.0.0:9090 \
    PARLEY_OPS_LISTEN=0.0.0.0:9100
USER 65532:65532
# 8080 webhook (HTTP), 9090 channels admin (gRPC), 9100 ops (/livez,
# /readyz, /metrics).
EXPOSE 8080 9090 9100
ENTRYPOINT ["/usr/local/bin/parley"]
CMD ["-target=all"]
