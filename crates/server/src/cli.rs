//! The `headroom` command line: `serve`, and the account commands an
//! operator or a test can script without the console.

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use headroom_api::access::{AccountKind, Role, validate_account_name, validate_description, validate_password};
use headroom_api::autoscaling::Behavior;
use headroom_api::scaling::Limits;

use crate::app::{self, ADMIN_PASSWORD_ENV, AppState, FirstAdmin, ServeConfig, Serving};
use crate::clock::{Clock, ScaledClock, SystemClock, rfc3339};
use crate::cluster::simulated::StartupDelay;
use crate::control::AutoscalerConfig;
use crate::loadgen::http::{HttpTarget, auth_failure_message};
use crate::loadgen::{LoadSettings, Scenario, Stop, format_interval, format_summary};
use crate::secrets::{ApiKey, Password};
use crate::simulation::{Model, Rules, table};
use crate::store::{Store, accounts};

#[derive(Debug, Parser)]
#[command(
    name = "headroom",
    version,
    about = "Headroom control plane: feature server scaling API, accounts and access, and the console"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the control plane and serve the console.
    Serve(ServeArgs),
    /// Manage service accounts, which call the API with API keys.
    #[command(subcommand)]
    ServiceAccount(ServiceAccountCommand),
    /// Manage users, who sign in to the console.
    #[command(subcommand)]
    User(UserCommand),
    /// Send feature requests to a running Headroom at the rate of a traffic
    /// scenario, and report the rate achieved, latency, 429s and errors.
    Loadgen(LoadgenArgs),
    /// Simulate each traffic scenario under Headroom's autoscaler, a fixed
    /// count sized for the peak, and the best plan, and print markdown tables
    /// of pod-hours and rejected requests.
    Simulate(SimulateArgs),
}

#[derive(Debug, Args)]
pub struct DataDirArg {
    /// Directory holding the SQLite database (headroom.db); created if missing.
    #[arg(long, env = "HEADROOM_DATA_DIR", default_value = "headroom-data", value_name = "DIR")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data: DataDirArg,

    /// Address and port to listen on.
    #[arg(long, env = "HEADROOM_LISTEN", default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub listen: SocketAddr,

    /// Directory of the built console (the output of `trunk build`).
    #[arg(long, env = "HEADROOM_CONSOLE_DIR", default_value = "dist", value_name = "DIR")]
    pub console_dir: PathBuf,

    /// Maximum number of feature server pods, in pods.
    #[arg(long, env = "HEADROOM_MAX_PODS", default_value_t = 50, value_name = "PODS",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_pods: u32,

    /// Maximum number of pods one request may add, counted from the available pods.
    #[arg(long, env = "HEADROOM_MAX_INCREASE", default_value_t = 50, value_name = "PODS",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_increase: u32,

    /// Start-up time of a simulated pod before it is available, such as 3s
    /// or 500ms; at most 1h.
    #[arg(long, env = "HEADROOM_POD_STARTUP_DELAY", default_value = "3s", value_name = "DURATION",
          value_parser = parse_startup_duration)]
    pub pod_startup_delay: Duration,

    /// Upper bound of the random extra start-up time per simulated pod, such
    /// as 2s; 0s for none; at most 1h.
    #[arg(long, env = "HEADROOM_POD_STARTUP_JITTER", default_value = "2s", value_name = "DURATION",
          value_parser = parse_startup_duration)]
    pub pod_startup_jitter: Duration,

    /// Feature requests one simulated pod serves at once; requests beyond
    /// that, on every ready pod, are rejected with 429.
    #[arg(long, env = "HEADROOM_POD_CONCURRENCY", default_value_t = 4, value_name = "REQUESTS",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub pod_concurrency: u32,

    /// Time a simulated pod spends on one feature request, in wall-clock time, such as 50ms.
    #[arg(long, env = "HEADROOM_POD_SERVICE_TIME", default_value = "50ms", value_name = "DURATION",
          value_parser = humantime::parse_duration)]
    pub pod_service_time: Duration,

    /// How many times faster than the wall clock the embedded cluster runs:
    /// pod start-up, autoscaler windows and monitoring samples. 60 turns a day into 24 minutes.
    #[arg(long, env = "HEADROOM_TIME_SCALE", default_value_t = 1.0, value_name = "FACTOR",
          value_parser = parse_time_scale)]
    pub time_scale: f64,

    /// Utilization the autoscaler aims at, in percent of the pods' capacity.
    #[arg(long, env = "HEADROOM_TARGET_UTILIZATION", default_value_t = 70, value_name = "PERCENT",
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub target_utilization: u32,

    /// Time between two autoscaler evaluations, in cluster time, such as 15s.
    #[arg(long, env = "HEADROOM_AUTOSCALER_INTERVAL", default_value = "15s", value_name = "DURATION",
          value_parser = parse_positive_duration)]
    pub autoscaler_interval: Duration,

    /// Time between two monitoring samples, in cluster time, such as 5s.
    #[arg(long, env = "HEADROOM_SAMPLE_INTERVAL", default_value = "5s", value_name = "DURATION",
          value_parser = parse_positive_duration)]
    pub sample_interval: Duration,

    /// JSON file with the autoscaler's rate rules, in the shape of a
    /// Kubernetes HorizontalPodAutoscaler's `behavior` field. Without it:
    /// scale up by the larger of 50% and 10 pods per 10 minutes, scale down
    /// by the smaller of 10% and 10 pods per 10 minutes after 5 minutes of
    /// lower demand.
    #[arg(long, env = "HEADROOM_AUTOSCALER_BEHAVIOR", value_name = "FILE")]
    pub autoscaler_behavior: Option<PathBuf>,

    /// How long a console session lasts after sign-in, such as 12h.
    #[arg(long, env = "HEADROOM_SESSION_TTL", default_value = "12h", value_name = "DURATION",
          value_parser = humantime::parse_duration)]
    pub session_ttl: Duration,

    /// Mark the session cookie Secure; set it when the console is served over HTTPS.
    #[arg(long, env = "HEADROOM_COOKIE_SECURE")]
    pub cookie_secure: bool,
}

fn parse_time_scale(text: &str) -> Result<f64, String> {
    let scale: f64 = text
        .parse()
        .map_err(|_| format!("invalid time scale \"{text}\": expected a number such as 1 or 60"))?;
    if !scale.is_finite() || !(0.01..=10_000.0).contains(&scale) {
        return Err(format!("time scale {text} is out of range; use a number from 0.01 to 10000"));
    }
    Ok(scale)
}

fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text).map_err(|error| format!("invalid duration \"{text}\": {error}"))?;
    if duration.is_zero() {
        return Err(format!("duration \"{text}\" must be greater than zero"));
    }
    Ok(duration)
}

fn parse_startup_duration(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text).map_err(|error| format!("invalid duration \"{text}\": {error}"))?;
    if duration > Duration::from_secs(3600) {
        return Err(format!("start-up time \"{text}\" is longer than the maximum of 1h"));
    }
    Ok(duration)
}

/// Reads and checks a behavior file, with errors that name the file.
fn read_behavior(path: &std::path::Path) -> anyhow::Result<Behavior> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the autoscaler behavior file {}", path.display()))?;
    let behavior: Behavior = serde_json::from_str(&text)
        .with_context(|| format!("invalid autoscaler behavior in {}", path.display()))?;
    behavior
        .validate()
        .map_err(|status| anyhow::anyhow!("invalid autoscaler behavior in {}: {}", path.display(), status.message))?;
    Ok(behavior)
}

impl ServeArgs {
    pub fn config(&self) -> anyhow::Result<ServeConfig> {
        let behavior = match &self.autoscaler_behavior {
            Some(path) => read_behavior(path)?,
            None => Behavior::default(),
        };
        Ok(ServeConfig {
            listen: self.listen,
            data_dir: self.data.data_dir.clone(),
            console_dir: self.console_dir.clone(),
            limits: Limits {
                max_pods: self.max_pods,
                max_increase: self.max_increase,
            },
            startup: StartupDelay {
                base: self.pod_startup_delay,
                jitter: self.pod_startup_jitter,
            },
            serving: Serving {
                concurrency_per_pod: self.pod_concurrency,
                service_time: self.pod_service_time,
            },
            autoscaler: AutoscalerConfig {
                target_utilization: f64::from(self.target_utilization) / 100.0,
                evaluation_interval: self.autoscaler_interval,
                sample_interval: self.sample_interval,
                behavior,
                ..AutoscalerConfig::default()
            },
            time_scale: self.time_scale,
            session_ttl: self.session_ttl,
            cookie_secure: self.cookie_secure,
        })
    }
}

#[derive(Debug, Args)]
pub struct LoadgenArgs {
    /// Base URL of the Headroom server. Requests go to
    /// <URL>/api/v1/feature-service/get-features over plain HTTP.
    #[arg(long, default_value = "http://127.0.0.1:8080", value_name = "URL")]
    pub url: String,

    /// File whose first line is an API key of a service account with the
    /// consumer or admin role. Without it, the key comes from the
    /// environment variable HEADROOM_API_KEY. The key is never printed.
    #[arg(long, value_name = "FILE")]
    pub api_key_file: Option<PathBuf>,

    /// Traffic scenario: the shape of the request rate over the day.
    #[arg(long, value_enum, default_value_t = Scenario::Daily)]
    pub scenario: Scenario,

    /// Requests per second at the scenario's usual daily peak: the rate of
    /// steady, the 15:00 peak of daily, half the holiday peak, and the rate
    /// outside the spike, which quadruples it. Real requests per second at
    /// any time scale.
    #[arg(long, default_value_t = 100.0, value_name = "REQUESTS_PER_SECOND", value_parser = parse_rate)]
    pub base_rate: f64,

    /// Length of the run in scenario time, such as 24h or 90m. The run stops
    /// by itself at the end.
    #[arg(long, default_value = "24h", value_name = "DURATION", value_parser = parse_positive_duration)]
    pub duration: Duration,

    /// How many times faster than the wall clock scenario time runs, as in
    /// `headroom serve --time-scale`. 60 turns a day into 24 minutes. Rates
    /// stay in real requests per second.
    #[arg(long, default_value_t = 1.0, value_name = "FACTOR", value_parser = parse_time_scale)]
    pub time_scale: f64,

    /// Maximum number of requests awaiting a response at once, in requests.
    /// A request that falls due at the limit is skipped and counted, so the
    /// generator never queues.
    #[arg(long, default_value_t = 512, value_name = "REQUESTS",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_in_flight: u32,

    /// Wall-clock time between two progress lines, such as 10s.
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = parse_positive_duration)]
    pub report_every: Duration,

    /// Time a request may take, in wall-clock time, such as 10s. A request
    /// without a complete response by then counts as timed out.
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = parse_positive_duration)]
    pub timeout: Duration,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Scenario to simulate. Repeat the flag for several. Without it, all
    /// four: steady, daily, holiday and spike.
    #[arg(long, value_enum, value_name = "SCENARIO")]
    pub scenario: Vec<Scenario>,

    /// Requests per second at each scenario's usual daily peak: the rate of
    /// steady, the 15:00 peak of daily, half the holiday peak, and the rate
    /// outside the spike, which quadruples it.
    #[arg(long, default_value_t = 500.0, value_name = "REQUESTS_PER_SECOND", value_parser = parse_rate)]
    pub base_rate: f64,

    /// Scenario time to simulate, such as 24h.
    #[arg(long, default_value = "24h", value_name = "DURATION", value_parser = parse_positive_duration)]
    pub duration: Duration,

    /// Feature requests one pod serves at once, in requests.
    #[arg(long, default_value_t = 4, value_name = "REQUESTS",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub pod_concurrency: u32,

    /// Time a pod spends on one feature request, such as 50ms.
    #[arg(long, default_value = "50ms", value_name = "DURATION", value_parser = parse_positive_duration)]
    pub pod_service_time: Duration,

    /// Start-up time of a pod before it is available, such as 3s, at most 1h.
    #[arg(long, default_value = "3s", value_name = "DURATION", value_parser = parse_startup_duration)]
    pub pod_startup_delay: Duration,

    /// Upper bound of the extra start-up time per pod, such as 2s, at most
    /// 1h. Each pod gets a fixed share of it, derived from its id, so runs
    /// repeat exactly.
    #[arg(long, default_value = "2s", value_name = "DURATION", value_parser = parse_startup_duration)]
    pub pod_startup_jitter: Duration,

    /// Length of one simulation step, the control loop's sample interval,
    /// such as 5s, in whole milliseconds.
    #[arg(long, default_value = "5s", value_name = "DURATION", value_parser = parse_positive_duration)]
    pub sample_interval: Duration,

    /// Time between two autoscaler evaluations, such as 15s. It must be a
    /// whole number of sample intervals.
    #[arg(long, default_value = "15s", value_name = "DURATION", value_parser = parse_positive_duration)]
    pub autoscaler_interval: Duration,

    /// Utilization the autoscaler aims at, in percent of the pods' capacity.
    #[arg(long, default_value_t = 70, value_name = "PERCENT",
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub target_utilization: u32,

    /// Lowest pod count the autoscaler and the plan may set (minNodeCount), in pods.
    #[arg(long, default_value_t = 1, value_name = "PODS",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub min_pods: u32,

    /// Highest pod count the autoscaler and the plan may set (maxNodeCount),
    /// which is also the cluster's pod maximum, in pods.
    #[arg(long, default_value_t = 50, value_name = "PODS",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_pods: u32,

    /// JSON file with the autoscaler's rate rules, in the shape of a
    /// Kubernetes HorizontalPodAutoscaler's `behavior` field, as for
    /// `headroom serve`. Without it: scale up by the larger of 50% and 10
    /// pods per 10 minutes, scale down by the smaller of 10% and 10 pods per
    /// 10 minutes after 5 minutes of lower demand.
    #[arg(long, value_name = "FILE")]
    pub autoscaler_behavior: Option<PathBuf>,

    /// Highest utilization, in percent of the pods' capacity, that the fixed
    /// count and the best plan allow. 100 sizes both to serve every request
    /// with no spare capacity.
    #[arg(long, default_value_t = 100, value_name = "PERCENT",
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub plan_utilization: u32,
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("invalid rate \"{text}\": expected requests per second, such as 100 or 2.5"))?;
    if !rate.is_finite() || rate <= 0.0 || rate > 1_000_000.0 {
        return Err(format!("rate {text} is out of range; use a number of requests per second above 0 and at most 1000000"));
    }
    Ok(rate)
}

#[derive(Debug, Subcommand)]
pub enum ServiceAccountCommand {
    /// Create a service account and print its API key once, on standard output.
    Create {
        #[command(flatten)]
        data: DataDirArg,
        /// Name: lowercase letters, digits, '-', '_' and '.', at most 64 characters.
        #[arg(long)]
        name: String,
        /// Role to grant: admin (scaling and account management), viewer (read
        /// only) or consumer (feature requests only).
        #[arg(long)]
        role: Role,
        /// Free text shown in the console, at most 200 characters.
        #[arg(long, default_value = "")]
        description: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user who signs in to the console.
    Create {
        #[command(flatten)]
        data: DataDirArg,
        /// User name: lowercase letters, digits, '-', '_' and '.', at most 64 characters.
        #[arg(long)]
        name: String,
        /// Role to grant: admin, viewer or consumer.
        #[arg(long)]
        role: Role,
        /// Read the password from the first line of standard input instead of
        /// generating a random one and printing it.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password for a user and end the user's sessions.
    ResetPassword {
        #[command(flatten)]
        data: DataDirArg,
        /// User name.
        #[arg(long)]
        name: String,
        /// Read the password from the first line of standard input instead of
        /// generating a random one and printing it.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command {
        Command::Serve(args) => serve(args, clock).await,
        Command::Loadgen(args) => loadgen(args).await,
        Command::Simulate(args) => simulate(args),
        Command::ServiceAccount(ServiceAccountCommand::Create {
            data,
            name,
            role,
            description,
        }) => {
            validate_account_name("--name", &name).map_err(|violation| anyhow::anyhow!(violation.description))?;
            validate_description("--description", &description)
                .map_err(|violation| anyhow::anyhow!(violation.description))?;
            let store = Store::open_existing(&data.data_dir)?;
            let issued = crate::routes::accounts::create_service_account_with_key(
                &store,
                name,
                description,
                vec![role],
                rfc3339(clock.now()),
            )
            .await?;
            eprintln!(
                "Created service account {} with role {role}. Its API key, shown only this once:",
                issued.service_account.name
            );
            println!("{}", issued.api_key);
            Ok(())
        }
        Command::User(UserCommand::Create {
            data,
            name,
            role,
            password_stdin,
        }) => {
            validate_account_name("--name", &name).map_err(|violation| anyhow::anyhow!(violation.description))?;
            let store = Store::open_existing(&data.data_dir)?;
            let (password, generated) = read_or_generate_password(password_stdin)?;
            let hash = password.hash().map_err(|error| anyhow::anyhow!("password hashing failed: {error}"))?;
            let now = rfc3339(clock.now());
            store.run_blocking(|connection| {
                accounts::create_account(connection, AccountKind::User, &name, "", Some(&hash), &[role], &now)
            })?;
            eprintln!("Created user {name} with role {role}.");
            if generated {
                eprintln!("Its password, shown only this once:");
                println!("{}", password.expose());
            }
            Ok(())
        }
        Command::User(UserCommand::ResetPassword {
            data,
            name,
            password_stdin,
        }) => {
            let store = Store::open_existing(&data.data_dir)?;
            let (password, generated) = read_or_generate_password(password_stdin)?;
            let hash = password.hash().map_err(|error| anyhow::anyhow!("password hashing failed: {error}"))?;
            store.run_blocking(|connection| accounts::set_password(connection, &name, &hash))?;
            eprintln!("Set a new password for user {name} and ended its sessions.");
            if generated {
                eprintln!("The new password, shown only this once:");
                println!("{}", password.expose());
            }
            Ok(())
        }
    }
}

/// Returns the password and whether it was generated.
fn read_or_generate_password(from_stdin: bool) -> anyhow::Result<(Password, bool)> {
    if !from_stdin {
        return Ok((Password::generate(), true));
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password: ");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        anyhow::bail!("no password on standard input; write it as the first line, or leave out --password-stdin to generate one");
    }
    validate_password("the password", &password).map_err(|violation| anyhow::anyhow!(violation.description))?;
    Ok((Password::new(password), false))
}

async fn serve(args: ServeArgs, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    let config = args.config()?;
    let _lock = app::lock_data_dir(&config.data_dir)?;

    // Cluster time goes on from the newest sample, which a faster time scale
    // may have put ahead of the wall clock, so the history stays in order.
    let history_end = Store::open(&config.data_dir)?
        .run_blocking(|connection| crate::store::history::history_end(connection))?
        .map(|millis| std::time::SystemTime::UNIX_EPOCH + Duration::from_millis(millis));
    let now = clock.now();
    let cluster_clock: Arc<dyn Clock> = match history_end {
        Some(end) if end > now => Arc::new(ScaledClock::starting_at(config.time_scale, end)),
        _ if config.time_scale != 1.0 => Arc::new(ScaledClock::starting_at(config.time_scale, now)),
        _ => clock.clone(),
    };
    let state = AppState::open(&config, clock.clone(), cluster_clock)?;

    let given = std::env::var(ADMIN_PASSWORD_ENV).ok().map(Password::new);
    match app::ensure_first_admin(&state.store, clock.as_ref(), given)? {
        FirstAdmin::Exists => {}
        FirstAdmin::CreatedWithGivenPassword => {
            tracing::info!("created user admin with the password from {ADMIN_PASSWORD_ENV}");
        }
        FirstAdmin::CreatedWithRandomPassword(password) => {
            // Printed, not logged: this is the one time the password is shown.
            println!(
                "\nCreated user admin with the password below. It is shown only this once; \
                 `headroom user reset-password --name admin` sets a new one.\n\n    {}\n",
                password.expose()
            );
        }
    }

    let listener = app::bind(config.listen).await?;
    let address = listener.local_addr()?;
    tracing::info!(
        %address,
        data_dir = %config.data_dir.display(),
        max_pods = config.limits.max_pods,
        max_increase = config.limits.max_increase,
        "Headroom is listening on http://{address}"
    );
    let _background = app::spawn_background(&state);
    let app = app::router(state, &config.console_dir);
    app::serve(listener, app, shutdown_signal()).await?;
    tracing::info!("Headroom stopped");
    Ok(())
}

/// Environment variable with the API key of `headroom loadgen`.
const API_KEY_ENV: &str = "HEADROOM_API_KEY";

async fn loadgen(args: LoadgenArgs) -> anyhow::Result<()> {
    let key = read_api_key(args.api_key_file.as_deref())?;
    let target = Arc::new(HttpTarget::new(&args.url, &key, args.timeout)?);
    target.check().await?;

    let settings = LoadSettings {
        scenario: args.scenario,
        base_rate: args.base_rate,
        duration: args.duration,
        time_scale: args.time_scale,
        max_in_flight: args.max_in_flight as usize,
        report_every: args.report_every,
        drain_timeout: args.timeout,
    };
    println!(
        "Sending scenario {} at a base rate of {} requests/s to {} for {} of scenario time (time scale {}). \
         Ctrl-C stops early and prints the summary.",
        settings.scenario,
        settings.base_rate,
        args.url,
        table::span(settings.duration),
        settings.time_scale,
    );
    let summary = crate::loadgen::run(target, settings, interrupted(), |interval| {
        println!("{}", format_interval(interval));
    })
    .await;
    println!("{}", format_summary(&summary));

    if let Stop::AuthFailed(outcome) = summary.stop {
        anyhow::bail!(auth_failure_message(outcome));
    }
    Ok(())
}

/// Reads the API key from `file`, or else from `HEADROOM_API_KEY`, with
/// errors that name the source but never show the text read.
fn read_api_key(file: Option<&std::path::Path>) -> anyhow::Result<ApiKey> {
    let (text, source) = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the API key file {}", path.display()))?;
            (text, format!("the file {}", path.display()))
        }
        None => match std::env::var(API_KEY_ENV) {
            Ok(text) => (text, format!("the environment variable {API_KEY_ENV}")),
            Err(_) => anyhow::bail!(
                "missing API key: pass --api-key-file FILE or set {API_KEY_ENV}; \
                 `headroom service-account create --name load --role consumer` creates one"
            ),
        },
    };
    let first_line = text.lines().next().unwrap_or("").trim();
    ApiKey::parse(first_line).ok_or_else(|| {
        anyhow::anyhow!(
            "{source} does not contain a Headroom API key: expected hdrm_ followed by 43 letters, digits, '-' or '_'"
        )
    })
}

/// Completes on Ctrl-C, or never if the signal cannot be listened for.
async fn interrupted() {
    if let Err(error) = tokio::signal::ctrl_c().await {
        tracing::error!(%error, "cannot listen for Ctrl-C; the run stops only at the end of its duration");
        std::future::pending::<()>().await;
    }
}

fn simulate(args: SimulateArgs) -> anyhow::Result<()> {
    if args.min_pods > args.max_pods {
        anyhow::bail!(
            "--min-pods ({}) must not exceed --max-pods ({})",
            args.min_pods,
            args.max_pods
        );
    }
    let behavior = match &args.autoscaler_behavior {
        Some(path) => read_behavior(path)?,
        None => Behavior::default(),
    };
    let model = Model {
        concurrency_per_pod: args.pod_concurrency,
        service_time: args.pod_service_time,
        startup: StartupDelay {
            base: args.pod_startup_delay,
            jitter: args.pod_startup_jitter,
        },
        sample_interval: args.sample_interval,
        evaluation_interval: args.autoscaler_interval,
    };
    model.validate().map_err(anyhow::Error::msg)?;
    model.validate_duration(args.duration).map_err(anyhow::Error::msg)?;
    let settings = table::Settings {
        model,
        base_rate: args.base_rate,
        duration: args.duration,
        target_utilization: f64::from(args.target_utilization) / 100.0,
        tolerance: AutoscalerConfig::default().tolerance,
        rules: Rules {
            behavior,
            min_node_count: args.min_pods,
            max_node_count: args.max_pods,
            pod_maximum: args.max_pods,
        },
        plan_utilization: f64::from(args.plan_utilization) / 100.0,
    };
    let scenarios = if args.scenario.is_empty() {
        Scenario::ALL.to_vec()
    } else {
        args.scenario.clone()
    };

    let started = std::time::Instant::now();
    let comparisons: Vec<table::Comparison> = scenarios
        .iter()
        .map(|&scenario| table::compare(&settings, scenario))
        .collect();
    let elapsed = started.elapsed();
    print!("{}", table::markdown(&settings, &comparisons));
    println!(
        "\nSimulated {} runs of {} in {:.0} ms of wall-clock time.",
        3 * comparisons.len(),
        table::span(settings.duration),
        elapsed.as_secs_f64() * 1000.0
    );
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse(arguments: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("headroom").chain(arguments.iter().copied()))
    }

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn loadgen_defaults() {
        let Command::Loadgen(args) = parse(&["loadgen"]).unwrap().command else {
            panic!("not loadgen");
        };
        assert_eq!(args.url, "http://127.0.0.1:8080");
        assert_eq!(args.scenario, Scenario::Daily);
        assert_eq!(args.base_rate, 100.0);
        assert_eq!(args.duration, Duration::from_secs(86_400));
        assert_eq!(args.time_scale, 1.0);
        assert_eq!(args.max_in_flight, 512);
        assert_eq!(args.report_every, Duration::from_secs(10));
        assert_eq!(args.api_key_file, None);
    }

    #[test]
    fn loadgen_rejects_bad_values() {
        for arguments in [
            ["loadgen", "--base-rate", "0"],
            ["loadgen", "--base-rate", "fast"],
            ["loadgen", "--duration", "0s"],
            ["loadgen", "--time-scale", "0"],
            ["loadgen", "--max-in-flight", "0"],
            ["loadgen", "--scenario", "weekly"],
        ] {
            assert!(parse(&arguments).is_err(), "{arguments:?} parsed");
        }
    }

    #[test]
    fn simulate_rejects_bad_values() {
        for arguments in [
            ["simulate", "--pod-startup-delay", "2h"],
            ["simulate", "--pod-startup-jitter", "61m"],
            ["simulate", "--target-utilization", "0"],
            ["simulate", "--plan-utilization", "101"],
            ["simulate", "--max-pods", "0"],
            ["simulate", "--sample-interval", "0s"],
        ] {
            assert!(parse(&arguments).is_err(), "{arguments:?} parsed");
        }
    }

    #[test]
    fn simulate_defaults_to_every_scenario() {
        let Command::Simulate(args) = parse(&["simulate"]).unwrap().command else {
            panic!("not simulate");
        };
        assert!(args.scenario.is_empty());
        assert_eq!(args.base_rate, 500.0);
        assert_eq!(args.plan_utilization, 100);
        let Command::Simulate(args) =
            parse(&["simulate", "--scenario", "spike", "--scenario", "daily"]).unwrap().command
        else {
            panic!("not simulate");
        };
        assert_eq!(args.scenario, [Scenario::Spike, Scenario::Daily]);
    }

    #[test]
    fn simulate_rejects_min_above_max() {
        let Command::Simulate(args) = parse(&["simulate", "--min-pods", "5", "--max-pods", "4"]).unwrap().command
        else {
            panic!("not simulate");
        };
        let error = simulate(args).unwrap_err().to_string();
        assert_eq!(error, "--min-pods (5) must not exceed --max-pods (4)");
    }

    #[test]
    fn simulate_rejects_misaligned_interval() {
        let Command::Simulate(args) =
            parse(&["simulate", "--autoscaler-interval", "12s"]).unwrap().command
        else {
            panic!("not simulate");
        };
        let error = simulate(args).unwrap_err().to_string();
        assert!(error.contains("whole number of sample intervals"), "{error}");
    }

    #[test]
    fn simulate_rejects_overlong_duration() {
        let Command::Simulate(args) = parse(&["simulate", "--duration", "200days"]).unwrap().command else {
            panic!("not simulate");
        };
        let error = simulate(args).unwrap_err().to_string();
        assert!(error.contains("Shorten the duration"), "{error}");
    }

    #[test]
    fn api_key_file_read_without_echo() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");

        let key = format!("hdrm_{}", "k".repeat(43));
        std::fs::write(&path, format!("{key}\n")).unwrap();
        assert_eq!(read_api_key(Some(&path)).unwrap().expose(), key);

        std::fs::write(&path, "not-a-key-secret-text\n").unwrap();
        let error = read_api_key(Some(&path)).unwrap_err().to_string();
        assert!(error.contains("does not contain a Headroom API key"), "{error}");
        assert!(!error.contains("secret-text"), "{error}");

        let missing = read_api_key(Some(&dir.path().join("absent"))).unwrap_err().to_string();
        assert!(missing.starts_with("cannot read the API key file"), "{missing}");
    }
}
