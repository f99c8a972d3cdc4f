//! The autoscaler's rules and the replica formula.
//!
//! The rules mirror the `behavior` field of a Kubernetes `autoscaling/v2`
//! HorizontalPodAutoscaler, JSON names included, so that the same rules can be
//! handed to one. [`recommend`] is the HPA replica formula. Nothing here does
//! I/O or reads a clock.

mod behavior;
mod describe;
mod recommend;

pub use behavior::{
    Behavior, MAX_PERIOD_SECONDS, MAX_STABILIZATION_WINDOW_SECONDS, PolicyKind, ScalingPolicy,
    ScalingRules, SelectPolicy,
};
pub use recommend::recommend;
