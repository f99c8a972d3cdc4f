//! The scaling rules in plain words, for the console and for the reasons of
//! decisions.

use super::behavior::{Behavior, PolicyKind, ScalingPolicy, ScalingRules, SelectPolicy};

/// A scaling direction, for wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Direction {
    Up,
    Down,
}

impl Behavior {
    /// Describes the rules in two sentences, scale-up first, such as "Scale up
    /// by the larger of 50% and 10 pods every 10 minutes, at once (no
    /// stabilization)."
    pub fn describe(&self) -> Vec<String> {
        vec![
            describe_rules(Direction::Up, &self.scale_up),
            describe_rules(Direction::Down, &self.scale_down),
        ]
    }
}

fn describe_rules(direction: Direction, rules: &ScalingRules) -> String {
    if rules.select_policy == SelectPolicy::Disabled {
        return match direction {
            Direction::Up => "Never scale up, except to meet minNodeCount.".to_owned(),
            Direction::Down => {
                "Never scale down, except to meet maxNodeCount or the cluster's pod maximum."
                    .to_owned()
            }
        };
    }
    if rules.policies.is_empty() {
        return match direction {
            Direction::Up => "Never scale up, because no scale-up policy is set.".to_owned(),
            Direction::Down => "Never scale down, because no scale-down policy is set.".to_owned(),
        };
    }

    let timing = match (rules.stabilization_window_seconds, direction) {
        (0, _) => "at once (no stabilization)".to_owned(),
        (seconds, Direction::Up) => {
            format!("after demand has stayed higher for {}", duration(seconds))
        }
        (seconds, Direction::Down) => {
            format!("after demand has stayed lower for {}", duration(seconds))
        }
    };
    let verb = match direction {
        Direction::Up => "Scale up",
        Direction::Down => "Scale down",
    };
    format!("{verb} by {}, {timing}.", rate(rules))
}

/// Describes how far the policies let the count move, such as "the larger of
/// 50% and 10 pods every 10 minutes" or "at most 4 pods every minute".
pub(super) fn rate(rules: &ScalingRules) -> String {
    if let [policy] = rules.policies.as_slice() {
        return format!(
            "at most {} {}",
            amount(policy),
            every(policy.period_seconds)
        );
    }

    let which = match rules.select_policy {
        SelectPolicy::Min => "smaller",
        SelectPolicy::Max | SelectPolicy::Disabled => "larger",
    };
    let first_period = rules.policies.first().map(|policy| policy.period_seconds);
    let one_period = rules
        .policies
        .iter()
        .all(|policy| Some(policy.period_seconds) == first_period);
    let items: Vec<String> = if one_period {
        rules.policies.iter().map(amount).collect()
    } else {
        rules
            .policies
            .iter()
            .map(|policy| format!("{} {}", amount(policy), every(policy.period_seconds)))
            .collect()
    };
    let mut phrase = format!("the {which} of {}", join_and(&items));
    if let (true, Some(period)) = (one_period, first_period) {
        phrase.push(' ');
        phrase.push_str(&every(period));
    }
    phrase
}

fn amount(policy: &ScalingPolicy) -> String {
    match policy.kind {
        PolicyKind::Pods => pods(policy.value),
        PolicyKind::Percent => format!("{}%", policy.value),
    }
}

/// Joins items as English does: "a", "a and b", "a, b and c".
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Formats a pod count with its noun: "1 pod", "10 pods".
pub(super) fn pods(count: impl Into<u64>) -> String {
    match count.into() {
        1 => "1 pod".to_owned(),
        count => format!("{count} pods"),
    }
}

/// Formats a duration in the largest whole unit: "1 minute", "90 seconds".
pub(super) fn duration(seconds: u64) -> String {
    let (count, unit) = whole_unit(seconds);
    if count == 1 {
        format!("1 {unit}")
    } else {
        format!("{count} {unit}s")
    }
}

/// Formats a period as a frequency: "every minute", "every 10 minutes".
pub(super) fn every(seconds: u64) -> String {
    match whole_unit(seconds) {
        (1, unit) => format!("every {unit}"),
        (count, unit) => format!("every {count} {unit}s"),
    }
}

/// Formats a duration as an adjective: "5-minute", "90-second".
pub(super) fn adjective(seconds: u64) -> String {
    let (count, unit) = whole_unit(seconds);
    format!("{count}-{unit}")
}

fn whole_unit(seconds: u64) -> (u64, &'static str) {
    if seconds != 0 && seconds.is_multiple_of(3600) {
        (seconds / 3600, "hour")
    } else if seconds != 0 && seconds.is_multiple_of(60) {
        (seconds / 60, "minute")
    } else {
        (seconds, "second")
    }
}
