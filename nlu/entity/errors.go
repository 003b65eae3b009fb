package entity

import "errors"

var (
	errEmptyRegex     = errors.New("entity: regex entity has no expression")
	errEmptyList      = errors.New("entity: list entity has no values")
	errEmptyComposite = errors.New("entity: composite entity has no components")
	errBadComponent   = errors.New("entity: a composite cannot contain a composite or a description")
	errUnitType       = errors.New("entity: unknown quantity unit type")
	errUnknownType    = errors.New("entity: unknown entity type")
)
