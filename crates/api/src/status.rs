//! The error model: the `google.rpc.Status` JSON that gRPC-gateway APIs return.
//!
//! Every error response of the API is a [`Status`] with the HTTP status that
//! gRPC-gateway maps its code to. Validation errors carry a `BadRequest`
//! detail naming each request field at fault, limit and permission errors an
//! `ErrorInfo` with a stable reason, so clients can react without parsing the
//! message.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The `ErrorInfo.domain` of every error Headroom raises.
pub const DOMAIN: &str = "headroom";

/// `ErrorInfo.reason` when a count exceeds the cluster's pod maximum.
pub const REASON_POD_LIMIT: &str = "POD_LIMIT_EXCEEDED";
/// `ErrorInfo.reason` when one request adds more pods than allowed.
pub const REASON_INCREASE_LIMIT: &str = "POD_INCREASE_LIMIT_EXCEEDED";
/// `ErrorInfo.reason` when the caller lacks a permission.
pub const REASON_PERMISSION_DENIED: &str = "PERMISSION_DENIED";

/// A gRPC status code, serialized as its number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "i32", try_from = "i32")]
pub enum Code {
    InvalidArgument = 3,
    NotFound = 5,
    AlreadyExists = 6,
    PermissionDenied = 7,
    ResourceExhausted = 8,
    FailedPrecondition = 9,
    Unimplemented = 12,
    Internal = 13,
    Unavailable = 14,
    Unauthenticated = 16,
}

impl Code {
    /// Returns the HTTP status code gRPC-gateway uses for this code.
    pub fn http_status(self) -> u16 {
        match self {
            Code::InvalidArgument | Code::FailedPrecondition => 400,
            Code::Unauthenticated => 401,
            Code::PermissionDenied => 403,
            Code::NotFound => 404,
            Code::AlreadyExists => 409,
            Code::ResourceExhausted => 429,
            Code::Unimplemented => 501,
            Code::Internal => 500,
            Code::Unavailable => 503,
        }
    }
}

impl From<Code> for i32 {
    fn from(code: Code) -> i32 {
        code as i32
    }
}

impl TryFrom<i32> for Code {
    type Error = String;

    fn try_from(value: i32) -> Result<Self, Self::Error> {
        Ok(match value {
            3 => Code::InvalidArgument,
            5 => Code::NotFound,
            6 => Code::AlreadyExists,
            7 => Code::PermissionDenied,
            8 => Code::ResourceExhausted,
            9 => Code::FailedPrecondition,
            12 => Code::Unimplemented,
            13 => Code::Internal,
            14 => Code::Unavailable,
            16 => Code::Unauthenticated,
            other => return Err(format!("unknown gRPC status code {other}")),
        })
    }
}

/// One invalid request field and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldViolation {
    /// Path of the field in the request body, such as `autoScalingConfig.maxNodeCount`.
    pub field: String,
    pub description: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        FieldViolation {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// A link in a `google.rpc.Help` detail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpLink {
    pub description: String,
    pub url: String,
}

/// One entry of `Status.details`, tagged with its protobuf type URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "@type")]
pub enum Detail {
    #[serde(rename = "type.googleapis.com/google.rpc.BadRequest")]
    BadRequest {
        #[serde(rename = "fieldViolations")]
        field_violations: Vec<FieldViolation>,
    },
    #[serde(rename = "type.googleapis.com/google.rpc.ErrorInfo")]
    ErrorInfo {
        reason: String,
        domain: String,
        metadata: BTreeMap<String, String>,
    },
    #[serde(rename = "type.googleapis.com/google.rpc.Help")]
    Help { links: Vec<HelpLink> },
    /// A detail type this version does not know; kept so that parsing a newer
    /// server's error does not fail.
    #[serde(other)]
    Unknown,
}

/// An API error: gRPC code, a message for people and machine-readable details.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub code: Code,
    pub message: String,
    #[serde(default)]
    pub details: Vec<Detail>,
}

impl Status {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Status {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// An `INVALID_ARGUMENT` error for one or more request fields. The message
    /// joins the descriptions, so it reads well on its own.
    pub fn invalid_fields(violations: Vec<FieldViolation>) -> Self {
        let message = violations
            .iter()
            .map(|violation| violation.description.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        Status {
            code: Code::InvalidArgument,
            message,
            details: vec![Detail::BadRequest {
                field_violations: violations,
            }],
        }
    }

    pub fn invalid_field(field: impl Into<String>, description: impl Into<String>) -> Self {
        Status::invalid_fields(vec![FieldViolation::new(field, description)])
    }

    /// An `INVALID_ARGUMENT` error about the request as a whole, such as
    /// malformed JSON, that no single field is to blame for.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Status::new(Code::InvalidArgument, message)
    }

    /// The error for a count above the cluster's pod maximum.
    pub fn pod_limit(field: &str, limit: u32, requested: u64) -> Self {
        let message = format!(
            "The maximum number of feature server pods allowed is {limit}. Request count is {requested}"
        );
        Status::limit(REASON_POD_LIMIT, field, message, limit, requested)
    }

    /// The error for a request that adds more pods at once than allowed.
    pub fn increase_limit(field: &str, limit: u32, requested_increase: u64) -> Self {
        let message = format!(
            "You cannot increase the number of pods by more than {limit} in a single request. Requested increase of pods by {requested_increase}"
        );
        Status::limit(REASON_INCREASE_LIMIT, field, message, limit, requested_increase)
    }

    fn limit(reason: &str, field: &str, message: String, limit: u32, requested: u64) -> Self {
        let metadata = BTreeMap::from([
            ("field".to_owned(), field.to_owned()),
            ("limit".to_owned(), limit.to_string()),
            ("requested".to_owned(), requested.to_string()),
        ]);
        Status {
            code: Code::InvalidArgument,
            details: vec![
                Detail::ErrorInfo {
                    reason: reason.to_owned(),
                    domain: DOMAIN.to_owned(),
                    metadata,
                },
                Detail::BadRequest {
                    field_violations: vec![FieldViolation::new(field, message.clone())],
                },
            ],
            message,
        }
    }

    /// The `PERMISSION_DENIED` error. `principal` reads like
    /// `serviceAccount ci-bot` or `user alice`.
    pub fn permission_denied(principal: &str, permission: &str) -> Self {
        let metadata = BTreeMap::from([
            ("permission".to_owned(), permission.to_owned()),
            ("principal".to_owned(), principal.to_owned()),
        ]);
        Status {
            code: Code::PermissionDenied,
            message: format!("{principal} not authorized to perform action {permission}"),
            details: vec![
                Detail::ErrorInfo {
                    reason: REASON_PERMISSION_DENIED.to_owned(),
                    domain: DOMAIN.to_owned(),
                    metadata,
                },
                Detail::Help {
                    links: vec![HelpLink {
                        description: format!(
                            "An admin can grant a role with the permission {permission} under Accounts and Access."
                        ),
                        url: "/access".to_owned(),
                    }],
                },
            ],
        }
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Status::new(Code::Unauthenticated, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Status::new(Code::NotFound, message)
    }

    pub fn already_exists(message: impl Into<String>) -> Self {
        Status::new(Code::AlreadyExists, message)
    }

    pub fn failed_precondition(message: impl Into<String>) -> Self {
        Status::new(Code::FailedPrecondition, message)
    }

    pub fn http_status(&self) -> u16 {
        self.code.http_status()
    }

    /// Returns the field violations of the `BadRequest` detail, if any.
    pub fn field_violations(&self) -> &[FieldViolation] {
        self.details
            .iter()
            .find_map(|detail| match detail {
                Detail::BadRequest { field_violations } => Some(field_violations.as_slice()),
                _ => None,
            })
            .unwrap_or(&[])
    }

    /// Returns the description of the first violation of `field`, if any.
    pub fn violation_for(&self, field: &str) -> Option<&str> {
        self.field_violations()
            .iter()
            .find(|violation| violation.field == field)
            .map(|violation| violation.description.as_str())
    }

    /// Returns the `ErrorInfo` reason, if the error has one.
    pub fn reason(&self) -> Option<&str> {
        self.details.iter().find_map(|detail| match detail {
            Detail::ErrorInfo { reason, .. } => Some(reason.as_str()),
            _ => None,
        })
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Status {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_limit_serializes_as_google_rpc_status() {
        let status = Status::pod_limit("count", 50, 51);
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "code": 3,
                "message": "The maximum number of feature server pods allowed is 50. Request count is 51",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "POD_LIMIT_EXCEEDED",
                        "domain": "headroom",
                        "metadata": {"field": "count", "limit": "50", "requested": "51"}
                    },
                    {
                        "@type": "type.googleapis.com/google.rpc.BadRequest",
                        "fieldViolations": [{
                            "field": "count",
                            "description": "The maximum number of feature server pods allowed is 50. Request count is 51"
                        }]
                    }
                ]
            })
        );
    }

    #[test]
    fn status_round_trips_and_tolerates_unknown_details() {
        let text = r#"{"code":7,"message":"no","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1s"}]}"#;
        let status: Status = serde_json::from_str(text).unwrap();
        assert_eq!(status.code, Code::PermissionDenied);
        assert_eq!(status.details, vec![Detail::Unknown]);
    }

    #[test]
    fn permission_denied_message_names_principal_and_action() {
        let status = Status::permission_denied("serviceAccount ci-bot", "scale_feature_server");
        assert_eq!(
            status.message,
            "serviceAccount ci-bot not authorized to perform action scale_feature_server"
        );
        assert_eq!(status.http_status(), 403);
        assert_eq!(status.reason(), Some(REASON_PERMISSION_DENIED));
    }
}
