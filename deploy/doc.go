// Package deploy holds Parley's deployment files (Kubernetes manifests,
// Helm values, the Compose stack's configuration, Grafana and Prometheus
// files) and the tests that keep them valid: every manifest decoded
// strictly into the Kubernetes API types, every overlay built with
// kustomize, and the dashboards and alert rules checked against the metric
// catalogue in METRICS.md. It has no Go API.
package deploy
