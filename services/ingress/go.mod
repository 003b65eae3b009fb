module github.com/parleyhq/parley/services/ingress

go 1.26.0
