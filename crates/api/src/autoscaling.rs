//! The autoscaler's rules.
//!
//! The rules mirror the `behavior` field of a Kubernetes `autoscaling/v2`
//! HorizontalPodAutoscaler, JSON names included, so that the same rules can be
//! handed to one. Nothing here does I/O or reads a clock.

mod behavior;
mod describe;

pub use behavior::{
    Behavior, MAX_PERIOD_SECONDS, MAX_STABILIZATION_WINDOW_SECONDS, PolicyKind, ScalingPolicy,
    ScalingRules, SelectPolicy,
};
