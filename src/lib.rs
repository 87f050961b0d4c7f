//! # offerfit
//!
//! An offer-matching and placement engine for Apache Mesos style schedulers, with a pure,
//! no-I/O core: it parses placement constraints (Marathon, OpenWhisk and richer operators),
//! models and parses Mesos resources and attributes, scores offers, places batches of tasks
//! and emits accept / decline decisions with reasons.
//!
//! Every operation is also reachable through one JSON contract, [`call`], shared by the CLI,
//! the WebAssembly package and the C ABI.
//!
//! Around one placement, a [`Session`] keeps the whole scheduler side of a Mesos framework
//! (offers, tasks, acknowledgements, filters, reconciliation, failover) as a pure state
//! machine: events in, Mesos calls out ([`session`], SESSION.md).
//!
//! ```
//! let v = offerfit::parse_value("[31000-32000, 32001-32005]").unwrap();
//! assert_eq!(v.to_string(), "[31000-32005]");
//! ```
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
pub mod wire;

pub use decision::{AgentAccept, Decline, DeclineReason, Launch, Nearest, Plan, Reason, ReasonCode, Stats, Unplaced};
pub use engine::{Engine, Options, PlaceError, PlaceRequest, PortSelection, Profile, Strategy, TieBreak};
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
