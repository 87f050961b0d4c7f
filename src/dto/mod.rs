//! The contract's JSON shapes, one floor below the session and the wire (docs/contract.md):
//! the error object every answer uses ([`WireError`]), Mesos v1 JSON read into the model with
//! JSON pointers in errors ([`mesos`]), and the `place` request's options, tasks and running
//! tasks decoded into the engine's types ([`place`]). The wire answers requests with them; the
//! session reads its config and inputs with the same decoders, so both say the same things
//! about the same JSON.

use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use crate::error::Error;

pub(crate) mod error;
pub(crate) mod fast;
pub(crate) mod mesos;
pub(crate) mod place;
pub(crate) mod plan;

pub use error::WireError;

/// A list of errors, the payload of an `ok: false` response.
pub type Errors = Vec<WireError>;

/// Decodes a request (or a part of one) into `T`, reporting the JSON pointer of a bad field
/// as `base` + the path inside.
pub fn decode<T: DeserializeOwned>(json: Json, base: &str) -> Result<T, Errors> {
    serde_path_to_error::deserialize(json).map_err(|e| {
        let path = error::pointer(base, e.path());
        vec![WireError::from_serde(e.inner(), path)]
    })
}

/// Converts a core error about the field at `path` into the contract's error list.
pub fn fail(e: Error, path: &str) -> Errors {
    vec![WireError::from_error(&e, path)]
}
