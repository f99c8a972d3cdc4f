//! The stored feature server configuration: the desired count and the
//! autoscaling bounds. Pod counts are not stored; the cluster reports them.

use headroom_api::scaling::AutoScalingConfig;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::AppResult;

/// Desired count of a new data directory.
pub const INITIAL_DESIRED_COUNT: u32 = 2;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredConfig {
    pub desired_count: u32,
    pub auto_scaling_config: AutoScalingConfig,
}

impl Default for StoredConfig {
    fn default() -> Self {
        StoredConfig {
            desired_count: INITIAL_DESIRED_COUNT,
            auto_scaling_config: AutoScalingConfig::disabled(),
        }
    }
}

/// Loads the configuration, storing the initial one on first use.
pub fn load(connection: &Connection, now: &str) -> AppResult<StoredConfig> {
    let stored = connection
        .query_row(
            "SELECT desired_count, autoscaling_enabled, min_node_count, max_node_count
             FROM feature_server_config WHERE id = 1",
            [],
            |row| {
                let enabled: bool = row.get(1)?;
                Ok(StoredConfig {
                    desired_count: row.get(0)?,
                    auto_scaling_config: AutoScalingConfig {
                        enabled,
                        min_node_count: if enabled { row.get(2)? } else { None },
                        max_node_count: if enabled { row.get(3)? } else { None },
                    },
                })
            },
        )
        .optional()?;
    match stored {
        Some(config) => Ok(config),
        None => {
            let config = StoredConfig::default();
            save(connection, &config, now)?;
            Ok(config)
        }
    }
}

pub fn save(connection: &Connection, config: &StoredConfig, now: &str) -> AppResult<()> {
    let autoscaling = &config.auto_scaling_config;
    connection.execute(
        "INSERT INTO feature_server_config
             (id, desired_count, autoscaling_enabled, min_node_count, max_node_count, updated_at)
         VALUES (1, ?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET
             desired_count = excluded.desired_count,
             autoscaling_enabled = excluded.autoscaling_enabled,
             min_node_count = excluded.min_node_count,
             max_node_count = excluded.max_node_count,
             updated_at = excluded.updated_at",
        params![
            config.desired_count,
            autoscaling.enabled,
            autoscaling.min_node_count,
            autoscaling.max_node_count,
            now
        ],
    )?;
    Ok(())
}
