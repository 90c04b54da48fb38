// Command istio-oracle judges HTTP routing with Istio's own code.
//
// It reads newline-delimited JSON cases on stdin and writes exactly one line of
// JSON per case on stdout, in order. See README.md for the protocol.
//
// This is a test tool only; it is never shipped.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"

	"istio.io/istio/pkg/kube/krt"
	istiolog "istio.io/istio/pkg/log"
)

var debugEnabled = os.Getenv("ISTIO_ORACLE_DEBUG") != ""

func debugf(format string, args ...any) {
	if debugEnabled {
		fmt.Fprintf(os.Stderr, "istio-oracle: "+format+"\n", args...)
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// configureLogging sends Istio's logging (and, through it, klog, grpc and the
// standard "log" package) to stderr only, at level ISTIO_ORACLE_LOG_LEVEL
// (default "none"; one of none, error, warn, info, debug).
func configureLogging() {
	level := os.Getenv("ISTIO_ORACLE_LOG_LEVEL")
	if level == "" {
		level = "none"
	}
	o := istiolog.DefaultOptions()
	o.OutputPaths = []string{"stderr"}
	o.ErrorOutputPaths = []string{"stderr"}
	o.SetDefaultOutputLevel(istiolog.OverrideScopeName, istiolog.StringToLevel(level))
	if err := istiolog.Configure(o); err != nil {
		fmt.Fprintf(os.Stderr, "istio-oracle: configuring logging: %v\n", err)
	}
}

func caseTimeout() time.Duration {
	if s := os.Getenv("ISTIO_ORACLE_CASE_TIMEOUT"); s != "" {
		if d, err := time.ParseDuration(s); err == nil {
			return d
		}
	}
	return 120 * time.Second
}

// runCase evaluates one input line and always returns an output.
func runCase(line []byte) Output {
	start := time.Now()
	out := Output{Messages: []Message{}, Results: []Result{}}
	var c Case
	if err := json.Unmarshal(line, &c); err != nil {
		// best effort: recover the id
		var idOnly struct {
			ID any `json:"id"`
		}
		_ = json.Unmarshal(line, &idOnly)
		if s, ok := idOnly.ID.(string); ok {
			out.ID = s
		}
		out.Error = "invalid case JSON: " + err.Error()
		return out
	}
	out.ID = c.ID
	if c.Ambient {
		if delegated, ok := runAmbientCase(line, c.ID); ok {
			delegated.TimingMs = time.Since(start).Milliseconds()
			return delegated
		}
	}

	t := &caseFailer{}
	work := &Output{ID: c.ID, Messages: []Message{}, Results: []Result{}}
	done := make(chan error, 1)
	go func() { done <- runGuarded(func() { evaluateCase(t, &c, work) }) }()
	select {
	case err := <-done:
		out = *work
		if err != nil {
			msg := err.Error()
			if f := t.Failure(); f != nil {
				msg = f.Error()
			}
			if out.Error == "" {
				out.Error = "case could not be evaluated: " + msg
			}
		}
		t.runCleanups()
	case <-time.After(caseTimeout()):
		out.Error = fmt.Sprintf("case timed out after %v", caseTimeout())
		// the evaluation goroutine is abandoned; its cleanups run when it ends
		go func() { <-done; t.runCleanups() }()
	}
	if out.Messages == nil {
		out.Messages = []Message{}
	}
	if out.Results == nil {
		out.Results = []Result{}
	}
	out.TimingMs = time.Since(start).Milliseconds()
	return out
}

// workers is the number of cases evaluated concurrently (ISTIO_ORACLE_WORKERS,
// default 2 capped at GOMAXPROCS). Output order always follows input order.
func workers() int {
	n := min(2, runtime.GOMAXPROCS(0))
	if s := os.Getenv("ISTIO_ORACLE_WORKERS"); s != "" {
		if v, err := strconv.Atoi(s); err == nil && v > 0 {
			n = v
		}
	}
	return n
}

// caseLock: cases hold it shared; the periodic krt debug-handler reset holds it
// exclusively, so the reset never races with a case registering collections.
var caseLock sync.RWMutex

// resetKrtDebugHandler drops the krt collections that every case registers with
// a process-global debug handler which is never pruned, so finished cases can be
// garbage collected.
func resetKrtDebugHandler() {
	caseLock.Lock()
	defer caseLock.Unlock()
	*krt.GlobalDebugHandler = krt.DebugHandler{}
}

type job struct {
	seq  int
	line []byte
}

type done struct {
	seq int
	out Output
}

func main() {
	protocolOut := protocolStdout()
	configureLogging()
	if f := os.Getenv("ISTIO_ORACLE_CPUPROFILE"); f != "" {
		if pf, err := os.Create(f); err == nil {
			_ = pprof.StartCPUProfile(pf)
		}
	}

	nWorkers := workers()
	jobs := make(chan job, nWorkers)
	results := make(chan done, nWorkers)
	var wg sync.WaitGroup
	for range nWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				caseLock.RLock()
				out := runCase(j.line)
				caseLock.RUnlock()
				results <- done{seq: j.seq, out: out}
			}
		}()
	}

	// reader
	go func() {
		in := bufio.NewReaderSize(os.Stdin, 1<<20)
		seq := 0
		for {
			line, err := in.ReadBytes('\n')
			if len(bytes.TrimSpace(line)) > 0 {
				jobs <- job{seq: seq, line: line}
				seq++
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "istio-oracle: reading stdin: %v\n", err)
				break
			}
		}
		close(jobs)
		wg.Wait()
		close(results)
	}()

	// ordered writer
	w := bufio.NewWriterSize(protocolOut, 1<<16)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	pending := map[int]Output{}
	next := 0
	for d := range results {
		pending[d.seq] = d.out
		for {
			out, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			debugf("case %d %q: %d results, %d messages, %dms, %d goroutines %s", next, out.ID, len(out.Results), len(out.Messages), out.TimingMs, runtime.NumGoroutine(), truncate(out.Error, 200))
			if encErr := enc.Encode(out); encErr != nil {
				fb, _ := json.Marshal(Output{ID: out.ID, Messages: []Message{}, Results: []Result{}, Error: "cannot encode result: " + encErr.Error()})
				_, _ = w.Write(append(fb, '\n'))
			}
			if ferr := w.Flush(); ferr != nil {
				fmt.Fprintf(os.Stderr, "istio-oracle: writing stdout: %v\n", ferr)
				os.Exit(1)
			}
			if next%16 == 0 {
				resetKrtDebugHandler()
			}
		}
	}
	_ = w.Flush()
	pprof.StopCPUProfile()
	os.Exit(0)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}
