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
