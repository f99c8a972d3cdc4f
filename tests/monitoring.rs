//! Browser end-to-end tests of the Monitoring page and the live updates,
//! against the real server with its control loop on a manual clock.

mod support;

use headroom_api::access::Role;
use headroom_api::autoscaling::Behavior;
use headroom_api::scaling::ScalingRequest;
use support::{ADMIN_PASSWORD, Browser, Load, TestServer};

/// Clients of the load: more than the slots of 5 pods, so every step has
/// rejections.
const CLIENTS: usize = 24;
/// Most requests each client sends.
const MAX_STEPS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_scales_up_and_recommendation_applies() {
    let _serial = support::serialize();
    let server = TestServer::start_with_control_loop().await;
    let browser = Browser::start().await;
    browser.sign_in(&server, "admin", ADMIN_PASSWORD).await;

    browser.click("#autoscaling-enabled").await;
    browser.fill("#min-node-count", "2").await;
    browser.fill("#max-node-count", "3").await;
    browser.click("#apply-autoscaling").await;
    browser.wait_text("#mode", "Autoscaling between 2 and 3 pods").await;

    browser.click("a[href='/monitoring']").await;
    browser.wait_text("#live-status", "Live").await;
    browser.wait_text("#samples-empty", "No samples yet").await;
    browser.find("#activity-empty").await;
    browser.find("#recommendations-empty").await;

    // The pods become ready within the first sample interval; the sample
    // reaches the chart over the stream.
    server.advance_sample().await;
    browser.wait_attr("#chart-utilization", "data-points", "1").await;
    browser.wait_text("#latest-pods", "2 current, 2 available, 2 desired").await;
    browser.wait_text("#latest-utilization", "Utilization 0% (max 0%)").await;

    // 8 clients hold the slots of the 2 pods for the whole interval and the
    // other 16 are rejected: 16 in 5 s.
    let key = server.create_consumer_key("load").await;
    let load = Load::start(&server, &key, CLIENTS, MAX_STEPS);
    load.wait_first_step(&server).await;
    server.advance_sample().await;
    browser.wait_attr("#chart-utilization", "data-points", "2").await;
    browser.wait_text("#latest-utilization", "Utilization 100% (max 100%)").await;
    browser.wait_text_contains("#latest-requests", "3.2 rejected/s").await;

    // The autoscaler evaluates every 15 s over the samples since the last
    // evaluation, so the second evaluation scales up.
    let mut steps = 0;
    while server.state.feature_servers.get().desired_count == 2 {
        assert!(steps < 6, "the autoscaler did not scale up in {steps} steps");
        load.next_step(&server).await;
        server.advance_sample().await;
        steps += 1;
    }
    assert_eq!(server.state.feature_servers.get().desired_count, 3);
    browser.wait_text("#activity li.activity-item:first-child .change", "2 → 3").await;
    browser
        .wait_text_contains(
            "#activity li.activity-item:first-child .reason",
            "Scaled up from 2 to 3 pods",
        )
        .await;

    // At the bound of 3 pods every slot is still busy, so raising
    // maxNodeCount is recommended.
    load.next_step(&server).await;
    server.advance_sample().await;
    browser.wait_text_contains("#latest-pods", "3 desired").await;
    browser
        .wait_text_contains(".recommendation h3", "Raise maxNodeCount from 3 to ")
        .await;
    let title = browser.text(".recommendation h3").await;
    let raised: u32 = title
        .rsplit(' ')
        .next()
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no count at the end of {title:?}"));
    assert!(raised > 3, "{title}");
    assert!(
        browser.text(".recommendation .evidence").await.contains("rejected with 429"),
        "the evidence names the rejections"
    );

    browser.wait_enabled(".apply-recommendation", true).await;
    browser.click(".apply-recommendation").await;
    browser
        .wait_text("#recommendation-status", &format!("Applied: {title}."))
        .await;
    let config = server.state.feature_servers.get();
    assert_eq!(config.auto_scaling_config.max_node_count, Some(raised));
    assert_eq!(config.desired_count, 3, "the autoscaler moves the count, not the change of bounds");

    // With room above 3 pods the next evaluation scales up again.
    let mut steps = 0;
    while server.state.feature_servers.get().desired_count == 3 {
        assert!(steps < 6, "the autoscaler did not scale up past 3 in {steps} steps");
        load.next_step(&server).await;
        server.advance_sample().await;
        steps += 1;
    }
    let desired = server.state.feature_servers.get().desired_count;
    assert!(desired > 3, "desired count {desired}");
    assert!(desired <= raised, "desired count {desired} above maxNodeCount {raised}");
    browser
        .wait_text("#activity li.activity-item:first-child .change", &format!("3 → {desired}"))
        .await;
    load.next_step(&server).await;
    server.advance_sample().await;
    browser.wait_text_contains("#latest-pods", &format!("{desired} desired")).await;

    // The Feature Servers page shows the count the stream delivered.
    browser.click("a[href='/']").await;
    browser.wait_text("#desired-count", &desired.to_string()).await;
    browser
        .wait_text("#mode", &format!("Autoscaling between 2 and {raised} pods"))
        .await;

    load.stop().await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn range_selector_and_empty_state() {
    let _serial = support::serialize();
    let server = TestServer::start_with_control_loop().await;
    let browser = Browser::start().await;
    browser.sign_in(&server, "admin", ADMIN_PASSWORD).await;
    browser.goto(&format!("{}/monitoring", server.url)).await;

    browser.wait_text("#samples-empty", "No samples yet").await;
    assert!(browser.is_selected("#range-1h").await, "the hour is chosen first");
    assert!(!browser.is_present("#chart-utilization").await);

    // 13 samples complete the first minute, which rolls up into the day's
    // tier.
    for _ in 0..13 {
        server.advance_sample().await;
    }
    browser.wait_attr("#chart-utilization", "data-points", "13").await;
    for chart in ["#chart-pods", "#chart-requests", "#chart-latency"] {
        browser.wait_attr(chart, "data-points", "13").await;
    }
    browser.wait_text("#charts-heading", "Last hour").await;
    browser.wait_text("#latest-pods", "2 current, 2 available, 2 desired").await;
    browser.wait_text("#latest-requests", "0.0 requests/s, 0.0 rejected/s").await;
    browser.wait_text("figure:has(#chart-utilization) figcaption", "Pod utilization").await;

    browser.click("#range-1d").await;
    browser.wait_text("#charts-heading", "Last day").await;
    browser.wait_attr("#chart-utilization", "data-points", "1").await;

    // The sample that starts the third minute completes the second, and the
    // day's chart fetches it.
    for _ in 0..12 {
        server.advance_sample().await;
    }
    browser.wait_attr("#chart-utilization", "data-points", "2").await;

    // The arrow keys move between the ranges, as in any radio group. The
    // 10-minute tier has no sample yet.
    browser.find("#range-1d").await.send_keys("\u{E014}").await.expect("arrow right");
    browser.wait_text("#charts-heading", "Last 10 days").await;
    assert!(browser.is_selected("#range-10d").await);
    browser.wait_text("#samples-empty", "No samples yet").await;

    browser.click("#range-1h").await;
    browser.wait_attr("#chart-utilization", "data-points", "25").await;

    // A new sample extends the hour over the stream.
    server.advance_sample().await;
    browser.wait_attr("#chart-utilization", "data-points", "26").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feature_servers_show_autoscaler_rules() {
    let _serial = support::serialize();
    let server = TestServer::start().await;
    let browser = Browser::start().await;
    browser.sign_in(&server, "admin", ADMIN_PASSWORD).await;

    browser.wait_text("#autoscaler-rules li:first-child", "Target utilization 70%").await;
    let mut expected = vec!["Target utilization 70%".to_owned()];
    expected.extend(Behavior::default().describe());
    assert_eq!(browser.texts("#autoscaler-rules li").await, expected);

    let navigation = browser.texts("nav[aria-label='Main'] a").await;
    assert_eq!(navigation, ["Feature Servers", "Monitoring", "Accounts and Access"]);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_cannot_apply_recommendation() {
    let _serial = support::serialize();
    let server = TestServer::start_with_control_loop().await;
    server.create_user("vera", "vera-password", &[Role::Viewer]).await;
    server.advance_sample().await;

    // Provisioned pods that reject requests lead to a scale-up recommendation.
    let key = server.create_consumer_key("load").await;
    let load = Load::start(&server, &key, 12, MAX_STEPS);
    load.wait_first_step(&server).await;
    server.advance_sample().await;

    let browser = Browser::start().await;
    browser.sign_in(&server, "vera", "vera-password").await;
    browser.click("a[href='/monitoring']").await;
    browser
        .wait_text_contains(".recommendation h3", "Scale up from 2 to ")
        .await;
    browser.find("#recommendations-read-only").await;
    browser.wait_enabled(".apply-recommendation", false).await;
    assert_eq!(server.state.feature_servers.get().desired_count, 2);

    load.stop().await;
    browser.close().await;
}

/// Wraps the page's `EventSource` so that a test can make new streams fail
/// (they open a URL the API does not have) and find the streams opened.
const STREAM_SWITCH: &str = r#"
    const Real = window.EventSource;
    window.streams = [];
    window.blockStream = true;
    window.EventSource = function (url, init) {
        const source = new Real(window.blockStream ? url + "-blocked" : url, init);
        window.streams.push(source);
        return source;
    };
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_failure_falls_back_to_polling() {
    let _serial = support::serialize();
    let server = TestServer::start_with_control_loop().await;
    server.advance_sample().await;
    let browser = Browser::start().await;

    // Signing in does not reload the page, so the wrapper stays.
    browser.goto(&format!("{}/sign-in", server.url)).await;
    browser.find("#username").await;
    browser.client.execute(STREAM_SWITCH, Vec::new()).await.expect("script runs");
    browser.sign_in_here("admin", ADMIN_PASSWORD).await;
    browser.wait_text("#live-status", "Polling").await;

    // Polling follows a change made elsewhere.
    browser.wait_text("#desired-count", "2").await;
    server
        .state
        .feature_servers
        .set(ScalingRequest::Provisioned { count: 3 })
        .await
        .expect("count set");
    browser.wait_text("#desired-count", "3").await;

    // Once the stream works again, a retry opens it.
    browser.client.execute("window.blockStream = false;", Vec::new()).await.expect("script runs");
    browser.wait_text("#live-status", "Live").await;

    // A stream that fails while open falls back to polling, which fetches
    // the samples, and is reopened.
    browser.click("a[href='/monitoring']").await;
    browser.wait_attr("#chart-utilization", "data-points", "1").await;
    browser.client.execute("window.blockStream = true;", Vec::new()).await.expect("script runs");
    browser
        .client
        .execute("window.streams.at(-1).dispatchEvent(new Event('error'));", Vec::new())
        .await
        .expect("script runs");
    browser.wait_text("#live-status", "Polling").await;
    server.advance_sample().await;
    browser.wait_attr("#chart-utilization", "data-points", "2").await;
    browser.client.execute("window.blockStream = false;", Vec::new()).await.expect("script runs");
    browser.wait_text("#live-status", "Live").await;

    // Signing out closes every stream.
    browser.click("#sign-out").await;
    browser.find("#username").await;
    let open = browser
        .client
        .execute("return window.streams.filter((source) => source.readyState !== 2).length;", Vec::new())
        .await
        .expect("script runs");
    assert_eq!(open, serde_json::json!(0));
    browser.close().await;
}
