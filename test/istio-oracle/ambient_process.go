package main

// Ambient cases run in a second oracle process started with PILOT_ENABLE_AMBIENT=true.
//
// Istio reads its ambient switches once, when its packages initialise: PILOT_ENABLE_AMBIENT decides the
// defaults of every ambient feature flag (waypoints, HBONE sending and listening, ambient status, ...) and
// the built-in GatewayClasses (istio-waypoint among them) are fixed then too. Flipping those package
// variables at run time would race with the cases running beside it and would change what non-ambient cases
// get (HBONE listeners and clusters), so an oracle that was not itself started with PILOT_ENABLE_AMBIENT=true
// hands each ambient case to a child process that was: the same binary, started on the first ambient case
// and kept for the next ones. Non-ambient cases never see ambient switched on.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"

	"istio.io/istio/pilot/pkg/features"
)

// ambientChildCommand makes the command of the ambient child process (the tests replace it to run the test binary).
var ambientChildCommand = func() (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return exec.Command(self), nil
}

type ambientChild struct {
	mu      sync.Mutex
	process *os.Process
	stdin   io.WriteCloser
	waiting []chan ambientReply
	failed  error
	// gone is closed once the child is known to be dead (failed is set)
	gone chan struct{}
}

type ambientReply struct {
	line []byte
	err  error
}

var (
	ambientChildMu sync.Mutex
	ambientRunning *ambientChild
)

// runAmbientCase hands an ambient case to the ambient child and returns its answer; false when this process
// runs an ambient istiod itself, which then evaluates the case.
func runAmbientCase(line []byte, id string) (Output, bool) {
	if features.EnableAmbient {
		return Output{}, false
	}
	out := Output{ID: id, Messages: []Message{}, Results: []Result{}}
	reply, err := delegateAmbient(line)
	if err == nil {
		err = json.Unmarshal(reply, &out)
	}
	if err != nil {
		out.Error = "ambient oracle process: " + err.Error()
	}
	return out, true
}

func delegateAmbient(line []byte) ([]byte, error) {
	child, err := currentAmbientChild()
	if err != nil {
		return nil, err
	}
	reply := make(chan ambientReply, 1)
	child.mu.Lock()
	if child.failed != nil {
		child.mu.Unlock()
		return nil, child.failed
	}
	child.waiting = append(child.waiting, reply)
	_, err = child.stdin.Write(append(append([]byte{}, line...), '\n'))
	child.mu.Unlock()
	if err != nil {
		child.fail(fmt.Errorf("writing to it: %v", err))
	}
	r := <-reply
	return r.line, r.err
}

// currentAmbientChild returns the running child, starting one when there is none or the last one died.
func currentAmbientChild() (*ambientChild, error) {
	ambientChildMu.Lock()
	defer ambientChildMu.Unlock()
	if c := ambientRunning; c != nil {
		c.mu.Lock()
		alive := c.failed == nil
		c.mu.Unlock()
		if alive {
			return c, nil
		}
	}
	cmd, err := ambientChildCommand()
	if err != nil {
		return nil, err
	}
	// the child profiles nothing: it would write over this process's profile
	cmd.Env = append(cmd.Environ(), "PILOT_ENABLE_AMBIENT=true", "ISTIO_ORACLE_CPUPROFILE=")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting it: %v", err)
	}
	debugf("ambient child process %d started", cmd.Process.Pid)
	c := &ambientChild{process: cmd.Process, stdin: stdin, gone: make(chan struct{})}
	go c.read(stdout, cmd)
	ambientRunning = c
	return c, nil
}

// read hands the child's answers, which come in the order the cases were written, to the waiting cases.
func (c *ambientChild) read(stdout io.Reader, cmd *exec.Cmd) {
	in := bufio.NewReaderSize(stdout, 1<<20)
	for {
		line, err := in.ReadBytes('\n')
		if err != nil {
			waitErr := cmd.Wait()
			c.fail(errors.Join(errors.New("it exited"), waitErr))
			return
		}
		c.mu.Lock()
		if len(c.waiting) == 0 {
			c.mu.Unlock()
			c.fail(errors.New("it answered a case nobody asked"))
			return
		}
		next := c.waiting[0]
		c.waiting = c.waiting[1:]
		c.mu.Unlock()
		next <- ambientReply{line: line}
	}
}

func (c *ambientChild) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failed == nil {
		c.failed = err
		_ = c.stdin.Close()
		close(c.gone)
	}
	for _, w := range c.waiting {
		w <- ambientReply{err: c.failed}
	}
	c.waiting = nil
}
