package offerfit

import "encoding/json"

// The shapes of the offerfit JSON contract. Optional request fields are omitted when zero
// (pointers where zero is a meaningful value). Fields that take several forms (resources as a
// list or Mesos text, constraints as text, an array or an object) are interface{} values that
// encoding/json writes as given: a string, a []Resource, a []string, a ConstraintObject.

// ID is a Mesos id object, {"value": "..."}.
type ID struct {
	Value string `json:"value"`
}

// Scalar is a Mesos scalar value.
type Scalar struct {
	Value float64 `json:"value"`
}

// Range is an inclusive Mesos range.
type Range struct {
	Begin uint64 `json:"begin"`
	End   uint64 `json:"end"`
}

// Ranges is a Mesos ranges value.
type Ranges struct {
	Range []Range `json:"range"`
}

// Set is a Mesos set value.
type Set struct {
	Item []string `json:"item"`
}

// Text is a Mesos text value.
type Text struct {
	Value string `json:"value"`
}

// Value is a Mesos v1 Value: Type names the field that is set.
type Value struct {
	Type   string  `json:"type"`
	Scalar *Scalar `json:"scalar,omitempty"`
	Ranges *Ranges `json:"ranges,omitempty"`
	Set    *Set    `json:"set,omitempty"`
	Text   *Text   `json:"text,omitempty"`
}

// Label is a Mesos label.
type Label struct {
	Key   string `json:"key"`
	Value string `json:"value,omitempty"`
}

// Labels is a Mesos label list.
type Labels struct {
	Labels []Label `json:"labels"`
}

// Reservation is one level of a resource's reservation refinement.
type Reservation struct {
	Type      string  `json:"type"`
	Role      string  `json:"role"`
	Principal string  `json:"principal,omitempty"`
	Labels    *Labels `json:"labels,omitempty"`
}

// Empty is a Mesos flag object: present ({}) or absent (nil), as `shared` and `revocable`.
type Empty struct{}

// Resource is a Mesos v1 Resource (output uses the `reservations` form).
type Resource struct {
	Name         string                 `json:"name"`
	Type         string                 `json:"type"`
	Scalar       *Scalar                `json:"scalar,omitempty"`
	Ranges       *Ranges                `json:"ranges,omitempty"`
	Set          *Set                   `json:"set,omitempty"`
	Reservations []Reservation          `json:"reservations,omitempty"`
	Role         string                 `json:"role,omitempty"`
	Reservation  map[string]interface{} `json:"reservation,omitempty"`
	Disk         map[string]interface{} `json:"disk,omitempty"`
	Shared       *Empty                 `json:"shared,omitempty"`
	Revocable    *Empty                 `json:"revocable,omitempty"`
}

// Attribute is a Mesos v1 Attribute.
type Attribute struct {
	Name   string  `json:"name"`
	Type   string  `json:"type"`
	Scalar *Scalar `json:"scalar,omitempty"`
	Ranges *Ranges `json:"ranges,omitempty"`
	Set    *Set    `json:"set,omitempty"`
	Text   *Text   `json:"text,omitempty"`
}

// Offer is a Mesos v1 Offer. Resources is a []Resource or Mesos text
// ("cpus:4;mem:1024;ports:[31000-32000]"); Attributes a []Attribute or text ("rack:r1").
// A raw Mesos offer (from the event stream) can be sent as is through Call, or decoded into
// this type: unknown Mesos fields are ignored by offerfit.
type Offer struct {
	ID             ID                     `json:"id"`
	AgentID        ID                     `json:"agent_id"`
	FrameworkID    *ID                    `json:"framework_id,omitempty"`
	Hostname       string                 `json:"hostname"`
	Resources      interface{}            `json:"resources"`
	Attributes     interface{}            `json:"attributes,omitempty"`
	Domain         map[string]interface{} `json:"domain,omitempty"`
	Unavailability map[string]interface{} `json:"unavailability,omitempty"`
}

// ConstraintObject is a constraint in object form.
type ConstraintObject struct {
	Field    string `json:"field"`
	Operator string `json:"operator"`
	Value    string `json:"value,omitempty"`
}

// Constraint is "rack LIKE r[12]", []string{"rack", "GROUP_BY", "3"} or a ConstraintObject.
type Constraint = interface{}

// ParsedConstraint is a constraint in object form with its canonical text.
type ParsedConstraint struct {
	Field    string `json:"field"`
	Operator string `json:"operator"`
	Value    string `json:"value,omitempty"`
	Text     string `json:"text"`
}

// RunningTask is a placement that already exists, so that constraints count it.
type RunningTask struct {
	ID         string      `json:"id"`
	Group      string      `json:"group"`
	Hostname   string      `json:"hostname"`
	AgentID    string      `json:"agent_id,omitempty"`
	Attributes interface{} `json:"attributes,omitempty"`
	Region     string      `json:"region,omitempty"`
	Zone       string      `json:"zone,omitempty"`
}

// Host is a candidate agent for CheckConstraints.
type Host struct {
	Hostname   string      `json:"hostname"`
	Attributes interface{} `json:"attributes,omitempty"`
	Region     string      `json:"region,omitempty"`
	Zone       string      `json:"zone,omitempty"`
}

// Volume is a disk volume a task needs.
type Volume struct {
	Size          float64      `json:"size"`
	Type          string       `json:"type,omitempty"`
	Profile       string       `json:"profile,omitempty"`
	MaxSize       float64      `json:"max_size,omitempty"`
	Require       []Constraint `json:"require,omitempty"`
	PersistenceID string       `json:"persistence_id,omitempty"`
	ContainerPath string       `json:"container_path,omitempty"`
}

// Preference is a soft constraint with a weight.
type Preference struct {
	Constraint Constraint `json:"constraint"`
	Weight     *float64   `json:"weight,omitempty"`
}

// Elastic lets a task take the largest fit up to these maxima.
type Elastic struct {
	Cpus float64 `json:"cpus,omitempty"`
	Mem  float64 `json:"mem,omitempty"`
}

// Executor's resources are charged once per agent for the tasks that share its ID.
type Executor struct {
	ID   string  `json:"id"`
	Cpus float64 `json:"cpus,omitempty"`
	Mem  float64 `json:"mem,omitempty"`
	Disk float64 `json:"disk,omitempty"`
}

// Task is one task to place. Ports lists the ports it needs (0 = any free port). TaskInfo is
// passed through into the Mesos LAUNCH TaskInfo (name, command, container, ...).
type Task struct {
	ID            string                 `json:"id"`
	Group         string                 `json:"group,omitempty"`
	Instances     int                    `json:"instances,omitempty"`
	Role          string                 `json:"role,omitempty"`
	AcceptedRoles []string               `json:"accepted_roles,omitempty"`
	Cpus          float64                `json:"cpus,omitempty"`
	Mem           float64                `json:"mem,omitempty"`
	Disk          float64                `json:"disk,omitempty"`
	Gpus          float64                `json:"gpus,omitempty"`
	Scalars       map[string]float64     `json:"scalars,omitempty"`
	Ports         []int                  `json:"ports,omitempty"`
	Volumes       []Volume               `json:"volumes,omitempty"`
	Constraints   []Constraint           `json:"constraints,omitempty"`
	Preferences   []Preference           `json:"preferences,omitempty"`
	Dialect       string                 `json:"dialect,omitempty"`
	Gang          string                 `json:"gang,omitempty"`
	Elastic       *Elastic               `json:"elastic,omitempty"`
	Executor      *Executor              `json:"executor,omitempty"`
	GpuScheduling string                 `json:"gpu_scheduling,omitempty"`
	TaskInfo      map[string]interface{} `json:"task_info,omitempty"`
	// Revocable lets the task run on revocable resources (Mesos oversubscription).
	Revocable bool `json:"revocable,omitempty"`
}

// PlaceOptions are the options of a place request. Strategy is "binpack", "spread",
// "first_fit" or a map of weights.
type PlaceOptions struct {
	Strategy      interface{}            `json:"strategy,omitempty"`
	Profile       string                 `json:"profile,omitempty"`
	Roles         []string               `json:"roles,omitempty"`
	RefuseSeconds *float64               `json:"refuse_seconds,omitempty"`
	PortSelection string                 `json:"port_selection,omitempty"`
	Seed          *uint64                `json:"seed,omitempty"`
	PortBlacklist map[string][]int       `json:"port_blacklist,omitempty"`
	GpuScheduling string                 `json:"gpu_scheduling,omitempty"`
	FrameworkID   string                 `json:"framework_id,omitempty"`
	Principal     string                 `json:"principal,omitempty"`
	Explain       *bool                  `json:"explain,omitempty"`
	Now           *float64               `json:"now,omitempty"`
	DrainSeconds  *float64               `json:"drain_seconds,omitempty"`
	LocalRegion   string                 `json:"local_region,omitempty"`
	Limits        map[string]interface{} `json:"limits,omitempty"`
	// Objective is what to maximise when not every task fits: "tasks" (default) or "resources".
	Objective string `json:"objective,omitempty"`
}

// PlaceRequest is the request of Place (without its op).
type PlaceRequest struct {
	Offers  []Offer       `json:"offers"`
	Tasks   []Task        `json:"tasks"`
	Running []RunningTask `json:"running,omitempty"`
	Options *PlaceOptions `json:"options,omitempty"`
}

type placeRequest struct {
	Op string `json:"op"`
	PlaceRequest
}

// PlacedTask is a task placed on an agent, with exactly the resources it takes.
type PlacedTask struct {
	TaskID            string     `json:"task_id"`
	Resources         []Resource `json:"resources"`
	Ports             []int      `json:"ports"`
	Score             float64    `json:"score"`
	ExecutorResources []Resource `json:"executor_resources,omitempty"`
}

// Accept is what to launch on one agent, using those offers.
type Accept struct {
	AgentID   string       `json:"agent_id"`
	Hostname  string       `json:"hostname"`
	OfferIDs  []string     `json:"offer_ids"`
	Tasks     []PlacedTask `json:"tasks"`
	Remaining []Resource   `json:"remaining"`
}

// Decline is an offer to decline.
type Decline struct {
	OfferID       string  `json:"offer_id"`
	RefuseSeconds float64 `json:"refuse_seconds"`
	Reason        string  `json:"reason"`
}

// Reason says why a task was not placed, and on how many offers.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Offers  int    `json:"offers"`
}

// Nearest is the agent that came closest to taking an unplaced task.
type Nearest struct {
	AgentID  string             `json:"agent_id"`
	Hostname string             `json:"hostname"`
	Lacking  []string           `json:"lacking"`
	Missing  map[string]float64 `json:"missing"`
}

// Unplaced is a task that no offer could take.
type Unplaced struct {
	TaskID  string   `json:"task_id"`
	Reasons []Reason `json:"reasons"`
	Nearest *Nearest `json:"nearest,omitempty"`
}

// Stats counts a place call's work.
type Stats struct {
	Offers      int    `json:"offers"`
	Tasks       int    `json:"tasks"`
	Placed      int    `json:"placed"`
	Evaluations uint64 `json:"evaluations"`
	// Objective is what the answer maximised when not every task fits: "tasks" or "resources".
	Objective string `json:"objective"`
	// ObjectiveValue is its value: the placed count, or the placed share (0-1) of cpus and mem.
	ObjectiveValue float64 `json:"objective_value"`
	// RepairPasses counts the passes of the batch run after the first.
	RepairPasses int `json:"repair_passes"`
}

// Plan is what Place decides. Calls (when options name a framework_id) are Mesos v1 scheduler
// Call objects, ready to POST as they are.
type Plan struct {
	Accept   []Accept          `json:"accept"`
	Decline  []Decline         `json:"decline"`
	Unplaced []Unplaced        `json:"unplaced"`
	Calls    []json.RawMessage `json:"calls,omitempty"`
	Stats    Stats             `json:"stats"`
}

// ParsedConstraints is the answer of ParseConstraints: each constraint in object form, and a
// warning for each one the dialect ignores.
type ParsedConstraints struct {
	Constraints []ParsedConstraint `json:"constraints"`
	Warnings    []ErrorObject      `json:"warnings"`
}

// ConstraintResult is one constraint's verdict.
type ConstraintResult struct {
	Text      string `json:"text"`
	Satisfied bool   `json:"satisfied"`
}

// PreferenceResult is one preference's verdict.
type PreferenceResult struct {
	Text      string  `json:"text"`
	Weight    float64 `json:"weight"`
	Satisfied bool    `json:"satisfied"`
}

// CheckRequest is the request of CheckConstraints (without its op). Candidate is a Host or
// an Offer.
type CheckRequest struct {
	Constraints []Constraint  `json:"constraints"`
	Candidate   interface{}   `json:"candidate"`
	Placed      []RunningTask `json:"placed,omitempty"`
	Instances   int           `json:"instances,omitempty"`
	Preferences []Preference  `json:"preferences,omitempty"`
	Dialect     string        `json:"dialect,omitempty"`
	Delimiter   string        `json:"delimiter,omitempty"`
}

// CheckResult is the answer of CheckConstraints.
type CheckResult struct {
	Satisfied   bool               `json:"satisfied"`
	Results     []ConstraintResult `json:"results"`
	Preferences []PreferenceResult `json:"preferences,omitempty"`
	Score       *float64           `json:"score,omitempty"`
	Warnings    []ErrorObject      `json:"warnings"`
}
