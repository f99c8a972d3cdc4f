//! Console sessions: sign-in with a user name and password, sign-out, and
//! the signed-in account.

use std::sync::OnceLock;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use headroom_api::Status;
use headroom_api::access::{Me, SignInRequest};

use super::JsonBody;
use crate::app::AppState;
use crate::auth::{Principal, SESSION_COOKIE, SessionInfo};
use crate::clock::unix_seconds;
use crate::error::{AppError, AppResult};
use crate::secrets::{Password, SessionToken, generate_csrf_token};
use crate::store::accounts;

/// A hash to verify against when the user does not exist, so that a wrong
/// user name costs as much time as a wrong password.
fn decoy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| Password::generate().hash().unwrap_or_default())
}

pub async fn sign_in(State(state): State<AppState>, JsonBody(request): JsonBody<SignInRequest>) -> AppResult<Response> {
    let username = request.username.trim().to_owned();
    let now = state.clock.now();
    let stored = {
        let username = username.clone();
        state
            .store
            .run(move |connection| accounts::password_hash(connection, &username))
            .await?
    };

    let password_digest = stored.as_ref().map(|(_, hash)| crate::secrets::digest(hash));
    if let Some(remaining) = state.sign_in_throttle.locked_for(&username, password_digest.as_deref(), now) {
        tracing::warn!(username, "sign-in rejected: too many failed attempts");
        let minutes = remaining.as_secs().div_ceil(60).max(1);
        return Err(Status::new(
            headroom_api::Code::ResourceExhausted,
            format!(
                "too many failed sign-ins for {username}; try again in {minutes} minutes, or set a new password with `headroom user reset-password --name {username}`"
            ),
        )
        .into());
    }

    let password = Password::new(request.password);
    let (account_id, hash) = stored.clone().unwrap_or((0, decoy_hash().to_owned()));
    let verified = tokio::task::spawn_blocking(move || password.verify(&hash))
        .await
        .map_err(|error| AppError::Internal(anyhow::anyhow!("password check failed: {error}")))?;
    if stored.is_none() || !verified {
        state.sign_in_throttle.record_failure(&username, password_digest.as_deref(), now);
        tracing::warn!(username, "sign-in failed");
        return Err(Status::unauthenticated("invalid user name or password").into());
    }

    let token = SessionToken::generate();
    let csrf_token = generate_csrf_token();
    let now = unix_seconds(now);
    let ttl = state.settings.session_ttl.as_secs() as i64;
    let (digest, csrf) = (token.digest(), csrf_token.clone());
    let account = state
        .store
        .run(move |connection| {
            accounts::insert_session(connection, &digest, account_id, &csrf, now + ttl, now)?;
            accounts::find_account_by_id(connection, account_id)
        })
        .await?
        .ok_or_else(|| Status::unauthenticated("invalid user name or password"))?;
    state.sign_in_throttle.record_success(&username);
    tracing::info!(username, "signed in");

    let principal = Principal {
        account,
        session: Some(SessionInfo { token: token.clone(), csrf_token }),
    };
    let cookie = session_cookie(token.expose(), ttl, state.settings.cookie_secure);
    let mut response = Json(principal.me()).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

pub async fn sign_out(State(state): State<AppState>, principal: Principal) -> AppResult<Response> {
    if let Some(session) = principal.session {
        let digest = session.token.digest();
        state
            .store
            .run(move |connection| accounts::delete_session(connection, &digest))
            .await?;
    }

    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie("", 0, state.settings.cookie_secure),
    );
    Ok(response)
}

pub async fn me(principal: Principal) -> Json<Me> {
    Json(principal.me())
}

fn session_cookie(value: &str, max_age_seconds: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_seconds}{secure}"
    );
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}
