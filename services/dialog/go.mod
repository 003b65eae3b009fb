module github.com/parleyhq/parley/services/dialog

go 1.26.0

require (
	github.com/agnivade/levenshtein v1.2.2 // indirect
	github.com/kljensen/snowball v0.10.0 // indirect
	github.com/nyaruka/phonenumbers v1.8.1 // indirect
	golang.org/x/text v0.43.0 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
)
