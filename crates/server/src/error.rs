//! The server's error type and its one mapping to HTTP.
//!
//! Client errors ([`AppError::Api`]) are returned as they are and not logged.
//! Internal errors are logged once with an id, and the client gets only that
//! id, never the cause.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use headroom_api::{Code, Status};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Api(Status),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl From<Status> for AppError {
    fn from(status: Status) -> Self {
        AppError::Api(status)
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(error: rusqlite::Error) -> Self {
        AppError::Internal(error.into())
    }
}

/// Builds a JSON response from a status, with the HTTP code gRPC-gateway uses.
pub fn status_response(status: &Status) -> Response {
    let code = StatusCode::from_u16(status.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(status).unwrap_or_default();
    let mut response = (code, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Rewrites the plain-text rejections that the router produces before a
/// handler runs, a wrong method (405) or a body over [`MAX_BODY_BYTES`]
/// (413), as `google.rpc.Status` JSON, keeping their HTTP status and
/// headers such as `Allow`.
pub async fn status_bodies(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    let status = match response.status() {
        _ if is_json => return response,
        StatusCode::METHOD_NOT_ALLOWED => {
            Status::new(
                Code::Unimplemented,
                format!("method {method} is not allowed on {path}; the Allow header lists the methods that are"),
            )
        }
        StatusCode::PAYLOAD_TOO_LARGE => Status::invalid_request(format!(
            "request body is larger than the limit of {} KiB",
            MAX_BODY_BYTES / 1024
        )),
        _ => return response,
    };
    let mut rewritten = status_response(&status);
    *rewritten.status_mut() = response.status();
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rewritten.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rewritten
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::Api(status) => status_response(&status),
            AppError::Internal(error) => {
                let error_id = crate::secrets::generate_csrf_token();
                tracing::error!(error_id, error = format!("{error:#}"), "request failed");
                status_response(&Status::new(
                    Code::Internal,
                    format!("internal error; the server log has the cause under error id {error_id}"),
                ))
            }
        }
    }
}
