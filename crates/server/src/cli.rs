//! The `headroom` command line: `serve`, and the account commands an
//! operator or a test can script without the console.

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use headroom_api::access::{AccountKind, Role, validate_account_name, validate_password};
use headroom_api::autoscaling::Behavior;
use headroom_api::scaling::Limits;

use crate::app::{self, ADMIN_PASSWORD_ENV, AppState, FirstAdmin, ServeConfig, Serving};
use crate::clock::{Clock, ScaledClock, SystemClock, rfc3339};
use crate::cluster::simulated::StartupDelay;
use crate::control::AutoscalerConfig;
use crate::secrets::Password;
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

    /// Start-up time of a simulated pod before it is available, such as 3s or 500ms.
    #[arg(long, env = "HEADROOM_POD_STARTUP_DELAY", default_value = "3s", value_name = "DURATION",
          value_parser = humantime::parse_duration)]
    pub pod_startup_delay: Duration,

    /// Upper bound of the random extra start-up time per simulated pod, such as 2s; 0s for none.
    #[arg(long, env = "HEADROOM_POD_STARTUP_JITTER", default_value = "2s", value_name = "DURATION",
          value_parser = humantime::parse_duration)]
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

#[derive(Debug, Subcommand)]
pub enum ServiceAccountCommand {
    /// Create a service account and print its API key once, on standard output.
    Create {
        #[command(flatten)]
        data: DataDirArg,
        /// Name: lowercase letters, digits, '-', '_' and '.', at most 64 characters.
        #[arg(long)]
        name: String,
        /// Role to grant: admin (scaling and account management) or viewer (read only).
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
        /// Role to grant: admin or viewer.
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
        Command::ServiceAccount(ServiceAccountCommand::Create {
            data,
            name,
            role,
            description,
        }) => {
            validate_account_name("--name", &name).map_err(|violation| anyhow::anyhow!(violation.description))?;
            let store = Store::open(&data.data_dir)?;
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
            let store = Store::open(&data.data_dir)?;
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
            let store = Store::open(&data.data_dir)?;
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
    validate_password("the password", &password).map_err(|violation| anyhow::anyhow!(violation.description))?;
    Ok((Password::new(password), false))
}

async fn serve(args: ServeArgs, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    let config = args.config()?;
    let cluster_clock: Arc<dyn Clock> = if config.time_scale == 1.0 {
        clock.clone()
    } else {
        Arc::new(ScaledClock::new(config.time_scale))
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
