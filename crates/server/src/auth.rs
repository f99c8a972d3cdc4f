//! Authentication and authorization.
//!
//! [`Principal`] is an extractor: a handler that takes one runs only for a
//! caller authenticated by an API key (`Authorization: Tecton-key <KEY>`) or
//! by the console's session cookie. Requests made with the cookie that change
//! state must also carry the session's CSRF token in `X-CSRF-Token`, which a
//! cross-site page cannot read. Authorization is explicit: each handler calls
//! [`Principal::require`] with the permission it needs.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use headroom_api::Status;
use headroom_api::access::{AccountKind, Me, Permission, roles_grant};

use crate::app::AppState;
use crate::clock::unix_seconds;
use crate::error::AppError;
use crate::secrets::{ApiKey, SessionToken, constant_time_eq};
use crate::store::accounts::{self, Account, KeyLookup};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "headroom_session";
/// Header that carries the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Authorization scheme of API keys, as Tecton's API uses it.
pub const API_KEY_SCHEME: &str = "Tecton-key";

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Principal {
    pub account: Account,
    /// Set when the caller authenticated with the session cookie.
    pub session: Option<SessionInfo>,
}

#[derive(Clone)]
pub struct SessionInfo {
    pub token: SessionToken,
    pub csrf_token: String,
}

impl std::fmt::Debug for SessionInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionInfo(<redacted>)")
    }
}

impl Principal {
    /// Returns how messages name the caller, such as `serviceAccount ci-bot`.
    pub fn label(&self) -> String {
        format!("{} {}", self.account.kind.as_str(), self.account.name)
    }

    /// Rejects the request with `PERMISSION_DENIED` unless one of the
    /// caller's roles grants `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), Status> {
        if roles_grant(&self.account.roles, permission) {
            Ok(())
        } else {
            Err(Status::permission_denied(&self.label(), permission.as_str()))
        }
    }

    pub fn me(&self) -> Me {
        let mut permissions: Vec<Permission> = self
            .account
            .roles
            .iter()
            .flat_map(|role| role.permissions().iter().copied())
            .collect();
        permissions.sort();
        permissions.dedup();
        Me {
            kind: self.account.kind,
            name: self.account.name.clone(),
            roles: self.account.roles.clone(),
            permissions,
            csrf_token: self.session.as_ref().map(|session| session.csrf_token.clone()),
        }
    }

    pub fn is_user(&self, name: &str) -> bool {
        self.account.kind == AccountKind::User && self.account.name == name
    }
}

/// Returns the value of a cookie from the `Cookie` headers. Written here
/// because it is the only cookie the server reads and the format
/// (`name=value; name2=value2`) needs no decoding.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if parts.headers.get_all(header::AUTHORIZATION).iter().count() > 1 {
            return Err(Status::unauthenticated(
                "more than one Authorization header; send one: `Authorization: Tecton-key <API_KEY>`",
            )
            .into());
        }
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let key = parse_authorization(value.to_str().unwrap_or(""))?;
            return authenticate_key(state, key).await;
        }

        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(Status::unauthenticated(
                "authentication required: send the header `Authorization: Tecton-key <API_KEY>` or sign in to the console",
            )
            .into());
        };
        let principal = authenticate_session(state, SessionToken::from_cookie(token)).await?;

        if changes_state(&parts.method) {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("");
            let expected = principal
                .session
                .as_ref()
                .map(|session| session.csrf_token.as_str())
                .unwrap_or("");
            if !constant_time_eq(sent, expected) {
                return Err(Status::new(
                    headroom_api::Code::PermissionDenied,
                    "missing or invalid X-CSRF-Token header: requests signed in with the session cookie must send the token from /api/v1/auth/me; reload the console",
                )
                .into());
            }
        }
        Ok(principal)
    }
}

fn parse_authorization(value: &str) -> Result<ApiKey, Status> {
    let Some((scheme, key)) = value.trim().split_once(' ') else {
        return Err(Status::unauthenticated(
            "malformed Authorization header: expected `Authorization: Tecton-key <API_KEY>`",
        ));
    };
    if !scheme.eq_ignore_ascii_case(API_KEY_SCHEME) {
        return Err(Status::unauthenticated(format!(
            "unsupported Authorization scheme `{scheme}`: expected `Authorization: Tecton-key <API_KEY>`"
        )));
    }
    ApiKey::parse(key.trim()).ok_or_else(|| {
        Status::unauthenticated(
            "malformed API key: Headroom keys start with `hdrm_` and are 48 characters long; issue one under Accounts and Access",
        )
    })
}

async fn authenticate_key(state: &AppState, key: ApiKey) -> Result<Principal, AppError> {
    let digest = key.digest();
    let lookup = state
        .store
        .run(move |connection| accounts::find_by_api_key(connection, &digest))
        .await?;
    match lookup {
        KeyLookup::Active(account) => Ok(Principal {
            account,
            session: None,
        }),
        KeyLookup::Revoked => Err(Status::unauthenticated(
            "API key has been revoked; issue a new key under Accounts and Access",
        )
        .into()),
        KeyLookup::Unknown => Err(Status::unauthenticated(
            "unknown API key; check the key or issue a new one under Accounts and Access",
        )
        .into()),
    }
}

async fn authenticate_session(state: &AppState, token: SessionToken) -> Result<Principal, AppError> {
    let digest = token.digest();
    let now = unix_seconds(state.clock.now());
    let found = state
        .store
        .run(move |connection| accounts::find_session(connection, &digest, now))
        .await?;
    match found {
        Some((account, csrf_token)) => Ok(Principal {
            account,
            session: Some(SessionInfo { token, csrf_token }),
        }),
        None => Err(Status::unauthenticated("session expired or signed out; sign in again").into()),
    }
}
