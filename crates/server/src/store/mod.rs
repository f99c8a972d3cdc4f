//! SQLite storage: accounts, role grants, API keys, sessions and the feature
//! server configuration, in one file under the data directory.
//!
//! One connection behind a mutex serves the whole process; queries run on
//! tokio's blocking pool so they never stall the async workers. The command
//! line opens the same file while the server runs, which SQLite's WAL mode
//! and busy timeout allow.

pub mod accounts;
pub mod history;
pub mod scaling;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use rusqlite::Connection;

use crate::error::{AppError, AppResult};

/// File name of the database inside the data directory.
pub const DATABASE_FILE: &str = "headroom.db";

const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'serviceAccount')),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (kind, name)
);
CREATE TABLE role_grants (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (account_id, role)
);
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key_digest TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE sessions (
    token_digest TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE feature_server_config (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    desired_count INTEGER NOT NULL,
    autoscaling_enabled INTEGER NOT NULL,
    min_node_count INTEGER,
    max_node_count INTEGER,
    updated_at TEXT NOT NULL
);
"#, r#"
CREATE TABLE samples (
    tier INTEGER NOT NULL,
    at INTEGER NOT NULL,
    utilization_min REAL NOT NULL,
    utilization_avg REAL NOT NULL,
    utilization_max REAL NOT NULL,
    demand_pods REAL NOT NULL,
    request_rate REAL NOT NULL,
    rejected_rate REAL NOT NULL,
    latency_p50_ms REAL NOT NULL,
    latency_p95_ms REAL NOT NULL,
    latency_p99_ms REAL NOT NULL,
    current_count INTEGER NOT NULL,
    available_count INTEGER NOT NULL,
    desired_count INTEGER NOT NULL,
    PRIMARY KEY (tier, at)
) WITHOUT ROWID;
CREATE TABLE scaling_activity (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    from_count INTEGER NOT NULL,
    to_count INTEGER NOT NULL,
    recommendation INTEGER NOT NULL,
    utilization REAL NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX scaling_activity_at ON scaling_activity (at);
"#];

#[derive(Clone)]
pub struct Store {
    connection: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl Store {
    /// Opens the database in `data_dir`, creating the directory and the
    /// schema when they do not exist yet.
    pub fn open(data_dir: &Path) -> anyhow::Result<Store> {
        std::fs::create_dir_all(data_dir).with_context(|| {
            format!("cannot create the data directory {}", data_dir.display())
        })?;
        let path = data_dir.join(DATABASE_FILE);
        let mut connection = Connection::open(&path)
            .with_context(|| format!("cannot open the database {}", path.display()))?;
        connection.busy_timeout(Duration::from_secs(5))?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "foreign_keys", true)?;
        migrate(&mut connection).with_context(|| {
            format!(
                "cannot read the database {}: is it a Headroom database? Restore it from a backup, or move it away to start with an empty data directory",
                path.display()
            )
        })?;
        Ok(Store {
            connection: Arc::new(Mutex::new(connection)),
            path,
        })
    }

    /// Opens the database of a data directory that a server has used,
    /// for commands that must not create a new, empty one by mistake.
    pub fn open_existing(data_dir: &Path) -> anyhow::Result<Store> {
        let path = data_dir.join(DATABASE_FILE);
        if !path.is_file() {
            anyhow::bail!(
                "no Headroom database at {}: pass the --data-dir of the server, or start `headroom serve --data-dir {}` once to create it",
                path.display(),
                data_dir.display()
            );
        }
        Store::open(data_dir)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` with the connection on the blocking pool.
    pub async fn run<T, F>(&self, work: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> AppResult<T> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.run_blocking(work))
            .await
            .map_err(|error| AppError::Internal(anyhow::anyhow!("store task failed: {error}")))?
    }

    /// Runs `work` with the connection on the current thread, for the
    /// command line and for start-up.
    pub fn run_blocking<T>(&self, work: impl FnOnce(&mut Connection) -> AppResult<T>) -> AppResult<T> {
        let mut connection = self
            .connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        work(&mut connection)
    }
}

fn migrate(connection: &mut Connection) -> anyhow::Result<()> {
    let version: usize = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if version > MIGRATIONS.len() {
        anyhow::bail!(
            "the database has schema version {version}, newer than this headroom binary knows ({}); use a newer binary",
            MIGRATIONS.len()
        );
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version) {
        let transaction = connection.transaction()?;
        transaction.execute_batch(migration)?;
        transaction.pragma_update(None, "user_version", index + 1)?;
        transaction.commit()?;
    }
    Ok(())
}
