//! Helpers shared by integration tests.

pub mod gen;
pub mod mesos_validation;
