//go:build !linux

package main

import "os"

// protocolStdout: on non-Linux systems stdout is used as is (Istio logging is
// still configured to go to stderr).
func protocolStdout() *os.File {
	out := os.Stdout
	os.Stdout = os.Stderr
	return out
}
