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
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use headroom_api::access::{AccountKind, Role};
use headroom_server::app::{self, AppState, ServeConfig};
use headroom_server::clock::ManualClock;
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
        }
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
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        // Enter submits the form, as a keyboard user would.
        self.find("#password").await.send_keys("\u{E007}").await.expect("Enter");
        self.wait_text("#whoami-name", username).await;
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
