//! The scaling API through the real router, on a real SQLite file.

mod support;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::json;
use support::{STARTUP, TestApp};

const GET_PATH: &str = "/api/v1/metadata-service/get-feature-server-config";

#[tokio::test]
async fn get_config_new_data_dir_starts_at_two() {
    let app = TestApp::new().await;

    let starting = app.get_config().await;
    assert_eq!(starting.status, StatusCode::OK);
    assert_eq!(
        starting.text,
        r#"{"currentCount":2,"availableCount":0,"desiredCount":2,"autoScalingConfig":{"enabled":false}}"#
    );

    app.advance(STARTUP);
    assert_eq!(
        app.get_config().await.text,
        r#"{"currentCount":2,"availableCount":2,"desiredCount":2,"autoScalingConfig":{"enabled":false}}"#
    );
}

#[tokio::test]
async fn get_config_accepts_post_with_empty_object() {
    let app = TestApp::new().await;
    app.advance(STARTUP);
    let expected = r#"{"currentCount":2,"availableCount":2,"desiredCount":2,"autoScalingConfig":{"enabled":false}}"#;

    for body in [Some("{}"), Some(" { } "), None] {
        let response = app.with_key(Method::POST, GET_PATH, Some(&app.viewer_key), body).await;
        assert_eq!(response.status, StatusCode::OK, "{body:?}");
        assert_eq!(response.text, expected, "{body:?}");
    }

    let response = app.with_key(Method::POST, GET_PATH, Some(&app.viewer_key), Some(r#"{"workspace": "prod"}"#)).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        response.message(),
        "unknown field `workspace`; get-feature-server-config takes an empty object"
    );
    let response = app.with_key(Method::POST, GET_PATH, Some(&app.viewer_key), Some("[")).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.message(), "request body must be empty or the empty JSON object {}");
}

/// The three documented bodies, sent byte for byte, and the exact responses.
#[tokio::test]
async fn set_config_documented_bodies() {
    let app = TestApp::new().await;
    app.advance(STARTUP);

    let response = app.set_config(&app.admin_key, r#"{"count": 4}"#).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(
        response.text,
        r#"{"currentCount":4,"availableCount":2,"desiredCount":4,"autoScalingConfig":{"enabled":false}}"#
    );

    app.advance(STARTUP);
    let response = app
        .set_config(
            &app.admin_key,
            r#"{"autoScalingConfig": {"enabled": true, "minNodeCount": 2, "maxNodeCount": 10}}"#,
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(
        response.text,
        r#"{"currentCount":4,"availableCount":4,"desiredCount":4,"autoScalingConfig":{"enabled":true,"minNodeCount":2,"maxNodeCount":10}}"#
    );

    let response = app
        .set_config(&app.admin_key, r#"{"count": 4, "autoScalingConfig": {"enabled": false}}"#)
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(
        response.text,
        r#"{"currentCount":4,"availableCount":4,"desiredCount":4,"autoScalingConfig":{"enabled":false}}"#
    );
}

#[tokio::test]
async fn set_config_scale_down_removes_pods() {
    let app = TestApp::new().await;
    app.set_config(&app.admin_key, r#"{"count": 5}"#).await;
    app.advance(STARTUP);

    let response = app.set_config(&app.admin_key, r#"{"count": 1}"#).await;
    assert_eq!(
        response.json(),
        json!({"currentCount": 1, "availableCount": 1, "desiredCount": 1, "autoScalingConfig": {"enabled": false}})
    );
}

#[tokio::test]
async fn set_config_same_count_changes_nothing() {
    let app = TestApp::new().await;
    app.advance(STARTUP);
    let before = app.get_config().await.text;

    let response = app.set_config(&app.admin_key, r#"{"count": 2}"#).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.text, before);
}

#[tokio::test]
async fn set_config_autoscaling_clamps_desired() {
    let app = TestApp::new().await;
    app.advance(STARTUP);

    let response = app
        .set_config(
            &app.admin_key,
            r#"{"autoScalingConfig": {"enabled": true, "minNodeCount": 6, "maxNodeCount": 8}}"#,
        )
        .await;
    assert_eq!(response.json()["desiredCount"], 6);
    assert_eq!(response.json()["currentCount"], 6);

    app.advance(STARTUP);
    let response = app
        .set_config(
            &app.admin_key,
            r#"{"autoScalingConfig": {"enabled": true, "minNodeCount": 1, "maxNodeCount": 3}}"#,
        )
        .await;
    assert_eq!(response.json()["desiredCount"], 3);
}

/// Each bad request with its HTTP status, the field named, and the message.
#[tokio::test]
async fn set_config_errors() {
    let app = TestApp::new().await;
    app.advance(STARTUP);
    let cases: &[(&str, StatusCode, Option<&str>, &str)] = &[
        (
            r#"{"count": 51}"#,
            StatusCode::BAD_REQUEST,
            Some("count"),
            "The maximum number of feature server pods allowed is 50. Request count is 51",
        ),
        (
            r#"{"autoScalingConfig": {"enabled": true, "minNodeCount": 2, "maxNodeCount": 51}}"#,
            StatusCode::BAD_REQUEST,
            Some("autoScalingConfig.maxNodeCount"),
            "The maximum number of feature server pods allowed is 50. Request count is 51",
        ),
        (
            r#"{"autoScalingConfig": {"enabled": true, "minNodeCount": 5, "maxNodeCount": 4}}"#,
            StatusCode::BAD_REQUEST,
            Some("autoScalingConfig.minNodeCount"),
            "minNodeCount (5) must not be greater than maxNodeCount (4)",
        ),
        (r#"{"count": "4"}"#, StatusCode::BAD_REQUEST, Some("count"), r#"count must be a whole number, got the string "4""#),
        (r#"{"count": 2.5}"#, StatusCode::BAD_REQUEST, Some("count"), "count must be a whole number, got 2.5"),
        (r#"{"count": -1}"#, StatusCode::BAD_REQUEST, Some("count"), "count must be at least 1, got -1"),
        (
            r#"{"count": 9999999999}"#,
            StatusCode::BAD_REQUEST,
            Some("count"),
            "count must be a whole number from 1 to 4294967295 (32 bits), got 9999999999",
        ),
        (
            r#"{"Count": 4}"#,
            StatusCode::BAD_REQUEST,
            Some("Count"),
            "unknown field `Count`; the fields allowed here are `count`, `autoScalingConfig`",
        ),
        ("{}", StatusCode::BAD_REQUEST, None, "request body is an empty object; set count, autoScalingConfig, or both"),
        (
            "{count: 4}",
            StatusCode::BAD_REQUEST,
            None,
            "request body is not valid JSON: key must be a string at line 1 column 2",
        ),
    ];
    for (body, status, field, message) in cases {
        let response = app.set_config(&app.admin_key, body).await;
        assert_eq!(response.status, *status, "{body}: {}", response.text);
        let json = response.json();
        assert_eq!(json["code"], 3, "{body}");
        assert_eq!(json["message"], *message, "{body}");
        if let Some(field) = field {
            let violations = json["details"]
                .as_array()
                .unwrap()
                .iter()
                .find(|detail| detail["@type"] == "type.googleapis.com/google.rpc.BadRequest")
                .expect("BadRequest detail");
            assert_eq!(violations["fieldViolations"][0]["field"], *field, "{body}");
        }
    }

    // Nothing was changed by the rejected requests.
    assert_eq!(app.get_config().await.json()["desiredCount"], 2);
}

#[tokio::test]
async fn set_config_limit_error_carries_error_info() {
    let app = TestApp::new().await;
    let response = app.set_config(&app.admin_key, r#"{"count": 51}"#).await;
    assert_eq!(
        response.json()["details"][0],
        json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "POD_LIMIT_EXCEEDED",
            "domain": "headroom",
            "metadata": {"field": "count", "limit": "50", "requested": "51"}
        })
    );
}

#[tokio::test]
async fn set_config_increase_limit_waits_for_available() {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(headroom_server::clock::ManualClock::new());
    let mut config = support::config(&dir);
    config.limits = headroom_api::scaling::Limits {
        max_pods: 100,
        max_increase: 50,
    };
    // A larger pod maximum needs its own state.
    let state = headroom_server::app::AppState::open(&config, clock.clone(), clock.clone()).unwrap();
    let issued = headroom_server::routes::accounts::create_service_account_with_key(
        &state.store,
        "ops".into(),
        String::new(),
        vec![headroom_api::access::Role::Admin],
        "2026-01-01T00:00:00Z".into(),
    )
    .await
    .unwrap();
    let app = TestApp {
        router: headroom_server::app::router(state.clone(), &config.console_dir),
        state,
        clock,
        dir,
        admin_key: issued.api_key,
        viewer_key: String::new(),
    };

    // Two pods exist but none is available yet: the increase counts from 0.
    let response = app.set_config(&app.admin_key, r#"{"count": 52}"#).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        response.message(),
        "You cannot increase the number of pods by more than 50 in a single request. Requested increase of pods by 52"
    );

    app.advance(STARTUP);
    let response = app.set_config(&app.admin_key, r#"{"count": 52}"#).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);

    let response = app.set_config(&app.admin_key, r#"{"count": 100}"#).await;
    assert_eq!(
        response.message(),
        "You cannot increase the number of pods by more than 50 in a single request. Requested increase of pods by 98"
    );
    app.advance(STARTUP);
    assert_eq!(app.set_config(&app.admin_key, r#"{"count": 100}"#).await.status, StatusCode::OK);
}

#[tokio::test]
async fn set_config_count_alone_while_autoscaling() {
    let app = TestApp::new().await;
    app.set_config(
        &app.admin_key,
        r#"{"autoScalingConfig": {"enabled": true, "minNodeCount": 2, "maxNodeCount": 10}}"#,
    )
    .await;

    let response = app.set_config(&app.admin_key, r#"{"count": 4}"#).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.json()["code"], 9);
    assert_eq!(
        response.message(),
        r#"count cannot be set alone while autoscaling is enabled; to turn autoscaling off and provision 4 pods, send {"count": 4, "autoScalingConfig": {"enabled": false}}"#
    );
}

#[tokio::test]
async fn config_survives_restart() {
    let app = TestApp::new().await;
    app.advance(STARTUP);
    app.set_config(
        &app.admin_key,
        r#"{"autoScalingConfig": {"enabled": true, "minNodeCount": 3, "maxNodeCount": 7}}"#,
    )
    .await;

    let app = app.restart().await;
    // The pods start again; the configuration and desired count remain.
    assert_eq!(
        app.get_config().await.text,
        r#"{"currentCount":3,"availableCount":0,"desiredCount":3,"autoScalingConfig":{"enabled":true,"minNodeCount":3,"maxNodeCount":7}}"#
    );
    app.advance(Duration::from_secs(3));
    assert_eq!(app.get_config().await.json()["availableCount"], 3);
}

#[tokio::test]
async fn limits_reports_server_limits() {
    let app = TestApp::new().await;
    let response = app
        .with_key(Method::GET, "/api/v1/feature-server/limits", Some(&app.viewer_key), None)
        .await;
    assert_eq!(response.text, r#"{"maxPods":50,"maxIncrease":50}"#);
}
