// Package offerfit places Mesos tasks on offers, parses and checks Marathon-style placement
// constraints and does Mesos resource arithmetic: the offerfit library (a Rust core) through its
// C ABI (bindings/c/include/offerfit.h), linked statically with cgo.
//
// Every operation is one JSON request of the offerfit contract: [Call] takes the request bytes
// and returns the answer bytes, exactly what `offerfit call` prints; the typed functions
// ([Place], [ParseResources], [ParseConstraints], ...) build the request from Go values and
// return the answer's fields, or an [*Error] when offerfit refuses the request.
//
// Build: the package links libofferfit_c.a from the directory lib/ beside this file
// (`cargo build --release -p offerfit-c` and copy target/release/libofferfit_c.a there), or
// from wherever CGO_LDFLAGS points (-L<dir>).
//
// Threads: every function may be called from any number of goroutines at once.
package offerfit

/*
#cgo CFLAGS: -I${SRCDIR}/../c/include
#cgo LDFLAGS: -L${SRCDIR}/lib -lofferfit_c -lpthread -ldl -lm
#include <stdlib.h>
#include "offerfit.h"
*/
import "C"

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unsafe"
)

// empty stands in for the bytes of an empty request: a NULL pointer would be answered with
// request.null_pointer, and an empty request is a JSON error like any other.
var empty = [1]byte{0}

// bytesPtr is the C view of b, valid during a cgo call (b holds no Go pointers).
func bytesPtr(b []byte) *C.char {
	if len(b) == 0 {
		return (*C.char)(unsafe.Pointer(&empty[0]))
	}
	return (*C.char)(unsafe.Pointer(&b[0]))
}

// take copies a response of n bytes out of C memory and frees it.
func take(p *C.char, n C.size_t) []byte {
	if p == nil {
		return []byte(`{"ok":false,"errors":[{"code":"internal","message":"offerfit returned NULL"}]}`)
	}
	defer C.offerfit_string_free(p)
	return C.GoBytes(unsafe.Pointer(p), C.int(n))
}

// Call answers one contract request (UTF-8 JSON with an "op") with the answer's bytes:
// {"ok":true,...} or {"ok":false,"errors":[...]}, byte for byte what `offerfit call` writes.
// It never fails: malformed input, including bytes that are not UTF-8, gets an error answer.
func Call(request []byte) []byte {
	var n C.size_t
	p := C.offerfit_call(bytesPtr(request), C.size_t(len(request)), &n)
	runtime.KeepAlive(request)
	return take(p, n)
}

// Version is the library's version (the `version` op's "version").
func Version() string {
	return C.GoString(C.offerfit_version())
}

// Span is a byte range inside a text of the request.
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// ErrorObject is one error of a refused request (or one warning of ParseConstraints).
type ErrorObject struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	Help     string `json:"help,omitempty"`
	Path     string `json:"path,omitempty"`
	Span     *Span  `json:"span,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Rendered string `json:"rendered,omitempty"`
}

// Error is a request offerfit refused: the first error's fields, and every error in Errors.
// Code is stable ("constraint.unknown_operator"); Path is a JSON pointer into the request
// ("/tasks/3/constraints/1"); Rendered shows the offending text with a caret.
type Error struct {
	Code     string
	Message  string
	Path     string
	Rendered string
	Help     string
	Line     int
	Column   int
	Errors   []ErrorObject
}

func newError(errs []ErrorObject) *Error {
	if len(errs) == 0 {
		errs = []ErrorObject{{Code: "internal", Message: "offerfit refused the request without an error"}}
	}
	f := errs[0]
	return &Error{Code: f.Code, Message: f.Message, Path: f.Path, Rendered: f.Rendered, Help: f.Help,
		Line: f.Line, Column: f.Column, Errors: errs}
}

// Error is "code: message at path", then the caret drawing, for each error.
func (e *Error) Error() string {
	var b strings.Builder
	for i, x := range e.Errors {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s: %s", x.Code, x.Message)
		if x.Path != "" {
			fmt.Fprintf(&b, " at %s", x.Path)
		}
		if x.Rendered != "" {
			b.WriteString("\n" + x.Rendered)
		}
	}
	return b.String()
}

// IsCode reports whether err is an offerfit *Error whose code is code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// ask sends request (encoded as JSON) and decodes an ok answer into result.
func ask(request interface{}, result interface{}) error {
	data, err := json.Marshal(request)
	if err != nil {
		return err
	}
	return decode(Call(data), result)
}

func decode(answer []byte, result interface{}) error {
	var head struct {
		Ok     bool          `json:"ok"`
		Errors []ErrorObject `json:"errors"`
	}
	if err := json.Unmarshal(answer, &head); err != nil {
		return fmt.Errorf("offerfit: unreadable answer: %w", err)
	}
	if !head.Ok {
		return newError(head.Errors)
	}
	if result == nil {
		return nil
	}
	return json.Unmarshal(answer, result)
}

// refusal is the error of a constructor that returned NULL: the error response it left in
// errOut (freed here), or an empty refusal when it left none.
func refusal(errOut *C.char) error {
	answer := []byte(`{"ok":false,"errors":[]}`)
	if errOut != nil {
		answer = []byte(C.GoString(errOut))
		C.offerfit_string_free(errOut)
	}
	return decode(answer, nil)
}

// Engine keeps `place` options for repeated calls (offerfit_engine_new): a Place or Call
// whose place request has no options uses the engine's. Safe for many goroutines at once;
// Close it when done.
type Engine struct {
	handle *C.offerfit_engine
}

// NewEngine checks the options once and keeps them.
func NewEngine(options PlaceOptions) (*Engine, error) {
	data, err := json.Marshal(options)
	if err != nil {
		return nil, err
	}
	var errOut *C.char
	h := C.offerfit_engine_new(bytesPtr(data), C.size_t(len(data)), &errOut)
	runtime.KeepAlive(data)
	if h == nil {
		return nil, refusal(errOut)
	}
	e := &Engine{handle: h}
	runtime.SetFinalizer(e, (*Engine).Close)
	return e, nil
}

// Call answers a request like the package's Call, with the engine's options for a place
// request that has none.
func (e *Engine) Call(request []byte) []byte {
	var n C.size_t
	p := C.offerfit_engine_call(e.handle, bytesPtr(request), C.size_t(len(request)), &n)
	runtime.KeepAlive(request)
	runtime.KeepAlive(e)
	return take(p, n)
}

// Place places tasks with the engine's options (req.Options, when set, replaces them).
func (e *Engine) Place(req PlaceRequest) (*Plan, error) {
	req.fill()
	data, err := json.Marshal(placeRequest{Op: "place", PlaceRequest: req})
	if err != nil {
		return nil, err
	}
	var plan Plan
	if err := decode(e.Call(data), &plan); err != nil {
		return nil, err
	}
	return &plan, nil
}

// Close frees the engine; it must not be in use. Closing twice does nothing.
func (e *Engine) Close() error {
	if e.handle != nil {
		C.offerfit_engine_free(e.handle)
		e.handle = nil
		runtime.SetFinalizer(e, nil)
	}
	return nil
}
