module github.com/parleyhq/parley/nlu

go 1.26.0

require (
	github.com/agnivade/levenshtein v1.2.2
	github.com/kljensen/snowball v0.10.0
	github.com/nyaruka/phonenumbers v1.8.1
	golang.org/x/text v0.44.0
)

require google.golang.org/protobuf v1.36.12 // indirect
