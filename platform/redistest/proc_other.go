//go:build !linux

package redistest

import "os/exec"

// dieWithParent has no portable equivalent: the test's cleanup kills the
// server.
func dieWithParent(*exec.Cmd) {}
