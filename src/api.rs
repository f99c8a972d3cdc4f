//! HTTP requests to the Headroom API, which is served from the console's own
//! origin, and the errors they end in.
//!
//! Every error response of the API is a `google.rpc.Status` body. A response
//! that carries none (a proxy's HTML page, for example) is turned into one
//! here, so the pages handle a single error type.

use gloo_net::http::Request;
use headroom_api::{Code, Detail, Status};
use serde::de::DeserializeOwned;

pub const ME_URL: &str = "/api/v1/auth/me";
pub const SIGN_IN_URL: &str = "/api/v1/auth/sign-in";
pub const SIGN_OUT_URL: &str = "/api/v1/auth/sign-out";
pub const CONFIG_URL: &str = "/api/v1/metadata-service/get-feature-server-config";
pub const SET_CONFIG_URL: &str = "/api/v1/metadata-service/set-feature-server-config";
pub const LIMITS_URL: &str = "/api/v1/feature-server/limits";
pub const USERS_URL: &str = "/api/v1/users";
pub const SERVICE_ACCOUNTS_URL: &str = "/api/v1/service-accounts";
pub const SAMPLES_URL: &str = "/api/v1/monitoring/samples";
pub const ACTIVITY_URL: &str = "/api/v1/monitoring/activity?limit=50";
pub const RECOMMENDATIONS_URL: &str = "/api/v1/monitoring/recommendations";
pub const STREAM_URL: &str = "/api/v1/monitoring/stream";
pub const AUTOSCALER_URL: &str = "/api/v1/autoscaler";

/// The header that carries the session's CSRF token on every request that
/// is not a GET.
const CSRF_HEADER: &str = "X-CSRF-Token";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

/// The failure of a request.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// The server returned an error status.
    Status { http_status: u16, status: Status },
    /// No response arrived, or its body could not be read.
    Network(String),
    /// A successful response carried a body that is not the expected JSON.
    InvalidResponse(String),
}

impl ApiError {
    /// Returns whether the request failed because no one is signed in.
    pub fn is_unauthenticated(&self) -> bool {
        matches!(
            self,
            ApiError::Status {
                http_status: 401,
                ..
            }
        )
    }

    /// Returns the `google.rpc.Status` of a failed response, if one arrived.
    pub fn status(&self) -> Option<&Status> {
        match self {
            ApiError::Status { status, .. } => Some(status),
            ApiError::Network(_) | ApiError::InvalidResponse(_) => None,
        }
    }

    /// Returns the link of the `Help` detail of a permission error, which
    /// points to the page where an admin grants roles.
    pub fn permission_help_url(&self) -> Option<String> {
        let status = self.status()?;
        if status.code != Code::PermissionDenied {
            return None;
        }
        let help_url = status.details.iter().find_map(|detail| match detail {
            Detail::Help { links } => links.first().map(|link| link.url.clone()),
            _ => None,
        });
        Some(help_url.unwrap_or_else(|| "/access".to_owned()))
    }

    /// Returns a sentence for people that describes the failure.
    pub fn message(&self) -> String {
        match self {
            ApiError::Status { status, .. } => status.message.clone(),
            ApiError::Network(reason) => {
                format!(
                    "Could not reach the Headroom server ({reason}). Check the connection and try again."
                )
            }
            ApiError::InvalidResponse(reason) => {
                format!("The Headroom server returned an unexpected response: {reason}")
            }
        }
    }
}

/// Sends a request with the session cookie and returns the body of a
/// successful response. A request that is not a GET carries the CSRF token
/// and, if there is one, a JSON body.
pub async fn request(
    method: Method,
    url: &str,
    csrf_token: Option<&str>,
    body: Option<String>,
) -> Result<String, ApiError> {
    let builder = match method {
        Method::Get => Request::get(url),
        Method::Post => Request::post(url),
        Method::Put => Request::put(url),
        Method::Delete => Request::delete(url),
    }
    .header("Accept", "application/json");
    let builder = match csrf_token {
        Some(token) if method != Method::Get => builder.header(CSRF_HEADER, token),
        _ => builder,
    };
    let request = match body {
        Some(body) => builder
            .header("Content-Type", "application/json")
            .body(body),
        None => builder.build(),
    };

    let response = request
        .map_err(|error| ApiError::Network(error.to_string()))?
        .send()
        .await
        .map_err(|error| ApiError::Network(error.to_string()))?;
    let http_status = response.status();
    let text = response
        .text()
        .await
        .map_err(|error| ApiError::Network(error.to_string()))?;
    if response.ok() {
        return Ok(text);
    }

    let status = serde_json::from_str::<Status>(&text)
        .unwrap_or_else(|_| status_without_body(http_status, &response.status_text()));
    Err(ApiError::Status {
        http_status,
        status,
    })
}

/// Decodes the body of a successful response. An empty body, as in
/// `204 No Content`, decodes as JSON `null`, so `T` may be `()`.
pub fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    let json = if text.trim().is_empty() { "null" } else { text };
    serde_json::from_str(json).map_err(|error| ApiError::InvalidResponse(error.to_string()))
}

/// Builds the status of an error response whose body is not a
/// `google.rpc.Status`, with the code gRPC-gateway maps the HTTP status from.
fn status_without_body(http_status: u16, status_text: &str) -> Status {
    let code = match http_status {
        400 => Code::InvalidArgument,
        401 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        404 => Code::NotFound,
        409 => Code::AlreadyExists,
        429 => Code::ResourceExhausted,
        503 => Code::Unavailable,
        _ => Code::Internal,
    };
    Status::new(
        code,
        format!("The server returned HTTP {http_status} {status_text}."),
    )
}

/// Encodes an account name for use as one segment of a URL path.
pub fn path_segment(text: &str) -> String {
    String::from(js_sys::encode_uri_component(text))
}
