package offerfit

// One function per op of the contract. Each builds the request from its arguments and
// returns the answer's fields, or an *Error.

// VersionInfo is the answer of the version op.
type VersionInfo struct {
	Version string   `json:"version"`
	Ops     []string `json:"ops"`
}

// Ops is the version op: the library version and the names of its ops.
func Ops() (VersionInfo, error) {
	var v VersionInfo
	err := ask(map[string]string{"op": "version"}, &v)
	return v, err
}

// ParseValue parses a Mesos value ("[31000-32000]", "{a,b}", "4.5", "text").
func ParseValue(text string) (Value, error) {
	var r struct {
		Value Value `json:"value"`
	}
	err := ask(map[string]string{"op": "parse_value", "text": text}, &r)
	return r.Value, err
}

// ParseResources parses Mesos resources text ("cpus(*):8; mem:1024; ports:[31000-32000]");
// defaultRole ("" for the default, "*") is the role of resources that name none.
func ParseResources(text, defaultRole string) ([]Resource, error) {
	req := map[string]string{"op": "parse_resources", "text": text}
	if defaultRole != "" {
		req["default_role"] = defaultRole
	}
	var r struct {
		Resources []Resource `json:"resources"`
	}
	err := ask(req, &r)
	return r.Resources, err
}

// FormatResources prints resources ([]Resource or text) in Mesos' form ("cpus:4; mem:1024").
func FormatResources(resources interface{}) (string, error) {
	var r struct {
		Text string `json:"text"`
	}
	err := ask(map[string]interface{}{"op": "format_resources", "resources": resources}, &r)
	return r.Text, err
}

func resourceMath(operation string, left, right interface{}, role string, result interface{}) error {
	req := map[string]interface{}{"op": "resource_math", "operation": operation, "left": left}
	if right != nil {
		req["right"] = right
	}
	if role != "" {
		req["role"] = role
	}
	return ask(req, result)
}

type resourcesAnswer struct {
	Resources []Resource `json:"resources"`
}

type resultAnswer struct {
	Result bool `json:"result"`
}

// AddResources is left + right (each a []Resource or Mesos text), as Mesos adds them.
func AddResources(left, right interface{}) ([]Resource, error) {
	var r resourcesAnswer
	err := resourceMath("add", left, right, "", &r)
	return r.Resources, err
}

// SubtractResources is Mesos' Resources::subtract: left less right.
func SubtractResources(left, right interface{}) ([]Resource, error) {
	var r resourcesAnswer
	err := resourceMath("subtract", left, right, "", &r)
	return r.Resources, err
}

// ContainsResources reports whether left contains right.
func ContainsResources(left, right interface{}) (bool, error) {
	var r resultAnswer
	err := resourceMath("contains", left, right, "", &r)
	return r.Result, err
}

// EqualResources reports whether left and right are the same resources.
func EqualResources(left, right interface{}) (bool, error) {
	var r resultAnswer
	err := resourceMath("equal", left, right, "", &r)
	return r.Result, err
}

// AllocatableTo is the part of resources that role may use: unreserved, and reserved to the
// role or its ancestors.
func AllocatableTo(resources interface{}, role string) ([]Resource, error) {
	var r resourcesAnswer
	err := resourceMath("allocatable_to", resources, nil, role, &r)
	return r.Resources, err
}

// ParseAttributes parses Mesos attributes text ("rack:r1;zone:a"), in input order.
func ParseAttributes(text string) ([]Attribute, error) {
	var r struct {
		Attributes []Attribute `json:"attributes"`
	}
	err := ask(map[string]string{"op": "parse_attributes", "text": text}, &r)
	return r.Attributes, err
}

// ParseConstraints parses placement constraints in a dialect ("" or "marathon", "openwhisk";
// delimiter only for openwhisk, "" for its default). Invalid constraints give an *Error with
// one entry per problem.
func ParseConstraints(constraints []Constraint, dialect, delimiter string) (ParsedConstraints, error) {
	req := map[string]interface{}{"op": "parse_constraints", "constraints": constraints}
	if dialect != "" {
		req["dialect"] = dialect
	}
	if delimiter != "" {
		req["delimiter"] = delimiter
	}
	var r ParsedConstraints
	err := ask(req, &r)
	return r, err
}

// CheckConstraints evaluates constraints against one candidate agent.
func CheckConstraints(req CheckRequest) (CheckResult, error) {
	var r CheckResult
	err := ask(struct {
		Op string `json:"op"`
		CheckRequest
	}{"check_constraints", req}, &r)
	return r, err
}

// Place places a batch of tasks on offers: what to accept (each task's resources and ports),
// what to decline, what stays unplaced and why, and, with Options.FrameworkID, the Mesos v1
// calls to send.
func Place(req PlaceRequest) (*Plan, error) {
	req.fill()
	var plan Plan
	if err := ask(placeRequest{Op: "place", PlaceRequest: req}, &plan); err != nil {
		return nil, err
	}
	return &plan, nil
}

// fill makes nil offers and tasks empty lists (the contract needs both fields).
func (req *PlaceRequest) fill() {
	if req.Offers == nil {
		req.Offers = []Offer{}
	}
	if req.Tasks == nil {
		req.Tasks = []Task{}
	}
}
