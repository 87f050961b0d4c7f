package offerfit_test

import (
	"encoding/json"
	"fmt"

	"offerfit"
)

func ExamplePlace() {
	plan, err := offerfit.Place(offerfit.PlaceRequest{
		Offers: []offerfit.Offer{
			{ID: offerfit.ID{Value: "o1"}, AgentID: offerfit.ID{Value: "a1"}, Hostname: "h1",
				Resources: "cpus:4;mem:4096;ports:[31000-32000]", Attributes: "rack:r1"},
			{ID: offerfit.ID{Value: "o2"}, AgentID: offerfit.ID{Value: "a2"}, Hostname: "h2",
				Resources: "cpus:4;mem:4096;ports:[31000-32000]", Attributes: "rack:r2"},
		},
		Tasks: []offerfit.Task{
			{ID: "web-1", Group: "web", Cpus: 1, Mem: 512, Ports: []int{0}, Constraints: []offerfit.Constraint{"hostname UNIQUE"}},
			{ID: "web-2", Group: "web", Cpus: 1, Mem: 512, Ports: []int{0}, Constraints: []offerfit.Constraint{"hostname UNIQUE"}},
		},
		Options: &offerfit.PlaceOptions{Strategy: "spread"},
	})
	if err != nil {
		panic(err)
	}
	for _, a := range plan.Accept {
		for _, t := range a.Tasks {
			fmt.Println(t.TaskID, "->", a.Hostname, t.Ports)
		}
	}
	// Output:
	// web-1 -> h1 [31000]
	// web-2 -> h2 [31000]
}

func ExampleError() {
	_, err := offerfit.ParseConstraints([]offerfit.Constraint{"rack LIKEE r[12]"}, "", "")
	if e, ok := err.(*offerfit.Error); ok {
		fmt.Println(e.Code, e.Path)
		fmt.Println(e.Rendered)
	}
	// Output:
	// constraint.unknown_operator /constraints/0
	// rack LIKEE r[12]
	//      ^^^^^ unknown operator `LIKEE`
}

func ExampleCall() {
	answer := offerfit.Call([]byte(`{"op":"parse_value","text":"[31000-32000]"}`))
	fmt.Println(string(answer))
	// Output: {"ok":true,"value":{"type":"RANGES","ranges":{"range":[{"begin":31000,"end":32000}]}}}
}

func ExampleSession() {
	s, err := offerfit.NewSession(offerfit.SessionConfig{
		Framework: offerfit.SessionFramework{Name: "fw", Roles: []string{"web"}},
	})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	offers := `{"type": "OFFERS", "offers": {"offers": [{"id": {"value": "O1"},
		"agent_id": {"value": "S1"}, "hostname": "h1", "resources": "cpus:4;mem:4096"}]}}`
	for _, in := range []offerfit.SessionInput{
		{Now: 0, Connect: &offerfit.Empty{}},
		{Now: 1, Event: []byte(`{"type": "SUBSCRIBED", "subscribed": {"framework_id": {"value": "F1"}}}`)},
		{Now: 2, Submit: []offerfit.Task{{ID: "web-1", Cpus: 1, Mem: 256}}},
		{Now: 3, Event: []byte(offers)},
	} {
		out, err := s.StepValue(in)
		if err != nil {
			panic(err)
		}
		for _, n := range out.Notices {
			fmt.Println("notice", n.Kind, n.FrameworkID+n.TaskID)
		}
		for _, c := range out.Calls {
			var call struct{ Type string }
			_ = json.Unmarshal(c, &call) // POST c as it is
			fmt.Println("call", call.Type)
		}
	}
	// Output:
	// call SUBSCRIBE
	// notice subscribed F1
	// call REVIVE
	// notice launching web-1
	// call ACCEPT
	// call SUPPRESS
}
