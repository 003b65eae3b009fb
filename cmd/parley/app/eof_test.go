package app

import "io"

var errEOF = io.EOF
