//! The online serving path, `get-features`, served by the simulated pods.
//!
//! The request and response follow the shape of Tecton's `get-features`
//! HTTP API. The features are synthetic: a deterministic function of the
//! feature service name and the join keys, so tests and load runs can check
//! what they receive.

use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use headroom_api::access::Permission;
use headroom_api::{Code, FieldViolation, Status};
use serde_json::{Map, Value, json};

use crate::app::AppState;
use crate::auth::Principal;
use crate::error::AppResult;

/// Features in every synthetic vector.
pub const FEATURE_COUNT: usize = 8;

/// `ErrorInfo.reason` when every ready pod is at capacity.
pub const REASON_CAPACITY: &str = "POD_CAPACITY_EXHAUSTED";

const PARAMS_FIELDS: &[&str] = &[
    "feature_service_name",
    "join_key_map",
    "request_context_map",
    "workspace_name",
    "metadata_options",
    "allow_partial_results",
];

/// A parsed `get-features` request.
#[derive(Debug, PartialEq)]
pub struct FeatureRequest {
    pub feature_service_name: String,
    /// Join keys and their values as text, sorted by key.
    pub join_keys: Vec<(String, String)>,
}

pub async fn get_features(
    State(state): State<AppState>,
    principal: Principal,
    body: Bytes,
) -> AppResult<Json<Value>> {
    principal.require(Permission::ReadFeatures)?;
    let request = parse_request(&body)?;

    let started = Instant::now();
    let admission = match state.cluster.admit() {
        Ok(admission) => admission,
        Err(saturated) => {
            state.request_stats.record_rejected();
            return Err(capacity_error(saturated.available, saturated.concurrency_per_pod).into());
        }
    };
    state.clock.sleep(state.serving.service_time).await;
    let features = synthetic_features(&request);
    drop(admission);
    state.request_stats.record_served(started.elapsed());

    let names: Vec<Value> = (0..FEATURE_COUNT)
        .map(|index| json!({"name": format!("{}.feature_{index}", request.feature_service_name)}))
        .collect();
    Ok(Json(json!({
        "result": {"features": features},
        "metadata": {"features": names},
    })))
}

fn capacity_error(available: u32, concurrency: u32) -> Status {
    if available == 0 {
        return Status::new(
            Code::Unavailable,
            "no feature server pod is ready yet; retry once pods are available",
        );
    }
    let mut status = Status::new(
        Code::ResourceExhausted,
        format!(
            "all {available} available feature server pods are at capacity ({concurrency} concurrent requests each); retry with backoff, or add pods"
        ),
    );
    status.details.push(headroom_api::Detail::ErrorInfo {
        reason: REASON_CAPACITY.to_owned(),
        domain: headroom_api::status::DOMAIN.to_owned(),
        metadata: [
            ("availablePods".to_owned(), available.to_string()),
            ("concurrencyPerPod".to_owned(), concurrency.to_string()),
        ]
        .into(),
    });
    status
}

/// Parses a `get-features` body, naming the field of every problem.
pub fn parse_request(body: &[u8]) -> Result<FeatureRequest, Status> {
    let value = headroom_api::json::parse_unique(body)
        .map_err(|error| Status::invalid_request(format!("request body is not valid JSON: {error}")))?;
    let Value::Object(top) = &value else {
        return Err(Status::invalid_request("request body must be a JSON object with the field params"));
    };
    if let Some(key) = top.keys().find(|key| *key != "params") {
        return Err(Status::invalid_field(
            key.clone(),
            format!("unknown field `{key}`; the request body has only the field `params`"),
        ));
    }
    let Some(params) = top.get("params") else {
        return Err(Status::invalid_field(
            "params",
            r#"params is required, for example {"params": {"feature_service_name": "fraud_detection", "join_key_map": {"user_id": "u_123"}}}"#,
        ));
    };
    let Value::Object(params) = params else {
        return Err(Status::invalid_field("params", "params must be an object"));
    };

    let mut violations = Vec::new();
    for key in params.keys().filter(|key| !PARAMS_FIELDS.contains(&key.as_str())) {
        violations.push(FieldViolation::new(
            format!("params.{key}"),
            format!("unknown field `{key}`; the fields allowed here are {}", PARAMS_FIELDS.join(", ")),
        ));
    }
    let name = match params.get("feature_service_name") {
        Some(Value::String(name)) if !name.trim().is_empty() => Some(name.clone()),
        _ => {
            violations.push(FieldViolation::new(
                "params.feature_service_name",
                "params.feature_service_name is required and must be a non-empty string",
            ));
            None
        }
    };
    let join_keys = parse_join_keys(params, &mut violations);
    let optional_types: [(&str, fn(&Value) -> bool, &str); 4] = [
        ("workspace_name", Value::is_string, "a string"),
        ("allow_partial_results", Value::is_boolean, "true or false"),
        ("request_context_map", Value::is_object, "an object"),
        ("metadata_options", Value::is_object, "an object"),
    ];
    for (field, has_type, expected) in optional_types {
        if params.get(field).is_some_and(|value| !has_type(value)) {
            violations.push(FieldViolation::new(
                format!("params.{field}"),
                format!("params.{field} must be {expected}"),
            ));
        }
    }
    if !violations.is_empty() {
        return Err(Status::invalid_fields(violations));
    }
    Ok(FeatureRequest {
        feature_service_name: name.unwrap_or_default(),
        join_keys,
    })
}

fn parse_join_keys(params: &Map<String, Value>, violations: &mut Vec<FieldViolation>) -> Vec<(String, String)> {
    let Some(Value::Object(map)) = params.get("join_key_map") else {
        violations.push(FieldViolation::new(
            "params.join_key_map",
            r#"params.join_key_map is required and must be an object such as {"user_id": "u_123"}"#,
        ));
        return Vec::new();
    };
    if map.is_empty() {
        violations.push(FieldViolation::new(
            "params.join_key_map",
            "params.join_key_map must contain at least one join key",
        ));
    }
    let mut keys = Vec::new();
    for (key, value) in map {
        match value {
            Value::String(text) => keys.push((key.clone(), text.clone())),
            Value::Number(number) => keys.push((key.clone(), number.to_string())),
            _ => violations.push(FieldViolation::new(
                format!("params.join_key_map.{key}"),
                format!("join key {key} must be a string or a number"),
            )),
        }
    }
    keys.sort();
    keys
}

/// Returns the synthetic feature vector: values in [0, 1) with six
/// decimals, from an FNV-1a hash of the service name, the join keys and
/// the feature's index.
pub fn synthetic_features(request: &FeatureRequest) -> Vec<f64> {
    (0..FEATURE_COUNT)
        .map(|index| {
            let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
            let mut feed = |bytes: &[u8]| {
                for byte in bytes {
                    hash ^= u64::from(*byte);
                    hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
                }
            };
            feed(request.feature_service_name.as_bytes());
            for (key, value) in &request.join_keys {
                feed(key.as_bytes());
                feed(b"=");
                feed(value.as_bytes());
                feed(b";");
            }
            feed(&(index as u64).to_le_bytes());
            ((hash % 1_000_000) as f64) / 1_000_000.0
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rejects_bad_bodies() {
        let cases: &[(&str, &str, &str)] = &[
            ("{}", "params", "params is required"),
            (r#"{"params": 1}"#, "params", "params must be an object"),
            (r#"{"params": {"join_key_map": {"u": "1"}}}"#, "params.feature_service_name", "params.feature_service_name is required"),
            (r#"{"params": {"feature_service_name": "fs"}}"#, "params.join_key_map", "params.join_key_map is required"),
            (r#"{"params": {"feature_service_name": "fs", "join_key_map": {}}}"#, "params.join_key_map", "params.join_key_map must contain at least one join key"),
            (r#"{"params": {"feature_service_name": "fs", "join_key_map": {"u": [1]}}}"#, "params.join_key_map.u", "join key u must be a string or a number"),
            (r#"{"params": {"feature_service_name": "fs", "join_key_map": {"u": "1"}, "joinKeyMap": {}}}"#, "params.joinKeyMap", "unknown field `joinKeyMap`"),
            (r#"{"params": {"feature_service_name": "fs", "join_key_map": {"u": "1"}}, "extra": 1}"#, "extra", "unknown field `extra`"),
            (r#"{"params": {"feature_service_name": "fs", "join_key_map": {"u": "1"}, "workspace_name": 5}}"#, "params.workspace_name", "params.workspace_name must be a string"),
            (r#"{"params": {"feature_service_name": "fs", "join_key_map": {"u": "1"}, "allow_partial_results": "yes"}}"#, "params.allow_partial_results", "params.allow_partial_results must be true or false"),
        ];
        for (body, field, message) in cases {
            let status = parse_request(body.as_bytes()).expect_err(body);
            let violation = status.violation_for(field).unwrap_or_else(|| panic!("{body}: {status:?}"));
            assert!(violation.starts_with(message), "{body}: {violation}");
        }
        for body in [&b"{"[..], br#"{"params": {}, "params": {}}"#] {
            let status = parse_request(body).unwrap_err();
            assert!(status.message.starts_with("request body is not valid JSON"), "{}", status.message);
        }
    }

    #[test]
    fn features_are_deterministic_per_keys() {
        let request = |user: &str| {
            parse_request(format!(r#"{{"params": {{"feature_service_name": "fraud", "join_key_map": {{"user_id": "{user}"}}}}}}"#).as_bytes())
                .unwrap()
        };
        let first = synthetic_features(&request("u_1"));
        assert_eq!(first.len(), FEATURE_COUNT);
        assert_eq!(first, synthetic_features(&request("u_1")));
        assert_ne!(first, synthetic_features(&request("u_2")));
        assert!(first.iter().all(|value| (0.0..1.0).contains(value)));
    }
}
