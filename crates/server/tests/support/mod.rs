//! A control plane on a real SQLite file in a temporary directory, driven
//! in-process through its real router, with a manual clock.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use headroom_api::access::{AccountKind, Role};
use headroom_server::app::{self, AppState, ServeConfig};
use headroom_server::clock::ManualClock;
use headroom_server::cluster::simulated::StartupDelay;
use headroom_server::routes::accounts::create_service_account_with_key;
use headroom_server::secrets::Password;
use headroom_server::store::accounts;
use http_body_util::BodyExt;
use serde_json::Value;
use tempfile::TempDir;
use tower::ServiceExt;

/// Start-up delay of every simulated pod in these tests; no jitter.
pub const STARTUP: Duration = Duration::from_secs(3);
pub const ADMIN_PASSWORD: &str = "admin-password";

pub struct TestApp {
    pub dir: TempDir,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
    pub router: Router,
    /// Key of the service account `ops`, which has the admin role.
    pub admin_key: String,
    /// Key of the service account `reader`, which has the viewer role.
    pub viewer_key: String,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text))
    }

    pub fn message(&self) -> String {
        self.json()["message"].as_str().unwrap_or_default().to_owned()
    }
}

pub fn config(dir: &TempDir) -> ServeConfig {
    let mut config = ServeConfig::new(dir.path().join("data"), dir.path().join("no-console"));
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.startup = StartupDelay {
        base: STARTUP,
        jitter: Duration::ZERO,
    };
    config.session_ttl = Duration::from_secs(3600);
    config
}

impl TestApp {
    pub async fn new() -> TestApp {
        let dir = tempfile::tempdir().expect("temporary directory");
        let clock = Arc::new(ManualClock::new());
        TestApp::open(dir, clock, None).await
    }

    /// Opens the data directory in `dir` again, as a restarted server would.
    pub async fn open(dir: TempDir, clock: Arc<ManualClock>, keys: Option<(String, String)>) -> TestApp {
        let config = config(&dir);
        let state = AppState::open(&config, clock.clone(), clock.clone()).expect("state opens");
        app::ensure_first_admin(&state.store, clock.as_ref(), Some(Password::new(ADMIN_PASSWORD)))
            .expect("first admin");
        let (admin_key, viewer_key) = match keys {
            Some(keys) => keys,
            None => {
                let now = "2026-01-01T00:00:00Z".to_owned();
                let admin = create_service_account_with_key(&state.store, "ops".into(), String::new(), vec![Role::Admin], now.clone())
                    .await
                    .expect("admin service account");
                let viewer = create_service_account_with_key(&state.store, "reader".into(), String::new(), vec![Role::Viewer], now)
                    .await
                    .expect("viewer service account");
                (admin.api_key, viewer.api_key)
            }
        };
        let router = app::router(state.clone(), &config.console_dir);
        TestApp {
            dir,
            clock,
            state,
            router,
            admin_key,
            viewer_key,
        }
    }

    /// Simulates a restart: drops this app and opens its data directory anew.
    pub async fn restart(self) -> TestApp {
        let TestApp {
            dir,
            clock,
            admin_key,
            viewer_key,
            ..
        } = self;
        TestApp::open(dir, clock, Some((admin_key, viewer_key))).await
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    pub async fn send(&self, request: Request<Body>) -> Response {
        let response = self.router.clone().oneshot(request).await.expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        Response {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// Sends a request authenticated with `Authorization: Tecton-key <key>`.
    pub async fn with_key(&self, method: Method, path: &str, key: Option<&str>, body: Option<&str>) -> Response {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(key) = key {
            request = request.header(header::AUTHORIZATION, format!("Tecton-key {key}"));
        }
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let body = body.map(|text| Body::from(text.to_owned())).unwrap_or_else(Body::empty);
        self.send(request.body(body).expect("request")).await
    }

    pub async fn get_config(&self) -> Response {
        self.with_key(
            Method::GET,
            "/api/v1/metadata-service/get-feature-server-config",
            Some(&self.admin_key),
            None,
        )
        .await
    }

    pub async fn set_config(&self, key: &str, body: &str) -> Response {
        self.with_key(
            Method::POST,
            "/api/v1/metadata-service/set-feature-server-config",
            Some(key),
            Some(body),
        )
        .await
    }

    /// Signs in and returns the session cookie (`name=value`) and CSRF token.
    pub async fn sign_in(&self, username: &str, password: &str) -> (String, String) {
        let body = serde_json::json!({"username": username, "password": password}).to_string();
        let request = Request::post("/api/v1/auth/sign-in")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .expect("request");
        let response = self.send(request).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text);
        let cookie = response.headers[header::SET_COOKIE].to_str().expect("cookie").to_owned();
        let pair = cookie.split(';').next().expect("name=value").to_owned();
        let csrf = response.json()["csrfToken"].as_str().expect("csrfToken").to_owned();
        (pair, csrf)
    }

    /// Sends a request with a session cookie and, when given, a CSRF token.
    pub async fn with_session(
        &self,
        method: Method,
        path: &str,
        cookie: &str,
        csrf: Option<&str>,
        body: Option<&str>,
    ) -> Response {
        let mut request = Request::builder().method(method).uri(path).header(header::COOKIE, cookie);
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let body = body.map(|text| Body::from(text.to_owned())).unwrap_or_else(Body::empty);
        self.send(request.body(body).expect("request")).await
    }

    /// Creates a user directly in the store.
    pub async fn create_user(&self, name: &str, password: &str, roles: &[Role]) {
        let hash = Password::new(password).hash().expect("hash");
        let (name, roles) = (name.to_owned(), roles.to_vec());
        self.state
            .store
            .run(move |connection| {
                accounts::create_account(connection, AccountKind::User, &name, "", Some(&hash), &roles, "2026-01-01T00:00:00Z")
            })
            .await
            .expect("user created");
    }
}
