package offerfit

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// The repository root, the CLI to compare with and the request corpus; OFFERFIT_CLI and
// OFFERFIT_REQUESTS override the defaults (scripts/stages/go.sh sets both).
var root, _ = filepath.Abs("../..")

func targetDir() string {
	if d := os.Getenv("CARGO_TARGET_DIR"); d != "" {
		return d
	}
	return filepath.Join(root, "target")
}

func cliPath(t *testing.T) string {
	p := os.Getenv("OFFERFIT_CLI")
	if p == "" {
		p = filepath.Join(targetDir(), "debug", "offerfit")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("OFFERFIT_CLI: %s: %v (cargo build -p offerfit-cli)", p, err)
	}
	return p
}

func loadRequests(t *testing.T) [][]byte {
	p := os.Getenv("OFFERFIT_REQUESTS")
	if p == "" {
		p = filepath.Join(root, "target", "requests.jsonl")
		if _, err := os.Stat(p); err != nil {
			cmd := exec.Command("python3", filepath.Join(root, "scripts", "gen-requests.py"), "--out", p)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("gen-requests: %v: %s", err, out)
			}
		}
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(data, []byte("\n"))
	if len(lines[len(lines)-1]) != 0 {
		t.Fatalf("%s must end with a newline", p)
	}
	return lines[:len(lines)-1]
}

// cliLines answers requests (no newlines inside) with one `offerfit call --lines` process.
func cliLines(t *testing.T, requests [][]byte) [][]byte {
	var in bytes.Buffer
	for _, r := range requests {
		in.Write(r)
		in.WriteByte('\n')
	}
	cmd := exec.Command(cliPath(t), "call", "--lines")
	cmd.Stdin = &in
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); err != nil && !(ok && ee.ExitCode() == 1) {
		t.Fatalf("offerfit call --lines: %v", err)
	}
	lines := bytes.Split(out, []byte("\n"))
	if len(lines)-1 != len(requests) {
		t.Fatalf("%d requests, %d answers", len(requests), len(lines)-1)
	}
	return lines[:len(lines)-1]
}

func TestCorpusIsByteIdenticalToCLI(t *testing.T) {
	requests := loadRequests(t)
	if len(requests) < 270 {
		t.Fatalf("only %d requests", len(requests))
	}
	answers := cliLines(t, requests)
	for i, r := range requests {
		if got := Call(r); !bytes.Equal(got, answers[i]) {
			t.Errorf("request %d %.80q:\n got %.300s\nwant %.300s", i, r, got, answers[i])
		}
	}
	// The same through an engine with no stored options.
	e, err := NewEngine(PlaceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for i, r := range requests {
		var req map[string]json.RawMessage
		if json.Unmarshal(r, &req) == nil {
			if _, has := req["options"]; !has && string(req["op"]) == `"place"` {
				continue // the engine adds its (empty) options to these: answers may differ in nothing but that
			}
		}
		if got := e.Call(r); !bytes.Equal(got, answers[i]) {
			t.Errorf("engine, request %d %.80q differs", i, r)
		}
	}
}

// A place request of the corpus through the typed Place: decoded into PlaceRequest (strictly:
// only requests that fit the Go types), the plan equals the CLI's answer, decoded.
func TestTypedPlaceMatchesCLI(t *testing.T) {
	requests := loadRequests(t)
	answers := cliLines(t, requests)
	checked := 0
	for i, r := range requests {
		var req struct {
			Op string `json:"op"`
			PlaceRequest
		}
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.DisallowUnknownFields()
		if dec.Decode(&req) != nil || req.Op != "place" {
			continue
		}
		var head struct {
			Ok bool `json:"ok"`
		}
		if err := json.Unmarshal(answers[i], &head); err != nil {
			t.Fatal(err)
		}
		plan, err := Place(req.PlaceRequest)
		if !head.Ok {
			var want struct {
				Errors []ErrorObject `json:"errors"`
			}
			_ = json.Unmarshal(answers[i], &want)
			e, ok := err.(*Error)
			if !ok || !reflect.DeepEqual(e.Errors, want.Errors) {
				t.Errorf("request %d: got %v, want errors %+v", i, err, want.Errors)
			}
			checked++
			continue
		}
		if err != nil {
			t.Errorf("request %d: %v", i, err)
			continue
		}
		var want Plan
		if err := json.Unmarshal(answers[i], &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*plan, want) {
			t.Errorf("request %d: plans differ", i)
		}
		checked++
	}
	if checked < 20 {
		t.Fatalf("only %d place requests checked", checked)
	}
	t.Logf("%d place requests through Place", checked)
}

// The malformed-input suite (tests/data/malformed/*.jsonl, format in its README).
type malformedCase struct {
	ID              string  `json:"id"`
	Op              string  `json:"op"`
	Request         *string `json:"request"`
	RequestHex      *string `json:"request_hex"`
	Code            string  `json:"code"`
	MessageContains string  `json:"message_contains"`
	Path            *string `json:"path"`
	Expand          []struct {
		Marker string `json:"marker"`
		Repeat string `json:"repeat"`
		Times  int    `json:"times"`
	} `json:"expand"`
	bytes []byte
}

func loadMalformed(t *testing.T) []malformedCase {
	files, err := filepath.Glob(filepath.Join(root, "tests", "data", "malformed", "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no malformed suite: %v", err)
	}
	var cases []malformedCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			var c malformedCase
			if err := json.Unmarshal([]byte(line), &c); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if (c.Request == nil) == (c.RequestHex == nil) {
				t.Fatalf("%s: needs exactly one of request / request_hex", c.ID)
			}
			if c.Request != nil {
				c.bytes = []byte(*c.Request)
			} else if c.bytes, err = hex.DecodeString(*c.RequestHex); err != nil {
				t.Fatalf("%s: %v", c.ID, err)
			}
			for _, e := range c.Expand {
				if !bytes.Contains(c.bytes, []byte(e.Marker)) {
					t.Fatalf("%s: marker %q not in the request", c.ID, e.Marker)
				}
				c.bytes = bytes.Replace(c.bytes, []byte(e.Marker), bytes.Repeat([]byte(e.Repeat), e.Times), 1)
			}
			cases = append(cases, c)
		}
	}
	return cases
}

// judge is the suite's rule: one JSON object on one line, ok false, the first error's code,
// a message containing the text, and the path when given.
func judge(c malformedCase, answer []byte) string {
	if bytes.Contains(answer, []byte("\n")) {
		return "the answer spans several lines"
	}
	var v struct {
		Ok     *bool         `json:"ok"`
		Errors []ErrorObject `json:"errors"`
	}
	if err := json.Unmarshal(answer, &v); err != nil {
		return "not JSON: " + err.Error()
	}
	if v.Ok == nil || *v.Ok || len(v.Errors) == 0 {
		return "expected ok:false with errors, got " + string(answer[:min(len(answer), 300)])
	}
	f := v.Errors[0]
	switch {
	case f.Code != c.Code:
		return "code " + f.Code + ", expected " + c.Code + ": " + f.Message
	case !strings.Contains(f.Message, c.MessageContains):
		return "message " + f.Message + " lacks " + c.MessageContains
	case c.Path != nil && f.Path != *c.Path:
		return "path " + f.Path + ", expected " + *c.Path
	}
	return ""
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func TestMalformedSuite(t *testing.T) {
	cases := loadMalformed(t)
	if len(cases) < 190 {
		t.Fatalf("only %d cases", len(cases))
	}
	raw := 0
	for _, c := range cases {
		c := c
		if c.RequestHex != nil {
			raw++
		}
		t.Run(c.ID, func(t *testing.T) {
			answer := Call(c.bytes)
			if problem := judge(c, answer); problem != "" {
				t.Fatal(problem)
			}
			// As a Go error: the same first error.
			err := decode(answer, nil)
			if !IsCode(err, c.Code) || !strings.Contains(err.(*Error).Message, c.MessageContains) {
				t.Fatalf("decoded as %v", err)
			}
		})
	}
	if raw < 8 {
		t.Fatalf("only %d raw-byte cases", raw)
	}
}

var offer = Offer{ID: ID{"o1"}, AgentID: ID{"a1"}, Hostname: "h1",
	Resources: "cpus:4;mem:1024;ports:[31000-31010]", Attributes: "rack:r1"}

func TestTypedOps(t *testing.T) {
	v, err := Ops()
	if err != nil || v.Version != Version() || len(v.Ops) != 9 {
		t.Fatalf("%+v %v", v, err)
	}
	val, err := ParseValue("[1-4]")
	if err != nil || val.Type != "RANGES" || val.Ranges.Range[0] != (Range{1, 4}) {
		t.Fatalf("%+v %v", val, err)
	}
	res, err := ParseResources("cpus:2;mem:64", "web")
	if err != nil || len(res) != 2 || res[0].Reservations[0].Role != "web" {
		t.Fatalf("%+v %v", res, err)
	}
	text, err := FormatResources("ports:[1-2,3-5];cpus:1")
	if err != nil || text != "ports:[1-5]; cpus:1" {
		t.Fatalf("%q %v", text, err)
	}
	left, err := SubtractResources("cpus:4", "cpus:1")
	if err != nil || left[0].Scalar.Value != 3 {
		t.Fatalf("%+v %v", left, err)
	}
	sum, err := AddResources(left, []Resource{{Name: "cpus", Type: "SCALAR", Scalar: &Scalar{1}}})
	if err != nil || sum[0].Scalar.Value != 4 {
		t.Fatalf("%+v %v", sum, err)
	}
	if ok, err := ContainsResources("cpus:4", "cpus:1"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if eq, err := EqualResources("cpus:4", "cpus:1"); eq || err != nil {
		t.Fatal(eq, err)
	}
	mine, err := AllocatableTo("cpus(web):2;cpus(db):3;mem:10", "web")
	if err != nil || len(mine) != 2 {
		t.Fatalf("%+v %v", mine, err)
	}
	attrs, err := ParseAttributes("rack:r1;zone:a")
	if err != nil || len(attrs) != 2 || attrs[1].Text.Value != "a" {
		t.Fatalf("%+v %v", attrs, err)
	}
	parsed, err := ParseConstraints([]Constraint{"rack LIKE r[12]", []string{"host", "UNIQUE"},
		ConstraintObject{Field: "zone", Operator: "IS", Value: "a"}}, "", "")
	if err != nil || parsed.Constraints[1].Text != "host UNIQUE" || parsed.Constraints[2].Text != "zone IS a" {
		t.Fatalf("%+v %v", parsed, err)
	}
	warned, err := ParseConstraints([]Constraint{"rack:LIKE:r1", "zone:CLUSTER:a"}, "openwhisk", ":")
	if err != nil || len(warned.Warnings) != 1 || warned.Warnings[0].Path != "/constraints/1" {
		t.Fatalf("%+v %v", warned, err)
	}
	check, err := CheckConstraints(CheckRequest{Constraints: []Constraint{"rack LIKE r1"},
		Candidate: Host{Hostname: "h1", Attributes: "rack:r1"}})
	if err != nil || !check.Satisfied || check.Results[0].Text != "rack LIKE r1" {
		t.Fatalf("%+v %v", check, err)
	}
}

func TestPlace(t *testing.T) {
	refuse := 30.0
	plan, err := Place(PlaceRequest{
		Offers: []Offer{offer},
		Tasks: []Task{{ID: "t1", Cpus: 1, Mem: 128, Ports: []int{0}},
			{ID: "t2", Cpus: 9}},
		Options: &PlaceOptions{FrameworkID: "f1", RefuseSeconds: &refuse},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Accept) != 1 || plan.Accept[0].Tasks[0].Ports[0] != 31000 || plan.Stats.Placed != 1 {
		t.Fatalf("%+v", plan)
	}
	if plan.Unplaced[0].Reasons[0].Code != "insufficient_cpus" || plan.Unplaced[0].Nearest.Missing["cpus"] != 5 {
		t.Fatalf("%+v", plan.Unplaced)
	}
	var call struct {
		Type   string `json:"type"`
		Accept struct {
			Filters map[string]float64 `json:"filters"`
		} `json:"accept"`
	}
	if len(plan.Calls) != 1 || json.Unmarshal(plan.Calls[0], &call) != nil || call.Type != "ACCEPT" ||
		call.Accept.Filters["refuse_seconds"] != 30 {
		t.Fatalf("%s", plan.Calls)
	}
	// nil offers and tasks are empty lists.
	if empty, err := Place(PlaceRequest{}); err != nil || len(empty.Accept) != 0 {
		t.Fatal(empty, err)
	}
}

func TestErrorsCarryCodeMessagePathRendered(t *testing.T) {
	_, err := Place(PlaceRequest{Offers: []Offer{offer},
		Tasks: []Task{{ID: "t1", Cpus: 1, Constraints: []Constraint{"rack LIKEE r1"}}}})
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("%T %v", err, err)
	}
	if e.Code != "constraint.unknown_operator" || e.Path != "/tasks/0/constraints/0" || e.Line != 1 ||
		e.Column != 6 || !strings.Contains(e.Rendered, "^") || !strings.Contains(e.Message, "LIKEE") {
		t.Fatalf("%+v", e)
	}
	if !strings.HasPrefix(e.Error(), "constraint.unknown_operator: unknown operator `LIKEE` at /tasks/0/constraints/0\n") {
		t.Fatalf("%q", e.Error())
	}
	if !IsCode(err, "constraint.unknown_operator") || IsCode(nil, "x") {
		t.Fatal("IsCode")
	}
	_, err = ParseConstraints([]Constraint{"rack LIKEE r1", "zone FOO a"}, "", "")
	if e := err.(*Error); len(e.Errors) != 2 || e.Errors[1].Path != "/constraints/1" {
		t.Fatalf("%+v", err)
	}
	if got := string(Call([]byte{0xff})); !strings.HasPrefix(got, `{"ok":false,"errors":[{"code":"request.utf8"`) {
		t.Fatal(got)
	}
	if got := string(Call(nil)); !strings.HasPrefix(got, `{"ok":false,"errors":[{"code":"request.json"`) {
		t.Fatal(got)
	}
}

func TestEngineKeepsOptions(t *testing.T) {
	// spread puts the two tasks on two agents where the default binpack stacks them: the
	// engine kept its options. (The marathon profile matches offer by offer, ignoring the
	// strategy.)
	e, err := NewEngine(PlaceOptions{Strategy: "spread"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	req := PlaceRequest{Offers: []Offer{offer, {ID: ID{"o2"}, AgentID: ID{"a2"}, Hostname: "h2", Resources: "cpus:4;mem:1024"}},
		Tasks: []Task{{ID: "t1", Cpus: 1}, {ID: "t2", Cpus: 1}}}
	got, err := e.Place(req)
	if err != nil {
		t.Fatal(err)
	}
	req.Options = &PlaceOptions{Strategy: "spread"}
	want, err := Place(req)
	if err != nil || !reflect.DeepEqual(got, want) || len(got.Accept) != 2 || len(got.Decline) != 0 {
		t.Fatalf("%+v %+v %v", got, want, err)
	}
	if _, err := NewEngine(PlaceOptions{Strategy: "fastest"}); !IsCode(err, "request.unknown_variant") ||
		err.(*Error).Path != "/options/strategy" {
		t.Fatalf("%v", err)
	}
	e.Close()
	if got := string(e.Call([]byte(`{"op":"version"}`))); !strings.Contains(got, `"request.null_pointer"`) {
		t.Fatal(got)
	}
}

func TestConcurrentCalls(t *testing.T) {
	var wg sync.WaitGroup
	want := Call([]byte(`{"op":"parse_resources","text":"cpus:4;mem:1024;ports:[31000-32000]"}`))
	errs := make(chan string, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if got := Call([]byte(`{"op":"parse_resources","text":"cpus:4;mem:1024;ports:[31000-32000]"}`)); !bytes.Equal(got, want) {
					errs <- string(got)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func TestRevocableTasksTakeRevocableResources(t *testing.T) {
	plan, err := Place(PlaceRequest{
		Offers: []Offer{{ID: ID{"o1"}, AgentID: ID{"a1"}, Hostname: "h1", Resources: []Resource{
			{Name: "cpus", Type: "SCALAR", Scalar: &Scalar{4}, Revocable: &Empty{}},
			{Name: "mem", Type: "SCALAR", Scalar: &Scalar{64}}}}},
		Tasks: []Task{{ID: "r", Cpus: 1, Mem: 8, Revocable: true}, {ID: "n", Cpus: 1, Mem: 8}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Accept) != 1 || plan.Accept[0].Tasks[0].TaskID != "r" || plan.Accept[0].Tasks[0].Resources[0].Revocable == nil ||
		len(plan.Unplaced) != 1 || plan.Unplaced[0].TaskID != "n" {
		t.Fatalf("%+v", plan)
	}
}
