//! Browser end-to-end tests of the console against the real server.

mod support;

use std::time::Duration;

use headroom_api::access::Role;
use support::{ADMIN_PASSWORD, Browser, JITTER, STARTUP, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_scales_from_two_to_five() {
    let _serial = support::serialize();
    let server = TestServer::start().await;
    server.advance(STARTUP + JITTER);
    let browser = Browser::start().await;

    // An unauthenticated visit lands on the sign-in page.
    browser.goto(&server.url).await;
    browser.find("#username").await;
    browser.sign_in(&server, "admin", ADMIN_PASSWORD).await;
    browser.wait_text("#whoami-roles", "admin").await;

    browser.goto(&format!("{}/", server.url)).await;
    browser.wait_text("#available-count", "2").await;
    browser.wait_text("#desired-count", "2").await;
    browser.wait_text("#mode", "Provisioned").await;
    assert!(!browser.is_present("#startup-progress").await);

    browser.fill("#count", "5").await;
    browser.wait_enabled("#apply-count", true).await;
    browser.click("#apply-count").await;
    browser.wait_text("#desired-count", "5").await;
    browser.wait_text("#current-count", "5").await;
    browser.wait_text("#available-count", "2").await;
    browser.find("#startup-progress").await;

    // Pods become ready one after another as the clock moves.
    server.advance(STARTUP);
    let mut seen = Vec::new();
    for _ in 0..10 {
        server.advance(JITTER / 10);
        let available = browser_available(&browser).await;
        if seen.last() != Some(&available) {
            seen.push(available);
        }
    }
    browser.wait_text("#available-count", "5").await;
    browser.wait_gone("#startup-progress").await;
    assert_eq!(seen.last(), Some(&5), "available counts seen: {seen:?}");
    assert!(seen.windows(2).all(|pair| pair[0] < pair[1]), "available counts seen: {seen:?}");

    browser.close().await;
}

/// Waits for the page to catch up with the server's available count.
async fn browser_available(browser: &Browser) -> u32 {
    let mut last = String::new();
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let text = browser.text("#available-count").await;
        if text == last {
            break;
        }
        last = text;
    }
    last.parse().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_limit_message_next_to_field() {
    let _serial = support::serialize();
    let server = TestServer::start().await;
    server.advance(STARTUP + JITTER);
    let browser = Browser::start().await;
    browser.sign_in(&server, "admin", ADMIN_PASSWORD).await;
    browser.wait_text("#available-count", "2").await;

    browser.fill("#count", "51").await;
    browser
        .wait_text(
            "#count-error",
            "The maximum number of feature server pods allowed is 50. Request count is 51",
        )
        .await;
    browser.wait_enabled("#apply-count", false).await;
    let described_by = browser.find("#count").await.attr("aria-describedby").await.unwrap();
    assert!(described_by.unwrap_or_default().contains("count-error"));
    assert_eq!(
        browser.find("#count").await.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );

    browser.fill("#count", "4.5").await;
    browser.wait_text("#count-error", "count must be a whole number, got 4.5").await;
    browser.wait_enabled("#apply-count", false).await;

    browser.fill("#count", "50").await;
    browser.wait_text("#count-error", "").await;
    browser.wait_enabled("#apply-count", true).await;

    // Nothing was sent while the input was invalid.
    let config = server.state.feature_servers.get();
    assert_eq!(config.desired_count, 2);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autoscaling_enable_then_disable() {
    let _serial = support::serialize();
    let server = TestServer::start().await;
    server.advance(STARTUP + JITTER);
    let browser = Browser::start().await;
    browser.sign_in(&server, "admin", ADMIN_PASSWORD).await;
    browser.wait_text("#available-count", "2").await;

    browser.click("#autoscaling-enabled").await;
    browser.fill("#min-node-count", "3").await;
    browser.fill("#max-node-count", "2").await;
    browser
        .wait_text("#min-node-count-error", "minNodeCount (3) must not be greater than maxNodeCount (2)")
        .await;
    browser.wait_enabled("#apply-autoscaling", false).await;
    browser.fill("#max-node-count", "8").await;
    browser.wait_enabled("#apply-autoscaling", true).await;
    browser.click("#apply-autoscaling").await;
    browser.wait_text("#mode", "Autoscaling between 3 and 8 pods").await;
    browser.wait_text("#desired-count", "3").await;

    // Turning autoscaling off offers the current count.
    server.advance(STARTUP + JITTER);
    browser.wait_text("#available-count", "3").await;
    browser.click("#autoscaling-enabled").await;
    assert_eq!(browser.value("#disable-count").await, "3");
    browser.fill("#disable-count", "4").await;
    browser.click("#apply-autoscaling").await;
    browser.wait_text("#mode", "Provisioned").await;
    browser.wait_text("#desired-count", "4").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_sees_read_only_form() {
    let _serial = support::serialize();
    let server = TestServer::start().await;
    server.create_user("vera", "vera-password", &[Role::Viewer]).await;
    let browser = Browser::start().await;
    browser.sign_in(&server, "vera", "vera-password").await;
    browser.wait_text("#whoami-roles", "viewer").await;

    browser.find("#read-only-notice").await;
    browser.wait_text("#desired-count", "2").await;
    for control in ["#count", "#apply-count", "#autoscaling-enabled"] {
        browser.wait_enabled(control, false).await;
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_account_key_allowed_after_grant() {
    let _serial = support::serialize();
    let server = TestServer::start().await;
    server.advance(STARTUP + JITTER);
    let browser = Browser::start().await;
    browser.sign_in(&server, "admin", ADMIN_PASSWORD).await;

    browser.click("a[href='/access']").await;
    browser.fill("#sa-name", "ci-bot").await;
    browser.find("#sa-role").await.select_by_value("viewer").await.expect("role selected");
    browser.click("#create-sa").await;
    browser.find("#new-api-key-panel").await;
    let key = match browser.value("#new-api-key").await {
        value if !value.is_empty() => value,
        _ => browser.text("#new-api-key").await,
    };
    assert!(key.starts_with("hdrm_"), "{key:?}");
    browser.wait_text("tr[data-name='ci-bot'] .roles", "viewer").await;

    let (status, body) = server.set_config_with_key(&key, r#"{"count": 3}"#).await;
    assert_eq!(status, 403);
    assert_eq!(
        body["message"],
        "serviceAccount ci-bot not authorized to perform action scale_feature_server"
    );

    browser.click("tr[data-name='ci-bot'] .grant-admin").await;
    browser.wait_text("tr[data-name='ci-bot'] .roles", "admin, viewer").await;
    // The redrawn row drops its button; the focus goes to the outcome.
    let focused = browser
        .client
        .execute("return document.activeElement && document.activeElement.id", vec![])
        .await
        .expect("script runs");
    assert_eq!(focused, serde_json::json!("access-status"));
    let (status, body) = server.set_config_with_key(&key, r#"{"count": 3}"#).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["desiredCount"], 3);

    // Revoking needs a confirmation, and cancelling keeps the role.
    browser.click("tr[data-name='ci-bot'] .revoke-admin").await;
    browser.click("#confirm-no").await;
    browser.wait_text("tr[data-name='ci-bot'] .roles", "admin, viewer").await;
    browser.click("tr[data-name='ci-bot'] .revoke-admin").await;
    browser.click("#confirm-yes").await;
    browser.wait_text("tr[data-name='ci-bot'] .roles", "viewer").await;
    let (status, _) = server.set_config_with_key(&key, r#"{"count": 4}"#).await;
    assert_eq!(status, 403);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_error_links_to_access() {
    let _serial = support::serialize();
    let server = TestServer::start().await;
    server.advance(STARTUP + JITTER);
    let browser = Browser::start().await;
    browser.sign_in(&server, "admin", ADMIN_PASSWORD).await;
    browser.wait_text("#available-count", "2").await;

    // The admin role is revoked behind the open console's back.
    server.create_user("second", "second-password", &[Role::Admin]).await;
    server
        .state
        .store
        .run(|connection| {
            headroom_server::store::accounts::revoke_role(
                connection,
                headroom_api::access::AccountKind::User,
                "admin",
                Role::Admin,
            )
        })
        .await
        .expect("role revoked");

    browser.fill("#count", "3").await;
    browser.click("#apply-count").await;
    browser
        .wait_text_contains("#form-error", "user admin not authorized to perform action scale_feature_server")
        .await;
    browser.find("#form-error a[href='/access']").await;
    assert_eq!(server.state.feature_servers.get().desired_count, 2);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_error_and_sign_out() {
    let _serial = support::serialize();
    let server = TestServer::start().await;
    let browser = Browser::start().await;

    browser.goto(&format!("{}/sign-in", server.url)).await;
    browser.fill("#username", "admin").await;
    browser.fill("#password", "wrong-password").await;
    browser.click("#sign-in").await;
    browser.wait_text("#sign-in-error", "invalid user name or password").await;

    browser.sign_in(&server, "admin", ADMIN_PASSWORD).await;
    browser.click("#sign-out").await;
    browser.find("#username").await;
    // The session is gone on the server too.
    browser.goto(&format!("{}/", server.url)).await;
    browser.find("#username").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_user_sees_why_accounts_hidden() {
    let _serial = support::serialize();
    let server = TestServer::start().await;
    server.create_user("carl", "carl-password", &[Role::Consumer]).await;
    let browser = Browser::start().await;
    browser.sign_in(&server, "carl", "carl-password").await;

    browser.goto(&format!("{}/access", server.url)).await;
    browser
        .wait_text(
            "#read-only-notice",
            "Your roles do not include seeing the accounts. An admin can grant you the viewer role here.",
        )
        .await;
    assert!(!browser.is_present("#accounts-error").await);
    browser.close().await;
}
