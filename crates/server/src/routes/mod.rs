//! HTTP routes. Each handler reads top to bottom: authenticate (the
//! [`crate::auth::Principal`] extractor), authorize, validate, act, respond.

pub mod accounts;
pub mod features;
pub mod monitoring;
pub mod scaling;
pub mod session;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, OriginalUri, Request};
use axum::http::{Method, header};
use axum::routing::{delete, get, post, put};
use headroom_api::Status;
use serde::de::DeserializeOwned;

use crate::app::AppState;
use crate::error::AppError;

/// The API under `/api/v1`.
pub fn api() -> Router<AppState> {
    Router::new()
        .route(
            "/metadata-service/get-feature-server-config",
            get(scaling::get_config).post(scaling::get_config_post),
        )
        .route("/metadata-service/set-feature-server-config", post(scaling::set_config))
        .route("/feature-server/limits", get(scaling::limits))
        .route("/feature-service/get-features", post(features::get_features))
        .route("/monitoring/samples", get(monitoring::samples))
        .route("/monitoring/activity", get(monitoring::activity))
        .route("/monitoring/recommendations", get(monitoring::recommendations))
        .route("/monitoring/stream", get(monitoring::stream))
        .route("/autoscaler", get(monitoring::autoscaler))
        .route("/healthz", get(healthz))
        .route("/auth/sign-in", post(session::sign_in))
        .route("/auth/sign-out", post(session::sign_out))
        .route("/auth/me", get(session::me))
        .route("/roles", get(accounts::list_roles))
        .route("/users", get(accounts::list_users).post(accounts::create_user))
        .route("/users/{name}", delete(accounts::delete_user))
        .route(
            "/users/{name}/roles/{role}",
            put(accounts::grant_user_role).delete(accounts::revoke_user_role),
        )
        .route(
            "/service-accounts",
            get(accounts::list_service_accounts).post(accounts::create_service_account),
        )
        .route("/service-accounts/{name}", delete(accounts::delete_service_account))
        .route("/service-accounts/{name}/keys", post(accounts::issue_key))
        .route("/service-accounts/{name}/keys/{id}", delete(accounts::revoke_key))
        .route(
            "/service-accounts/{name}/roles/{role}",
            put(accounts::grant_service_account_role).delete(accounts::revoke_service_account_role),
        )
        .fallback(api_not_found)
        .layer(axum::extract::DefaultBodyLimit::max(crate::error::MAX_BODY_BYTES))
}

/// Liveness for load balancers and probes: needs no authentication and
/// touches no state, so it also measures the cost of a bare handler.
async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}

async fn api_not_found(method: Method, OriginalUri(uri): OriginalUri) -> AppError {
    Status::not_found(format!("no API route {method} {}", uri.path())).into()
}

/// A JSON request body whose rejections are `google.rpc.Status` errors that
/// name the offending field, as serde reports it.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/json"));
        if !is_json {
            return Err(Status::invalid_request(
                "request body must be JSON: send the header `Content-Type: application/json`",
            )
            .into());
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| Status::invalid_request(format!("cannot read the request body: {rejection}")))?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|error| Status::invalid_request(format!("invalid request body: {error}")).into())
    }
}

/// Query parameters whose rejections are `google.rpc.Status` errors.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for QueryParams<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(query)| QueryParams(query))
            .map_err(|rejection| Status::invalid_request(format!("invalid query string: {}", rejection.body_text())).into())
    }
}

/// Parses a role from a URL segment.
fn parse_role(text: &str) -> Result<headroom_api::access::Role, Status> {
    text.parse().map_err(|message: String| Status::invalid_field("role", message))
}
