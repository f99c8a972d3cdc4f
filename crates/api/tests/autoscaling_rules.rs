//! Table tests of the autoscaler's rules: the replica formula, rate limits,
//! stabilization, bounds, wording, validation and the JSON shape.

use headroom_api::Code;
use headroom_api::autoscaling::{
    Behavior, DecideInput, Decision, Limit, Millis, RecommendationRecord, ScaleEvent,
    ScalingPolicy, ScalingRules, SelectPolicy, decide, recommend,
};
use serde_json::json;

const NOW: Millis = 1_700_000_000_000;
const SECOND: Millis = 1_000;
const MINUTE: Millis = 60 * SECOND;

/// One evaluation with room to scale unless a case narrows it.
struct Case<'a> {
    behavior: &'a Behavior,
    min_node_count: u32,
    max_node_count: u32,
    pod_maximum: u32,
    current: u32,
    recommendation: u32,
    now: Millis,
    events: &'a [ScaleEvent],
    recommendations: &'a [RecommendationRecord],
}

impl<'a> Case<'a> {
    fn new(behavior: &'a Behavior, current: u32, recommendation: u32) -> Self {
        Case {
            behavior,
            min_node_count: 1,
            max_node_count: 1000,
            pod_maximum: 1000,
            current,
            recommendation,
            now: NOW,
            events: &[],
            recommendations: &[],
        }
    }

    fn decide(&self) -> Decision {
        decide(&DecideInput {
            behavior: self.behavior,
            min_node_count: self.min_node_count,
            max_node_count: self.max_node_count,
            pod_maximum: self.pod_maximum,
            current: self.current,
            recommendation: self.recommendation,
            now: self.now,
            events: self.events,
            recommendations: self.recommendations,
        })
    }
}

fn rules(policies: Vec<ScalingPolicy>, select_policy: SelectPolicy, window: u64) -> ScalingRules {
    ScalingRules {
        policies,
        select_policy,
        stabilization_window_seconds: window,
    }
}

fn up_rate(policy_index: usize, period_seconds: u64) -> Option<Limit> {
    Some(Limit::ScaleUpRate {
        policy_index,
        period_seconds,
    })
}

fn down_rate(policy_index: usize, period_seconds: u64) -> Option<Limit> {
    Some(Limit::ScaleDownRate {
        policy_index,
        period_seconds,
    })
}

fn event(at: Millis, from: u32, to: u32) -> ScaleEvent {
    ScaleEvent { at, from, to }
}

fn record(at: Millis, replicas: u32) -> RecommendationRecord {
    RecommendationRecord { at, replicas }
}

#[test]
fn recommend_table() {
    // (ready pods, utilization, target, tolerance, expected)
    let cases: &[(u32, f64, f64, f64, u32, &str)] = &[
        (0, 0.9, 0.5, 0.1, 0, "no ready pods"),
        (4, 0.8, 0.8, 0.1, 4, "on target"),
        (
            10,
            0.88,
            0.8,
            0.1,
            10,
            "ratio exactly 1.1 is within tolerance",
        ),
        (
            10,
            0.72,
            0.8,
            0.1,
            10,
            "ratio exactly 0.9 is within tolerance",
        ),
        (10, 0.89, 0.8, 0.1, 12, "11.125 rounds up"),
        (3, 0.5, 0.8, 0.1, 2, "1.875 rounds up"),
        (5, 90.0, 60.0, 0.1, 8, "percent units, 7.5 rounds up"),
        (10, 0.33, 0.3, 0.05, 11, "11.000000000000002 is 11"),
        (7, 0.7, 0.1, 0.1, 49, "48.99999999999999 is 49"),
        (4, 1.6, 0.8, 0.0, 8, "zero tolerance doubles"),
        (10, 0.0, 0.5, 0.1, 0, "no load"),
        (6, 0.9, 0.0, 0.1, 6, "target 0 keeps the count"),
        (6, f64::NAN, 0.5, 0.1, 6, "NaN utilization keeps the count"),
        (6, -0.2, 0.5, 0.1, 6, "negative utilization keeps the count"),
        (u32::MAX, 2.0, 0.5, 0.1, u32::MAX, "saturates at u32::MAX"),
    ];
    for &(ready, utilization, target, tolerance, expected, case) in cases {
        assert_eq!(
            recommend(ready, utilization, target, tolerance),
            expected,
            "{case}"
        );
    }
}

#[test]
fn default_scale_up_limits() {
    let behavior = Behavior::default();
    // (current, maxNodeCount, pod maximum, desired, limited by)
    let cases = [
        (2, 100, 50, 12, up_rate(1, 600)),
        (5, 100, 50, 15, up_rate(1, 600)),
        (10, 100, 50, 20, up_rate(1, 600)),
        (20, 100, 50, 30, up_rate(0, 600)),
        (21, 100, 50, 32, up_rate(0, 600)),
        (34, 100, 50, 50, Some(Limit::PodMaximum)),
        (34, 50, 50, 50, Some(Limit::MaxNodeCount)),
        (50, 100, 50, 50, Some(Limit::PodMaximum)),
    ];
    for (current, max_node_count, pod_maximum, desired, limited_by) in cases {
        let case = format!("{current} pods, maxNodeCount {max_node_count}");
        let decision = Case {
            max_node_count,
            pod_maximum,
            ..Case::new(&behavior, current, 100)
        }
        .decide();
        assert_eq!(decision.desired, desired, "{case}");
        assert_eq!(decision.limited_by, limited_by, "{case}");
        assert_eq!(decision.stabilized, 100, "{case}");
    }
}

#[test]
fn default_scale_up_reasons() {
    let behavior = Behavior::default();
    let cases = [
        (
            10,
            100,
            "Scale-up to 100 pods was limited to 20 by the rule of adding the larger of 50% and 10 pods every 10 minutes.",
        ),
        (
            34,
            100,
            "Scale-up to 100 pods was limited to 50 by the cluster's pod maximum.",
        ),
        (
            34,
            50,
            "Scale-up to 100 pods was limited to 50 by maxNodeCount.",
        ),
        (
            50,
            100,
            "Scale-up to 100 pods is held at 50 by the cluster's pod maximum.",
        ),
    ];
    for (current, max_node_count, reason) in cases {
        let decision = Case {
            max_node_count,
            pod_maximum: 50,
            ..Case::new(&behavior, current, 100)
        }
        .decide();
        assert_eq!(decision.reason, reason, "{current} pods");
    }
}

#[test]
fn default_scale_down_limits() {
    let behavior = Behavior::default();
    let low = [record(NOW - 4 * MINUTE, 1), record(NOW - MINUTE, 1)];
    // (current, desired, limited by). From 2 pods, 10% less rounds down to 1,
    // which is the recommendation, so no rule limits it.
    let cases = [
        (2, 1, None),
        (5, 4, down_rate(0, 600)),
        (10, 9, down_rate(0, 600)),
        (20, 18, down_rate(0, 600)),
        (21, 18, down_rate(0, 600)),
        (34, 30, down_rate(0, 600)),
        (50, 45, down_rate(0, 600)),
    ];
    for (current, desired, limited_by) in cases {
        let decision = Case {
            recommendations: &low,
            ..Case::new(&behavior, current, 1)
        }
        .decide();
        assert_eq!(decision.desired, desired, "{current} pods");
        assert_eq!(decision.stabilized, 1, "{current} pods");
        assert_eq!(decision.limited_by, limited_by, "{current} pods");
    }

    let decision = Case {
        recommendations: &low,
        ..Case::new(&behavior, 50, 1)
    }
    .decide();
    assert_eq!(
        decision.reason,
        "Scale-down to 1 pod was limited to 45 by the rule of removing the smaller of 10% and 10 pods every 10 minutes."
    );
}

#[test]
fn second_scale_up_in_same_period() {
    let behavior = Behavior::default();
    let events = [event(NOW, 10, 20)];
    // (time since the first change, desired, limited by)
    let cases = [
        (5 * MINUTE, 20, up_rate(1, 600)),
        (10 * MINUTE - 1, 20, up_rate(1, 600)),
        (10 * MINUTE, 30, up_rate(0, 600)),
    ];
    for (elapsed, desired, limited_by) in cases {
        let case = format!("{elapsed} ms after 10 to 20");
        let decision = Case {
            now: NOW + elapsed,
            events: &events,
            ..Case::new(&behavior, 20, 40)
        }
        .decide();
        assert_eq!(decision.desired, desired, "{case}");
        assert_eq!(decision.limited_by, limited_by, "{case}");
    }

    let decision = Case {
        now: NOW + 5 * MINUTE,
        events: &events,
        ..Case::new(&behavior, 20, 40)
    }
    .decide();
    assert_eq!(
        decision.reason,
        "Scale-up to 40 pods is held at 20 by the rule of adding the larger of 50% and 10 pods every 10 minutes, counted from 10 pods at the start of the 10-minute period."
    );
    assert!(!decision.changed(20));
    assert!(decision.wanted_to_change(20));
}

/// Up 10 to 20, then down 20 to 18, in one period: the period started at
/// 18 - 10 + 2 = 10 pods.
#[test]
fn changes_both_ways_in_one_period() {
    let behavior = Behavior::default();
    let events = [event(NOW, 10, 20), event(NOW + 2 * MINUTE, 20, 18)];
    let now = NOW + 5 * MINUTE;

    let up = Case {
        now,
        events: &events,
        ..Case::new(&behavior, 18, 40)
    }
    .decide();
    assert_eq!(up.desired, 20, "up: 10 + 10 pods");
    assert_eq!(up.limited_by, up_rate(1, 600), "up");
    assert_eq!(
        up.reason,
        "Scale-up to 40 pods was limited to 20 by the rule of adding the larger of 50% and 10 pods every 10 minutes, counted from 10 pods at the start of the 10-minute period."
    );

    // Counted from the 10 pods at the start of the period, scale-down may go
    // to 9, removing 9 of the current 18 pods.
    let down = Case {
        now,
        events: &events,
        ..Case::new(&behavior, 18, 1)
    }
    .decide();
    assert_eq!(down.desired, 9, "down: 10% less than 10 pods");
    assert_eq!(down.limited_by, down_rate(0, 600), "down");

    // Once the up change leaves the period, only the down change counts.
    let later = Case {
        now: NOW + 10 * MINUTE,
        events: &events,
        ..Case::new(&behavior, 18, 40)
    }
    .decide();
    assert_eq!(later.desired, 30, "up after 10 minutes: 20 + 50%");
    assert_eq!(later.limited_by, up_rate(0, 600), "up after 10 minutes");
}

#[test]
fn bounds_move_at_once() {
    let behavior = Behavior::default();
    let high = [record(NOW - MINUTE, 40)];
    let recent_up = [event(NOW - MINUTE, 1, 2)];
    // (current, min, max, pod maximum, history, events, desired, limited by, reason)
    let cases = [
        (
            40,
            1,
            10,
            50,
            &high[..],
            &[][..],
            10,
            Limit::MaxNodeCount,
            "Scaled down from 40 to 10 pods because maxNodeCount was lowered to 10.",
        ),
        (
            12,
            1,
            10,
            50,
            &[][..],
            &[][..],
            10,
            Limit::MaxNodeCount,
            "Scaled down from 12 to 10 pods because maxNodeCount was lowered to 10.",
        ),
        (
            2,
            20,
            30,
            50,
            &[][..],
            &recent_up[..],
            20,
            Limit::MinNodeCount,
            "Scaled up from 2 to 20 pods because minNodeCount was raised to 20.",
        ),
        (
            70,
            1,
            60,
            50,
            &[][..],
            &[][..],
            50,
            Limit::PodMaximum,
            "Scaled down from 70 to 50 pods because the cluster's pod maximum is 50.",
        ),
    ];
    for (current, min, max, pod_maximum, history, events, desired, limited_by, reason) in cases {
        let case = format!("{current} pods within {min}..={max}");
        let decision = Case {
            min_node_count: min,
            max_node_count: max,
            pod_maximum,
            events,
            recommendations: history,
            ..Case::new(&behavior, current, 1)
        }
        .decide();
        assert_eq!(decision.desired, desired, "{case}");
        assert_eq!(decision.limited_by, Some(limited_by), "{case}");
        assert_eq!(decision.stabilized, 1, "{case}: not stabilized");
        assert_eq!(decision.reason, reason, "{case}");
        assert!(decision.changed(current), "{case}");
    }

    let disabled = Behavior {
        scale_down: rules(Vec::new(), SelectPolicy::Disabled, 300),
        ..Behavior::default()
    };
    let decision = Case {
        max_node_count: 10,
        ..Case::new(&disabled, 12, 12)
    }
    .decide();
    assert_eq!(
        decision.desired, 10,
        "disabled scale-down still meets maxNodeCount"
    );
}

#[test]
fn select_policy_each_direction() {
    let up = |select| Behavior {
        scale_up: rules(
            vec![
                ScalingPolicy::percent(50, 600),
                ScalingPolicy::pods(10, 600),
            ],
            select,
            0,
        ),
        ..Behavior::default()
    };
    let down = |select| Behavior {
        scale_down: rules(
            vec![
                ScalingPolicy::percent(10, 600),
                ScalingPolicy::pods(10, 600),
            ],
            select,
            0,
        ),
        ..Behavior::default()
    };
    // (rules, current, recommendation, desired, limited by, case)
    let cases = [
        (
            up(SelectPolicy::Max),
            10,
            100,
            20,
            up_rate(1, 600),
            "up Max from 10",
        ),
        (
            up(SelectPolicy::Max),
            30,
            100,
            45,
            up_rate(0, 600),
            "up Max from 30",
        ),
        (
            up(SelectPolicy::Min),
            10,
            100,
            15,
            up_rate(0, 600),
            "up Min from 10",
        ),
        (
            up(SelectPolicy::Min),
            30,
            100,
            40,
            up_rate(1, 600),
            "up Min from 30",
        ),
        (
            up(SelectPolicy::Disabled),
            10,
            100,
            10,
            Some(Limit::ScaleUpDisabled),
            "up Disabled",
        ),
        (
            down(SelectPolicy::Max),
            50,
            1,
            40,
            down_rate(1, 600),
            "down Max from 50",
        ),
        (
            down(SelectPolicy::Max),
            20,
            1,
            10,
            down_rate(1, 600),
            "down Max from 20",
        ),
        (
            down(SelectPolicy::Max),
            200,
            1,
            180,
            down_rate(0, 600),
            "down Max from 200",
        ),
        (
            down(SelectPolicy::Min),
            50,
            1,
            45,
            down_rate(0, 600),
            "down Min from 50",
        ),
        (
            down(SelectPolicy::Min),
            200,
            1,
            190,
            down_rate(1, 600),
            "down Min from 200",
        ),
        (
            down(SelectPolicy::Disabled),
            10,
            1,
            10,
            Some(Limit::ScaleDownDisabled),
            "down Disabled",
        ),
    ];
    for (behavior, current, recommendation, desired, limited_by, case) in cases {
        let decision = Case::new(&behavior, current, recommendation).decide();
        assert_eq!(decision.desired, desired, "{case}");
        assert_eq!(decision.limited_by, limited_by, "{case}");
    }

    let behavior = up(SelectPolicy::Disabled);
    let decision = Case::new(&behavior, 10, 40).decide();
    assert_eq!(
        decision.reason,
        "Scale-up to 40 pods is held at 10 because scale-up is disabled."
    );
    let behavior = down(SelectPolicy::Disabled);
    let decision = Case::new(&behavior, 10, 1).decide();
    assert_eq!(
        decision.reason,
        "Scale-down to 1 pod is held at 10 because scale-down is disabled."
    );
}

#[test]
fn policies_with_different_periods() {
    let fast_or_double = |select| Behavior {
        scale_up: rules(
            vec![ScalingPolicy::pods(4, 60), ScalingPolicy::percent(100, 600)],
            select,
            0,
        ),
        ..Behavior::default()
    };
    let max = fast_or_double(SelectPolicy::Max);
    let min = fast_or_double(SelectPolicy::Min);
    let first = [event(NOW, 2, 6)];
    let two = [event(NOW, 2, 6), event(NOW + MINUTE, 6, 10)];
    // (rules, current, now, events, desired, limited by, case)
    let cases = [
        (
            &max,
            2,
            NOW,
            &[][..],
            6,
            up_rate(0, 60),
            "Max from 2: +4 pods over 2 x 2",
        ),
        (
            &min,
            2,
            NOW,
            &[][..],
            4,
            up_rate(1, 600),
            "Min from 2: 2 x 2 under +4 pods",
        ),
        (
            &max,
            40,
            NOW,
            &[][..],
            80,
            up_rate(1, 600),
            "Max from 40: 2 x 40",
        ),
        (
            &max,
            6,
            NOW + 30 * SECOND,
            &first[..],
            6,
            up_rate(0, 60),
            "30 s after 2 to 6, both periods start at 2",
        ),
        (
            &max,
            6,
            NOW + MINUTE,
            &first[..],
            10,
            up_rate(0, 60),
            "1 minute after 2 to 6, the 60 s period starts at 6",
        ),
        (
            &max,
            10,
            NOW + 2 * MINUTE,
            &two[..],
            14,
            up_rate(0, 60),
            "the 600 s period still starts at 2 and allows only 4",
        ),
        (
            &min,
            10,
            NOW + 2 * MINUTE,
            &two[..],
            10,
            up_rate(1, 600),
            "Min holds at 10: the 600 s period allows 4",
        ),
    ];
    for (behavior, current, now, events, desired, limited_by, case) in cases {
        let decision = Case {
            now,
            events,
            ..Case::new(behavior, current, 100)
        }
        .decide();
        assert_eq!(decision.desired, desired, "{case}");
        assert_eq!(decision.limited_by, limited_by, "{case}");
    }

    let decision = Case {
        now: NOW + 30 * SECOND,
        events: &first,
        ..Case::new(&max, 6, 100)
    }
    .decide();
    assert_eq!(
        decision.reason,
        "Scale-up to 100 pods is held at 6 by the rule of adding the larger of 4 pods every minute and 100% every 10 minutes, counted from 2 pods at the start of the 1-minute period."
    );
}

#[test]
fn scale_up_stabilization_holds_a_spike() {
    let behavior = Behavior {
        scale_up: rules(
            vec![
                ScalingPolicy::percent(50, 600),
                ScalingPolicy::pods(10, 600),
            ],
            SelectPolicy::Max,
            180,
        ),
        ..Behavior::default()
    };
    let spike = [record(NOW - 2 * MINUTE, 5), record(NOW - MINUTE, 6)];
    let rising = [record(NOW - 2 * MINUTE, 8), record(NOW - MINUTE, 20)];
    let sustained = [
        record(NOW - 4 * MINUTE, 5),
        record(NOW - 3 * MINUTE, 5),
        record(NOW - 2 * MINUTE, 20),
        record(NOW - MINUTE, 20),
    ];
    // (history, desired, stabilized, limited by, reason)
    let cases = [
        (
            &spike[..],
            5,
            5,
            Some(Limit::Stabilization),
            "Scale-up to 20 pods is held at 5 by the 3-minute stabilization window.",
        ),
        (
            &rising[..],
            8,
            8,
            Some(Limit::Stabilization),
            "Scale-up to 20 pods was limited to 8 by the 3-minute stabilization window.",
        ),
        (
            &sustained[..],
            15,
            20,
            up_rate(1, 600),
            "Scale-up to 20 pods was limited to 15 by the rule of adding the larger of 50% and 10 pods every 10 minutes.",
        ),
    ];
    for (history, desired, stabilized, limited_by, reason) in cases {
        let decision = Case {
            recommendations: history,
            ..Case::new(&behavior, 5, 20)
        }
        .decide();
        assert_eq!(decision.desired, desired, "{reason}");
        assert_eq!(decision.stabilized, stabilized, "{reason}");
        assert_eq!(decision.limited_by, limited_by, "{reason}");
        assert_eq!(decision.reason, reason);
    }
}

#[test]
fn scale_down_stabilization_holds_a_dip() {
    let behavior = Behavior::default();
    let dip = [record(NOW - 4 * MINUTE, 8)];
    let aged = [record(NOW - 5 * MINUTE, 8), record(NOW - MINUTE, 3)];

    let held = Case {
        recommendations: &dip,
        ..Case::new(&behavior, 8, 3)
    }
    .decide();
    assert_eq!(held.desired, 8, "dip within 5 minutes");
    assert_eq!(held.stabilized, 8, "dip within 5 minutes");
    assert_eq!(
        held.limited_by,
        Some(Limit::Stabilization),
        "dip within 5 minutes"
    );
    assert_eq!(
        held.reason,
        "Scale-down to 3 pods is held at 8 by the 5-minute stabilization window."
    );
    assert!(!held.changed(8), "dip within 5 minutes");
    assert!(held.wanted_to_change(8), "dip within 5 minutes");

    let released = Case {
        recommendations: &aged,
        ..Case::new(&behavior, 8, 3)
    }
    .decide();
    assert_eq!(
        released.desired, 7,
        "after 5 minutes: 10% less than 8, rounded down"
    );
    assert_eq!(released.stabilized, 3, "after 5 minutes");
    assert_eq!(released.limited_by, down_rate(0, 600), "after 5 minutes");
    assert_eq!(
        released.reason,
        "Scale-down to 3 pods was limited to 7 by the rule of removing the smaller of 10% and 10 pods every 10 minutes."
    );

    let partly = Case {
        recommendations: &dip,
        ..Case::new(&behavior, 10, 3)
    }
    .decide();
    assert_eq!(partly.desired, 9, "from 10 toward the stabilized 8");
    assert_eq!(partly.stabilized, 8, "from 10 toward the stabilized 8");
    assert_eq!(
        partly.reason,
        "Scale-down to 8 pods, the highest recommendation of the last 5 minutes, was limited to 9 by the rule of removing the smaller of 10% and 10 pods every 10 minutes."
    );
}

#[test]
fn decisions_without_a_limit() {
    let behavior = Behavior::default();

    let same = Case::new(&behavior, 5, 5).decide();
    assert_eq!(same.desired, 5, "no change");
    assert_eq!(same.limited_by, None, "no change");
    assert_eq!(
        same.reason,
        "No change: the recommendation equals the current count of 5 pods."
    );
    assert!(!same.changed(5), "no change");
    assert!(!same.wanted_to_change(5), "no change");

    let up = Case::new(&behavior, 5, 8).decide();
    assert_eq!(up.desired, 8, "up");
    assert_eq!(up.limited_by, None, "up");
    assert_eq!(up.reason, "Scaled up from 5 to 8 pods, as recommended.");
    assert!(up.changed(5), "up");

    let fast_down = Behavior {
        scale_down: rules(vec![ScalingPolicy::percent(100, 60)], SelectPolicy::Max, 0),
        ..Behavior::default()
    };
    let down = Case::new(&fast_down, 5, 1).decide();
    assert_eq!(down.desired, 1, "down");
    assert_eq!(down.reason, "Scaled down from 5 to 1 pod, as recommended.");
}

#[test]
fn node_count_and_pod_maximum_limits() {
    let behavior = Behavior::default();
    let fast_down = Behavior {
        scale_down: rules(vec![ScalingPolicy::pods(100, 60)], SelectPolicy::Max, 0),
        ..Behavior::default()
    };
    // (rules, current, recommendation, min, max, pod maximum, desired, limited by, reason)
    let cases = [
        (
            &behavior,
            10,
            40,
            1,
            12,
            1000,
            12,
            Limit::MaxNodeCount,
            "Scale-up to 40 pods was limited to 12 by maxNodeCount.",
        ),
        (
            &fast_down,
            10,
            1,
            4,
            20,
            1000,
            4,
            Limit::MinNodeCount,
            "Scale-down to 1 pod was limited to 4 by minNodeCount.",
        ),
        (
            &behavior,
            60,
            60,
            1,
            100,
            50,
            50,
            Limit::PodMaximum,
            "Scaled down from 60 to 50 pods because the cluster's pod maximum is 50.",
        ),
        (
            &behavior,
            60,
            1,
            1,
            100,
            50,
            50,
            Limit::PodMaximum,
            "Scaled down from 60 to 50 pods because the cluster's pod maximum is 50.",
        ),
    ];
    for (behavior, current, recommendation, min, max, pod_maximum, desired, limited_by, reason) in
        cases
    {
        let decision = Case {
            min_node_count: min,
            max_node_count: max,
            pod_maximum,
            ..Case::new(behavior, current, recommendation)
        }
        .decide();
        assert_eq!(decision.desired, desired, "{reason}");
        assert_eq!(decision.limited_by, Some(limited_by), "{reason}");
        assert_eq!(decision.reason, reason);
    }
}

#[test]
fn describe_default_rules() {
    assert_eq!(
        Behavior::default().describe(),
        [
            "Scale up by the larger of 50% and 10 pods every 10 minutes, at once (no stabilization).",
            "Scale down by the smaller of 10% and 10 pods every 10 minutes, after demand has stayed lower for 5 minutes.",
        ]
    );
}

#[test]
fn describe_other_rules() {
    let cases = [
        (
            Behavior {
                scale_up: rules(
                    vec![ScalingPolicy::pods(4, 60), ScalingPolicy::percent(100, 600)],
                    SelectPolicy::Max,
                    0,
                ),
                scale_down: rules(vec![ScalingPolicy::pods(1, 90)], SelectPolicy::Max, 3600),
            },
            [
                "Scale up by the larger of 4 pods every minute and 100% every 10 minutes, at once (no stabilization).",
                "Scale down by at most 1 pod every 90 seconds, after demand has stayed lower for 1 hour.",
            ],
        ),
        (
            Behavior {
                scale_up: rules(Vec::new(), SelectPolicy::Disabled, 0),
                scale_down: rules(
                    vec![ScalingPolicy::pods(1, 60)],
                    SelectPolicy::Disabled,
                    300,
                ),
            },
            [
                "Never scale up, except to meet minNodeCount.",
                "Never scale down, except to meet maxNodeCount or the cluster's pod maximum.",
            ],
        ),
        (
            Behavior {
                scale_up: rules(
                    vec![ScalingPolicy::percent(100, 15)],
                    SelectPolicy::Max,
                    120,
                ),
                scale_down: rules(
                    vec![
                        ScalingPolicy::percent(5, 1),
                        ScalingPolicy::pods(2, 1),
                        ScalingPolicy::pods(1, 1),
                    ],
                    SelectPolicy::Min,
                    30,
                ),
            },
            [
                "Scale up by at most 100% every 15 seconds, after demand has stayed higher for 2 minutes.",
                "Scale down by the smaller of 5%, 2 pods and 1 pod every second, after demand has stayed lower for 30 seconds.",
            ],
        ),
        (
            Behavior {
                scale_up: rules(Vec::new(), SelectPolicy::Max, 0),
                scale_down: rules(
                    vec![ScalingPolicy::percent(50, 1800), ScalingPolicy::pods(3, 90)],
                    SelectPolicy::Min,
                    61,
                ),
            },
            [
                "Never scale up, because no scale-up policy is set.",
                "Scale down by the smaller of 50% every 30 minutes and 3 pods every 90 seconds, after demand has stayed lower for 61 seconds.",
            ],
        ),
    ];
    for (behavior, expected) in cases {
        assert_eq!(behavior.describe(), expected, "{behavior:?}");
    }
}

#[test]
fn validate_accepts_the_limits() {
    let edges = Behavior {
        scale_up: rules(vec![ScalingPolicy::pods(1, 1800)], SelectPolicy::Max, 3600),
        scale_down: rules(Vec::new(), SelectPolicy::Disabled, 0),
    };
    assert_eq!(Behavior::default().validate(), Ok(()), "default rules");
    assert_eq!(edges.validate(), Ok(()), "edge values");
}

#[test]
fn validate_rejects_each_bad_field() {
    let with_up = |scale_up| Behavior {
        scale_up,
        ..Behavior::default()
    };
    let with_down = |scale_down| Behavior {
        scale_down,
        ..Behavior::default()
    };
    let cases = [
        (
            with_up(rules(Vec::new(), SelectPolicy::Max, 0)),
            "behavior.scaleUp.policies",
            "behavior.scaleUp.policies must contain at least one policy unless behavior.scaleUp.selectPolicy is Disabled",
        ),
        (
            with_down(rules(Vec::new(), SelectPolicy::Min, 300)),
            "behavior.scaleDown.policies",
            "behavior.scaleDown.policies must contain at least one policy unless behavior.scaleDown.selectPolicy is Disabled",
        ),
        (
            with_up(rules(
                vec![ScalingPolicy::percent(50, 600), ScalingPolicy::pods(0, 600)],
                SelectPolicy::Max,
                0,
            )),
            "behavior.scaleUp.policies[1].value",
            "behavior.scaleUp.policies[1].value must be at least 1 pod, got 0",
        ),
        (
            with_down(rules(
                vec![ScalingPolicy::percent(0, 600)],
                SelectPolicy::Min,
                300,
            )),
            "behavior.scaleDown.policies[0].value",
            "behavior.scaleDown.policies[0].value must be at least 1 percent, got 0",
        ),
        (
            with_up(rules(vec![ScalingPolicy::pods(4, 0)], SelectPolicy::Max, 0)),
            "behavior.scaleUp.policies[0].periodSeconds",
            "behavior.scaleUp.policies[0].periodSeconds must be from 1 to 1800 seconds (30 minutes), got 0",
        ),
        (
            with_down(rules(
                vec![ScalingPolicy::pods(4, 1801)],
                SelectPolicy::Min,
                300,
            )),
            "behavior.scaleDown.policies[0].periodSeconds",
            "behavior.scaleDown.policies[0].periodSeconds must be from 1 to 1800 seconds (30 minutes), got 1801",
        ),
        (
            with_up(rules(
                vec![ScalingPolicy::pods(4, 60)],
                SelectPolicy::Max,
                3601,
            )),
            "behavior.scaleUp.stabilizationWindowSeconds",
            "behavior.scaleUp.stabilizationWindowSeconds must be at most 3600 seconds (1 hour), got 3601",
        ),
        (
            with_down(rules(
                vec![ScalingPolicy::pods(4, 60)],
                SelectPolicy::Disabled,
                7200,
            )),
            "behavior.scaleDown.stabilizationWindowSeconds",
            "behavior.scaleDown.stabilizationWindowSeconds must be at most 3600 seconds (1 hour), got 7200",
        ),
    ];
    for (behavior, field, message) in cases {
        let status = behavior.validate().expect_err(field);
        assert_eq!(status.code, Code::InvalidArgument, "{field}");
        assert_eq!(status.message, message, "{field}");
        assert_eq!(status.violation_for(field), Some(message), "{field}");
        assert_eq!(status.field_violations().len(), 1, "{field}");
    }
}

#[test]
fn validate_reports_every_bad_field() {
    let behavior = Behavior {
        scale_up: rules(vec![ScalingPolicy::percent(0, 0)], SelectPolicy::Max, 0),
        scale_down: rules(Vec::new(), SelectPolicy::Min, 4000),
    };
    let status = behavior.validate().unwrap_err();
    let fields: Vec<&str> = status
        .field_violations()
        .iter()
        .map(|violation| violation.field.as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "behavior.scaleUp.policies[0].value",
            "behavior.scaleUp.policies[0].periodSeconds",
            "behavior.scaleDown.policies",
            "behavior.scaleDown.stabilizationWindowSeconds",
        ]
    );
}

#[test]
fn default_behavior_json_is_kubernetes_shaped() {
    let expected = json!({
        "scaleUp": {
            "policies": [
                {"type": "Percent", "value": 50, "periodSeconds": 600},
                {"type": "Pods", "value": 10, "periodSeconds": 600}
            ],
            "selectPolicy": "Max",
            "stabilizationWindowSeconds": 0
        },
        "scaleDown": {
            "policies": [
                {"type": "Percent", "value": 10, "periodSeconds": 600},
                {"type": "Pods", "value": 10, "periodSeconds": 600}
            ],
            "selectPolicy": "Min",
            "stabilizationWindowSeconds": 300
        }
    });
    assert_eq!(serde_json::to_value(Behavior::default()).unwrap(), expected);
    let parsed: Behavior = serde_json::from_value(expected).unwrap();
    assert_eq!(parsed, Behavior::default(), "round trip");
}

#[test]
fn behavior_json_defaults_and_rejections() {
    let without_select = json!({
        "policies": [{"type": "Pods", "value": 4, "periodSeconds": 60}],
        "stabilizationWindowSeconds": 0
    });
    let parsed: ScalingRules = serde_json::from_value(without_select).unwrap();
    assert_eq!(
        parsed.select_policy,
        SelectPolicy::Max,
        "selectPolicy defaults to Max"
    );

    let without_window = json!({
        "policies": [{"type": "Pods", "value": 4, "periodSeconds": 60}],
        "selectPolicy": "Min"
    });
    let error = serde_json::from_value::<ScalingRules>(without_window).unwrap_err();
    assert_eq!(
        error.to_string(),
        "missing field `stabilizationWindowSeconds`",
        "no default stabilization window"
    );
}

#[test]
fn decision_json_names_the_limit() {
    let behavior = Behavior::default();
    let decision = Case::new(&behavior, 10, 100).decide();
    assert_eq!(
        serde_json::to_value(&decision).unwrap(),
        json!({
            "desired": 20,
            "recommendation": 100,
            "stabilized": 100,
            "limitedBy": {"rule": "scaleUpRate", "policyIndex": 1, "periodSeconds": 600},
            "reason": "Scale-up to 100 pods was limited to 20 by the rule of adding the larger of 50% and 10 pods every 10 minutes."
        })
    );
}

#[test]
fn extreme_values_do_not_overflow() {
    let behavior = Behavior {
        scale_up: rules(
            vec![
                ScalingPolicy::percent(u32::MAX, 600),
                ScalingPolicy::pods(u32::MAX, 600),
            ],
            SelectPolicy::Max,
            3600,
        ),
        scale_down: rules(vec![ScalingPolicy::percent(150, 600)], SelectPolicy::Max, 0),
    };

    let huge = Case {
        max_node_count: u32::MAX,
        pod_maximum: u32::MAX,
        ..Case::new(&behavior, 4_000_000_000, u32::MAX)
    }
    .decide();
    assert_eq!(huge.desired, u32::MAX, "growth past u32::MAX saturates");
    assert_eq!(huge.limited_by, None, "growth past u32::MAX saturates");

    let below_zero = Case::new(&behavior, 10, 1).decide();
    assert_eq!(
        below_zero.desired, 1,
        "150% less than 10 pods stops at minNodeCount"
    );
    assert_eq!(below_zero.limited_by, None, "150% less than 10 pods");

    // The clock starts at 0, so the windows reach back before the epoch.
    let early_events = [event(0, 2, 6)];
    let early_history = [record(0, 2)];
    let early = Case {
        now: 30 * SECOND,
        events: &early_events,
        recommendations: &early_history,
        ..Case::new(&behavior, 6, 40)
    }
    .decide();
    assert_eq!(
        early.stabilized, 6,
        "a record at 0 is within the 1-hour window"
    );
    assert_eq!(
        early.desired, 6,
        "a record at 0 is within the 1-hour window"
    );
    assert_eq!(early.limited_by, Some(Limit::Stabilization), "early clock");

    let default = Behavior::default();
    let early_rate = Case {
        now: 30 * SECOND,
        events: &early_events,
        ..Case::new(&default, 6, 40)
    }
    .decide();
    assert_eq!(
        early_rate.desired, 12,
        "an event at 0 is within the 10-minute period"
    );
}
