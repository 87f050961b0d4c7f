//! # offerfit
//!
//! An offer-matching and placement engine for Apache Mesos style schedulers, with a pure,
//! no-I/O core: it parses placement constraints (Marathon, OpenWhisk and richer operators),
//! models and parses Mesos resources and attributes, scores offers, places batches of tasks
//! and emits accept / decline decisions with reasons.
//!
//! ```toml
//! [dependencies]
//! offerfit = { version = "0.1", features = ["serde"] }   # serde: JSON <-> typed values
//! ```
//!
//! ## Placing tasks on offers
//!
//! Build the offers (as the Mesos scheduler API sends them) and the tasks, pick the
//! [`Options`], and ask an [`Engine`] for a [`Plan`]: the launches per agent, the offers to
//! decline and the tasks left unplaced, each with its reasons. A declined offer or an
//! unplaced task is a normal outcome, not an error; `Err` is for malformed input only.
//!
//! Around one placement, a [`Session`] keeps the whole scheduler side of a Mesos framework
//! (offers, tasks, acknowledgements, filters, reconciliation, failover) as a pure state
//! machine: events in, Mesos calls out ([`session`], docs/contract.md part 3).
//!
//! ```
//! use offerfit::{
//!     parse_attributes, parse_resources, ConstraintSpec, Engine, Offer, Options, PlaceRequest, Scalar, Strategy,
//!     TaskRequest,
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut offers = Vec::new();
//! for (host, resources, rack) in [("w1", "cpus:4; mem:8192; ports:[31000-31009]", "rack:r1"),
//!                                 ("w2", "cpus:2; mem:4096; ports:[31000-31009]", "rack:r2")] {
//!     let mut offer = Offer::new(format!("{host}-O1"), format!("{host}-S"), host);
//!     offer.resources = parse_resources(resources, "*")?;
//!     offer.attributes = parse_attributes(rack)?;
//!     offers.push(offer);
//! }
//! let mut tasks = Vec::new();
//! for id in ["web-1", "web-2"] {
//!     let mut task = TaskRequest::new(id);
//!     task.group = Some("web".into());
//!     (task.cpus, task.mem) = (Scalar::from_units(1), Scalar::from_units(1024));
//!     task.ports = vec![0]; // any free host port
//!     task.constraints = vec![ConstraintSpec::text("rack UNIQUE")];
//!     tasks.push(task);
//! }
//! let mut huge = TaskRequest::new("batch-0");
//! huge.cpus = Scalar::from_units(16);
//! tasks.push(huge);
//!
//! let options = Options { strategy: Strategy::Binpack, ..Options::default() };
//! let request = PlaceRequest { offers, tasks, running: Vec::new() };
//! let plan = Engine::new(options)?.place(&request)?;
//!
//! // One web task per rack, each with a host port from its agent's offer.
//! assert_eq!(plan.accept.len(), 2);
//! for agent in &plan.accept {
//!     let launch = &agent.tasks[0];
//!     assert!(launch.task_id.starts_with("web-") && (31000..=31009).contains(&launch.ports[0]));
//! }
//! // No agent has 16 cpus: the task stays unplaced, with the reasons in check order.
//! assert_eq!(plan.unplaced[0].task_id, "batch-0");
//! assert_eq!(plan.unplaced[0].reasons[0].code.as_str(), "insufficient_cpus");
//! # Ok(())
//! # }
//! ```
//!
//! ## From JSON
//!
//! With the `serde` feature, the typed model reads and writes the contract's JSON shapes:
//! [`Offer`], [`Resources`] and [`Attributes`] as Mesos v1 JSON (resources and attributes also
//! as agent flag text), [`TaskRequest`], [`Options`] and [`PlaceRequest`] as in a `place`
//! request, and a [`Plan`] serializes as the `place` answer. Decoding validates as the
//! contract does, and an error names the JSON pointer of the culprit.
//!
//! ```
//! # #[cfg(feature = "serde")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use offerfit::{Engine, Options, PlaceRequest};
//!
//! let request: PlaceRequest = serde_json::from_str(r#"{
//!     "offers": [{"id": {"value": "O1"}, "agent_id": {"value": "S1"}, "hostname": "w1",
//!                 "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 4}},
//!                               {"name": "mem", "type": "SCALAR", "scalar": {"value": 4096}}]}],
//!     "tasks": [{"id": "web-1", "cpus": 1, "mem": 512}]
//! }"#)?;
//! let options: Options = serde_json::from_str(r#"{"strategy": "spread"}"#)?;
//! let plan = Engine::new(options)?.place(&request)?;
//! let answer = serde_json::to_value(&plan)?;
//! assert_eq!(answer["accept"][0]["tasks"][0]["task_id"], "web-1");
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "serde"))]
//! # fn main() {}
//! ```
//!
//! ## One JSON contract for every host
//!
//! Every operation is also reachable through one JSON contract, [`call`], shared by the CLI,
//! the WebAssembly package and the C ABI, with byte-identical answers; [`host`] has its other
//! entry points (bytes, JSON values, limits).
//!
//! ```
//! let answer = offerfit::call(r#"{"op": "parse_value", "text": "[31000-32000, 32001-32005]"}"#);
//! assert!(answer.starts_with(r#"{"ok":true,"value":{"type":"RANGES""#));
//! let v = offerfit::parse_value("[31000-32000, 32001-32005]").unwrap();
//! assert_eq!(v.to_string(), "[31000-32005]");
//! ```
//!
//! ## Features
//!
//! - `serde`: `Serialize` / `Deserialize` for the typed model and the plan, as above.
//! - `bench-gen`: the seeded benchmark workloads (`offerfit::bench_gen`), for benchmarks only.
//! - `tsify`: TypeScript declarations of every op's request and result, derived (tsify) from
//!   the types that decode the requests and write the results; the npm package's `.d.ts` is
//!   built from them. Pulls in wasm-bindgen; off by default.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

#[cfg(feature = "bench-gen")]
pub mod bench_gen;
pub mod constraint;
pub mod decision;
pub mod engine;
pub mod error;
mod hash;
pub mod json;
pub mod limits;
pub mod mesos;
pub mod model;
pub mod session;
pub mod suggest;
pub mod text;
// The contract's shapes (error object, Mesos JSON readers, `place` request decoders), below the
// session and the wire; private: hosts see them through [`host`].
mod dto;
// The contract's implementation (dispatcher, ops, fast path) is private; hosts use
// [`call`] or the facade [`host`].
pub mod host;
#[cfg(feature = "serde")]
mod serde_impls;
mod wire;

pub use decision::{
    AgentAccept, Calls, Decline, DeclineReason, Launch, Nearest, Plan, Reason, ReasonCode, Stats, Unplaced,
};
pub use engine::{
    Engine, Held, Objective, Options, PlaceError, PlaceRequest, PortSelection, Profile, Strategy, TieBreak,
};
pub use error::{Error, ParseError, Result, Span};
pub use limits::{LimitKind, Limits};
pub use model::*;
pub use session::Session;
pub use text::{parse_attributes, parse_resource, parse_resources, parse_value};
pub use wire::call;

/// The README's Rust examples, compiled and run as doctests so the README cannot rot.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
