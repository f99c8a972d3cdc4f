//! The feature server scaling API: its bodies, how they are parsed, and the
//! rules a request must meet before anything is sent to the cluster.
//!
//! The wire format matches the feature server scaling API of Tecton's metadata
//! service, so scripts written for it work unchanged. Parsing goes through
//! `serde_json::Value` instead of a derived `Deserialize`, because every
//! rejection must name the request field at fault.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::status::{Code, FieldViolation, Status};

pub const FIELD_COUNT: &str = "count";
pub const FIELD_AUTOSCALING: &str = "autoScalingConfig";
pub const FIELD_ENABLED: &str = "autoScalingConfig.enabled";
pub const FIELD_MIN: &str = "autoScalingConfig.minNodeCount";
pub const FIELD_MAX: &str = "autoScalingConfig.maxNodeCount";

/// The feature server configuration and pod counts, as
/// `get-feature-server-config` and `set-feature-server-config` return them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeatureServerConfig {
    /// Pods that exist, ready or still starting.
    pub current_count: u32,
    /// Pods that are ready to serve.
    pub available_count: u32,
    /// Pods requested.
    pub desired_count: u32,
    pub auto_scaling_config: AutoScalingConfig,
}

/// Whether autoscaling is on, and its bounds when it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoScalingConfig {
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_node_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_node_count: Option<u32>,
}

impl AutoScalingConfig {
    pub fn disabled() -> Self {
        AutoScalingConfig {
            enabled: false,
            min_node_count: None,
            max_node_count: None,
        }
    }

    pub fn enabled(min_node_count: u32, max_node_count: u32) -> Self {
        AutoScalingConfig {
            enabled: true,
            min_node_count: Some(min_node_count),
            max_node_count: Some(max_node_count),
        }
    }
}

/// The cluster limits a scaling request must stay within.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    /// Maximum number of feature server pods.
    pub max_pods: u32,
    /// Maximum number of pods one request may add, counted from the available pods.
    pub max_increase: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pods: 50,
            max_increase: 50,
        }
    }
}

/// One of the three bodies `set-feature-server-config` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalingRequest {
    /// `{"count": N}`: provisioned capacity of N pods, autoscaling staying off.
    Provisioned { count: u32 },
    /// `{"autoScalingConfig": {"enabled": true, ...}}`: autoscaling between the bounds.
    Autoscaling {
        min_node_count: u32,
        max_node_count: u32,
    },
    /// `{"count": N, "autoScalingConfig": {"enabled": false}}`: autoscaling off, N pods.
    DisableAutoscaling { count: u32 },
}

impl ScalingRequest {
    /// Serializes the request in the documented wire form, field order included.
    pub fn to_json(&self) -> String {
        match self {
            ScalingRequest::Provisioned { count } => format!(r#"{{"count": {count}}}"#),
            ScalingRequest::Autoscaling {
                min_node_count,
                max_node_count,
            } => format!(
                r#"{{"autoScalingConfig": {{"enabled": true, "minNodeCount": {min_node_count}, "maxNodeCount": {max_node_count}}}}}"#
            ),
            ScalingRequest::DisableAutoscaling { count } => {
                format!(r#"{{"count": {count}, "autoScalingConfig": {{"enabled": false}}}}"#)
            }
        }
    }

    /// Returns the desired count the request leads to. Enabling autoscaling
    /// keeps the current desired count when it lies within the bounds and
    /// moves it to the nearest bound otherwise.
    pub fn desired_count(&self, current_desired: u32) -> u32 {
        match *self {
            ScalingRequest::Provisioned { count } | ScalingRequest::DisableAutoscaling { count } => {
                count
            }
            ScalingRequest::Autoscaling {
                min_node_count,
                max_node_count,
            } => current_desired.clamp(min_node_count, max_node_count.max(min_node_count)),
        }
    }

    /// Returns the autoscaling configuration the request leads to.
    pub fn auto_scaling_config(&self) -> AutoScalingConfig {
        match *self {
            ScalingRequest::Autoscaling {
                min_node_count,
                max_node_count,
            } => AutoScalingConfig::enabled(min_node_count, max_node_count),
            _ => AutoScalingConfig::disabled(),
        }
    }

    /// Parses a `set-feature-server-config` body. Every problem found is
    /// reported at once, each naming its field.
    pub fn parse(body: &[u8]) -> Result<ScalingRequest, Status> {
        let object = parse_object(body)?;
        if object.is_empty() {
            return Err(Status::invalid_request(
                "request body is an empty object; set count, autoScalingConfig, or both",
            ));
        }

        let mut violations = Vec::new();
        let mut count = None;
        let mut autoscaling = None;
        for (key, value) in &object {
            match key.as_str() {
                FIELD_COUNT => count = parse_field(FIELD_COUNT, value, &mut violations),
                FIELD_AUTOSCALING => autoscaling = Some(parse_autoscaling(value, &mut violations)),
                other => violations.push(unknown_field(
                    other,
                    other,
                    &[FIELD_COUNT, FIELD_AUTOSCALING],
                )),
            }
        }
        if !violations.is_empty() {
            return Err(Status::invalid_fields(violations));
        }

        let request = match autoscaling {
            None => count.map(|count| ScalingRequest::Provisioned { count }),
            Some(autoscaling) => combine(count, autoscaling, &mut violations),
        };
        match request {
            Some(request) if violations.is_empty() => Ok(request),
            _ => Err(Status::invalid_fields(violations)),
        }
    }
}

/// The valid fields of `autoScalingConfig`; `None` where a field is absent.
struct AutoscalingFields {
    enabled: Option<bool>,
    min_node_count: Option<u32>,
    max_node_count: Option<u32>,
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, Status> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Status::invalid_request(
            r#"request body is empty; send a JSON object such as {"count": 4}"#,
        ));
    }
    let value = crate::json::parse_unique(body)
        .map_err(|error| Status::invalid_request(format!("request body is not valid JSON: {error}")))?;
    match value {
        Value::Object(object) => Ok(object),
        other => Err(Status::invalid_request(format!(
            "request body must be a JSON object, got {}",
            describe(&other)
        ))),
    }
}

fn parse_autoscaling(value: &Value, violations: &mut Vec<FieldViolation>) -> AutoscalingFields {
    let mut fields = AutoscalingFields {
        enabled: None,
        min_node_count: None,
        max_node_count: None,
    };
    let Value::Object(object) = value else {
        violations.push(FieldViolation::new(
            FIELD_AUTOSCALING,
            format!(
                "autoScalingConfig must be an object such as {{\"enabled\": true, \"minNodeCount\": 2, \"maxNodeCount\": 10}}, got {}",
                describe(value)
            ),
        ));
        return fields;
    };

    for (key, value) in object {
        match key.as_str() {
            "enabled" => match value {
                Value::Bool(enabled) => fields.enabled = Some(*enabled),
                other => violations.push(FieldViolation::new(
                    FIELD_ENABLED,
                    format!(
                        "autoScalingConfig.enabled must be true or false, got {}",
                        describe(other)
                    ),
                )),
            },
            "minNodeCount" => fields.min_node_count = parse_field(FIELD_MIN, value, violations),
            "maxNodeCount" => fields.max_node_count = parse_field(FIELD_MAX, value, violations),
            other => violations.push(unknown_field(
                &format!("{FIELD_AUTOSCALING}.{other}"),
                other,
                &["enabled", "minNodeCount", "maxNodeCount"],
            )),
        }
    }
    fields
}

/// Combines fields that each parsed cleanly into one of the three accepted
/// bodies, or records why they form none of them.
fn combine(
    count: Option<u32>,
    fields: AutoscalingFields,
    violations: &mut Vec<FieldViolation>,
) -> Option<ScalingRequest> {
    match fields.enabled {
        None => {
            violations.push(FieldViolation::new(
                FIELD_ENABLED,
                "autoScalingConfig.enabled is required: true to turn autoscaling on, false to turn it off",
            ));
            None
        }
        Some(true) => {
            if count.is_some() {
                violations.push(FieldViolation::new(
                    FIELD_COUNT,
                    "count must not be set when enabling autoscaling, because the autoscaler sets the count between minNodeCount and maxNodeCount",
                ));
            }
            if fields.min_node_count.is_none() {
                violations.push(FieldViolation::new(
                    FIELD_MIN,
                    "autoScalingConfig.minNodeCount is required when enabling autoscaling",
                ));
            }
            if fields.max_node_count.is_none() {
                violations.push(FieldViolation::new(
                    FIELD_MAX,
                    "autoScalingConfig.maxNodeCount is required when enabling autoscaling",
                ));
            }
            Some(ScalingRequest::Autoscaling {
                min_node_count: fields.min_node_count?,
                max_node_count: fields.max_node_count?,
            })
        }
        Some(false) => {
            for (bound, field) in [(fields.min_node_count, FIELD_MIN), (fields.max_node_count, FIELD_MAX)] {
                if bound.is_some() {
                    violations.push(FieldViolation::new(
                        field,
                        format!("{field} must not be set when turning autoscaling off"),
                    ));
                }
            }
            if count.is_none() {
                violations.push(FieldViolation::new(
                    FIELD_COUNT,
                    r#"count is required when turning autoscaling off, for example {"count": 4, "autoScalingConfig": {"enabled": false}}"#,
                ));
            }
            Some(ScalingRequest::DisableAutoscaling { count: count? })
        }
    }
}

fn unknown_field(path: &str, key: &str, expected: &[&str]) -> FieldViolation {
    let expected = expected
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ");
    FieldViolation::new(
        path,
        format!("unknown field `{key}`; the fields allowed here are {expected}"),
    )
}

/// Parses a JSON value as a pod count: a whole number from 1 to `u32::MAX`.
/// Returns `None` and records a violation otherwise.
fn parse_field(field: &str, value: &Value, violations: &mut Vec<FieldViolation>) -> Option<u32> {
    match parse_count_value(field, value) {
        Ok(count) => Some(count),
        Err(violation) => {
            violations.push(violation);
            None
        }
    }
}

/// Parses a JSON value as a pod count: a whole number from 1 to `u32::MAX`.
pub fn parse_count_value(field: &str, value: &Value) -> Result<u32, FieldViolation> {
    let Value::Number(number) = value else {
        return Err(FieldViolation::new(
            field,
            format!("{field} must be a whole number, got {}", describe(value)),
        ));
    };
    if let Some(whole) = number.as_u64() {
        return check_count_range(field, whole, &number.to_string());
    }
    if number.as_i64().is_some() {
        return Err(FieldViolation::new(
            field,
            format!("{field} must be at least 1, got {number}"),
        ));
    }
    // A float such as 4.5, or 4.0 written with a fraction or exponent.
    let float = number.as_f64().unwrap_or(f64::NAN);
    if float.fract() != 0.0 || !float.is_finite() {
        return Err(FieldViolation::new(
            field,
            format!("{field} must be a whole number, got {number}"),
        ));
    }
    if float < 1.0 {
        return Err(FieldViolation::new(
            field,
            format!("{field} must be at least 1, got {number}"),
        ));
    }
    if float > u32::MAX as f64 {
        return Err(out_of_range(field, &number.to_string()));
    }
    Ok(float as u32)
}

/// Parses the text of a form input as a pod count, with the same rules and
/// messages as the API applies to a JSON number.
pub fn parse_count_input(field: &str, text: &str) -> Result<u32, FieldViolation> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldViolation::new(field, format!("{field} is required")));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(value @ Value::Number(_)) => parse_count_value(field, &value),
        _ => Err(FieldViolation::new(
            field,
            format!("{field} must be a whole number, got \"{text}\""),
        )),
    }
}

fn check_count_range(field: &str, value: u64, text: &str) -> Result<u32, FieldViolation> {
    if value == 0 {
        return Err(FieldViolation::new(
            field,
            format!("{field} must be at least 1, got 0"),
        ));
    }
    u32::try_from(value).map_err(|_| out_of_range(field, text))
}

fn out_of_range(field: &str, text: &str) -> FieldViolation {
    FieldViolation::new(
        field,
        format!(
            "{field} must be a whole number from 1 to {} (32 bits), got {text}",
            u32::MAX
        ),
    )
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => format!("the string \"{text}\""),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// Checks a parsed request against the current state and the cluster limits.
///
/// This is the last check before the request reaches the cluster, and the
/// console runs it on every keystroke with the state it last fetched.
pub fn validate(
    request: &ScalingRequest,
    current: &FeatureServerConfig,
    limits: &Limits,
) -> Result<(), Status> {
    match *request {
        ScalingRequest::Provisioned { count } => {
            if current.auto_scaling_config.enabled {
                let mut status = Status::invalid_field(
                    FIELD_COUNT,
                    format!(
                        r#"count cannot be set alone while autoscaling is enabled; to turn autoscaling off and provision {count} pods, send {{"count": {count}, "autoScalingConfig": {{"enabled": false}}}}"#
                    ),
                );
                status.code = Code::FailedPrecondition;
                return Err(status);
            }
            check_pod_limit(FIELD_COUNT, count, limits)?;
        }
        ScalingRequest::DisableAutoscaling { count } => {
            check_pod_limit(FIELD_COUNT, count, limits)?;
        }
        ScalingRequest::Autoscaling {
            min_node_count,
            max_node_count,
        } => {
            check_pod_limit(FIELD_MAX, max_node_count, limits)?;
            if min_node_count > max_node_count {
                return Err(Status::invalid_field(
                    FIELD_MIN,
                    format!(
                        "minNodeCount ({min_node_count}) must not be greater than maxNodeCount ({max_node_count})"
                    ),
                ));
            }
        }
    }

    let desired = request.desired_count(current.desired_count);
    let increase = u64::from(desired).saturating_sub(u64::from(current.available_count));
    if increase > u64::from(limits.max_increase) {
        let field = match request {
            ScalingRequest::Autoscaling { .. } => FIELD_MIN,
            _ => FIELD_COUNT,
        };
        return Err(Status::increase_limit(field, limits.max_increase, increase));
    }
    Ok(())
}

fn check_pod_limit(field: &str, count: u32, limits: &Limits) -> Result<(), Status> {
    if count > limits.max_pods {
        return Err(Status::pod_limit(field, limits.max_pods, count.into()));
    }
    Ok(())
}
