package offerfit

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
)

// transcript is one golden transcript of tests/data/session: its config, input lines and
// expected output lines.
type transcript struct {
	name   string
	config json.RawMessage
	inputs [][]byte
	want   [][]byte
}

func nonEmptyLines(data []byte) [][]byte {
	var out [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(l) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// transcripts reads whatever goldens tests/data/session holds.
func transcripts(t *testing.T) []transcript {
	dir := filepath.Join(root, "tests", "data", "session")
	paths, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	var out []transcript
	for _, p := range paths {
		if strings.HasSuffix(p, ".out.jsonl") {
			continue
		}
		in, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(strings.TrimSuffix(p, ".jsonl") + ".out.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		lines := nonEmptyLines(in)
		var head struct {
			Config json.RawMessage `json:"config"`
		}
		if err := json.Unmarshal(lines[0], &head); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		tr := transcript{name: filepath.Base(p), config: head.Config, inputs: lines[1:], want: nonEmptyLines(want)}
		if len(tr.inputs) != len(tr.want) {
			t.Fatalf("%s: %d inputs, %d outputs", p, len(tr.inputs), len(tr.want))
		}
		out = append(out, tr)
	}
	if len(out) == 0 {
		t.Fatalf("no golden transcript in %s", dir)
	}
	return out
}

func TestSessionReplaysEveryTranscriptByteForByte(t *testing.T) {
	for _, tr := range transcripts(t) {
		t.Run(tr.name, func(t *testing.T) {
			s, err := NewSession([]byte(tr.config))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for i, line := range tr.inputs {
				got, err := s.Step(line)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, tr.want[i]) {
					t.Fatalf("input %d %s\n got: %s\nwant: %s", i+1, line, got, tr.want[i])
				}
			}
		})
	}
}

// StepValue with Go values (maps: encoding/json writes their keys sorted) answers the values
// of the goldens: the same Actions, or an *Error with the same errors.
func TestSessionStepValueAnswersTheGoldenValues(t *testing.T) {
	for _, tr := range transcripts(t) {
		t.Run(tr.name, func(t *testing.T) {
			var config map[string]interface{}
			if err := json.Unmarshal(tr.config, &config); err != nil {
				t.Fatal(err)
			}
			s, err := NewSession(config)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for i, line := range tr.inputs {
				var input map[string]interface{}
				dec := json.NewDecoder(bytes.NewReader(line))
				dec.UseNumber()
				if dec.Decode(&input) != nil || dec.More() {
					// Not a JSON object: it goes in as bytes, so the state stays the transcript's.
					if _, err := s.Step(line); err != nil {
						t.Fatal(err)
					}
					continue
				}
				got, err := s.StepValue(input)
				var want Actions
				wantErr := decode(tr.want[i], &want)
				if wantErr != nil {
					var e *Error
					if !errors.As(err, &e) || !reflect.DeepEqual(e.Errors, wantErr.(*Error).Errors) {
						t.Fatalf("input %d %s: got %v, want %v", i+1, line, err, wantErr)
					}
					continue
				}
				if err != nil {
					t.Fatalf("input %d %s: %v", i+1, line, err)
				}
				// Calls compared as values (RawMessage keeps the bytes, which are the same).
				if !reflect.DeepEqual(*got, want) {
					t.Fatalf("input %d %s\n got: %+v\nwant: %+v", i+1, line, *got, want)
				}
			}
		})
	}
}

func TestSessionRefusedConfigIsAnError(t *testing.T) {
	_, err := NewSession(`{"framework": {}}`)
	if !IsCode(err, "request.missing_field") || !strings.HasPrefix(err.(*Error).Path, "/framework") {
		t.Fatalf("got %v", err)
	}
	_, err = NewSession(SessionConfig{Framework: SessionFramework{Name: "fw"}, Options: &PlaceOptions{Roles: []string{"x"}}})
	if !IsCode(err, "session.config") || err.(*Error).Path != "/options/roles" {
		t.Fatalf("got %v", err)
	}
	if _, err := NewSession([]byte{0xff}); !IsCode(err, "request.utf8") {
		t.Fatalf("got %v", err)
	}
}

const tickOK = `{"ok":true,"calls":[],"notices":[],"wake_at":null}`

func TestSessionRefusalsCloseAndReuse(t *testing.T) {
	s, err := NewSession(SessionConfig{Framework: SessionFramework{Name: "fw", Roles: []string{"web"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Step([]byte(`{"now": 5, "tick": {}}`)); string(got) != tickOK {
		t.Fatalf("got %s", got)
	}
	if got, _ := s.Step([]byte{0xff}); !bytes.HasPrefix(got, []byte(`{"ok":false,"errors":[{"code":"request.utf8"`)) {
		t.Fatalf("got %s", got)
	}
	if _, err := s.StepValue(SessionInput{Now: 4, Tick: &Empty{}}); !IsCode(err, "session.now") {
		t.Fatalf("got %v", err)
	}
	a, err := s.StepValue(SessionInput{Now: 6, Connect: &Empty{}})
	if err != nil || len(a.Calls) != 1 || !bytes.Contains(a.Calls[0], []byte(`"type":"SUBSCRIBE"`)) || a.WakeAt != nil {
		t.Fatalf("got %+v, %v", a, err)
	}
	s.Close()
	s.Close()
	if _, err := s.Step([]byte(`{"now": 7, "tick": {}}`)); err != ErrClosed {
		t.Fatalf("got %v", err)
	}
	if _, err := s.StepValue(SessionInput{Now: 7, Tick: &Empty{}}); err != ErrClosed {
		t.Fatalf("got %v", err)
	}
}

func TestSessionConcurrentSteps(t *testing.T) {
	s, err := NewSession(`{"framework": {"name": "fw"}}`)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if got, err := s.Step([]byte(`{"now": 100, "tick": {}}`)); err != nil || string(got) != tickOK {
					t.Errorf("got %s, %v", got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
