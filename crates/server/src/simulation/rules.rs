//! A checker of the scaling rules, written from the rules themselves and
//! independent of [`decide`](headroom_api::autoscaling::decide): given the
//! changes a policy made and the recommendations it recorded, it reports
//! every change that breaks a rule.
//!
//! The rules, as the Kubernetes HorizontalPodAutoscaler applies them when it
//! changes the count:
//!
//! - Rate: each policy limits a change relative to the count at the start of
//!   its period, the count after every change made at or before
//!   `now - period`. Changes in both directions within the period count,
//!   because that start count is what the period began with. `selectPolicy`
//!   `Max` allows the largest change of any policy, `Min` the smallest, and
//!   `Disabled` none. Percent limits are exact integers: a rise rounds the
//!   allowed count up, a fall rounds the remaining count down.
//! - Stabilization: a rise goes at most to the lowest recommendation of the
//!   scale-up window, and a fall at most to the highest recommendation of
//!   the scale-down window. Each window contains the recommendations
//!   recorded within it, the one of the change's own evaluation included.
//! - Bounds: every count lies within `[min_node_count, max_node_count]` and
//!   at most at the cluster's pod maximum, which wins over the minimum.
//!   A count outside the bounds moves straight to the nearest bound, and a
//!   count above the pod maximum straight down to it. Neither move is rate
//!   limited or stabilized.
//!
//! Times are milliseconds, on the same clock for changes and
//! recommendations. Messages show them as hours, minutes and seconds.

use headroom_api::autoscaling::{
    Behavior, Millis, PolicyKind, RecommendationRecord, ScaleEvent, ScalingPolicy, ScalingRules,
    SelectPolicy,
};

/// The rules a policy that changes the pod count must obey.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rules {
    pub behavior: Behavior,
    pub min_node_count: u32,
    pub max_node_count: u32,
    /// Maximum number of pods the cluster allows.
    pub pod_maximum: u32,
}

impl Rules {
    /// Returns the lowest and the highest count the bounds and the pod
    /// maximum allow.
    pub fn range(&self) -> (u32, u32) {
        let max = self.max_node_count.max(self.min_node_count);
        (
            self.min_node_count.min(self.pod_maximum),
            max.min(self.pod_maximum),
        )
    }
}

/// The rule a change broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// The changes are out of time order, or do not start from the count
    /// that the previous change left.
    Sequence,
    /// The count left `[min_node_count, max_node_count]` or exceeded the pod maximum.
    Bounds,
    ScaleUpRate,
    ScaleDownRate,
    ScaleUpStabilization,
    ScaleDownStabilization,
}

/// One broken rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub at: Millis,
    pub rule: Rule,
    /// A sentence with the counts, for the test output.
    pub message: String,
}

/// Checks every change of `changes`, which start from `initial` pods, and
/// returns the violations found, in time order.
pub fn check_changes(
    rules: &Rules,
    initial: u32,
    changes: &[ScaleEvent],
    recommendations: &[RecommendationRecord],
) -> Vec<Violation> {
    let mut violations = Vec::new();
    let (lowest, highest) = rules.range();
    if initial < lowest || initial > highest {
        violations.push(Violation {
            at: changes.first().map_or(0, |change| change.at),
            rule: Rule::Bounds,
            message: format!(
                "the initial count of {initial} pods lies outside {lowest} to {highest} pods"
            ),
        });
    }

    let mut count = initial;
    let mut previous_at = 0;
    for (index, change) in changes.iter().enumerate() {
        let mut report = |rule, message: String| {
            violations.push(Violation {
                at: change.at,
                rule,
                message: format!("{}: {message}", clock(change.at)),
            });
        };

        if index > 0 && change.at < previous_at {
            report(
                Rule::Sequence,
                format!("this change comes after one at {}", clock(previous_at)),
            );
        }
        if change.from != count {
            report(
                Rule::Sequence,
                format!(
                    "the change starts from {} pods, but the count was {count}",
                    change.from
                ),
            );
        }
        if change.from == change.to {
            report(
                Rule::Sequence,
                format!("the change keeps the count at {}", change.to),
            );
        }
        previous_at = change.at;
        count = change.to;

        if change.to < lowest || change.to > highest {
            report(
                Rule::Bounds,
                format!(
                    "{} pods lies outside the allowed {lowest} to {highest} pods",
                    change.to
                ),
            );
        }
        if let Some(expected) = forced_move(rules, change.from) {
            if change.to != expected {
                report(
                    Rule::Bounds,
                    format!(
                        "{} pods lies outside the bounds, so the count must move to {expected}, not {}",
                        change.from, change.to
                    ),
                );
            }
            continue;
        }

        let history = &changes[..index];
        if let Some((limit, policies)) = rate_limit(rules, initial, history, change) {
            if change.to > change.from && change.to > limit {
                report(
                    Rule::ScaleUpRate,
                    format!(
                        "scaled up from {} to {} pods, but the scale-up policies allow at most {limit} ({policies})",
                        change.from, change.to
                    ),
                );
            }
            if change.to < change.from && change.to < limit {
                report(
                    Rule::ScaleDownRate,
                    format!(
                        "scaled down from {} to {} pods, but the scale-down policies allow at least {limit} ({policies})",
                        change.from, change.to
                    ),
                );
            }
        }

        check_stabilization(rules, change, recommendations, &mut report);
    }
    violations
}

/// Returns the count that a count outside the bounds, or above the pod
/// maximum, must move to, or `None` for a count inside them.
fn forced_move(rules: &Rules, from: u32) -> Option<u32> {
    let max = rules.max_node_count.max(rules.min_node_count);
    if from < rules.min_node_count || from > max {
        return Some(from.clamp(rules.min_node_count, max).min(rules.pod_maximum));
    }
    (from > rules.pod_maximum).then_some(rules.pod_maximum)
}

/// Returns the furthest count the rate policies allow for `change` (the
/// highest for a rise, the lowest for a fall), with the start count of
/// each policy for the message. Returns `None` for a change that keeps
/// the count.
fn rate_limit(
    rules: &Rules,
    initial: u32,
    history: &[ScaleEvent],
    change: &ScaleEvent,
) -> Option<(u32, String)> {
    let up = change.to > change.from;
    if change.to == change.from {
        return None;
    }
    let direction = if up {
        &rules.behavior.scale_up
    } else {
        &rules.behavior.scale_down
    };
    if direction.select_policy == SelectPolicy::Disabled || direction.policies.is_empty() {
        return Some((change.from, "this direction is disabled".to_owned()));
    }

    let mut allowed = Vec::new();
    let mut starts = Vec::new();
    for policy in &direction.policies {
        let start = count_at(
            initial,
            history,
            change.at.checked_sub(policy.period_seconds * 1000),
        );
        let limit = if up {
            grown(start, policy)
        } else {
            shrunk(start, policy)
        };
        allowed.push(limit);
        starts.push(format!(
            "{} from {start} pods at the start of the {}-second period",
            describe(policy),
            policy.period_seconds
        ));
    }
    let limit = pick(direction, up, &allowed);
    Some((u32::try_from(limit).unwrap_or(u32::MAX), starts.join("; ")))
}

/// Picks the limit the select policy calls for: the largest change under
/// `Max` and the smallest under `Min`.
fn pick(rules: &ScalingRules, up: bool, allowed: &[u64]) -> u64 {
    let largest_change = rules.select_policy == SelectPolicy::Max;
    let highest = allowed.iter().copied().max().unwrap_or(0);
    let lowest = allowed.iter().copied().min().unwrap_or(0);
    match (up, largest_change) {
        (true, true) | (false, false) => highest,
        (true, false) | (false, true) => lowest,
    }
}

/// Returns the count after every change made at or before `time`, or the
/// initial count when `time` lies before the first change. `None` stands
/// for a time before the clock's origin.
fn count_at(initial: u32, history: &[ScaleEvent], time: Option<Millis>) -> u32 {
    let Some(time) = time else {
        return initial;
    };
    history
        .iter()
        .rev()
        .find(|change| change.at <= time)
        .map_or(initial, |change| change.to)
}

/// Returns the highest count a policy allows to rise to from `start`.
pub(super) fn grown(start: u32, policy: &ScalingPolicy) -> u64 {
    let start = u64::from(start);
    match policy.kind {
        PolicyKind::Pods => start + u64::from(policy.value),
        PolicyKind::Percent => (start * (100 + u64::from(policy.value))).div_ceil(100),
    }
}

/// Returns the lowest count a policy allows to fall to from `start`.
fn shrunk(start: u32, policy: &ScalingPolicy) -> u64 {
    let start = u64::from(start);
    match policy.kind {
        PolicyKind::Pods => start.saturating_sub(u64::from(policy.value)),
        PolicyKind::Percent => start * 100u64.saturating_sub(u64::from(policy.value)) / 100,
    }
}

fn describe(policy: &ScalingPolicy) -> String {
    match policy.kind {
        PolicyKind::Pods => format!("{} pods", policy.value),
        PolicyKind::Percent => format!("{}%", policy.value),
    }
}

fn check_stabilization(
    rules: &Rules,
    change: &ScaleEvent,
    recommendations: &[RecommendationRecord],
    report: &mut impl FnMut(Rule, String),
) {
    let up = change.to > change.from;
    let (window_seconds, rule) = if up {
        (
            rules.behavior.scale_up.stabilization_window_seconds,
            Rule::ScaleUpStabilization,
        )
    } else {
        (
            rules.behavior.scale_down.stabilization_window_seconds,
            Rule::ScaleDownStabilization,
        )
    };
    // The window contains the records of the last `window_seconds`, which
    // for a window of 0 is the record of the change's own evaluation.
    let window = window_seconds * 1000;
    let in_window: Vec<u32> = recommendations
        .iter()
        .filter(|record| {
            record.at <= change.at && (record.at == change.at || record.at + window > change.at)
        })
        .map(|record| record.replicas)
        .collect();
    if !recommendations.iter().any(|record| record.at == change.at) {
        report(
            rule,
            "no recommendation was recorded at the time of the change".to_owned(),
        );
        return;
    }

    if up {
        let lowest = in_window.iter().copied().min().unwrap_or(0);
        if change.to > lowest {
            report(
                rule,
                format!(
                    "scaled up to {} pods, above the lowest recommendation of the last {window_seconds} s, {lowest}",
                    change.to
                ),
            );
        }
    } else {
        let highest = in_window.iter().copied().max().unwrap_or(u32::MAX);
        if change.to < highest {
            report(
                rule,
                format!(
                    "scaled down to {} pods, below the highest recommendation of the last {window_seconds} s, {highest}",
                    change.to
                ),
            );
        }
    }
}

/// Formats milliseconds as hours, minutes and seconds, such as `12:00:15`.
fn clock(at: Millis) -> String {
    let seconds = at / 1000;
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Millis = 60_000;

    fn rules() -> Rules {
        Rules {
            behavior: Behavior::default(),
            min_node_count: 2,
            max_node_count: 100,
            pod_maximum: 80,
        }
    }

    fn change(minutes: u64, from: u32, to: u32) -> ScaleEvent {
        ScaleEvent {
            at: minutes * MINUTE,
            from,
            to,
        }
    }

    fn record(minutes: u64, replicas: u32) -> RecommendationRecord {
        RecommendationRecord {
            at: minutes * MINUTE,
            replicas,
        }
    }

    /// Recommendations equal to each change's target, so that only the
    /// rule under test can fail.
    fn following(changes: &[ScaleEvent]) -> Vec<RecommendationRecord> {
        changes
            .iter()
            .map(|change| RecommendationRecord {
                at: change.at,
                replicas: change.to,
            })
            .collect()
    }

    fn rules_broken(
        initial: u32,
        changes: &[ScaleEvent],
        recommendations: &[RecommendationRecord],
    ) -> Vec<Rule> {
        check_changes(&rules(), initial, changes, recommendations)
            .into_iter()
            .map(|violation| violation.rule)
            .collect()
    }

    #[test]
    fn rise_within_larger_policy_passes() {
        // From 10 pods, +50% allows 15 and +10 pods allows 20. Max picks 20.
        let changes = [change(0, 10, 20)];
        assert_eq!(rules_broken(10, &changes, &following(&changes)), []);
    }

    #[test]
    fn rise_beyond_policies_fails() {
        let changes = [change(0, 10, 21)];
        assert_eq!(
            rules_broken(10, &changes, &following(&changes)),
            [Rule::ScaleUpRate]
        );
    }

    #[test]
    fn rise_counts_from_period_start() {
        // 10 to 20 at 0, then 30 at 10 minutes: the period that ends then
        // starts with 20 pods, so 30 is allowed. At 5 minutes the period
        // started with the 10 pods before the first rise, so 20 is the most.
        let allowed = [change(0, 10, 20), change(10, 20, 30)];
        assert_eq!(rules_broken(10, &allowed, &following(&allowed)), []);
        let too_fast = [change(0, 10, 20), change(5, 20, 30)];
        assert_eq!(
            rules_broken(10, &too_fast, &following(&too_fast)),
            [Rule::ScaleUpRate]
        );
    }

    #[test]
    fn fall_then_rise_counts_both_directions() {
        // 50 to 45 at 0 is allowed, because 10% allows 45, 10 pods allow 40
        // and Min picks 45. A rise 5 minutes later counts from the 50 pods
        // at the start of the period, so up to 75, although 45 + 50% is 68.
        let changes = [change(0, 50, 45), change(5, 45, 75)];
        assert_eq!(rules_broken(50, &changes, &following(&changes)), []);
        let too_far = [change(0, 50, 45), change(5, 45, 76)];
        assert_eq!(
            rules_broken(50, &too_far, &following(&too_far)),
            [Rule::ScaleUpRate]
        );
    }

    #[test]
    fn fall_beyond_smaller_policy_fails() {
        let changes = [change(0, 50, 44)];
        assert_eq!(
            rules_broken(50, &changes, &following(&changes)),
            [Rule::ScaleDownRate]
        );
    }

    #[test]
    fn fall_within_stabilization_window_fails() {
        // A recommendation of 40 four minutes before keeps the count at 40
        // for the 5-minute window.
        let recommendations = [record(0, 40), record(4, 36)];
        let changes = [change(4, 40, 36)];
        assert_eq!(
            rules_broken(40, &changes, &recommendations),
            [Rule::ScaleDownStabilization]
        );
        let after_window = [record(0, 40), record(5, 36)];
        let later = [change(5, 40, 36)];
        assert_eq!(rules_broken(40, &later, &after_window), []);
    }

    #[test]
    fn rise_above_recommendation_fails() {
        let changes = [change(0, 10, 15)];
        assert_eq!(
            rules_broken(10, &changes, &[record(0, 12)]),
            [Rule::ScaleUpStabilization]
        );
    }

    #[test]
    fn change_without_recommendation_fails() {
        let changes = [change(0, 10, 12)];
        assert_eq!(
            rules_broken(10, &changes, &[]),
            [Rule::ScaleUpStabilization]
        );
    }

    #[test]
    fn counts_outside_bounds_fail() {
        let below = [change(0, 3, 1)];
        assert!(rules_broken(3, &below, &following(&below)).contains(&Rule::Bounds));
        let above_pod_maximum = [change(0, 60, 81)];
        assert!(
            rules_broken(60, &above_pod_maximum, &following(&above_pod_maximum))
                .contains(&Rule::Bounds)
        );
    }

    #[test]
    fn move_into_bounds_skips_rate() {
        // 100 pods is above the pod maximum of 80: straight down to 80 is
        // allowed, although 10% less than 100 is 90. The initial count of
        // 100 is itself a violation of the bounds.
        let changes = [change(0, 100, 80)];
        assert_eq!(rules_broken(100, &changes, &[]), [Rule::Bounds]);
        let wrong_target = [change(0, 100, 70)];
        assert_eq!(
            rules_broken(100, &wrong_target, &following(&wrong_target)),
            [Rule::Bounds, Rule::Bounds]
        );
    }

    #[test]
    fn broken_sequence_fails() {
        let gap = [change(0, 10, 12), change(1, 13, 14)];
        assert!(rules_broken(10, &gap, &following(&gap)).contains(&Rule::Sequence));
        let backwards = [change(2, 10, 12), change(1, 12, 14)];
        assert!(rules_broken(10, &backwards, &following(&backwards)).contains(&Rule::Sequence));
        let no_change = [change(0, 10, 10)];
        assert_eq!(
            rules_broken(10, &no_change, &following(&no_change)),
            [Rule::Sequence]
        );
    }

    #[test]
    fn disabled_direction_allows_no_change() {
        let mut rules = rules();
        rules.behavior.scale_down.select_policy = SelectPolicy::Disabled;
        let changes = [change(10, 20, 19)];
        let violations = check_changes(&rules, 20, &changes, &following(&changes));
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].rule, Rule::ScaleDownRate);
        assert_eq!(
            violations[0].message,
            "00:10:00: scaled down from 20 to 19 pods, but the scale-down policies allow at least 20 (this direction is disabled)"
        );
    }

    #[test]
    fn message_names_counts_and_period() {
        let changes = [change(0, 10, 21)];
        let violations = check_changes(&rules(), 10, &changes, &following(&changes));
        assert_eq!(
            violations[0].message,
            "00:00:00: scaled up from 10 to 21 pods, but the scale-up policies allow at most 20 \
             (50% from 10 pods at the start of the 600-second period; \
             10 pods from 10 pods at the start of the 600-second period)"
        );
    }
}
