//! The feature server configuration service: reads combine the stored
//! configuration with the cluster's pod counts, writes validate, persist and
//! then drive the cluster.
//!
//! The configuration is cached in memory, so a read touches neither SQLite
//! nor the blocking pool. Writes are serialized: each validates against the
//! counts of the moment and applies before the next one starts.

use std::sync::{Arc, RwLock};

use headroom_api::monitoring::LiveEvent;
use headroom_api::scaling::{FeatureServerConfig, Limits, ScalingRequest, validate};
use tokio::sync::broadcast;

use crate::clock::{Clock, rfc3339};
use crate::cluster::ClusterBackend;
use crate::error::AppResult;
use crate::store::Store;
use crate::store::scaling::{self, StoredConfig};

pub struct FeatureServers {
    store: Store,
    cluster: Arc<dyn ClusterBackend>,
    clock: Arc<dyn Clock>,
    limits: Limits,
    config: RwLock<StoredConfig>,
    write_lock: tokio::sync::Mutex<()>,
    live: broadcast::Sender<LiveEvent>,
}

impl FeatureServers {
    /// Loads the stored configuration; `make_cluster` receives the desired
    /// count to start the cluster with.
    pub fn load(
        store: Store,
        clock: Arc<dyn Clock>,
        limits: Limits,
        live: broadcast::Sender<LiveEvent>,
        make_cluster: impl FnOnce(u32) -> Arc<dyn ClusterBackend>,
    ) -> AppResult<FeatureServers> {
        let now = rfc3339(clock.now());
        let config = store.run_blocking(|connection| scaling::load(connection, &now))?;
        let cluster = make_cluster(config.desired_count);
        Ok(FeatureServers {
            store,
            cluster,
            clock,
            limits,
            config: RwLock::new(config),
            write_lock: tokio::sync::Mutex::new(()),
            live,
        })
    }

    pub fn cluster(&self) -> Arc<dyn ClusterBackend> {
        Arc::clone(&self.cluster)
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn get(&self) -> FeatureServerConfig {
        let config = self
            .config
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        let counts = self.cluster.counts();
        FeatureServerConfig {
            current_count: counts.current,
            available_count: counts.available,
            desired_count: config.desired_count,
            auto_scaling_config: config.auto_scaling_config,
        }
    }

    /// Validates and applies a request. Setting the values already in force
    /// succeeds and changes nothing.
    pub async fn set(&self, request: ScalingRequest) -> AppResult<FeatureServerConfig> {
        let _write = self.write_lock.lock().await;
        let current = self.get();
        validate(&request, &current, &self.limits)?;

        let next = StoredConfig {
            desired_count: request.desired_count(current.desired_count),
            auto_scaling_config: request.auto_scaling_config(),
        };
        if next.desired_count == current.desired_count
            && next.auto_scaling_config == current.auto_scaling_config
        {
            return Ok(current);
        }

        self.store_and_apply(next.clone()).await?;
        tracing::info!(
            desired_count = next.desired_count,
            autoscaling = next.auto_scaling_config.enabled,
            min_node_count = next.auto_scaling_config.min_node_count,
            max_node_count = next.auto_scaling_config.max_node_count,
            "feature server configuration changed"
        );
        Ok(self.get())
    }

    /// Sets the desired count the autoscaler decided on, unless autoscaling
    /// was turned off or its bounds changed since the decision was made.
    /// Returns whether the count was applied.
    pub async fn apply_autoscaler(&self, decided_for: &FeatureServerConfig, desired: u32) -> AppResult<bool> {
        let _write = self.write_lock.lock().await;
        let current = self.get();
        if current.auto_scaling_config != decided_for.auto_scaling_config
            || current.desired_count != decided_for.desired_count
            || !current.auto_scaling_config.enabled
        {
            return Ok(false);
        }

        let next = StoredConfig {
            desired_count: desired,
            auto_scaling_config: current.auto_scaling_config,
        };
        self.store_and_apply(next).await?;
        Ok(true)
    }

    /// Persists the configuration, then drives the cluster and notifies the
    /// open consoles. Callers hold the write lock.
    async fn store_and_apply(&self, next: StoredConfig) -> AppResult<()> {
        let now = rfc3339(self.clock.now());
        let stored = next.clone();
        self.store
            .run(move |connection| scaling::save(connection, &stored, &now))
            .await?;
        *self
            .config
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = next.clone();
        self.cluster.set_desired(next.desired_count);
        // No console listening is not an error.
        let _ = self.live.send(LiveEvent::Config(self.get()));
        Ok(())
    }
}
