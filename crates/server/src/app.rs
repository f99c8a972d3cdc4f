//! Assembles the control plane: state, router, console hosting and the
//! listening server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Html;
use headroom_api::access::{AccountKind, Role};
use headroom_api::monitoring::{LiveEvent, Sample};
use headroom_api::scaling::Limits;
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::LatencyUnit;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::clock::{Clock, rfc3339};
use crate::cluster::ClusterBackend;
use crate::control::{AutoscalerConfig, ControlLoop, watch_pod_counts};
use crate::cluster::simulated::{SimulatedCluster, StartupDelay};
use crate::feature_servers::FeatureServers;
use crate::request_stats::RequestStats;
use crate::throttle::SignInThrottle;
use crate::secrets::Password;
use crate::store::{Store, accounts};

/// Everything `headroom serve` needs to start.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// Directory of the built console (Trunk's `dist/`).
    pub console_dir: PathBuf,
    pub limits: Limits,
    pub startup: StartupDelay,
    pub serving: Serving,
    pub autoscaler: AutoscalerConfig,
    /// How many times faster than the wall clock the embedded cluster runs.
    pub time_scale: f64,
    pub session_ttl: Duration,
    pub cookie_secure: bool,
}

impl ServeConfig {
    /// The defaults of `headroom serve`, with the given directories.
    pub fn new(data_dir: PathBuf, console_dir: PathBuf) -> ServeConfig {
        ServeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir,
            console_dir,
            limits: Limits::default(),
            startup: StartupDelay {
                base: Duration::from_secs(3),
                jitter: Duration::from_secs(2),
            },
            serving: Serving::default(),
            autoscaler: AutoscalerConfig::default(),
            time_scale: 1.0,
            session_ttl: Duration::from_secs(12 * 3600),
            cookie_secure: false,
        }
    }
}

/// Serving settings of the simulated pods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Serving {
    /// Requests one pod serves at once; more are rejected with 429.
    pub concurrency_per_pod: u32,
    /// Time a pod spends on one request, in wall-clock time.
    pub service_time: Duration,
}

impl Default for Serving {
    fn default() -> Self {
        Serving {
            concurrency_per_pod: 4,
            service_time: Duration::from_millis(50),
        }
    }
}

/// Session settings the handlers read.
#[derive(Clone, Debug)]
pub struct Settings {
    pub session_ttl: Duration,
    pub cookie_secure: bool,
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// The wall clock: sessions, timestamps of accounts, request service time.
    pub clock: Arc<dyn Clock>,
    /// The clock of the embedded cluster, which may run faster than the
    /// wall clock: pod start-up, autoscaler windows, monitoring samples.
    pub cluster_clock: Arc<dyn Clock>,
    pub cluster: Arc<dyn ClusterBackend>,
    pub feature_servers: Arc<FeatureServers>,
    pub serving: Serving,
    pub request_stats: Arc<RequestStats>,
    pub sign_in_throttle: Arc<SignInThrottle>,
    pub autoscaler: Arc<AutoscalerConfig>,
    /// How many times faster than the wall clock the cluster clock runs.
    pub time_scale: f64,
    /// The most recent monitoring sample, for `/metrics`.
    pub latest_sample: Arc<RwLock<Option<Sample>>>,
    /// Events for the consoles' live stream.
    pub live: broadcast::Sender<LiveEvent>,
    pub settings: Arc<Settings>,
}

impl AppState {
    /// Opens the data directory and starts the simulated cluster at the
    /// stored desired count.
    pub fn open(config: &ServeConfig, clock: Arc<dyn Clock>, cluster_clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
        let store = Store::open(&config.data_dir)?;
        let (startup, concurrency) = (config.startup, config.serving.concurrency_per_pod);
        let simulated_clock = cluster_clock.clone();
        let (live, _) = broadcast::channel(256);
        let feature_servers = FeatureServers::load(store.clone(), clock.clone(), config.limits, live.clone(), |desired| {
            Arc::new(SimulatedCluster::new(simulated_clock, startup, concurrency, desired)) as Arc<dyn ClusterBackend>
        })?;
        Ok(AppState {
            store,
            clock,
            cluster_clock,
            cluster: feature_servers.cluster(),
            feature_servers: Arc::new(feature_servers),
            serving: config.serving,
            request_stats: Arc::new(RequestStats::default()),
            sign_in_throttle: Arc::new(SignInThrottle::default()),
            autoscaler: Arc::new(config.autoscaler.clone()),
            time_scale: config.time_scale,
            latest_sample: Arc::new(RwLock::new(None)),
            live,
            settings: Arc::new(Settings {
                session_ttl: config.session_ttl,
                cookie_secure: config.cookie_secure,
            }),
        })
    }
}

/// Starts the control loop and the pod count watcher on the current runtime.
pub fn spawn_background(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    vec![
        tokio::spawn(ControlLoop::new(state.clone()).run()),
        tokio::spawn(watch_pod_counts(state.clone())),
    ]
}

/// Name of the lock file that keeps a second server off a data directory.
pub const LOCK_FILE: &str = "headroom.lock";

/// Locks the data directory for this process, so that two servers never
/// drive one cluster configuration. The lock ends with the returned file.
pub fn lock_data_dir(data_dir: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let path = data_dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "the data directory {} is in use by another `headroom serve`; stop it, or pass another --data-dir",
            data_dir.display()
        ),
        Err(std::fs::TryLockError::Error(error)) => {
            Err(error).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// Environment variable with the password of the first admin.
pub const ADMIN_PASSWORD_ENV: &str = "HEADROOM_ADMIN_PASSWORD";
/// Name of the user created on first start.
pub const FIRST_ADMIN: &str = "admin";

/// Outcome of [`ensure_first_admin`].
#[derive(Debug, PartialEq, Eq)]
pub enum FirstAdmin {
    /// Users exist already; nothing was created.
    Exists,
    /// The admin was created with the password from the environment.
    CreatedWithGivenPassword,
    /// The admin was created with this random password, to print once.
    CreatedWithRandomPassword(Password),
}

/// Creates the user `admin` with the admin role when there are no users.
pub fn ensure_first_admin(store: &Store, clock: &dyn Clock, given: Option<Password>) -> anyhow::Result<FirstAdmin> {
    if store.run_blocking(|connection| accounts::user_count(connection))? > 0 {
        return Ok(FirstAdmin::Exists);
    }
    if let Some(password) = &given {
        headroom_api::access::validate_password(ADMIN_PASSWORD_ENV, password.expose())
            .map_err(|violation| anyhow::anyhow!(violation.description))?;
    }
    let (password, outcome) = match given {
        Some(password) => (password, FirstAdmin::CreatedWithGivenPassword),
        None => {
            let password = Password::generate();
            (password.clone(), FirstAdmin::CreatedWithRandomPassword(password))
        }
    };
    let hash = password.hash().map_err(|error| anyhow::anyhow!("password hashing failed: {error}"))?;
    let now = rfc3339(clock.now());
    store.run_blocking(|connection| {
        accounts::create_account(
            connection,
            AccountKind::User,
            FIRST_ADMIN,
            "",
            Some(&hash),
            &[Role::Admin],
            &now,
        )
    })?;
    Ok(outcome)
}

/// Builds the whole HTTP application: the API under `/api/v1` and the
/// console for every other path.
pub fn router(state: AppState, console_dir: &Path) -> Router {
    let console = console_service(console_dir);
    Router::new()
        .nest("/api/v1", crate::routes::api())
        .route("/metrics", axum::routing::get(crate::routes::monitoring::metrics))
        .fallback_service(console)
        .with_state(state)
        .layer(axum::middleware::from_fn(crate::error::status_bodies))
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let path = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map(|matched| matched.as_str().to_owned())
                    .unwrap_or_else(|| request.uri().path().to_owned());
                let request_id = request
                    .headers()
                    .get(REQUEST_ID_HEADER)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or("");
                tracing::info_span!("request", method = %request.method(), path, request_id)
            })
            .on_response(DefaultOnResponse::new().level(tracing::Level::INFO).latency_unit(LatencyUnit::Micros)),
        )
        .layer(PropagateRequestIdLayer::new(HeaderName::from_static(REQUEST_ID_HEADER)))
        .layer(SetRequestIdLayer::new(
            HeaderName::from_static(REQUEST_ID_HEADER),
            SequentialRequestId::default(),
        ))
}

const REQUEST_ID_HEADER: &str = "x-request-id";

/// Numbers requests in the order they arrive, for log correlation.
#[derive(Clone, Default)]
struct SequentialRequestId(Arc<AtomicU64>);

impl MakeRequestId for SequentialRequestId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        let id = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        HeaderValue::from_str(&id.to_string()).ok().map(RequestId::new)
    }
}

fn console_service(console_dir: &Path) -> Router {
    let index = console_dir.join("index.html");
    if !index.is_file() {
        tracing::warn!(
            console_dir = %console_dir.display(),
            "the console is not built there; the API works, and `cargo xtask build` builds the console"
        );
        let page = Html(format!(
            "<!doctype html><title>Headroom</title><p>The Headroom console is not built in {}. \
             Run <code>cargo xtask build</code> and restart the server. The API under /api/v1 works.</p>",
            console_dir.display()
        ));
        return Router::new().fallback(move || {
            let page = page.clone();
            async move { page }
        });
    }
    // `cargo xtask build` writes .br and .gz copies beside each file.
    let index = ServeFile::new(index).precompressed_br().precompressed_gzip();
    let files = ServeDir::new(console_dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(index);
    Router::new().fallback_service(files)
}

/// Binds the listener and serves until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Without TCP_NODELAY, a response written in two parts, such as a file
    // of ServeDir, waits for the client's delayed ACK: about 40 ms.
    let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::warn!(%error, "cannot set TCP_NODELAY on a connection");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .context("the HTTP server failed")
}

/// Binds `config.listen`, with an error that names the address.
pub async fn bind(listen: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(listen).await.with_context(|| {
        format!("cannot listen on {listen}; is another server using it? choose another with --listen")
    })
}
