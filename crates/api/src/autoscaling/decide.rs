//! The decision of one autoscaler evaluation: bounds, stabilization, rate
//! limits, bounds again and the cluster's pod maximum, in that order.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::Millis;
use super::behavior::{Behavior, PolicyKind, ScalingPolicy, ScalingRules, SelectPolicy};
use super::describe::{Direction, adjective, duration, pods, rate};

/// A change of the pod count that the autoscaler made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaleEvent {
    pub at: Millis,
    pub from: u32,
    pub to: u32,
}

/// A raw recommendation of a past evaluation, before stabilization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecommendationRecord {
    pub at: Millis,
    pub replicas: u32,
}

/// Everything one evaluation depends on.
#[derive(Clone, Copy, Debug)]
pub struct DecideInput<'a> {
    pub behavior: &'a Behavior,
    pub min_node_count: u32,
    pub max_node_count: u32,
    /// Maximum number of pods the cluster allows, applied after every other rule.
    pub pod_maximum: u32,
    /// Pods requested now.
    pub current: u32,
    /// Pod count the metrics call for now, before stabilization, such as
    /// [`recommend`](super::recommend) returns.
    pub recommendation: u32,
    pub now: Millis,
    /// Changes of the count that the autoscaler made, moves into the bounds
    /// included, in any order. Events older than the longest policy period no
    /// longer matter.
    pub events: &'a [ScaleEvent],
    /// Raw recommendations of earlier evaluations, in any order. The current
    /// one is `recommendation`, and the caller records it after deciding.
    /// Records older than the longest stabilization window no longer matter.
    pub recommendations: &'a [RecommendationRecord],
}

/// The pod count to set and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Pods to request.
    pub desired: u32,
    /// The raw recommendation, as given.
    pub recommendation: u32,
    /// The recommendation after the stabilization windows. Equals
    /// `recommendation` when a count outside the bounds skipped stabilization.
    pub stabilized: u32,
    /// The rule that kept `desired` from the recommendation, if any.
    pub limited_by: Option<Limit>,
    /// One plain sentence with the numbers, for people.
    pub reason: String,
}

/// The rule that set a decision's count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "rule",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Limit {
    /// `behavior.scaleUp.policies[policy_index]` allowed no more pods.
    ScaleUpRate {
        policy_index: usize,
        period_seconds: u64,
    },
    /// `behavior.scaleDown.policies[policy_index]` allowed no fewer pods.
    ScaleDownRate {
        policy_index: usize,
        period_seconds: u64,
    },
    /// Scale-up is disabled, or has no policies.
    ScaleUpDisabled,
    /// Scale-down is disabled, or has no policies.
    ScaleDownDisabled,
    /// The count is at most maxNodeCount, or was above it and moved to it.
    MaxNodeCount,
    /// The count is at least minNodeCount, or was below it and moved to it.
    MinNodeCount,
    /// The count is at most the cluster's pod maximum.
    PodMaximum,
    /// A stabilization window kept the count closer to the current one.
    Stabilization,
}

impl Decision {
    /// Returns whether the decision changes the pod count.
    pub fn changed(&self, current: u32) -> bool {
        self.desired != current
    }

    /// Returns whether the recommendation differs from the current count,
    /// whether or not the rules let the count follow it.
    pub fn wanted_to_change(&self, current: u32) -> bool {
        self.recommendation != current
    }
}

/// Decides the pod count of one evaluation, as the Kubernetes HPA controller
/// does with `behavior` set, in exact integer arithmetic.
///
/// 1. A current count outside `[min_node_count, max_node_count]` moves to the
///    nearest bound at once, without stabilization or rate limits.
/// 2. Stabilization: the count rises at most to the lowest recommendation of
///    the scale-up window, and falls at most to the highest recommendation of
///    the scale-down window. Both windows include the current recommendation.
/// 3. Rate limits: each policy allows a change from the count at the start of
///    its period. That count is `current` minus the net change of the events
///    within the period, so changes in both directions count.
/// 4. The bounds again, then the cluster's pod maximum, which caps the count
///    of step 1 too.
///
/// When `min_node_count` is above `max_node_count`, `min_node_count` is
/// used for both, as in [`ScalingRequest::desired_count`](crate::scaling::ScalingRequest::desired_count).
pub fn decide(input: &DecideInput) -> Decision {
    let current = input.current;
    let min = input.min_node_count;
    let max = input.max_node_count.max(min);

    if current > max || current < min {
        return move_into_bounds(input, min, max);
    }

    let stabilized = stabilize(input);
    let (rated, rate_limit) = if stabilized > current {
        let limit = scale_up_limit(input);
        (stabilized.min(limit.count), Some(limit))
    } else if stabilized < current {
        let limit = scale_down_limit(input);
        (stabilized.max(limit.count), Some(limit))
    } else {
        (stabilized, None)
    };
    let bounded = rated.clamp(min, max);
    let desired = bounded.min(input.pod_maximum);

    let steps = Steps::new(input, stabilized, desired);
    let (limited_by, reason) = if desired != bounded {
        (Limit::PodMaximum, steps.explain_pod_maximum())
    } else if bounded < rated {
        (Limit::MaxNodeCount, steps.explain_limit("by maxNodeCount"))
    } else if bounded > rated {
        (Limit::MinNodeCount, steps.explain_limit("by minNodeCount"))
    } else if rated != stabilized
        && let Some(limit) = rate_limit
    {
        explain_rate(input.behavior, &steps, &limit)
    } else if stabilized != input.recommendation {
        (Limit::Stabilization, steps.explain_stabilization())
    } else {
        return Decision {
            desired,
            recommendation: input.recommendation,
            stabilized,
            limited_by: None,
            reason: steps.explain_unlimited(),
        };
    };

    Decision {
        desired,
        recommendation: input.recommendation,
        stabilized,
        limited_by: Some(limited_by),
        reason,
    }
}

/// Moves a current count that lies outside the bounds to the nearest bound,
/// capped by the cluster's pod maximum.
fn move_into_bounds(input: &DecideInput, min: u32, max: u32) -> Decision {
    let current = input.current;
    let (bound, limit, cause) = if current > max {
        (
            max,
            Limit::MaxNodeCount,
            format!("maxNodeCount was lowered to {max}"),
        )
    } else {
        (
            min,
            Limit::MinNodeCount,
            format!("minNodeCount was raised to {min}"),
        )
    };
    let desired = bound.min(input.pod_maximum);

    let (limited_by, reason) = if desired != bound {
        let steps = Steps {
            direction: if bound > current {
                Direction::Up
            } else {
                Direction::Down
            },
            window_seconds: 0,
            current,
            recommendation: bound,
            stabilized: bound,
            desired,
        };
        (Limit::PodMaximum, steps.explain_pod_maximum())
    } else {
        let verb = if desired > current { "up" } else { "down" };
        let reason = format!(
            "Scaled {verb} from {current} to {} because {cause}.",
            pods(desired)
        );
        (limit, reason)
    };

    Decision {
        desired,
        recommendation: input.recommendation,
        stabilized: input.recommendation,
        limited_by: Some(limited_by),
        reason,
    }
}

/// Applies both stabilization windows to the current recommendation.
fn stabilize(input: &DecideInput) -> u32 {
    let up_window = millis(input.behavior.scale_up.stabilization_window_seconds);
    let down_window = millis(input.behavior.scale_down.stabilization_window_seconds);

    let mut lowest_recent = input.recommendation;
    let mut highest_recent = input.recommendation;
    for record in input.recommendations {
        if within(record.at, up_window, input.now) {
            lowest_recent = lowest_recent.min(record.replicas);
        }
        if within(record.at, down_window, input.now) {
            highest_recent = highest_recent.max(record.replicas);
        }
    }

    let mut stabilized = input.current;
    if stabilized < lowest_recent {
        stabilized = lowest_recent;
    }
    if stabilized > highest_recent {
        stabilized = highest_recent;
    }
    stabilized
}

/// The furthest count the rate rules of one direction allow now.
struct RateLimit {
    /// Highest count when scaling up and lowest when scaling down, never on
    /// the other side of the current count.
    count: u32,
    rule: RateRule,
}

enum RateRule {
    Disabled,
    NoPolicies,
    /// The policy at `index` set the count, measured from `start` pods.
    Policy {
        index: usize,
        start: u64,
    },
}

fn scale_up_limit(input: &DecideInput) -> RateLimit {
    let rules = &input.behavior.scale_up;
    let grow = |start: u64, policy: &ScalingPolicy| match policy.kind {
        PolicyKind::Pods => u128::from(start) + u128::from(policy.value),
        // Rounds the allowed count up, so that a small count can still grow.
        PolicyKind::Percent => (u128::from(start) * (100 + u128::from(policy.value))).div_ceil(100),
    };
    let limit = rate_limit(input, rules, grow, rules.select_policy == SelectPolicy::Max);
    RateLimit {
        count: limit.count.max(input.current),
        ..limit
    }
}

fn scale_down_limit(input: &DecideInput) -> RateLimit {
    let rules = &input.behavior.scale_down;
    let shrink = |start: u64, policy: &ScalingPolicy| match policy.kind {
        PolicyKind::Pods => u128::from(start.saturating_sub(u64::from(policy.value))),
        // Rounds the count that remains down.
        PolicyKind::Percent => {
            u128::from(start) * u128::from(100_u32.saturating_sub(policy.value)) / 100
        }
    };
    // The largest change down is the lowest count.
    let limit = rate_limit(
        input,
        rules,
        shrink,
        rules.select_policy == SelectPolicy::Min,
    );
    RateLimit {
        count: limit.count.min(input.current),
        ..limit
    }
}

/// Computes each policy's proposal with `propose` and picks the highest one
/// when `pick_highest` is set, the lowest otherwise. The first policy wins a
/// tie. Disabled rules, and rules without policies, allow no change.
fn rate_limit(
    input: &DecideInput,
    rules: &ScalingRules,
    propose: impl Fn(u64, &ScalingPolicy) -> u128,
    pick_highest: bool,
) -> RateLimit {
    if rules.select_policy == SelectPolicy::Disabled {
        return RateLimit {
            count: input.current,
            rule: RateRule::Disabled,
        };
    }

    let mut best: Option<(u128, usize, u64)> = None;
    for (index, policy) in rules.policies.iter().enumerate() {
        let start = period_start(input, policy.period_seconds);
        let proposal = propose(start, policy);
        let better = match best {
            None => true,
            Some((best_proposal, _, _)) if pick_highest => proposal > best_proposal,
            Some((best_proposal, _, _)) => proposal < best_proposal,
        };
        if better {
            best = Some((proposal, index, start));
        }
    }

    match best {
        Some((proposal, index, start)) => RateLimit {
            count: u32::try_from(proposal).unwrap_or(u32::MAX),
            rule: RateRule::Policy { index, start },
        },
        None => RateLimit {
            count: input.current,
            rule: RateRule::NoPolicies,
        },
    }
}

/// Returns the pod count at the start of a period that ends now: the current
/// count minus the net change of the events within the period.
fn period_start(input: &DecideInput, period_seconds: u64) -> u64 {
    let window = millis(period_seconds);
    let net_change: i128 = input
        .events
        .iter()
        .filter(|event| within(event.at, window, input.now))
        .map(|event| i128::from(event.to) - i128::from(event.from))
        .sum();
    let start = i128::from(input.current) - net_change;
    // Events that do not add up to the current count can push the start
    // below 0, which no pod count is.
    u64::try_from(start.max(0)).unwrap_or(u64::MAX)
}

/// Returns whether `at` lies within the `window` milliseconds before `now`,
/// that is `at > now - window`, written so that it cannot underflow.
fn within(at: Millis, window: u64, now: Millis) -> bool {
    at.saturating_add(window) > now
}

fn millis(seconds: u64) -> u64 {
    seconds.saturating_mul(1000)
}

fn explain_rate(behavior: &Behavior, steps: &Steps, limit: &RateLimit) -> (Limit, String) {
    let (rules, noun, verb) = match steps.direction {
        Direction::Up => (&behavior.scale_up, "scale-up", "adding"),
        Direction::Down => (&behavior.scale_down, "scale-down", "removing"),
    };
    let up = steps.direction == Direction::Up;
    match limit.rule {
        RateRule::Disabled => {
            let limit = if up {
                Limit::ScaleUpDisabled
            } else {
                Limit::ScaleDownDisabled
            };
            (
                limit,
                steps.explain_limit(&format!("because {noun} is disabled")),
            )
        }
        RateRule::NoPolicies => {
            let limit = if up {
                Limit::ScaleUpDisabled
            } else {
                Limit::ScaleDownDisabled
            };
            (
                limit,
                steps.explain_limit(&format!("because no {noun} policy is set")),
            )
        }
        RateRule::Policy { index, start } => {
            let period_seconds = rules.policies[index].period_seconds;
            let limit = if up {
                Limit::ScaleUpRate {
                    policy_index: index,
                    period_seconds,
                }
            } else {
                Limit::ScaleDownRate {
                    policy_index: index,
                    period_seconds,
                }
            };
            let mut cause = format!("by the rule of {verb} {}", rate(rules));
            if start != u64::from(steps.current) {
                cause.push_str(&format!(
                    ", counted from {} at the start of the {} period",
                    pods(start),
                    adjective(period_seconds)
                ));
            }
            (limit, steps.explain_limit(&cause))
        }
    }
}

/// The counts of one evaluation, for its reason.
struct Steps {
    /// The direction the recommendation points to, up when it equals the
    /// current count.
    direction: Direction,
    /// The stabilization window of `direction`.
    window_seconds: u64,
    current: u32,
    recommendation: u32,
    stabilized: u32,
    desired: u32,
}

impl Steps {
    fn new(input: &DecideInput, stabilized: u32, desired: u32) -> Self {
        let (direction, rules) = if input.recommendation >= input.current {
            (Direction::Up, &input.behavior.scale_up)
        } else {
            (Direction::Down, &input.behavior.scale_down)
        };
        Steps {
            direction,
            window_seconds: rules.stabilization_window_seconds,
            current: input.current,
            recommendation: input.recommendation,
            stabilized,
            desired,
        }
    }

    /// Explains a count that the cluster's pod maximum lowered.
    fn explain_pod_maximum(&self) -> String {
        if self.desired < self.current {
            return format!(
                "Scaled down from {} to {} because the cluster's pod maximum is {}.",
                self.current,
                pods(self.desired),
                self.desired
            );
        }
        self.explain_limit("by the cluster's pod maximum")
    }

    /// Explains a count that a rule after stabilization set, naming the
    /// stabilized count as the target when it differs from the recommendation.
    fn explain_limit(&self, cause: &str) -> String {
        let mut target = self.target(self.stabilized);
        if self.stabilized != self.recommendation {
            let extreme = match self.direction {
                Direction::Up => "lowest",
                Direction::Down => "highest",
            };
            target.push_str(&format!(
                ", the {extreme} recommendation of the last {},",
                duration(self.window_seconds)
            ));
        }
        self.held_or_limited(&target, cause)
    }

    /// Explains a count that a stabilization window set.
    fn explain_stabilization(&self) -> String {
        let cause = format!(
            "by the {} stabilization window",
            adjective(self.window_seconds)
        );
        self.held_or_limited(&self.target(self.recommendation), &cause)
    }

    fn explain_unlimited(&self) -> String {
        match self.desired.cmp(&self.current) {
            Ordering::Equal => format!(
                "No change: the recommendation equals the current count of {}.",
                pods(self.current)
            ),
            Ordering::Greater => format!(
                "Scaled up from {} to {}, as recommended.",
                self.current,
                pods(self.desired)
            ),
            Ordering::Less => format!(
                "Scaled down from {} to {}, as recommended.",
                self.current,
                pods(self.desired)
            ),
        }
    }

    /// Returns "Scale-up to 40 pods" or "Scale-down to 3 pods".
    fn target(&self, count: u32) -> String {
        let noun = match self.direction {
            Direction::Up => "Scale-up",
            Direction::Down => "Scale-down",
        };
        format!("{noun} to {}", pods(count))
    }

    fn held_or_limited(&self, target: &str, cause: &str) -> String {
        if self.desired == self.current {
            format!("{target} is held at {} {cause}.", self.current)
        } else {
            format!("{target} was limited to {} {cause}.", self.desired)
        }
    }
}
