package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"

	"istio.io/istio/pkg/test"
)

// caseFailer is the test.Failer handed to istiod's test helpers
// (xds.NewFakeDiscoveryServer & co). Instead of failing a Go test it records the
// first failure and ends the calling goroutine (like testing.T.FailNow does);
// Cleanup functions are collected and run when the case is finished.
type caseFailer struct {
	mu       sync.Mutex
	failed   error
	cleanups []func()
	tempDirs []string
}

var _ test.Failer = &caseFailer{}

func (f *caseFailer) record(msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failed == nil {
		f.failed = errors.New(msg)
	}
}

func (f *caseFailer) Failure() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

func (f *caseFailer) Fail()             { f.record("Fail called") }
func (f *caseFailer) FailNow()          { f.record("FailNow called"); runtime.Goexit() }
func (f *caseFailer) Fatal(args ...any) { f.record(fmt.Sprint(args...)); runtime.Goexit() }
func (f *caseFailer) Fatalf(format string, a ...any) {
	f.record(fmt.Sprintf(format, a...))
	runtime.Goexit()
}
func (f *caseFailer) Skip(args ...any)             { f.record("skipped: " + fmt.Sprint(args...)); runtime.Goexit() }
func (f *caseFailer) Helper()                      {}
func (f *caseFailer) Log(args ...any)              { debugf("%s", fmt.Sprint(args...)) }
func (f *caseFailer) Logf(format string, a ...any) { debugf(format, a...) }

func (f *caseFailer) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}

func (f *caseFailer) TempDir() string {
	d, err := os.MkdirTemp("", "istio-oracle")
	if err != nil {
		f.Fatalf("TempDir: %v", err)
	}
	f.mu.Lock()
	f.tempDirs = append(f.tempDirs, d)
	f.mu.Unlock()
	return d
}

// runCleanups runs the registered cleanups in reverse order (like testing.T),
// each guarded so one failing cleanup does not stop the others.
func (f *caseFailer) runCleanups() {
	f.mu.Lock()
	cs := f.cleanups
	f.cleanups = nil
	dirs := f.tempDirs
	f.tempDirs = nil
	f.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		if err := runGuarded(cs[i]); err != nil {
			debugf("cleanup failed: %v", err)
		}
	}
	for _, d := range dirs {
		_ = os.RemoveAll(d)
	}
}

// runGuarded runs fn on its own goroutine and reports a panic or an early
// runtime.Goexit (t.Fatal) as an error instead of crashing the process.
func runGuarded(fn func()) (err error) {
	done := make(chan struct{})
	finished := false
	var panicked any
	var stack []byte
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				panicked = r
				stack = debug.Stack()
			}
		}()
		fn()
		finished = true
	}()
	<-done
	switch {
	case panicked != nil:
		debugf("panic: %v\n%s", panicked, stack)
		return fmt.Errorf("panic: %v", panicked)
	case !finished:
		return errors.New("aborted (t.Fatal / runtime.Goexit)")
	}
	return nil
}
