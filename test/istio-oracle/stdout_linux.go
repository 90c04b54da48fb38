//go:build linux

package main

import (
	"fmt"
	"os"
	"syscall"
)

// protocolStdout takes the process's stdout for the protocol and points file
// descriptor 1 (and os.Stdout) at stderr, so that nothing else in the process
// (Istio, klog, grpc, fmt.Print in a dependency) can write to the protocol stream.
func protocolStdout() *os.File {
	fd, err := syscall.Dup(1)
	if err != nil {
		fmt.Fprintf(os.Stderr, "istio-oracle: dup stdout: %v\n", err)
		return os.Stdout
	}
	syscall.CloseOnExec(fd)
	out := os.NewFile(uintptr(fd), "/dev/stdout(protocol)")
	if err := syscall.Dup3(2, 1, 0); err != nil {
		fmt.Fprintf(os.Stderr, "istio-oracle: redirect fd 1: %v\n", err)
	}
	os.Stdout = os.Stderr
	return out
}
