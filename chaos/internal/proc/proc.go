// Package proc starts the chaos suite's servers and services as real OS
// processes, each in its own process group, and takes them down the way a
// fault does: SIGKILL to the whole group, or SIGTERM with a bounded wait.
//
// Every child also gets SIGKILL when the suite dies (Pdeathsig), so a
// crashed or interrupted run never leaves servers behind.
package proc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"time"
)

// Spec says how to start a process. Its output goes to LogFile, appended
// across restarts.
type Spec struct {
	Name    string
	Path    string
	Args    []string
	Env     []string // the whole environment of the child
	Dir     string
	LogFile string
}

// Process is one supervised child; Start may be called again after it
// ended (a restart).
type Process struct {
	Spec Spec

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	exitErr error
	// expected is set while the suite itself is taking the process down,
	// so that its end is not reported as a crash.
	expected bool
	// OnExit, when set, is called after an end the suite did not cause.
	OnExit func(p *Process, err error)
}

// New prepares a process; nothing runs until Start.
func New(spec Spec) *Process { return &Process{Spec: spec} }

// Start runs the process. It fails if the process is already running.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		select {
		case <-p.done:
		default:
			return fmt.Errorf("%s: already running", p.Spec.Name)
		}
	}
	out, err := os.OpenFile(p.Spec.LogFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("%s: log file: %w", p.Spec.Name, err)
	}
	fmt.Fprintf(out, "---- %s: start %s %v\n", time.Now().Format(time.RFC3339Nano), p.Spec.Path, p.Spec.Args)
	cmd := exec.Command(p.Spec.Path, p.Spec.Args...)
	cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = p.Spec.Env, p.Spec.Dir, out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("%s: start: %w", p.Spec.Name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.exitErr, p.expected = cmd, done, nil, false
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(out, "---- %s: ended: %v\n", time.Now().Format(time.RFC3339Nano), err)
		out.Close()
		p.mu.Lock()
		p.exitErr = err
		expected, onExit := p.expected, p.OnExit
		p.mu.Unlock()
		close(done)
		if !expected && onExit != nil {
			onExit(p, err)
		}
	}()
	return nil
}

// Running reports whether the process is alive.
func (p *Process) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Kill sends SIGKILL to the process group and waits for the end.
func (p *Process) Kill() error { return p.signal(syscall.SIGKILL, 0) }

// Stop sends SIGTERM to the process group and, if it has not ended after
// grace, SIGKILL.
func (p *Process) Stop(grace time.Duration) error { return p.signal(syscall.SIGTERM, grace) }

func (p *Process) signal(sig syscall.Signal, grace time.Duration) error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	if cmd == nil {
		p.mu.Unlock()
		return nil
	}
	p.expected = true
	p.mu.Unlock()
	select {
	case <-done:
		return nil
	default:
	}
	if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("%s: %v: %w", p.Spec.Name, sig, err)
	}
	if sig != syscall.SIGKILL {
		select {
		case <-done:
			return nil
		case <-time.After(grace):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("%s: still running 10s after SIGKILL", p.Spec.Name)
	}
}

// Log returns the process's output so far.
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.Spec.LogFile)
	return string(b)
}

// WaitLog waits until the output written since offset matches re.
func (p *Process) WaitLog(re *regexp.Regexp, offset int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if out := p.Log(); len(out) > offset && re.MatchString(out[offset:]) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no output matching %s within %s", p.Spec.Name, re, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// LogSize is the length of the output so far, an offset for WaitLog.
func (p *Process) LogSize() int {
	st, err := os.Stat(p.Spec.LogFile)
	if err != nil {
		return 0
	}
	return int(st.Size())
}

// Group remembers every process started for a phase so that all of them
// can be stopped at its end, whatever happened.
type Group struct {
	mu    sync.Mutex
	procs []*Process
}

// Add starts tracking p.
func (g *Group) Add(p *Process) *Process {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.procs = append(g.procs, p)
	return p
}

// StopAll stops every process, the last started first.
func (g *Group) StopAll(grace time.Duration) error {
	g.mu.Lock()
	procs := append([]*Process(nil), g.procs...)
	g.mu.Unlock()
	var errs []error
	for i := len(procs) - 1; i >= 0; i-- {
		errs = append(errs, procs[i].Stop(grace))
	}
	return errors.Join(errs...)
}
