//! The online serving path, `get-features`, through the real router.

mod support;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use headroom_api::access::Role;
use headroom_server::routes::accounts::create_service_account_with_key;
use support::{STARTUP, TestApp};

const PATH: &str = "/api/v1/feature-service/get-features";
const BODY: &str = r#"{"params": {"feature_service_name": "fraud_detection", "join_key_map": {"user_id": "u_123"}}}"#;

async fn consumer_key(app: &TestApp) -> String {
    create_service_account_with_key(
        &app.state.store,
        "model-server".into(),
        String::new(),
        vec![Role::Consumer],
        "2026-01-01T00:00:00Z".into(),
    )
    .await
    .expect("consumer")
    .api_key
}

#[tokio::test]
async fn get_features_returns_vector() {
    let app = TestApp::new().await;
    app.advance(STARTUP);
    let key = consumer_key(&app).await;

    let request = tokio::spawn({
        let router = app.router.clone();
        let key = key.clone();
        async move {
            let app_request = axum::http::Request::post(PATH)
                .header("authorization", format!("Tecton-key {key}"))
                .body(axum::body::Body::from(BODY))
                .unwrap();
            tower::ServiceExt::oneshot(router, app_request).await.unwrap()
        }
    });
    // Once the request is in flight on a pod, the 50 ms service time of
    // the manual clock passes.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while app.state.cluster.take_load_report().in_flight == 0 {
        assert!(std::time::Instant::now() < deadline, "the request never reached a pod");
        tokio::task::yield_now().await;
    }
    app.advance(Duration::from_millis(50));
    let response = tokio::time::timeout(Duration::from_secs(10), request)
        .await
        .expect("the request completes once the service time has passed")
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json["result"]["features"].as_array().unwrap().len(), 8);
    assert_eq!(json["metadata"]["features"][0]["name"], "fraud_detection.feature_0");
    assert_eq!(app.state.request_stats.totals(), (1, 0));
}

#[tokio::test]
async fn get_features_rejects_when_saturated() {
    let app = TestApp::new().await;
    let key = consumer_key(&app).await;

    // No pod is ready yet.
    let response = app.with_key(Method::POST, PATH, Some(&key), Some(BODY)).await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.message(), "no feature server pod is ready yet; retry once pods are available");

    // Two ready pods of 4 slots each: the ninth concurrent request is rejected.
    app.advance(STARTUP);
    let admissions: Vec<_> = (0..8).map(|_| app.state.cluster.admit().expect("slot")).collect();
    let response = app.with_key(Method::POST, PATH, Some(&key), Some(BODY)).await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.json()["code"], 8);
    assert_eq!(
        response.message(),
        "all 2 available feature server pods are at capacity (4 concurrent requests each); retry with backoff, or add pods"
    );
    assert_eq!(response.json()["details"][0]["reason"], "POD_CAPACITY_EXHAUSTED");
    assert_eq!(app.state.request_stats.totals(), (0, 2));
    drop(admissions);
}

#[tokio::test]
async fn get_features_needs_read_permission() {
    let app = TestApp::new().await;
    app.advance(STARTUP);
    let response = app.with_key(Method::POST, PATH, Some(&app.viewer_key), Some(BODY)).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(response.message(), "serviceAccount reader not authorized to perform action read_features");

    let response = app.with_key(Method::POST, PATH, None, Some(BODY)).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn get_features_bad_body_names_field() {
    let app = TestApp::new().await;
    app.advance(STARTUP);
    let key = consumer_key(&app).await;
    let response = app
        .with_key(Method::POST, PATH, Some(&key), Some(r#"{"params": {"feature_service_name": "fs"}}"#))
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json()["details"][0]["fieldViolations"][0]["field"],
        "params.join_key_map"
    );
}
