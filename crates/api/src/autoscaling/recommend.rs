//! The replica formula of the Kubernetes HorizontalPodAutoscaler.

/// Slack for floating-point noise. A ratio this close to the tolerance edge
/// counts as inside it, and a pod count this close (relative to its size) to
/// a whole number counts as that number.
const FLOAT_SLACK: f64 = 1e-9;

/// Computes the pod count that brings utilization to its target:
/// `ceil(ready_pods * utilization / target_utilization)`.
///
/// The count stays at `ready_pods` while the ratio of utilization to target
/// is within `tolerance` of 1 (Kubernetes uses 0.1), so a ratio of exactly
/// 1.1 keeps the count although `1.1 - 1.0` is `0.10000000000000009` in
/// `f64`. Returns 0 for 0 ready pods, because no ratio applies, so the caller
/// picks the count. Returns `ready_pods` unchanged when the utilization is
/// negative or not finite, or when the target is not a finite number above 0.
pub fn recommend(
    ready_pods: u32,
    utilization: f64,
    target_utilization: f64,
    tolerance: f64,
) -> u32 {
    if ready_pods == 0 {
        return 0;
    }
    let usable = utilization.is_finite()
        && utilization >= 0.0
        && target_utilization.is_finite()
        && target_utilization > 0.0;
    if !usable {
        return ready_pods;
    }

    let ratio = utilization / target_utilization;
    if (ratio - 1.0).abs() <= tolerance + FLOAT_SLACK {
        return ready_pods;
    }

    let exact = f64::from(ready_pods) * utilization / target_utilization;
    let nearest = exact.round();
    let count = if (exact - nearest).abs() <= FLOAT_SLACK * nearest.max(1.0) {
        nearest
    } else {
        exact.ceil()
    };
    // `as` saturates: counts above u32::MAX become u32::MAX.
    count as u32
}
