//! Table tests of the scaling request parser and validation rules.

use headroom_api::Code;
use headroom_api::scaling::{
    AutoScalingConfig, FeatureServerConfig, Limits, ScalingRequest, parse_count_input, validate,
};

fn provisioned(current: u32, available: u32, desired: u32) -> FeatureServerConfig {
    FeatureServerConfig {
        current_count: current,
        available_count: available,
        desired_count: desired,
        auto_scaling_config: AutoScalingConfig::disabled(),
    }
}

fn autoscaling(available: u32, desired: u32, min: u32, max: u32) -> FeatureServerConfig {
    FeatureServerConfig {
        current_count: desired,
        available_count: available,
        desired_count: desired,
        auto_scaling_config: AutoScalingConfig::enabled(min, max),
    }
}

#[test]
fn parse_accepts_the_three_bodies() {
    let cases = [
        (r#"{"count": 4}"#, ScalingRequest::Provisioned { count: 4 }),
        (
            r#"{"autoScalingConfig": {"enabled": true, "minNodeCount": 2, "maxNodeCount": 10}}"#,
            ScalingRequest::Autoscaling {
                min_node_count: 2,
                max_node_count: 10,
            },
        ),
        (
            r#"{"count": 4, "autoScalingConfig": {"enabled": false}}"#,
            ScalingRequest::DisableAutoscaling { count: 4 },
        ),
        (
            r#"{"autoScalingConfig": {"enabled": true, "minNodeCount": 3, "maxNodeCount": 3}}"#,
            ScalingRequest::Autoscaling {
                min_node_count: 3,
                max_node_count: 3,
            },
        ),
        (r#"{"count": 4.0}"#, ScalingRequest::Provisioned { count: 4 }),
        (r#"{"count": 4294967295}"#, ScalingRequest::Provisioned { count: u32::MAX }),
        ("\n {\"count\":1} \n", ScalingRequest::Provisioned { count: 1 }),
    ];
    for (body, expected) in cases {
        assert_eq!(ScalingRequest::parse(body.as_bytes()), Ok(expected), "{body}");
    }
}

#[test]
fn to_json_is_the_documented_wire_form() {
    let cases = [
        (ScalingRequest::Provisioned { count: 4 }, r#"{"count": 4}"#),
        (
            ScalingRequest::Autoscaling {
                min_node_count: 2,
                max_node_count: 10,
            },
            r#"{"autoScalingConfig": {"enabled": true, "minNodeCount": 2, "maxNodeCount": 10}}"#,
        ),
        (
            ScalingRequest::DisableAutoscaling { count: 4 },
            r#"{"count": 4, "autoScalingConfig": {"enabled": false}}"#,
        ),
    ];
    for (request, expected) in cases {
        assert_eq!(request.to_json(), expected);
        assert_eq!(ScalingRequest::parse(expected.as_bytes()), Ok(request));
    }
}

/// Each bad body with the field its violation names (`None` for errors
/// about the whole body) and the exact message.
#[test]
fn parse_rejects_bad_input() {
    let cases: &[(&str, Option<&str>, &str)] = &[
        ("", None, r#"request body is empty; send a JSON object such as {"count": 4}"#),
        ("{}", None, "request body is an empty object; set count, autoScalingConfig, or both"),
        (
            r#"{"count": 4"#,
            None,
            "request body is not valid JSON: EOF while parsing an object at line 1 column 11",
        ),
        ("[4]", None, "request body must be a JSON object, got an array"),
        (
            r#"{"count": 4, "count": 40}"#,
            None,
            "request body is not valid JSON: duplicate field `count`; send each field once at line 1 column 20",
        ),
        ("4", None, "request body must be a JSON object, got 4"),
        (r#"{"count": "4"}"#, Some("count"), r#"count must be a whole number, got the string "4""#),
        (r#"{"count": 4.5}"#, Some("count"), "count must be a whole number, got 4.5"),
        (r#"{"count": -3}"#, Some("count"), "count must be at least 1, got -3"),
        (r#"{"count": 0}"#, Some("count"), "count must be at least 1, got 0"),
        (r#"{"count": -0.5}"#, Some("count"), "count must be a whole number, got -0.5"),
        (
            r#"{"count": 4294967296}"#,
            Some("count"),
            "count must be a whole number from 1 to 4294967295 (32 bits), got 4294967296",
        ),
        (
            r#"{"count": 1e20}"#,
            Some("count"),
            "count must be a whole number from 1 to 4294967295 (32 bits), got 1e+20",
        ),
        (r#"{"count": null}"#, Some("count"), "count must be a whole number, got null"),
        (r#"{"count": true}"#, Some("count"), "count must be a whole number, got true"),
        (
            r#"{"cout": 4}"#,
            Some("cout"),
            "unknown field `cout`; the fields allowed here are `count`, `autoScalingConfig`",
        ),
        (
            r#"{"autoScalingConfig": {"enabled": true, "minNodeCount": 2, "maxNodecount": 10}}"#,
            Some("autoScalingConfig.maxNodecount"),
            "unknown field `maxNodecount`; the fields allowed here are `enabled`, `minNodeCount`, `maxNodeCount`",
        ),
        (
            r#"{"autoScalingConfig": {"enabled": true, "minNodeCount": 2}}"#,
            Some("autoScalingConfig.maxNodeCount"),
            "autoScalingConfig.maxNodeCount is required when enabling autoscaling",
        ),
        (
            r#"{"autoScalingConfig": {"enabled": true, "maxNodeCount": 2}}"#,
            Some("autoScalingConfig.minNodeCount"),
            "autoScalingConfig.minNodeCount is required when enabling autoscaling",
        ),
        (
            r#"{"autoScalingConfig": {"enabled": false}}"#,
            Some("count"),
            r#"count is required when turning autoscaling off, for example {"count": 4, "autoScalingConfig": {"enabled": false}}"#,
        ),
        (
            r#"{"count": 4, "autoScalingConfig": {"enabled": false, "minNodeCount": 2}}"#,
            Some("autoScalingConfig.minNodeCount"),
            "autoScalingConfig.minNodeCount must not be set when turning autoscaling off",
        ),
        (
            r#"{"count": 4, "autoScalingConfig": {"enabled": true, "minNodeCount": 2, "maxNodeCount": 10}}"#,
            Some("count"),
            "count must not be set when enabling autoscaling, because the autoscaler sets the count between minNodeCount and maxNodeCount",
        ),
        (
            r#"{"autoScalingConfig": {"minNodeCount": 2, "maxNodeCount": 10}}"#,
            Some("autoScalingConfig.enabled"),
            "autoScalingConfig.enabled is required: true to turn autoscaling on, false to turn it off",
        ),
        (
            r#"{"autoScalingConfig": {"enabled": "yes", "minNodeCount": 2, "maxNodeCount": 10}}"#,
            Some("autoScalingConfig.enabled"),
            r#"autoScalingConfig.enabled must be true or false, got the string "yes""#,
        ),
        (
            r#"{"autoScalingConfig": true}"#,
            Some("autoScalingConfig"),
            r#"autoScalingConfig must be an object such as {"enabled": true, "minNodeCount": 2, "maxNodeCount": 10}, got true"#,
        ),
        (
            r#"{"autoScalingConfig": {"enabled": true, "minNodeCount": 2.5, "maxNodeCount": 10}}"#,
            Some("autoScalingConfig.minNodeCount"),
            "autoScalingConfig.minNodeCount must be a whole number, got 2.5",
        ),
        (
            r#"{"autoScalingConfig": {"enabled": true, "minNodeCount": 2, "maxNodeCount": -1}}"#,
            Some("autoScalingConfig.maxNodeCount"),
            "autoScalingConfig.maxNodeCount must be at least 1, got -1",
        ),
    ];
    for (body, field, message) in cases {
        let status = ScalingRequest::parse(body.as_bytes()).expect_err(body);
        assert_eq!(status.code, Code::InvalidArgument, "{body}");
        assert_eq!(status.message, *message, "{body}");
        match field {
            Some(field) => assert_eq!(status.violation_for(field), Some(*message), "{body}"),
            None => assert!(status.field_violations().is_empty(), "{body}"),
        }
    }
}

#[test]
fn parse_reports_every_bad_field() {
    let status = ScalingRequest::parse(br#"{"count": "x", "extra": 1}"#).unwrap_err();
    let fields: Vec<&str> = status
        .field_violations()
        .iter()
        .map(|violation| violation.field.as_str())
        .collect();
    assert_eq!(fields, ["count", "extra"]);
}

#[test]
fn validate_accepts_within_limits() {
    let limits = Limits::default();
    let cases = [
        (ScalingRequest::Provisioned { count: 1 }, provisioned(2, 2, 2)),
        (ScalingRequest::Provisioned { count: 50 }, provisioned(2, 2, 2)),
        (ScalingRequest::Provisioned { count: 2 }, provisioned(2, 2, 2)),
        // A decrease is allowed even from above the pod maximum.
        (ScalingRequest::Provisioned { count: 50 }, provisioned(52, 52, 52)),
        (
            ScalingRequest::Autoscaling {
                min_node_count: 2,
                max_node_count: 2,
            },
            provisioned(2, 2, 2),
        ),
        (
            ScalingRequest::Autoscaling {
                min_node_count: 1,
                max_node_count: 50,
            },
            autoscaling(5, 5, 2, 10),
        ),
        (ScalingRequest::DisableAutoscaling { count: 4 }, autoscaling(5, 5, 2, 10)),
    ];
    for (request, current) in cases {
        assert_eq!(validate(&request, &current, &limits), Ok(()), "{request:?} on {current:?}");
    }
}

/// Each rejected request with the field, code and exact message.
#[test]
fn validate_rejects_with_field_and_message() {
    let limits = Limits::default();
    let cases: &[(ScalingRequest, FeatureServerConfig, &str, Code, &str)] = &[
        (
            ScalingRequest::Provisioned { count: 51 },
            provisioned(2, 2, 2),
            "count",
            Code::InvalidArgument,
            "The maximum number of feature server pods allowed is 50. Request count is 51",
        ),
        (
            ScalingRequest::DisableAutoscaling { count: 51 },
            autoscaling(2, 2, 2, 10),
            "count",
            Code::InvalidArgument,
            "The maximum number of feature server pods allowed is 50. Request count is 51",
        ),
        (
            ScalingRequest::Autoscaling {
                min_node_count: 2,
                max_node_count: 51,
            },
            provisioned(2, 2, 2),
            "autoScalingConfig.maxNodeCount",
            Code::InvalidArgument,
            "The maximum number of feature server pods allowed is 50. Request count is 51",
        ),
        (
            ScalingRequest::Autoscaling {
                min_node_count: 11,
                max_node_count: 10,
            },
            provisioned(2, 2, 2),
            "autoScalingConfig.minNodeCount",
            Code::InvalidArgument,
            "minNodeCount (11) must not be greater than maxNodeCount (10)",
        ),
        (
            ScalingRequest::Provisioned { count: 4 },
            autoscaling(2, 2, 2, 10),
            "count",
            Code::FailedPrecondition,
            r#"count cannot be set alone while autoscaling is enabled; to turn autoscaling off and provision 4 pods, send {"count": 4, "autoScalingConfig": {"enabled": false}}"#,
        ),
    ];
    for (request, current, field, code, message) in cases {
        let status = validate(request, current, &limits).expect_err(message);
        assert_eq!(status.code, *code, "{request:?}");
        assert_eq!(status.message, *message, "{request:?}");
        assert_eq!(status.violation_for(field), Some(*message), "{request:?}");
    }
}

#[test]
fn increase_limit_counts_from_available() {
    let limits = Limits {
        max_pods: 100,
        max_increase: 50,
    };
    let cases: &[(ScalingRequest, FeatureServerConfig, Option<(&str, u64)>)] = &[
        (ScalingRequest::Provisioned { count: 52 }, provisioned(2, 2, 2), None),
        (ScalingRequest::Provisioned { count: 53 }, provisioned(2, 2, 2), Some(("count", 51))),
        // Pods still starting do not count: 10 exist but none is available.
        (ScalingRequest::Provisioned { count: 60 }, provisioned(10, 0, 10), Some(("count", 60))),
        (ScalingRequest::Provisioned { count: 60 }, provisioned(10, 10, 10), None),
        (ScalingRequest::Provisioned { count: 1 }, provisioned(100, 100, 100), None),
        (
            ScalingRequest::Autoscaling {
                min_node_count: 70,
                max_node_count: 80,
            },
            provisioned(2, 2, 2),
            Some(("autoScalingConfig.minNodeCount", 68)),
        ),
        (
            ScalingRequest::DisableAutoscaling { count: 60 },
            autoscaling(10, 10, 2, 10),
            None,
        ),
        (
            ScalingRequest::DisableAutoscaling { count: 61 },
            autoscaling(5, 10, 2, 10),
            Some(("count", 56)),
        ),
    ];
    for (request, current, expected) in cases {
        let result = validate(request, current, &limits);
        match expected {
            None => assert_eq!(result, Ok(()), "{request:?} on {current:?}"),
            Some((field, increase)) => {
                let status = result.expect_err("increase above the limit");
                let message = format!(
                    "You cannot increase the number of pods by more than 50 in a single request. Requested increase of pods by {increase}"
                );
                assert_eq!(status.message, message, "{request:?}");
                assert_eq!(status.violation_for(field), Some(message.as_str()));
                assert_eq!(status.reason(), Some("POD_INCREASE_LIMIT_EXCEEDED"));
            }
        }
    }
}

#[test]
fn desired_count_after_enabling_autoscaling() {
    let cases = [(5, 2, 10, 5), (1, 2, 10, 2), (12, 2, 10, 10), (7, 7, 7, 7)];
    for (current, min, max, expected) in cases {
        let request = ScalingRequest::Autoscaling {
            min_node_count: min,
            max_node_count: max,
        };
        assert_eq!(request.desired_count(current), expected, "{current} in {min}..={max}");
    }
}

#[test]
fn form_input_parses_like_json() {
    let cases: &[(&str, Result<u32, &str>)] = &[
        ("5", Ok(5)),
        (" 12 ", Ok(12)),
        ("", Err("count is required")),
        ("   ", Err("count is required")),
        ("abc", Err(r#"count must be a whole number, got "abc""#)),
        ("4.5", Err("count must be a whole number, got 4.5")),
        ("-2", Err("count must be at least 1, got -2")),
        ("0", Err("count must be at least 1, got 0")),
        ("5 pods", Err(r#"count must be a whole number, got "5 pods""#)),
        (
            "99999999999",
            Err("count must be a whole number from 1 to 4294967295 (32 bits), got 99999999999"),
        ),
    ];
    for (text, expected) in cases {
        let result = parse_count_input("count", text).map_err(|violation| violation.description);
        assert_eq!(result, expected.map_err(str::to_owned), "{text:?}");
    }
}
