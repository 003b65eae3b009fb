module github.com/parleyhq/parley/services/dialog

go 1.26.0
