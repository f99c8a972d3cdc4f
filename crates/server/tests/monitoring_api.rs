//! The control loop and the monitoring API, on a manual clock.

mod support;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use headroom_server::control::ControlLoop;
use http_body_util::BodyExt;
use serde_json::json;
use support::{STARTUP, TestApp};

const SAMPLE: Duration = Duration::from_secs(5);

async fn steps(app: &TestApp, control: &mut ControlLoop, count: usize) {
    for _ in 0..count {
        app.advance(SAMPLE);
        control.step().await.expect("control step");
    }
}

#[tokio::test]
async fn autoscaler_scales_up_full_pods() {
    let app = TestApp::new().await;
    app.advance(STARTUP);
    let response = app
        .set_config(
            &app.admin_key,
            r#"{"autoScalingConfig": {"enabled": true, "minNodeCount": 2, "maxNodeCount": 20}}"#,
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let mut control = ControlLoop::new(app.state.clone());

    // Both pods serve 4 requests each, their concurrency, for 15 s.
    let held: Vec<_> = (0..8).map(|_| app.state.cluster.admit().expect("slot")).collect();
    steps(&app, &mut control, 3).await;

    // Demand of 2 busy pods at a 70% target calls for ceil(2 / 0.7) = 3.
    let config = app.get_config().await.json();
    assert_eq!(config["desiredCount"], 3);
    let activity = app
        .with_key(Method::GET, "/api/v1/monitoring/activity", Some(&app.viewer_key), None)
        .await
        .json();
    assert_eq!(activity[0]["fromCount"], 2);
    assert_eq!(activity[0]["toCount"], 3);
    assert_eq!(activity[0]["recommendation"], 3);
    assert_eq!(activity[0]["utilization"], 1.0);
    drop(held);

    let samples = app
        .with_key(Method::GET, "/api/v1/monitoring/samples?range=1h", Some(&app.viewer_key), None)
        .await
        .json();
    assert_eq!(samples["range"], "1h");
    assert_eq!(samples["resolutionMs"], 5000);
    let list = samples["samples"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["utilizationMax"], 1.0);
    assert_eq!(list[0]["availableCount"], 2);
}

#[tokio::test]
async fn autoscaler_rate_limit_recorded() {
    let app = TestApp::new().await;
    app.advance(STARTUP);
    app.set_config(
        &app.admin_key,
        r#"{"autoScalingConfig": {"enabled": true, "minNodeCount": 2, "maxNodeCount": 50}}"#,
    )
    .await;
    let mut control = ControlLoop::new(app.state.clone());

    // Every slot busy and 400 requests per second rejected: 400 × 50 ms / 4
    // = 5 pods of rejected work on top of 2 busy pods.
    let held: Vec<_> = (0..8).map(|_| app.state.cluster.admit().expect("slot")).collect();
    for _ in 0..3 {
        for _ in 0..(400 * 5) {
            app.state.request_stats.record_rejected();
        }
        app.advance(SAMPLE);
        control.step().await.unwrap();
    }
    drop(held);

    // ceil(7 / 0.7) = 10 pods; from 2 the rules allow max(+50%, +10) = 12.
    assert_eq!(app.get_config().await.json()["desiredCount"], 10);
    let recommendations = app
        .with_key(Method::GET, "/api/v1/monitoring/recommendations", Some(&app.viewer_key), None)
        .await;
    assert_eq!(recommendations.status, StatusCode::OK);
    // The autoscaler may reach 50 pods by itself: nothing to recommend.
    assert_eq!(recommendations.json(), json!([]));
}

#[tokio::test]
async fn rejections_recommend_scale_up_when_provisioned() {
    let app = TestApp::new().await;
    app.advance(STARTUP);
    let mut control = ControlLoop::new(app.state.clone());
    let held: Vec<_> = (0..8).map(|_| app.state.cluster.admit().expect("slot")).collect();
    for _ in 0..(40 * 5) {
        app.state.request_stats.record_rejected();
    }
    steps(&app, &mut control, 1).await;
    drop(held);

    let response = app
        .with_key(Method::GET, "/api/v1/monitoring/recommendations", Some(&app.viewer_key), None)
        .await;
    let found = response.json();
    // 2 busy pods plus 40 × 0.05 / 4 = 0.5 pods rejected: ceil(2.5 / 0.7) = 4.
    assert_eq!(found[0]["kind"], "scaleUp");
    assert_eq!(found[0]["title"], "Scale up from 2 to 4 pods");
    assert_eq!(found[0]["apply"], r#"{"count": 4}"#);

    // The body applies through the validated scaling API.
    let applied = app.set_config(&app.admin_key, found[0]["apply"].as_str().unwrap()).await;
    assert_eq!(applied.status, StatusCode::OK);
    assert_eq!(applied.json()["desiredCount"], 4);
}

#[tokio::test]
async fn autoscaler_idle_when_provisioned() {
    let app = TestApp::new().await;
    app.advance(STARTUP);
    let mut control = ControlLoop::new(app.state.clone());
    let held: Vec<_> = (0..8).map(|_| app.state.cluster.admit().expect("slot")).collect();
    steps(&app, &mut control, 6).await;
    drop(held);
    assert_eq!(app.get_config().await.json()["desiredCount"], 2);
}

#[tokio::test]
async fn samples_range_rejects_unknown() {
    let app = TestApp::new().await;
    let response = app
        .with_key(Method::GET, "/api/v1/monitoring/samples?range=2h", Some(&app.viewer_key), None)
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.message(), r#"unknown range "2h"; the ranges are 1h, 1d and 10d"#);

    let response = app
        .with_key(Method::GET, "/api/v1/monitoring/activity?limit=0", Some(&app.viewer_key), None)
        .await;
    assert_eq!(response.message(), r#"limit must be a whole number from 1 to 500, got "0""#);

    let response = app
        .with_key(Method::GET, "/api/v1/monitoring/samples?rang=1h", Some(&app.viewer_key), None)
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(response.message().starts_with("invalid query string"), "{}", response.message());
}

#[tokio::test]
async fn autoscaler_settings_describe_rules() {
    let app = TestApp::new().await;
    let settings = app
        .with_key(Method::GET, "/api/v1/autoscaler", Some(&app.viewer_key), None)
        .await
        .json();
    assert_eq!(settings["targetUtilization"], 0.7);
    assert_eq!(settings["evaluationIntervalSeconds"], 15);
    assert_eq!(settings["behavior"]["scaleDown"]["stabilizationWindowSeconds"], 300);
    assert_eq!(settings["rules"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn metrics_text_format() {
    let app = TestApp::new().await;
    app.advance(STARTUP);
    let mut control = ControlLoop::new(app.state.clone());
    steps(&app, &mut control, 1).await;

    let response = app.with_key(Method::GET, "/metrics", None, None).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);

    let response = app.with_key(Method::GET, "/metrics", Some(&app.viewer_key), None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.headers["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    for line in [
        "# TYPE headroom_feature_server_pods gauge",
        "headroom_feature_server_pods{state=\"available\"} 2",
        "headroom_autoscaling_enabled 0",
        "headroom_feature_requests_total{outcome=\"rejected\"} 0",
        "headroom_pod_utilization_ratio{stat=\"max\"} 0",
    ] {
        assert!(response.text.lines().any(|candidate| candidate == line), "missing {line:?} in\n{}", response.text);
    }
}

#[tokio::test]
async fn stream_starts_with_config() {
    let app = TestApp::new().await;
    let request = axum::http::Request::get("/api/v1/monitoring/stream")
        .header("authorization", format!("Tecton-key {}", app.viewer_key))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.router.clone(), request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body();
    let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
        .await
        .expect("first event")
        .unwrap()
        .unwrap();
    let text = String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap();
    assert_eq!(
        text,
        "event: config\ndata: {\"currentCount\":2,\"availableCount\":0,\"desiredCount\":2,\"autoScalingConfig\":{\"enabled\":false}}\n\n"
    );

    // A change reaches the open stream.
    app.set_config(&app.admin_key, r#"{"count": 3}"#).await;
    let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
        .await
        .expect("change event")
        .unwrap()
        .unwrap();
    let text = String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap();
    assert!(text.starts_with("event: config\ndata: {\"currentCount\":3"), "{text}");
}

#[tokio::test]
async fn held_evaluations_each_recorded() {
    let app = TestApp::new().await;
    app.set_config(&app.admin_key, r#"{"count": 6}"#).await;
    app.advance(STARTUP + Duration::from_secs(1));
    app.set_config(
        &app.admin_key,
        r#"{"autoScalingConfig": {"enabled": true, "minNodeCount": 2, "maxNodeCount": 10}}"#,
    )
    .await;
    let mut control = ControlLoop::new(app.state.clone());

    // No load: the recommendation falls to the minimum of 2, and the
    // 5-minute stabilization window keeps the count at 6 meanwhile.
    steps(&app, &mut control, 6).await;
    let activity = app
        .with_key(Method::GET, "/api/v1/monitoring/activity", Some(&app.viewer_key), None)
        .await
        .json();
    let entries = activity.as_array().unwrap();
    assert_eq!(entries.len(), 2, "one entry per evaluation: {activity}");
    for entry in entries {
        assert_eq!(entry["fromCount"], 6);
        assert_eq!(entry["toCount"], 6);
        assert_eq!(entry["recommendation"], 2);
    }
    assert_eq!(app.get_config().await.json()["desiredCount"], 6);
}
