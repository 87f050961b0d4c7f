//! Mesos v1 scheduler-API JSON ⇄ the model: the readers (`*_from_json`) turn `Resource`,
//! `Attribute` and `Offer` objects into [`crate::model`] values (tolerant the way Mesos' own
//! JSON reader and protobuf's `JsonFormat` are, every error a [`ReadError`] with the JSON
//! pointer of its culprit); the writers (`*_to_json`) turn model values back into the JSON
//! Mesos expects (the post-refinement form).
//!
//! The wire ([`crate::host::mesos`]) answers with these same readers and writers, its
//! errors converted to contract errors.
//!
//! ```
//! use serde_json::json;
//! let r = offerfit::mesos::resources_from_json(&json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": "2"}}]), "").unwrap();
//! assert_eq!(offerfit::mesos::resources_to_json(&r)[0]["scalar"], json!({"value": 2}));
//! ```

pub(crate) mod dto;
mod numbers;
pub(crate) mod pointer;
pub(crate) mod read;
mod read_text;
pub(crate) mod task_info;
#[rustfmt::skip]
mod task_info_fields;
mod write;
pub(crate) mod write_text;

pub(crate) use pointer::{kind, serde_error};
pub use read::{
    attributes_from_json, offer_from_json, offers_from_json, resource_from_json, resources_from_json, ReadError,
    ReadErrors,
};
pub use read_text::resources_from_json_text;
pub(crate) use read_text::DirectList;
pub use write::{
    attribute_to_json, attributes_to_json, offer_to_json, ranges_to_json, resource_to_json, resources_to_json,
    scalar_json, set_to_json, value_to_json,
};
