//! Wire types, validation rules and the error model of the Headroom API.
//!
//! The console (compiled to WebAssembly) and the control plane (native) both
//! depend on this crate, so a request is parsed, validated and explained by
//! the same functions on both sides. Nothing here does I/O or reads a clock.

pub mod access;
pub mod autoscaling;
pub mod json;
pub mod monitoring;
pub mod scaling;
pub mod status;

pub use status::{Code, Detail, FieldViolation, Status};
