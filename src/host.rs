//! The JSON contract for hosts: what a binding, a tool or a service needs to answer contract
//! requests (`docs/contract.md`) without reaching into the implementation.
//!
//! [`crate::call`] is enough for most hosts: JSON text in, JSON text out. The other entry
//! points take the request in the form the host already has: bytes that may not be UTF-8
//! ([`call_bytes`], for C and plain-WASM callers), a parsed [`serde_json::Value`]
//! ([`call_json`], for hosts that build requests as values), with [`Limits`](crate::Limits)
//! of their own (`*_with_limits`). Each gives byte-identical answers for the same request.
//!
//! The helpers build answers in the contract's own error shape when a host refuses a request
//! before the core sees it ([`parse_strict`], [`fail`], [`json_pointer`], [`utf8_error`]), and
//! [`mesos`] converts between Mesos v1 JSON and the typed model.
//!
//! ```
//! use offerfit::host;
//! let answer = host::call_bytes(br#"{"op":"parse_value","text":"[1-3, 4-5]"}"#);
//! assert_eq!(answer, r#"{"ok":true,"value":{"type":"RANGES","ranges":{"range":[{"begin":1,"end":5}]}}}"#);
//! assert!(host::OPS.contains(&"place"));
//! let e = host::parse_strict("{\"op\": 1,}").unwrap_err();
//! assert_eq!((e.code.as_str(), e.line, e.column), ("request.json", Some(1), Some(10)));
//! ```

pub use crate::wire::{
    call, call_bytes, call_json, call_json_with_limits, call_place_fast, call_with_limits, fail, json_pointer,
    parse_strict, parse_strict_with_depth, refusal_for_size, utf8_error, Errors, WireEngine, WireError, OPS, VERSION,
};

/// Mesos v1 JSON ⇄ the typed model: offers, resources and attributes as the Mesos
/// scheduler API writes them (`OFFERS` events, `/state`), with JSON pointers in errors.
pub mod mesos {
    pub use crate::dto::mesos::{
        attribute_to_json, attributes_from_json, attributes_to_json, offer_from_json, offer_to_json, offers_from_json,
        ranges_to_json, resource_from_json, resource_to_json, resources_from_json, resources_to_json, scalar_json,
        set_to_json, value_to_json,
    };
}
