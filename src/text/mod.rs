//! nom parsers for the Mesos text formats and the constraint language. nom's types never
//! leave this module: every parser returns [`crate::Error`] with a span.

pub mod attributes;
pub(crate) mod constraint;
pub mod resources;
pub mod value;

pub use attributes::parse_attributes;
pub use resources::{parse_resource, parse_resources};
pub use value::parse_value;
