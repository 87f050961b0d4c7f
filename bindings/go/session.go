package offerfit

/*
#include <stdlib.h>
#include "offerfit.h"
*/
import "C"

import (
	"encoding/json"
	"errors"
	"runtime"
	"sync"
)

// ErrClosed is the error of a step on a closed Session.
var ErrClosed = errors.New("offerfit: step on a closed Session: make a new one")

// Session is a Mesos framework's scheduler state machine (SESSION.md, docs/session.md) over the
// C ABI (offerfit_session_new/step/free): events in, calls out, no I/O. Feed it every input,
// POST the calls of each answer in order, persist what its notices ask before POSTing (the
// framework id of `subscribed`, the task of `launching`), and Step it with a `tick` at
// `wake_at`.
//
// Concurrency: a Session may be used from several goroutines; each step holds the session's
// lock, so steps never overlap, but they run in the order the goroutines take the lock, and
// inputs must come in time order (`now` never decreasing). A host normally steps one session
// from one goroutine (its event loop). Sessions are independent of each other.
//
// Close releases the session's memory; a Session that is garbage-collected without Close is
// released by its finalizer.
type Session struct {
	mu     sync.Mutex
	handle *C.offerfit_session
}

// NewSession builds a session from its config (SESSION.md, "Config"): JSON bytes, a JSON
// string, or any value that encoding/json turns into the config object (a SessionConfig or a
// map). A refused config returns an *Error carrying the errors `offerfit session` prints for it.
func NewSession(config interface{}) (*Session, error) {
	data, err := jsonBytes(config)
	if err != nil {
		return nil, err
	}
	var errOut *C.char
	h := C.offerfit_session_new(bytesPtr(data), C.size_t(len(data)), &errOut)
	runtime.KeepAlive(data)
	if h == nil {
		return nil, refusal(errOut)
	}
	s := &Session{handle: h}
	runtime.SetFinalizer(s, (*Session).Close)
	return s, nil
}

// jsonBytes is v itself for []byte, json.RawMessage and string, else its JSON encoding.
func jsonBytes(v interface{}) ([]byte, error) {
	switch x := v.(type) {
	case []byte:
		return x, nil
	case json.RawMessage:
		return x, nil
	case string:
		return []byte(x), nil
	default:
		return json.Marshal(v)
	}
}

// Step answers one input (one JSON line, UTF-8) with one output line: byte for byte what
// `offerfit session` prints for it. A refused input is an answer ({"ok":false,...}, nothing
// changed), not an error; the only error is ErrClosed.
func (s *Session) Step(input []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handle == nil {
		return nil, ErrClosed
	}
	var n C.size_t
	p := C.offerfit_session_step(s.handle, bytesPtr(input), C.size_t(len(input)), &n)
	runtime.KeepAlive(input)
	runtime.KeepAlive(s)
	return take(p, n), nil
}

// StepValue answers one input given as a Go value (a SessionInput, a map, or JSON bytes) with
// the decoded actions. A refused input returns an *Error (nothing changed in the session).
func (s *Session) StepValue(input interface{}) (*Actions, error) {
	data, err := jsonBytes(input)
	if err != nil {
		return nil, err
	}
	answer, err := s.Step(data)
	if err != nil {
		return nil, err
	}
	var actions Actions
	if err := decode(answer, &actions); err != nil {
		return nil, err
	}
	return &actions, nil
}

// Close releases the session; it must not be stepped afterwards (a step returns ErrClosed).
// Closing twice does nothing.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handle != nil {
		C.offerfit_session_free(s.handle)
		s.handle = nil
		runtime.SetFinalizer(s, nil)
	}
	return nil
}

// SessionConfig is a session's config. Options are the `place` options except Roles,
// Principal, FrameworkID and Now, which a session refuses (they come from Framework and from
// each input).
type SessionConfig struct {
	Framework SessionFramework `json:"framework"`
	Options   *PlaceOptions    `json:"options,omitempty"`
	Session   *SessionTimers   `json:"session,omitempty"`
	Tasks     []StoredTask     `json:"tasks,omitempty"`
}

// SessionFramework is the framework of a session config; ID is given on failover (the id the
// host persisted from a `subscribed` notice).
type SessionFramework struct {
	Name            string   `json:"name"`
	Roles           []string `json:"roles,omitempty"`
	Principal       string   `json:"principal,omitempty"`
	User            string   `json:"user,omitempty"`
	FailoverTimeout *float64 `json:"failover_timeout,omitempty"`
	Checkpoint      *bool    `json:"checkpoint,omitempty"`
	ID              string   `json:"id,omitempty"`
	Hostname        string   `json:"hostname,omitempty"`
	WebuiURL        string   `json:"webui_url,omitempty"`
	Capabilities    []string `json:"capabilities,omitempty"`
}

// SessionTimers are the session's timers and switches (seconds; a backoff is [first, cap]).
type SessionTimers struct {
	OfferHoldSeconds         *float64    `json:"offer_hold_seconds,omitempty"`
	IdleRefuseSeconds        *float64    `json:"idle_refuse_seconds,omitempty"`
	ReviveMinInterval        *float64    `json:"revive_min_interval,omitempty"`
	ReconcileBackoff         *[2]float64 `json:"reconcile_backoff,omitempty"`
	ImplicitReconcileSeconds *float64    `json:"implicit_reconcile_seconds,omitempty"`
	ResubscribeBackoff       *[2]float64 `json:"resubscribe_backoff,omitempty"`
	OfferConstraints         bool        `json:"offer_constraints,omitempty"`
	KillUnknownTasks         bool        `json:"kill_unknown_tasks,omitempty"`
}

// StoredTask is a task of the host's store, as the notices described it: a Task plus its State
// (PENDING, LAUNCHING or a Mesos TaskState) and, once launched, where it runs.
type StoredTask struct {
	Task
	State      string      `json:"state"`
	AgentID    string      `json:"agent_id,omitempty"`
	Hostname   string      `json:"hostname,omitempty"`
	Attributes interface{} `json:"attributes,omitempty"`
	Region     string      `json:"region,omitempty"`
	Zone       string      `json:"zone,omitempty"`
}

// SessionInput is one input: Now (Unix seconds, never decreasing) and exactly one of the kinds.
type SessionInput struct {
	Now          float64         `json:"now"`
	Connect      *Empty          `json:"connect,omitempty"`
	Event        json.RawMessage `json:"event,omitempty"`
	Disconnected *Empty          `json:"disconnected,omitempty"`
	Submit       []Task          `json:"submit,omitempty"`
	Kill         []string        `json:"kill,omitempty"`
	Tick         *Empty          `json:"tick,omitempty"`
}

// Actions is an accepted step's answer: the Mesos v1 calls to POST in order (as JSON, ready to
// send), the notices, and the time of the next tick (nil: none).
type Actions struct {
	Calls   []json.RawMessage `json:"calls"`
	Notices []Notice          `json:"notices"`
	WakeAt  *float64          `json:"wake_at"`
}

// Notice is one notice of a step; Kind says which fields it holds: `subscribed`
// (FrameworkID), `launching` (TaskID, AgentID, Hostname, Attributes, Region, Zone),
// `task_state` (TaskID, State, Reason, Message, Terminal, Known), `unplaced` (TaskID, Reasons,
// Nearest), `error` (Message), `reconnect`, `offer_unreadable` (OfferID, Errors).
type Notice struct {
	Kind        string        `json:"kind"`
	FrameworkID string        `json:"framework_id,omitempty"`
	TaskID      string        `json:"task_id,omitempty"`
	AgentID     string        `json:"agent_id,omitempty"`
	Hostname    string        `json:"hostname,omitempty"`
	Attributes  []Attribute   `json:"attributes,omitempty"`
	Region      string        `json:"region,omitempty"`
	Zone        string        `json:"zone,omitempty"`
	State       string        `json:"state,omitempty"`
	Reason      string        `json:"reason,omitempty"`
	Message     string        `json:"message,omitempty"`
	Terminal    bool          `json:"terminal,omitempty"`
	Known       *bool         `json:"known,omitempty"`
	Reasons     []Reason      `json:"reasons,omitempty"`
	Nearest     *Nearest      `json:"nearest,omitempty"`
	OfferID     string        `json:"offer_id,omitempty"`
	Errors      []ErrorObject `json:"errors,omitempty"`
}
