module github.com/parleyhq/parley/services/channels

go 1.26.0
