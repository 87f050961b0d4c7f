//! The value and resource model: fixed-point scalars, ranges, sets, Mesos values,
//! resources with reservations and disk info, attributes, offers and task requests.

pub mod attribute;
pub mod dialect;
pub mod name;
pub mod offer;
pub mod ranges;
pub mod resource;
pub mod resources;
pub mod role;
pub mod scalar;
pub mod set;
pub mod task;
pub mod value;

pub use attribute::{Attribute, Attributes};
pub use dialect::Dialect;
pub use name::ResourceName;
pub use offer::{Offer, Unavailability};
pub use ranges::{Range, Ranges};
pub use resource::*;
pub use resources::Resources;
pub use scalar::Scalar;
pub use set::Set;
pub use task::*;
pub use value::{Value, ValueType};
