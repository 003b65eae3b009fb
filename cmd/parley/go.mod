module github.com/parleyhq/parley/cmd/parley

go 1.26.0
