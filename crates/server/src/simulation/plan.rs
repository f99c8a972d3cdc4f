//! The best plan: the pod count of every evaluation, chosen with the whole
//! load known in advance and under the autoscaler's rules, as a yardstick
//! for the autoscaler.
//!
//! The plan changes the count only at evaluations, like the autoscaler,
//! and obeys the same rate policies, stabilization windows, bounds and pod
//! maximum. Its aim is the fewest pod-hours with no rejected request, or
//! with only the rejections that the bounds make unavoidable. It is built in
//! three passes over the evaluations:
//!
//! 1. Needs. Pods set at an evaluation serve once they have started, and
//!    the cluster removes pods at once. So the count set at evaluation `k`
//!    must cover every step from `k` until one start-up delay after the next
//!    evaluation. The need of `k` is the largest pod count those steps call
//!    for at the utilization ceiling, within the bounds.
//! 2. Backward pass, from the last evaluation to the first. Where the
//!    recommendation of evaluation `k` is `n`, above the one before, the
//!    count rises to `n` at `k`. That rise is within a scale-up policy only
//!    if the count at the start of the policy's period, one period earlier,
//!    is at least the smallest count from which the policy allows `n`. The
//!    pass raises that earlier recommendation to it, under `Max` for the
//!    policy that needs the smallest earlier count and under `Min` for every
//!    policy. A scale-up stabilization window gets the same treatment: its
//!    earlier recommendations are raised to `n`.
//! 3. Forward pass: the raised recommendations go through the real
//!    [`decide`]. It scales up to each one at once, because the backward
//!    pass made every rise allowed. It scales down as far and as early as the
//!    stabilization window and the scale-down policies let it.
//!
//! The result obeys the rules because `decide` made every change, and the
//! rule checker of [`super::rules`] verifies it again in the tests.
//!
//! NOTE: this is a heuristic, not a proven optimum. Each raise serves one
//! later rise at a time, and with several scale-up policies of different
//! periods the policy is chosen one evaluation at a time. Its pod-hours are
//! an upper bound of the optimum. The pod-hours of the needs alone, which
//! no schedule without rejections can go below, are a lower bound, so the
//! gap between the two bounds what the heuristic can lose.

use headroom_api::autoscaling::{
    DecideInput, Millis, RecommendationRecord, ScaleEvent, ScalingPolicy, SelectPolicy, decide,
};

use super::rules::{Rules, grown};
use super::{Load, Model, pods_for, remembered};

/// A pod count for every evaluation, computed in advance.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The count set at each evaluation. Index 0 is the count at the start,
    /// and index `k` applies from `k` evaluation intervals on.
    pub counts: Vec<u32>,
    /// The recommendation recorded at each evaluation: the need, raised by
    /// the backward pass.
    pub recommendations: Vec<u32>,
    /// The pods each evaluation's count must reach for no request to be
    /// rejected, within the bounds.
    pub needs: Vec<u32>,
    /// Pod-hours of the needs alone: no schedule that changes the count at
    /// evaluations and rejects nothing uses fewer.
    pub lower_bound_pod_hours: f64,
}

/// Computes the plan for `load`, keeping pods at most at `utilization`
/// (from 0 to 1) of their capacity. The model must pass [`Model::validate`].
pub fn best_plan(model: &Model, load: &Load, rules: &Rules, utilization: f64) -> Plan {
    let needs = needs(model, load, rules, utilization);
    let recommendations = raise_for_rises(model, rules, &needs);
    let counts = follow(model, rules, &recommendations);

    let per_evaluation = model.steps_per_evaluation();
    let step_count = model.steps(load.duration);
    let lower_bound_pod_hours = (0..step_count)
        .map(|index| {
            let start = model.sample_interval * index as u32;
            let length = model
                .sample_interval
                .min(load.duration - start)
                .as_secs_f64();
            f64::from(needs[index / per_evaluation]) * length / 3600.0
        })
        .sum();
    Plan {
        counts,
        recommendations,
        needs,
        lower_bound_pod_hours,
    }
}

/// Returns the need of every evaluation: the most pods that a step from
/// the evaluation to one start-up delay after the next one calls for.
fn needs(model: &Model, load: &Load, rules: &Rules, utilization: f64) -> Vec<u32> {
    let rate_per_pod = model.capacity_per_pod() * utilization;
    let step_count = model.steps(load.duration);
    let step_needs: Vec<u32> = (0..step_count)
        .map(|index| pods_for(load.rate(model, index), rate_per_pod))
        .collect();

    let per_evaluation = model.steps_per_evaluation();
    let evaluation_ms = model.evaluation_interval.as_millis() as Millis;
    let startup_ms = model.longest_startup().as_millis() as Millis;
    let (lowest, highest) = rules.range();
    (0..step_count.div_ceil(per_evaluation))
        .map(|evaluation| {
            let first = evaluation * per_evaluation;
            let covered_until = (evaluation as Millis + 1) * evaluation_ms + startup_ms;
            let end = (covered_until.div_ceil(model.step_ms()) as usize).min(step_count);
            let max_need = step_needs[first..end].iter().copied().max().unwrap_or(0);
            max_need.clamp(lowest, highest)
        })
        .collect()
}

/// Raises recommendations, from the last to the first, so that every later
/// rise is within the scale-up rules: the backward pass.
fn raise_for_rises(model: &Model, rules: &Rules, needs: &[u32]) -> Vec<u32> {
    let scale_up = &rules.behavior.scale_up;
    let evaluation_ms = model.evaluation_interval.as_millis() as Millis;
    // Evaluations from the start of a period to its end.
    let lag =
        |policy: &ScalingPolicy| (policy.period_seconds * 1000).div_ceil(evaluation_ms) as usize;
    // Earlier evaluations whose recommendations the scale-up window holds.
    let window = (scale_up.stabilization_window_seconds * 1000).div_ceil(evaluation_ms) as usize;

    let mut recommendations = needs.to_vec();
    for evaluation in (1..recommendations.len()).rev() {
        let target = recommendations[evaluation];
        // The count set before is at least its recommendation, which no
        // later evaluation raises any more, so only a higher target is a rise.
        if target <= recommendations[evaluation - 1] {
            continue;
        }
        // Index 0 is the starting count, which records no recommendation.
        let window_start = evaluation.saturating_sub(window.saturating_sub(1)).max(1);
        for earlier in &mut recommendations[window_start..evaluation] {
            *earlier = (*earlier).max(target);
        }

        let disabled =
            scale_up.select_policy == SelectPolicy::Disabled || scale_up.policies.is_empty();
        if disabled {
            recommendations[evaluation - 1] = recommendations[evaluation - 1].max(target);
            continue;
        }
        let starts = scale_up.policies.iter().map(|policy| {
            (
                evaluation.saturating_sub(lag(policy)),
                smallest_start(policy, target),
            )
        });
        let raises: Vec<(usize, u32)> = if scale_up.select_policy == SelectPolicy::Max {
            starts.min_by_key(|&(_, start)| start).into_iter().collect()
        } else {
            starts.collect()
        };
        for (start_index, start) in raises {
            recommendations[start_index] = recommendations[start_index].max(start);
        }
    }
    recommendations
}

/// Returns the smallest count from which `policy` allows a rise to `target`.
fn smallest_start(policy: &ScalingPolicy, target: u32) -> u32 {
    let (mut low, mut high) = (0, target);
    while low < high {
        let middle = low + (high - low) / 2;
        if grown(middle, policy) >= u64::from(target) {
            high = middle;
        } else {
            low = middle + 1;
        }
    }
    low
}

/// Returns the count `decide` sets at each evaluation, given the raised
/// recommendations: the forward pass.
fn follow(model: &Model, rules: &Rules, recommendations: &[u32]) -> Vec<u32> {
    let evaluation_ms = model.evaluation_interval.as_millis() as Millis;
    let mut counts = Vec::with_capacity(recommendations.len());
    let mut changes: Vec<ScaleEvent> = Vec::new();
    let mut records: Vec<RecommendationRecord> = Vec::new();
    let Some(&initial) = recommendations.first() else {
        return counts;
    };
    counts.push(initial);

    for (evaluation, &recommendation) in recommendations.iter().enumerate().skip(1) {
        let now = evaluation as Millis * evaluation_ms;
        let current = counts[evaluation - 1];
        let decision = decide(&DecideInput {
            behavior: &rules.behavior,
            min_node_count: rules.min_node_count,
            max_node_count: rules.max_node_count,
            pod_maximum: rules.pod_maximum,
            current,
            recommendation,
            now,
            events: remembered(&changes, now, |change| change.at),
            recommendations: remembered(&records, now, |record| record.at),
        });
        records.push(RecommendationRecord {
            at: now,
            replicas: recommendation,
        });
        if decision.desired != current {
            changes.push(ScaleEvent {
                at: now,
                from: current,
                to: decision.desired,
            });
        }
        counts.push(decision.desired);
    }
    counts
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use headroom_api::autoscaling::Behavior;

    use super::*;
    use crate::cluster::simulated::StartupDelay;
    use crate::loadgen::Scenario;

    fn model() -> Model {
        Model {
            concurrency_per_pod: 4,
            service_time: Duration::from_millis(50),
            startup: StartupDelay {
                base: Duration::from_secs(3),
                jitter: Duration::from_secs(2),
            },
            sample_interval: Duration::from_secs(5),
            evaluation_interval: Duration::from_secs(15),
        }
    }

    fn rules() -> Rules {
        Rules {
            behavior: Behavior::default(),
            min_node_count: 1,
            max_node_count: 50,
            pod_maximum: 50,
        }
    }

    fn spike() -> Load {
        Load {
            scenario: Scenario::Spike,
            base_rate: 400.0,
            duration: Duration::from_secs(86_400),
        }
    }

    /// Returns the evaluation at a time of day.
    fn at(hours: u64, minutes: u64, seconds: u64) -> usize {
        ((hours * 3600 + minutes * 60 + seconds) / 15) as usize
    }

    #[test]
    fn need_covers_next_interval_and_startup() {
        // The spike starts at 12:00:00 and calls for 1600 / 80 = 20 pods.
        // The count set at 11:59:45 still applies at 12:00:00, so it needs
        // 20. The one set at 11:59:30 is replaced at 11:59:45, whose pods
        // start within 5 s, before 12:00:00.
        let plan = best_plan(&model(), &spike(), &rules(), 1.0);
        assert_eq!(plan.needs[at(11, 59, 30)], 5);
        assert_eq!(plan.needs[at(11, 59, 45)], 20);
        assert_eq!(plan.needs[at(12, 19, 45)], 20);
        assert_eq!(plan.needs[at(12, 20, 0)], 5);
        assert_eq!(plan.needs.len(), 5760);
    }

    #[test]
    fn plan_raises_one_period_ahead() {
        // From 5 pods the rules allow 15. A rise to 20 needs 10 pods at the
        // start of the period that ends at 11:59:45, and 10 is within reach
        // of 5. The 10 pods may go once the 5-minute window has passed,
        // because the rise to 20 counts from the start of its period.
        let plan = best_plan(&model(), &spike(), &rules(), 1.0);
        assert_eq!(plan.counts[0], 5);
        assert_eq!(plan.counts[at(11, 49, 30)], 5);
        assert_eq!(plan.counts[at(11, 49, 45)], 10);
        assert_eq!(plan.counts[at(11, 54, 30)], 10);
        assert_eq!(plan.counts[at(11, 54, 45)], 5);
        assert_eq!(plan.counts[at(11, 59, 45)], 20);
        assert_eq!(plan.counts[at(12, 19, 45)], 20);
    }

    #[test]
    fn plan_scales_down_after_window() {
        // The need is 5 from 12:20:00 on. The recommendation of 20 at
        // 12:19:45 leaves the 5-minute window at 12:24:45. Then the count
        // falls by 10% per 10 minutes: 18, 16, and so on down to 5.
        let plan = best_plan(&model(), &spike(), &rules(), 1.0);
        assert_eq!(plan.counts[at(12, 24, 30)], 20);
        assert_eq!(plan.counts[at(12, 24, 45)], 18);
        assert_eq!(plan.counts[at(12, 34, 30)], 18);
        assert_eq!(plan.counts[at(12, 34, 45)], 16);
        assert_eq!(*plan.counts.last().unwrap(), 5);
    }

    #[test]
    fn plan_meets_every_need() {
        let plan = best_plan(&model(), &spike(), &rules(), 0.7);
        for (evaluation, (count, need)) in plan.counts.iter().zip(&plan.needs).enumerate() {
            assert!(
                count >= need,
                "evaluation {evaluation}: {count} pods for a need of {need}"
            );
        }
        let plan_hours: f64 = plan
            .counts
            .iter()
            .map(|&count| f64::from(count) * 15.0 / 3600.0)
            .sum();
        assert!(plan.lower_bound_pod_hours <= plan_hours);
    }

    #[test]
    fn smallest_start_inverts_growth() {
        let percent = ScalingPolicy::percent(50, 600);
        let pods = ScalingPolicy::pods(10, 600);
        assert_eq!(smallest_start(&percent, 20), 13);
        assert_eq!(smallest_start(&percent, 15), 10);
        assert_eq!(smallest_start(&pods, 20), 10);
        assert_eq!(smallest_start(&pods, 5), 0);
        assert_eq!(smallest_start(&percent, 0), 0);
    }
}
