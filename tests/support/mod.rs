//! Harness of the browser end-to-end tests: the real control plane on
//! 127.0.0.1 serving the release build of the console from `dist/`, a real
//! SQLite file, and headless Chromium driven over WebDriver.
//!
//! The server runs on a manual clock, so a test decides when simulated pods
//! become ready; waits in the browser poll for a condition with a deadline.

#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener as StdListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use headroom_api::access::{AccountKind, Role};
use headroom_api::monitoring::Sample;
use headroom_server::app::{self, AppState, ServeConfig};
use headroom_server::clock::{Clock, ManualClock, unix_millis};
use headroom_server::cluster::simulated::StartupDelay;
use headroom_server::secrets::Password;
use headroom_server::store::accounts;
use tempfile::TempDir;

pub const ADMIN_PASSWORD: &str = "admin-password";
/// Start-up delay of simulated pods; the jitter spreads readiness over the next second.
pub const STARTUP: Duration = Duration::from_secs(3);
pub const JITTER: Duration = Duration::from_secs(1);
/// Longest wait for the page to show an expected state.
const PAGE_TIMEOUT: Duration = Duration::from_secs(20);

/// Browser tests share the machine's two cores; one runs at a time.
static BROWSER_LOCK: Mutex<()> = Mutex::new(());

pub fn serialize() -> MutexGuard<'static, ()> {
    BROWSER_LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn console_dir() -> PathBuf {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("dist");
    assert!(
        dist.join("index.html").is_file(),
        "the console is not built in {}; run `cargo xtask test`, which builds it first",
        dist.display()
    );
    dist
}

pub struct TestServer {
    pub url: String,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
    _dir: TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// The control loop and the pod count watcher, when started.
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut config = ServeConfig::new(dir.path().join("data"), console_dir());
        config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        config.startup = StartupDelay {
            base: STARTUP,
            jitter: JITTER,
        };
        config.session_ttl = Duration::from_secs(3600);
        let clock = Arc::new(ManualClock::new());
        let state = AppState::open(&config, clock.clone(), clock.clone()).expect("state opens");
        app::ensure_first_admin(&state.store, clock.as_ref(), Some(Password::new(ADMIN_PASSWORD)))
            .expect("first admin");

        let listener = app::bind(config.listen).await.expect("listener");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let router = app::router(state.clone(), &config.console_dir);
        let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app::serve(listener, router, async {
            let _ = signal.await;
        }));
        TestServer {
            url,
            clock,
            state,
            _dir: dir,
            shutdown: Some(shutdown),
            background: Vec::new(),
        }
    }

    /// Starts the server with the control loop, which samples and runs the
    /// autoscaler on the manual clock, and the watcher that streams pod
    /// count changes to open consoles.
    pub async fn start_with_control_loop() -> TestServer {
        let mut server = TestServer::start().await;
        server.background = app::spawn_background(&server.state);
        server
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

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

    /// Sends `set-feature-server-config` with an API key over HTTP, as a
    /// script would, and returns the status code and body.
    pub async fn set_config_with_key(&self, key: &str, body: &str) -> (u16, serde_json::Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/api/v1/metadata-service/set-feature-server-config", self.url))
            .header("Authorization", format!("Tecton-key {key}"))
            .body(body.to_owned())
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        for task in &self.background {
            task.abort();
        }
    }
}

/// The control loop's default time between samples, in cluster time.
pub const SAMPLE_INTERVAL: Duration = Duration::from_secs(5);

impl TestServer {
    /// Moves the clock on by one sample interval and waits until the control
    /// loop has stored a sample of the new time, which it returns.
    ///
    /// A loop that was still busy with its previous step when the clock
    /// moved sleeps from the new time instead, so when no sample arrives
    /// within a second the clock moves once more, up to three times.
    pub async fn advance_sample(&self) -> Sample {
        for _ in 0..3 {
            self.advance(SAMPLE_INTERVAL);
            let now = unix_millis(self.clock.now());
            let deadline = Instant::now() + Duration::from_secs(1);
            while Instant::now() < deadline {
                if let Some(sample) = self.latest_sample().filter(|sample| sample.at >= now) {
                    return sample;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        panic!("the control loop stored no sample in three sample intervals; is it running?");
    }

    pub fn latest_sample(&self) -> Option<Sample> {
        self.state
            .latest_sample
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Creates a service account with the consumer role and returns its API key.
    pub async fn create_consumer_key(&self, name: &str) -> String {
        let issued = headroom_server::routes::accounts::create_service_account_with_key(
            &self.state.store,
            name.to_owned(),
            "Sends feature requests in tests".to_owned(),
            vec![Role::Consumer],
            "2026-01-01T00:00:00Z".to_owned(),
        )
        .await
        .expect("service account created");
        issued.api_key
    }
}

/// Requests one simulated pod serves at once, the server's default.
pub const CONCURRENCY_PER_POD: usize = 4;

/// The `get-features` body the load sends.
const FEATURES_BODY: &str =
    r#"{"params": {"feature_service_name": "fraud_detection", "join_key_map": {"user_id": "u_1"}}}"#;

/// Feature requests from concurrent clients, in steps: every client sends
/// one request per step. An admitted request stays in flight until the
/// manual clock passes its service time, so within a step the pods hold as
/// many requests as they have slots and reject the rest with 429.
pub struct Load {
    client_count: usize,
    step: tokio::sync::watch::Sender<u64>,
    clients: tokio::task::JoinSet<()>,
    pub served: Arc<AtomicU64>,
    pub rejected: Arc<AtomicU64>,
    /// Clients that have their response and wait for the next step.
    idle: Arc<AtomicUsize>,
}

impl Load {
    /// Starts `clients` clients that each send at most `max_steps` requests,
    /// the first one at once.
    pub fn start(server: &TestServer, api_key: &str, clients: usize, max_steps: usize) -> Load {
        let (step, _) = tokio::sync::watch::channel(0_u64);
        let served = Arc::new(AtomicU64::new(0));
        let rejected = Arc::new(AtomicU64::new(0));
        let idle = Arc::new(AtomicUsize::new(0));
        let http = reqwest::Client::new();
        let url = format!("{}/api/v1/feature-service/get-features", server.url);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..clients {
            let (http, url, api_key) = (http.clone(), url.clone(), api_key.to_owned());
            let (served, rejected, idle) = (served.clone(), rejected.clone(), idle.clone());
            let mut next_step = step.subscribe();
            tasks.spawn(async move {
                for _ in 0..max_steps {
                    let response = http
                        .post(&url)
                        .header("Authorization", format!("Tecton-key {api_key}"))
                        .header("Content-Type", "application/json")
                        .body(FEATURES_BODY)
                        .send()
                        .await;
                    match response.map(|response| response.status().as_u16()) {
                        Ok(200) => served.fetch_add(1, Ordering::SeqCst),
                        Ok(429) => rejected.fetch_add(1, Ordering::SeqCst),
                        Ok(status) => panic!("get-features returned HTTP {status}"),
                        Err(error) => panic!("get-features failed: {error}"),
                    };
                    idle.fetch_add(1, Ordering::SeqCst);
                    if next_step.changed().await.is_err() {
                        return;
                    }
                    idle.fetch_sub(1, Ordering::SeqCst);
                }
            });
        }
        Load {
            client_count: clients,
            step,
            clients: tasks,
            served,
            rejected,
            idle,
        }
    }

    /// Waits until every request of the step before has ended, lets every
    /// client send its next request, and waits until the pods are full: an
    /// admitted request holds its slot until the clock moves on, so every
    /// client beyond the free slots is rejected.
    pub async fn next_step(&self, server: &TestServer) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.idle.load(Ordering::SeqCst) < self.client_count {
            assert!(
                Instant::now() < deadline,
                "{} of {} clients still wait for a response after 10 s; did the clock move on?",
                self.client_count - self.idle.load(Ordering::SeqCst),
                self.client_count
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let before = self.rejected.load(Ordering::SeqCst);
        self.step.send_modify(|step| *step += 1);
        self.wait_full(server, before).await;
    }

    /// Waits until the first requests have filled the pods.
    pub async fn wait_first_step(&self, server: &TestServer) {
        self.wait_full(server, 0).await;
    }

    /// Waits until this step's rejections reach the clients beyond the
    /// slots. The step starts with every slot free and a request is rejected
    /// only when every slot is taken, so by then every admitted request has
    /// arrived.
    async fn wait_full(&self, server: &TestServer, rejected_before: u64) {
        let slots = server.state.cluster.counts().available as usize * CONCURRENCY_PER_POD;
        assert!(
            self.client_count > slots,
            "{} clients cannot fill {slots} slots and be rejected",
            self.client_count
        );
        let expected = rejected_before + (self.client_count - slots) as u64;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let rejected = self.rejected.load(Ordering::SeqCst);
            if rejected >= expected {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {expected} expected rejections within 10 s",
                rejected
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops the clients. Requests still in flight end with the clients.
    pub async fn stop(mut self) {
        self.clients.abort_all();
        while self.clients.join_next().await.is_some() {}
    }
}

/// A headless Chromium behind its own ChromeDriver.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: TempDir,
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port on 127.0.0.1")
}

impl Browser {
    pub async fn start() -> Browser {
        let port = free_port();
        // Its own process group, so that ending it also ends the Chromium it started.
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts; `cargo xtask setup --browser` installs it");

        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen on port {port} within 20 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let profile = tempfile::tempdir().expect("profile directory");
        let capabilities = serde_json::json!({
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,800",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        let capabilities = match capabilities {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("capabilities are an object"),
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("WebDriver session");
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    pub async fn close(self) {
        let Browser { client, .. } = &self;
        let _ = client.clone().close().await;
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("page loads");
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(PAGE_TIMEOUT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("element {css} not found: {error}"))
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text").trim().to_owned()
    }

    /// Waits until the element's text equals `expected`.
    pub async fn wait_text(&self, css: &str, expected: &str) {
        let deadline = Instant::now() + PAGE_TIMEOUT;
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                if let Ok(text) = element.text().await {
                    last = text.trim().to_owned();
                    if last == expected {
                        return;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} shows {last:?}, expected {expected:?}");
    }

    /// Waits until the element's text contains `expected`.
    pub async fn wait_text_contains(&self, css: &str, expected: &str) {
        let deadline = Instant::now() + PAGE_TIMEOUT;
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                if let Ok(text) = element.text().await {
                    last = text;
                    if last.contains(expected) {
                        return;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} shows {last:?}, expected it to contain {expected:?}");
    }

    /// Waits until no element matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        let deadline = Instant::now() + PAGE_TIMEOUT;
        while Instant::now() < deadline {
            match self.client.find_all(Locator::Css(css)).await {
                Ok(found) if found.is_empty() => return,
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        panic!("{css} is still on the page");
    }

    pub async fn is_present(&self, css: &str) -> bool {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map(|found| !found.is_empty())
            .unwrap_or(false)
    }

    pub async fn wait_enabled(&self, css: &str, enabled: bool) {
        let deadline = Instant::now() + PAGE_TIMEOUT;
        let mut last = !enabled;
        while Instant::now() < deadline {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                last = element.is_enabled().await.unwrap_or(!enabled);
                if last == enabled {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} enabled is {last}, expected {enabled}");
    }

    /// Replaces an input's text by typing, which fires the `input` events
    /// the console listens to (WebDriver's clear does not).
    pub async fn fill(&self, css: &str, value: &str) {
        let element = self.find(css).await;
        element.click().await.expect("input focuses");
        // Control+A, release the modifier, Delete, then the new text.
        element
            .send_keys(&format!("\u{E009}a\u{E000}\u{E017}{value}"))
            .await
            .expect("typing");
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap_or_else(|error| panic!("click on {css}: {error}"));
    }

    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    pub async fn sign_in(&self, server: &TestServer, username: &str, password: &str) {
        self.goto(&format!("{}/sign-in", server.url)).await;
        self.sign_in_here(username, password).await;
    }

    /// Signs in on the sign-in page that is already open, without loading
    /// it again.
    pub async fn sign_in_here(&self, username: &str, password: &str) {
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        // Enter submits the form, as a keyboard user would.
        self.find("#password").await.send_keys("\u{E007}").await.expect("Enter");
        self.wait_text("#whoami-name", username).await;
    }

    /// Waits until the element's attribute equals `expected`.
    pub async fn wait_attr(&self, css: &str, attribute: &str, expected: &str) {
        let deadline = Instant::now() + PAGE_TIMEOUT;
        let mut last = None;
        while Instant::now() < deadline {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                last = element.attr(attribute).await.ok().flatten();
                if last.as_deref() == Some(expected) {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} has {attribute}={last:?}, expected {expected:?}");
    }

    /// Returns the texts of every element that matches `css`, in page order.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for element in self.client.find_all(Locator::Css(css)).await.unwrap_or_default() {
            texts.push(element.text().await.unwrap_or_default().trim().to_owned());
        }
        texts
    }

    pub async fn is_selected(&self, css: &str) -> bool {
        self.find(css).await.is_selected().await.expect("selected state")
    }

    pub async fn screenshot(&self, path: &str) {
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(path, png);
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.driver.wait();
    }
}
