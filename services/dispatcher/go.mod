module github.com/parleyhq/parley/services/dispatcher

go 1.26.0
