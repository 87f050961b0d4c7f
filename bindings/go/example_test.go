package offerfit_test

import (
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
