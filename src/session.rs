//! The signed-in account, and the API client that sends its session.
//!
//! [`Session`] is provided as context at the root of the app. Every request
//! of the pages goes through it, so that a `401 Unauthenticated` from any
//! endpoint signs the console out, and so that the CSRF token of the session
//! goes with every request that changes state.

use headroom_api::access::{Me, Permission};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::de::DeserializeOwned;

use crate::api::{self, ApiError, Method};

/// The sign-in state of the console.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// The first `GET /api/v1/auth/me` has not returned yet.
    Checking,
    SignedIn(Me),
    SignedOut,
}

/// A handle to the sign-in state, which also sends the console's requests.
#[derive(Clone, Copy)]
pub struct Session {
    auth: RwSignal<Auth>,
}

impl Session {
    /// Creates the session, provides it as context and starts asking the
    /// server who is signed in.
    pub fn provide() -> Session {
        let session = Session {
            auth: RwSignal::new(Auth::Checking),
        };
        provide_context(session);

        spawn_local(async move {
            let auth = match session.get::<Me>(api::ME_URL).await {
                Ok(me) => Auth::SignedIn(me),
                // Any failure, such as an unreachable server, leads to the
                // sign-in page, which reports the error when signing in fails.
                Err(_) => Auth::SignedOut,
            };
            session.auth.set(auth);
        });
        session
    }

    pub fn auth(&self) -> Auth {
        self.auth.get()
    }

    /// Returns the signed-in account, or `None` while checking or signed out.
    pub fn me(&self) -> Option<Me> {
        self.auth.with(|auth| match auth {
            Auth::SignedIn(me) => Some(me.clone()),
            _ => None,
        })
    }

    /// Returns whether the signed-in account has `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        self.auth
            .with(|auth| matches!(auth, Auth::SignedIn(me) if me.can(permission)))
    }

    pub fn signed_in(&self, me: Me) {
        self.auth.set(Auth::SignedIn(me));
    }

    pub fn signed_out(&self) {
        self.auth.set(Auth::SignedOut);
    }

    /// Sends a GET request and decodes the JSON response.
    pub async fn get<T: DeserializeOwned>(self, url: &str) -> Result<T, ApiError> {
        let text = self.request(Method::Get, url, None).await?;
        api::parse_json(&text)
    }

    /// Sends a request that changes state, with an optional JSON body, and
    /// decodes the JSON response.
    pub async fn send<T: DeserializeOwned>(
        self,
        method: Method,
        url: &str,
        body: Option<String>,
    ) -> Result<T, ApiError> {
        let text = self.request(method, url, body).await?;
        api::parse_json(&text)
    }

    /// Sends a request with the session's CSRF token. Kept apart from the
    /// generic methods above so that its code exists once in the binary.
    async fn request(
        self,
        method: Method,
        url: &str,
        body: Option<String>,
    ) -> Result<String, ApiError> {
        let csrf_token = self.auth.with_untracked(|auth| match auth {
            Auth::SignedIn(me) => me.csrf_token.clone(),
            _ => None,
        });
        let result = api::request(method, url, csrf_token.as_deref(), body).await;
        self.sign_out_if_rejected(&result);
        result
    }

    /// Marks the console signed out when the server no longer accepts the
    /// session, for example after it expired.
    fn sign_out_if_rejected<T>(&self, result: &Result<T, ApiError>) {
        let rejected = matches!(result, Err(error) if error.is_unauthenticated());
        if rejected && self.auth.with_untracked(|auth| *auth != Auth::SignedOut) {
            self.auth.set(Auth::SignedOut);
        }
    }
}

/// Returns the session provided at the root of the app.
pub fn use_session() -> Session {
    expect_context::<Session>()
}
