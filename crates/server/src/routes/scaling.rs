//! The feature server scaling API, wire compatible with Tecton's metadata
//! service: `get-feature-server-config` and `set-feature-server-config`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use headroom_api::Status;
use headroom_api::access::Permission;
use headroom_api::scaling::{FeatureServerConfig, Limits, ScalingRequest};

use crate::app::AppState;
use crate::auth::Principal;
use crate::error::AppResult;

pub async fn get_config(State(state): State<AppState>, principal: Principal) -> AppResult<Json<FeatureServerConfig>> {
    principal.require(Permission::ViewFeatureServerConfig)?;

    Ok(Json(state.feature_servers.get()))
}

/// The `POST` form of the read, which takes an empty body or `{}`.
pub async fn get_config_post(
    State(state): State<AppState>,
    principal: Principal,
    body: Bytes,
) -> AppResult<Json<FeatureServerConfig>> {
    principal.require(Permission::ViewFeatureServerConfig)?;

    let empty = body.iter().all(u8::is_ascii_whitespace);
    if !empty {
        match headroom_api::json::parse_unique(&body) {
            Ok(serde_json::Value::Object(object)) if object.is_empty() => {}
            Ok(serde_json::Value::Object(object)) => {
                let field = object.keys().next().cloned().unwrap_or_default();
                return Err(Status::invalid_field(
                    field.clone(),
                    format!("unknown field `{field}`; get-feature-server-config takes an empty object"),
                )
                .into());
            }
            _ => {
                return Err(Status::invalid_request(
                    "request body must be empty or the empty JSON object {}",
                )
                .into());
            }
        }
    }

    Ok(Json(state.feature_servers.get()))
}

pub async fn set_config(
    State(state): State<AppState>,
    principal: Principal,
    body: Bytes,
) -> AppResult<Json<FeatureServerConfig>> {
    principal.require(Permission::ScaleFeatureServer)?;

    let request = ScalingRequest::parse(&body)?;
    let config = state.feature_servers.set(request).await?;

    tracing::info!(principal = principal.label(), request = request.to_json(), "scaling request applied");
    Ok(Json(config))
}

pub async fn limits(State(state): State<AppState>, principal: Principal) -> AppResult<Json<Limits>> {
    principal.require(Permission::ViewFeatureServerConfig)?;

    Ok(Json(state.feature_servers.limits()))
}
