//! The autoscaler's rules and its decision of the pod count.
//!
//! The rules mirror the `behavior` field of a Kubernetes `autoscaling/v2`
//! HorizontalPodAutoscaler, JSON names included, so that the same rules can be
//! handed to one. [`recommend`] is the HPA replica formula. [`decide`]
//! follows the HPA controller in `pkg/controller/podautoscaler/horizontal.go`
//! of Kubernetes: the bounds check of `reconcileAutoscaler`, then
//! `normalizeDesiredReplicasWithBehaviors` with stabilization, rate limits and
//! the bounds again. The cluster's pod maximum, which Kubernetes does not
//! have, comes last.
//!
//! Everything here is a pure function of its arguments. Nothing reads a
//! clock: `now` and every timestamp are parameters, in [`Millis`]. Rate limits
//! are computed in integers. The HPA controller uses `float64` there, which
//! can be one pod off: 10% more than 50 pods allows 56 there and 55 here, and
//! 90% less than 10 pods leaves 0 there and 1 here.

mod behavior;
mod decide;
mod describe;
mod recommend;

pub use behavior::{
    Behavior, MAX_PERIOD_SECONDS, MAX_STABILIZATION_WINDOW_SECONDS, PolicyKind, ScalingPolicy,
    ScalingRules, SelectPolicy,
};
pub use decide::{DecideInput, Decision, Limit, RecommendationRecord, ScaleEvent, decide};
pub use recommend::recommend;

/// A point in time, in milliseconds since the Unix epoch.
pub type Millis = u64;
