//! Table tests of the autoscaler's rules: the replica formula, wording,
//! validation and the JSON shape.

use headroom_api::Code;
use headroom_api::autoscaling::{Behavior, ScalingPolicy, ScalingRules, SelectPolicy, recommend};
use serde_json::json;

fn rules(policies: Vec<ScalingPolicy>, select_policy: SelectPolicy, window: u64) -> ScalingRules {
    ScalingRules {
        policies,
        select_policy,
        stabilization_window_seconds: window,
    }
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
