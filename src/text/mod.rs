//! nom parsers for the Mesos text formats and the constraint language. nom's types never
//! leave this module: every parser returns [`crate::Error`] with a span.

pub mod value;

pub use value::parse_value;
