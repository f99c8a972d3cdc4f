//! Authentication, authorization and the Accounts and Access API through the
//! real router, on a real SQLite file.

mod support;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use headroom_api::access::Role;
use serde_json::json;
use support::{ADMIN_PASSWORD, TestApp};

/// Builds `POST /api/v1/auth/sign-in` with a JSON body.
fn sign_in_request(body: serde_json::Value) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::post("/api/v1/auth/sign-in")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap()
}

/// Every route that changes state, with a body it accepts.
const MUTATING_ROUTES: &[(Method, &str, Option<&str>)] = &[
    (Method::POST, "/api/v1/metadata-service/set-feature-server-config", Some(r#"{"count": 3}"#)),
    (Method::POST, "/api/v1/users", Some(r#"{"name": "newuser", "password": "long-enough", "roles": ["viewer"]}"#)),
    (Method::DELETE, "/api/v1/users/alice", None),
    (Method::PUT, "/api/v1/users/alice/roles/admin", None),
    (Method::DELETE, "/api/v1/users/alice/roles/viewer", None),
    (Method::POST, "/api/v1/service-accounts", Some(r#"{"name": "new-bot", "roles": ["viewer"]}"#)),
    (Method::DELETE, "/api/v1/service-accounts/reader", None),
    (Method::POST, "/api/v1/service-accounts/reader/keys", None),
    (Method::DELETE, "/api/v1/service-accounts/reader/keys/1", None),
    (Method::PUT, "/api/v1/service-accounts/reader/roles/admin", None),
    (Method::DELETE, "/api/v1/service-accounts/reader/roles/viewer", None),
];

/// Every route that reads.
const READ_ROUTES: &[(Method, &str)] = &[
    (Method::GET, "/api/v1/metadata-service/get-feature-server-config"),
    (Method::POST, "/api/v1/metadata-service/get-feature-server-config"),
    (Method::GET, "/api/v1/feature-server/limits"),
    (Method::GET, "/api/v1/auth/me"),
    (Method::GET, "/api/v1/roles"),
    (Method::GET, "/api/v1/users"),
    (Method::GET, "/api/v1/service-accounts"),
];

async fn revoked_key(app: &TestApp) -> String {
    let response = app
        .with_key(
            Method::POST,
            "/api/v1/service-accounts",
            Some(&app.admin_key),
            Some(r#"{"name": "retired", "roles": ["admin"]}"#),
        )
        .await;
    let issued = response.json();
    let key = issued["apiKey"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/service-accounts/retired/keys/{}", issued["keyId"]);
    let revoked = app.with_key(Method::DELETE, &path, Some(&app.admin_key), None).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text);
    key
}

#[tokio::test]
async fn every_route_rejects_missing_unknown_malformed_revoked_key() {
    let app = TestApp::new().await;
    app.create_user("alice", "alice-password", &[Role::Viewer]).await;
    let revoked = revoked_key(&app).await;
    let unknown = format!("hdrm_{}", "A".repeat(43));

    let credentials: &[(Option<&str>, &str)] = &[
        (None, "authentication required: send the header `Authorization: Tecton-key <API_KEY>` or sign in to the console"),
        (Some(unknown.as_str()), "unknown API key; check the key or issue a new one under Accounts and Access"),
        (
            Some("not-a-key"),
            "malformed API key: Headroom keys start with `hdrm_` and are 48 characters long; issue one under Accounts and Access",
        ),
        (Some(revoked.as_str()), "API key has been revoked; issue a new key under Accounts and Access"),
    ];
    let routes = MUTATING_ROUTES
        .iter()
        .map(|(method, path, body)| (method.clone(), *path, *body))
        .chain(READ_ROUTES.iter().map(|(method, path)| (method.clone(), *path, None)));
    for (method, path, body) in routes {
        for (key, message) in credentials {
            let response = app.with_key(method.clone(), path, *key, body).await;
            assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{method} {path} with {key:?}");
            assert_eq!(response.json()["code"], 16);
            assert_eq!(response.message(), *message, "{method} {path}");
        }
    }
}

#[tokio::test]
async fn authorization_header_other_scheme_rejected() {
    let app = TestApp::new().await;
    let request = axum::http::Request::get("/api/v1/auth/me")
        .header("authorization", format!("Bearer {}", app.admin_key))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.message(),
        "unsupported Authorization scheme `Bearer`: expected `Authorization: Tecton-key <API_KEY>`"
    );
}

#[tokio::test]
async fn every_mutating_route_forbids_viewer() {
    let app = TestApp::new().await;
    app.create_user("alice", "alice-password", &[Role::Viewer]).await;

    for (method, path, body) in MUTATING_ROUTES {
        let response = app.with_key(method.clone(), path, Some(&app.viewer_key), *body).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{method} {path}: {}", response.text);
        let permission = if path.contains("metadata-service") {
            "scale_feature_server"
        } else {
            "manage_accounts"
        };
        assert_eq!(
            response.message(),
            format!("serviceAccount reader not authorized to perform action {permission}"),
            "{method} {path}"
        );
        assert_eq!(response.json()["details"][1]["links"][0]["url"], "/access");
    }

    // Nothing changed.
    assert_eq!(app.get_config().await.json()["desiredCount"], 2);
    let users = app.with_key(Method::GET, "/api/v1/users", Some(&app.viewer_key), None).await;
    assert_eq!(users.json().as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn viewer_user_forbidden_message_names_user() {
    let app = TestApp::new().await;
    app.create_user("bob", "bob-password", &[Role::Viewer]).await;
    let (cookie, csrf) = app.sign_in("bob", "bob-password").await;

    let response = app
        .with_session(
            Method::POST,
            "/api/v1/metadata-service/set-feature-server-config",
            &cookie,
            Some(&csrf),
            Some(r#"{"count": 3}"#),
        )
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(response.message(), "user bob not authorized to perform action scale_feature_server");
}

#[tokio::test]
async fn sign_in_cookie_attributes_and_me() {
    let app = TestApp::new().await;
    let response = app.send(sign_in_request(json!({"username": "admin", "password": ADMIN_PASSWORD}))).await;
    assert_eq!(response.status, StatusCode::OK);
    let cookie = response.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("headroom_session="), "{cookie}");
    assert!(cookie.ends_with("; HttpOnly; SameSite=Strict; Path=/; Max-Age=3600"), "{cookie}");
    let me = response.json();
    assert_eq!(me["kind"], "user");
    assert_eq!(me["name"], "admin");
    assert_eq!(me["roles"], json!(["admin"]));
    assert_eq!(
        me["permissions"],
        json!([
            "view_feature_server_config",
            "scale_feature_server",
            "view_accounts",
            "manage_accounts",
            "read_features"
        ])
    );
}

#[tokio::test]
async fn sign_in_bad_credentials() {
    let app = TestApp::new().await;
    let cases = [("admin", "wrong-password"), ("nobody", ADMIN_PASSWORD), ("", "")];
    for (username, password) in cases {
        let response = app.send(sign_in_request(json!({"username": username, "password": password}))).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{username}");
        assert_eq!(response.message(), "invalid user name or password");
    }
}

#[tokio::test]
async fn sign_in_requires_json_content_type() {
    let app = TestApp::new().await;
    let response = app
        .send(
            axum::http::Request::post("/api/v1/auth/sign-in")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from("username=admin&password=admin-password"))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        response.message(),
        "request body must be JSON: send the header `Content-Type: application/json`"
    );
}

#[tokio::test]
async fn session_mutation_requires_csrf_token() {
    let app = TestApp::new().await;
    let (cookie, csrf) = app.sign_in("admin", ADMIN_PASSWORD).await;
    let path = "/api/v1/metadata-service/set-feature-server-config";

    for token in [None, Some("wrong-token")] {
        let response = app.with_session(Method::POST, path, &cookie, token, Some(r#"{"count": 3}"#)).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{token:?}");
        assert!(response.message().starts_with("missing or invalid X-CSRF-Token header"), "{}", response.text);
    }
    assert_eq!(app.get_config().await.json()["desiredCount"], 2);

    let response = app.with_session(Method::POST, path, &cookie, Some(&csrf), Some(r#"{"count": 3}"#)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);

    // Reads need no token.
    let response = app.with_session(Method::GET, "/api/v1/auth/me", &cookie, None, None).await;
    assert_eq!(response.status, StatusCode::OK);
}

#[tokio::test]
async fn session_expires_and_sign_out_ends_it() {
    let app = TestApp::new().await;
    let (cookie, csrf) = app.sign_in("admin", ADMIN_PASSWORD).await;
    app.advance(Duration::from_secs(3599));
    assert_eq!(
        app.with_session(Method::GET, "/api/v1/auth/me", &cookie, None, None).await.status,
        StatusCode::OK
    );
    app.advance(Duration::from_secs(1));
    let expired = app.with_session(Method::GET, "/api/v1/auth/me", &cookie, None, None).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(expired.message(), "session expired or signed out; sign in again");

    let (cookie, csrf_2) = app.sign_in("admin", ADMIN_PASSWORD).await;
    assert_ne!(csrf, csrf_2);
    let response = app.with_session(Method::POST, "/api/v1/auth/sign-out", &cookie, Some(&csrf_2), None).await;
    assert_eq!(response.status, StatusCode::NO_CONTENT);
    assert!(response.headers["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let after = app.with_session(Method::GET, "/api/v1/auth/me", &cookie, None, None).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn service_account_key_gains_admin_by_grant() {
    let app = TestApp::new().await;
    let created = app
        .with_key(
            Method::POST,
            "/api/v1/service-accounts",
            Some(&app.admin_key),
            Some(r#"{"name": "ci-bot", "description": "nightly job", "roles": []}"#),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let issued = created.json();
    let key = issued["apiKey"].as_str().unwrap().to_owned();
    assert!(key.starts_with("hdrm_"), "{key}");
    assert_eq!(key.len(), 48, "{key}");
    assert_eq!(issued["serviceAccount"]["name"], "ci-bot");
    assert_eq!(issued["serviceAccount"]["keys"][0]["prefix"], key[..11]);

    let denied = app.set_config(&key, r#"{"count": 3}"#).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(denied.message(), "serviceAccount ci-bot not authorized to perform action scale_feature_server");

    let granted = app
        .with_key(Method::PUT, "/api/v1/service-accounts/ci-bot/roles/admin", Some(&app.admin_key), None)
        .await;
    assert_eq!(granted.status, StatusCode::OK);
    assert_eq!(granted.json()["roles"], json!(["admin"]));

    let allowed = app.set_config(&key, r#"{"count": 3}"#).await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.text);
    assert_eq!(allowed.json()["desiredCount"], 3);
}

#[tokio::test]
async fn service_account_key_never_listed() {
    let app = TestApp::new().await;
    let listed = app
        .with_key(Method::GET, "/api/v1/service-accounts", Some(&app.viewer_key), None)
        .await;
    assert!(!listed.text.contains(&app.admin_key));
    assert!(!listed.text.contains(&app.viewer_key));
    let accounts = listed.json();
    let names: Vec<&str> = accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|account| account["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ops", "reader"]);
}

#[tokio::test]
async fn service_account_new_key_and_revoke() {
    let app = TestApp::new().await;
    let issued = app
        .with_key(Method::POST, "/api/v1/service-accounts/reader/keys", Some(&app.admin_key), None)
        .await;
    assert_eq!(issued.status, StatusCode::CREATED);
    let second_key = issued.json()["apiKey"].as_str().unwrap().to_owned();
    assert_eq!(issued.json()["serviceAccount"]["keys"].as_array().unwrap().len(), 2);

    // Revoking the first key leaves the second working.
    let first_id = issued.json()["serviceAccount"]["keys"][0]["id"].clone();
    let path = format!("/api/v1/service-accounts/reader/keys/{first_id}");
    assert_eq!(app.with_key(Method::DELETE, &path, Some(&app.admin_key), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.with_key(Method::GET, "/api/v1/auth/me", Some(&app.viewer_key), None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.with_key(Method::GET, "/api/v1/auth/me", Some(&second_key), None).await.status, StatusCode::OK);

    let missing = app
        .with_key(Method::DELETE, "/api/v1/service-accounts/reader/keys/999", Some(&app.admin_key), None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.message(), "service account reader has no API key with id 999");
    let bad_id = app
        .with_key(Method::DELETE, "/api/v1/service-accounts/reader/keys/abc", Some(&app.admin_key), None)
        .await;
    assert_eq!(bad_id.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_id.message(), r#"key id must be a whole number, got "abc""#);
}

#[tokio::test]
async fn service_account_delete_invalidates_keys() {
    let app = TestApp::new().await;
    let response = app
        .with_key(Method::DELETE, "/api/v1/service-accounts/reader", Some(&app.admin_key), None)
        .await;
    assert_eq!(response.status, StatusCode::NO_CONTENT);
    let after = app.with_key(Method::GET, "/api/v1/auth/me", Some(&app.viewer_key), None).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    let again = app
        .with_key(Method::DELETE, "/api/v1/service-accounts/reader", Some(&app.admin_key), None)
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.message(), "service account reader not found");
}

#[tokio::test]
async fn create_account_bad_input() {
    let app = TestApp::new().await;
    let cases: &[(&str, &str, StatusCode, &str)] = &[
        ("/api/v1/service-accounts", r#"{"name": "CI Bot"}"#, StatusCode::BAD_REQUEST, "name must start with a lowercase letter or a digit, got \"CI Bot\""),
        ("/api/v1/service-accounts", r#"{"name": ""}"#, StatusCode::BAD_REQUEST, "name is required"),
        ("/api/v1/service-accounts", r#"{"name": "ops"}"#, StatusCode::CONFLICT, "service account ops already exists; choose another name"),
        ("/api/v1/service-accounts", r#"{"name": "x", "roles": ["root"]}"#, StatusCode::BAD_REQUEST, "invalid request body: unknown variant `root`, expected one of `admin`, `viewer`, `consumer` at line 1 column 30"),
        ("/api/v1/service-accounts", r#"{"name": "x", "rolez": []}"#, StatusCode::BAD_REQUEST, "invalid request body: unknown field `rolez`, expected one of `name`, `description`, `roles` at line 1 column 21"),
        ("/api/v1/users", r#"{"name": "carol", "password": "short"}"#, StatusCode::BAD_REQUEST, "password must be at least 8 characters, got 5"),
        ("/api/v1/users", r#"{"name": "admin", "password": "long-enough"}"#, StatusCode::CONFLICT, "user admin already exists; choose another name"),
        ("/api/v1/users", r#"{"name": "carol"}"#, StatusCode::BAD_REQUEST, "invalid request body: missing field `password` at line 1 column 17"),
        ("/api/v1/users", "not json", StatusCode::BAD_REQUEST, "invalid request body: expected ident at line 1 column 2"),
    ];
    for (path, body, status, message) in cases {
        let response = app.with_key(Method::POST, path, Some(&app.admin_key), Some(body)).await;
        assert_eq!(response.status, *status, "{body}: {}", response.text);
        assert_eq!(response.message(), *message, "{body}");
    }
    let description = format!(r#"{{"name": "long", "description": "{}"}}"#, "d".repeat(201));
    let response = app.with_key(Method::POST, "/api/v1/service-accounts", Some(&app.admin_key), Some(&description)).await;
    assert_eq!(response.message(), "description must be at most 200 characters, got 201");
}

#[tokio::test]
async fn last_admin_cannot_be_removed() {
    let app = TestApp::new().await;
    let (cookie, csrf) = app.sign_in("admin", ADMIN_PASSWORD).await;

    let revoke = app
        .with_key(Method::DELETE, "/api/v1/users/admin/roles/admin", Some(&app.admin_key), None)
        .await;
    assert_eq!(revoke.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        revoke.message(),
        "cannot revoke admin from user admin: it is the last user with the admin role; grant admin to another user first"
    );
    let delete = app.with_key(Method::DELETE, "/api/v1/users/admin", Some(&app.admin_key), None).await;
    assert_eq!(
        delete.message(),
        "cannot delete user admin: it is the last user with the admin role; grant admin to another user first"
    );
    let own = app
        .with_session(Method::DELETE, "/api/v1/users/admin", &cookie, Some(&csrf), None)
        .await;
    assert_eq!(own.message(), "you cannot delete your own account; another admin can delete it");

    // With a second admin, the first can lose the role.
    app.create_user("dana", "dana-password", &[Role::Admin]).await;
    let revoke = app
        .with_key(Method::DELETE, "/api/v1/users/admin/roles/admin", Some(&app.admin_key), None)
        .await;
    assert_eq!(revoke.status, StatusCode::OK, "{}", revoke.text);
    assert_eq!(revoke.json()["roles"], json!([]));
}

#[tokio::test]
async fn role_routes_reject_unknown_role_and_account() {
    let app = TestApp::new().await;
    let unknown_role = app
        .with_key(Method::PUT, "/api/v1/service-accounts/reader/roles/root", Some(&app.admin_key), None)
        .await;
    assert_eq!(unknown_role.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown_role.message(), r#"unknown role "root"; the roles are admin, viewer, consumer"#);
    let unknown_user = app
        .with_key(Method::PUT, "/api/v1/users/nobody/roles/admin", Some(&app.admin_key), None)
        .await;
    assert_eq!(unknown_user.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown_user.message(), "user nobody not found");
}

#[tokio::test]
async fn user_create_then_sign_in() {
    let app = TestApp::new().await;
    let response = app
        .with_key(
            Method::POST,
            "/api/v1/users",
            Some(&app.admin_key),
            Some(r#"{"name": "erin", "password": "erin-password", "roles": ["viewer"]}"#),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    assert_eq!(response.json()["roles"], json!(["viewer"]));
    assert!(!response.text.contains("erin-password"));
    let (cookie, _) = app.sign_in("erin", "erin-password").await;
    let me = app.with_session(Method::GET, "/api/v1/auth/me", &cookie, None, None).await;
    assert_eq!(me.json()["permissions"], json!(["view_feature_server_config", "view_accounts"]));
}

#[tokio::test]
async fn roles_lists_the_role_table() {
    let app = TestApp::new().await;
    let response = app.with_key(Method::GET, "/api/v1/roles", Some(&app.viewer_key), None).await;
    assert_eq!(response.json()[0]["name"], "admin");
    assert_eq!(response.json()[1]["permissions"], json!(["view_feature_server_config", "view_accounts"]));
}

#[tokio::test]
async fn unknown_api_route_is_json_404() {
    let app = TestApp::new().await;
    let response = app.with_key(Method::GET, "/api/v1/nothing-here", Some(&app.admin_key), None).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.message(), "no API route GET /api/v1/nothing-here");
}

#[tokio::test]
async fn healthz_needs_no_credentials() {
    let app = TestApp::new().await;
    let response = app.with_key(Method::GET, "/api/v1/healthz", None, None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.text, r#"{"status":"ok"}"#);
}

#[tokio::test]
async fn sign_in_locked_after_repeated_failures() {
    let app = TestApp::new().await;
    let attempt = |password| sign_in_request(json!({"username": "admin", "password": password}));
    for _ in 0..10 {
        assert_eq!(app.send(attempt("wrong-password")).await.status, StatusCode::UNAUTHORIZED);
    }

    // Even the right password is rejected while the name is locked.
    let locked = app.send(attempt(ADMIN_PASSWORD)).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        locked.message(),
        "too many failed sign-ins for admin; try again in 15 minutes, or set a new password with `headroom user reset-password --name admin`"
    );

    app.advance(Duration::from_secs(15 * 60));
    assert_eq!(app.send(attempt(ADMIN_PASSWORD)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn password_reset_lifts_sign_in_lock() {
    let app = TestApp::new().await;
    let attempt = |password| sign_in_request(json!({"username": "admin", "password": password}));
    for _ in 0..10 {
        app.send(attempt("wrong-password")).await;
    }
    assert_eq!(app.send(attempt(ADMIN_PASSWORD)).await.status, StatusCode::TOO_MANY_REQUESTS);

    let hash = headroom_server::secrets::Password::new("brand-new-password").hash().unwrap();
    app.state
        .store
        .run(move |connection| headroom_server::store::accounts::set_password(connection, "admin", &hash))
        .await
        .unwrap();
    assert_eq!(app.send(attempt("brand-new-password")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn two_authorization_headers_rejected() {
    let app = TestApp::new().await;
    let request = axum::http::Request::get("/api/v1/auth/me")
        .header("authorization", format!("Tecton-key {}", app.viewer_key))
        .header("authorization", format!("Tecton-key {}", app.admin_key))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.message(),
        "more than one Authorization header; send one: `Authorization: Tecton-key <API_KEY>`"
    );
}

#[tokio::test]
async fn sign_in_rejects_unknown_fields() {
    let app = TestApp::new().await;
    let response = app.send(sign_in_request(json!({"username": "admin", "password": ADMIN_PASSWORD, "remember": true}))).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(response.message().starts_with("invalid request body: unknown field `remember`"), "{}", response.message());
}

#[tokio::test]
async fn wrong_method_is_json_405() {
    let app = TestApp::new().await;
    let response = app
        .with_key(Method::GET, "/api/v1/metadata-service/set-feature-server-config", Some(&app.admin_key), None)
        .await;
    assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers["allow"], "POST");
    assert_eq!(response.json()["code"], 12);
    assert_eq!(
        response.message(),
        "method GET is not allowed on /api/v1/metadata-service/set-feature-server-config; the Allow header lists the methods that are"
    );
}

#[tokio::test]
async fn oversized_body_is_json_413() {
    let app = TestApp::new().await;
    let body = format!(r#"{{"count": 4, "padding": "{}"}}"#, "x".repeat(2 * 1024 * 1024));
    let response = app
        .with_key(
            Method::POST,
            "/api/v1/metadata-service/set-feature-server-config",
            Some(&app.admin_key),
            Some(&body),
        )
        .await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.message(), "request body is larger than the limit of 1024 KiB");
}
