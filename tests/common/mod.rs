//! Helpers shared by integration tests.

pub mod mesos_validation;
