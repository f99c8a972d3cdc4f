//! Monitoring history: samples in three tiers of resolution, and the
//! autoscaler's activity.
//!
//! Raw samples are kept for a day. Each completed minute is rolled up into
//! one sample kept for 10 days, and each completed 10 minutes into one kept
//! for 60 days. A rolled-up sample averages utilization, rates and counts,
//! and keeps the lowest minimum, the highest maximum, the highest demand and
//! the highest p95 and p99 of its interval, so peaks survive the rollup.

use headroom_api::monitoring::{Range, Sample, ScalingActivity};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::AppResult;

/// A resolution of the stored samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tier {
    pub id: i64,
    /// Length of one rolled-up interval, in milliseconds; 0 for raw samples.
    pub bucket_ms: u64,
    /// How long samples of this tier are kept, in milliseconds.
    pub retention_ms: u64,
}

const DAY_MS: u64 = 86_400_000;

pub const RAW: Tier = Tier {
    id: 0,
    bucket_ms: 0,
    retention_ms: DAY_MS,
};
pub const MINUTE: Tier = Tier {
    id: 1,
    bucket_ms: 60_000,
    retention_ms: 10 * DAY_MS,
};
pub const TEN_MINUTES: Tier = Tier {
    id: 2,
    bucket_ms: 600_000,
    retention_ms: 60 * DAY_MS,
};

/// How long scaling activity is kept, in milliseconds.
pub const ACTIVITY_RETENTION_MS: u64 = 60 * DAY_MS;

/// Returns the tier a range is read from.
pub fn tier_for(range: Range) -> Tier {
    match range {
        Range::Hour => RAW,
        Range::Day => MINUTE,
        Range::TenDays => TEN_MINUTES,
    }
}

const COLUMNS: &str = "at, utilization_min, utilization_avg, utilization_max, demand_pods, request_rate, \
     rejected_rate, latency_p50_ms, latency_p95_ms, latency_p99_ms, current_count, available_count, desired_count";

fn sample_from_row(row: &Row<'_>) -> rusqlite::Result<Sample> {
    Ok(Sample {
        at: row.get::<_, i64>(0)? as u64,
        utilization_min: row.get(1)?,
        utilization_avg: row.get(2)?,
        utilization_max: row.get(3)?,
        demand_pods: row.get(4)?,
        request_rate: row.get(5)?,
        rejected_rate: row.get(6)?,
        latency_p50_ms: row.get(7)?,
        latency_p95_ms: row.get(8)?,
        latency_p99_ms: row.get(9)?,
        current_count: row.get(10)?,
        available_count: row.get(11)?,
        desired_count: row.get(12)?,
    })
}

/// Stores a raw sample, rolls up the intervals it completes, and deletes
/// what has outlived its retention.
pub fn insert_sample(connection: &mut Connection, sample: &Sample, previous_at: Option<u64>) -> AppResult<()> {
    let transaction = connection.transaction()?;
    transaction.execute(
        &format!("INSERT OR REPLACE INTO samples (tier, {COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"),
        params![
            RAW.id,
            sample.at as i64,
            sample.utilization_min,
            sample.utilization_avg,
            sample.utilization_max,
            sample.demand_pods,
            sample.request_rate,
            sample.rejected_rate,
            sample.latency_p50_ms,
            sample.latency_p95_ms,
            sample.latency_p99_ms,
            sample.current_count,
            sample.available_count,
            sample.desired_count,
        ],
    )?;

    // A tier's interval is complete once a sample lands in a later one.
    let previous = previous_at.unwrap_or(sample.at);
    for (source, tier) in [(RAW, MINUTE), (MINUTE, TEN_MINUTES)] {
        let previous_bucket = previous - previous % tier.bucket_ms;
        let bucket = sample.at - sample.at % tier.bucket_ms;
        if bucket > previous_bucket {
            roll_up(&transaction, source, tier, previous_bucket)?;
            prune(&transaction, tier, sample.at)?;
        }
    }
    if previous_at.is_none_or(|previous| previous / MINUTE.bucket_ms != sample.at / MINUTE.bucket_ms) {
        prune(&transaction, RAW, sample.at)?;
        transaction.execute(
            "DELETE FROM scaling_activity WHERE at < ?1",
            [sample.at.saturating_sub(ACTIVITY_RETENTION_MS) as i64],
        )?;
    }
    transaction.commit()?;
    Ok(())
}

fn roll_up(connection: &Connection, source: Tier, tier: Tier, bucket: u64) -> AppResult<()> {
    connection.execute(
        &format!(
            "INSERT OR REPLACE INTO samples (tier, {COLUMNS})
             SELECT ?1, ?2, MIN(utilization_min), AVG(utilization_avg), MAX(utilization_max), MAX(demand_pods),
                    AVG(request_rate), AVG(rejected_rate), AVG(latency_p50_ms), MAX(latency_p95_ms),
                    MAX(latency_p99_ms), CAST(ROUND(AVG(current_count)) AS INTEGER),
                    CAST(ROUND(AVG(available_count)) AS INTEGER), CAST(ROUND(AVG(desired_count)) AS INTEGER)
             FROM samples WHERE tier = ?3 AND at >= ?2 AND at < ?4 HAVING COUNT(*) > 0"
        ),
        params![tier.id, bucket as i64, source.id, (bucket + tier.bucket_ms) as i64],
    )?;
    Ok(())
}

fn prune(connection: &Connection, tier: Tier, now: u64) -> AppResult<()> {
    connection.execute(
        "DELETE FROM samples WHERE tier = ?1 AND at < ?2",
        params![tier.id, now.saturating_sub(tier.retention_ms) as i64],
    )?;
    Ok(())
}

/// Returns the samples of a range that ends at `now`, oldest first.
pub fn samples(connection: &Connection, range: Range, now: u64) -> AppResult<Vec<Sample>> {
    let tier = tier_for(range);
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM samples WHERE tier = ?1 AND at > ?2 AND at <= ?3 ORDER BY at"
    ))?;
    let rows = statement
        .query_map(
            params![tier.id, now.saturating_sub(range.millis()) as i64, now as i64],
            sample_from_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Returns the time of the oldest sample of any tier, if there is one.
pub fn history_start(connection: &Connection) -> AppResult<Option<u64>> {
    let oldest: Option<i64> = connection
        .query_row("SELECT MIN(at) FROM samples", [], |row| row.get(0))
        .optional()?
        .flatten();
    Ok(oldest.map(|at| at as u64))
}

/// Returns the time of the newest sample, if there is one.
pub fn history_end(connection: &Connection) -> AppResult<Option<u64>> {
    let newest: Option<i64> = connection
        .query_row("SELECT MAX(at) FROM samples", [], |row| row.get(0))
        .optional()?
        .flatten();
    Ok(newest.map(|at| at as u64))
}

pub fn insert_activity(connection: &Connection, activity: &ScalingActivity) -> AppResult<()> {
    connection.execute(
        "INSERT INTO scaling_activity (at, from_count, to_count, recommendation, utilization, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            activity.at as i64,
            activity.from_count,
            activity.to_count,
            activity.recommendation,
            activity.utilization,
            activity.reason
        ],
    )?;
    Ok(())
}

/// Returns the newest activity first.
pub fn activity(connection: &Connection, limit: u32) -> AppResult<Vec<ScalingActivity>> {
    let mut statement = connection.prepare_cached(
        "SELECT at, from_count, to_count, recommendation, utilization, reason
         FROM scaling_activity ORDER BY at DESC, id DESC LIMIT ?1",
    )?;
    let rows = statement
        .query_map([limit], |row| {
            Ok(ScalingActivity {
                at: row.get::<_, i64>(0)? as u64,
                from_count: row.get(1)?,
                to_count: row.get(2)?,
                recommendation: row.get(3)?,
                utilization: row.get(4)?,
                reason: row.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at: u64, utilization: f64, desired: u32) -> Sample {
        Sample {
            at,
            utilization_min: utilization / 2.0,
            utilization_avg: utilization,
            utilization_max: utilization,
            demand_pods: utilization * f64::from(desired),
            request_rate: 10.0,
            rejected_rate: 0.0,
            latency_p50_ms: 50.0,
            latency_p95_ms: 60.0,
            latency_p99_ms: 70.0,
            current_count: desired,
            available_count: desired,
            desired_count: desired,
        }
    }

    fn open() -> (tempfile::TempDir, crate::store::Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(dir.path()).unwrap();
        (dir, store)
    }

    #[test]
    fn rollup_keeps_peaks_and_averages() {
        let (_dir, store) = open();
        let start = 1_767_225_600_000u64;
        store
            .run_blocking(|connection| {
                let mut previous = None;
                // Six samples 10 s apart in the first minute, then one in the next.
                for (index, utilization) in [0.2, 0.4, 0.9, 0.1, 0.3, 0.5].into_iter().enumerate() {
                    let at = start + index as u64 * 10_000;
                    insert_sample(connection, &sample(at, utilization, 4), previous)?;
                    previous = Some(at);
                }
                insert_sample(connection, &sample(start + 60_000, 0.3, 6), previous)?;

                let minute = samples(connection, Range::Day, start + 60_000)?;
                assert_eq!(minute.len(), 1);
                let rolled = &minute[0];
                assert_eq!(rolled.at, start);
                assert!((rolled.utilization_avg - 0.4).abs() < 1e-9, "{rolled:?}");
                assert_eq!(rolled.utilization_max, 0.9);
                assert_eq!(rolled.utilization_min, 0.05);
                assert!((rolled.demand_pods - 3.6).abs() < 1e-9);
                assert_eq!(rolled.desired_count, 4);

                let raw = samples(connection, Range::Hour, start + 60_000)?;
                assert_eq!(raw.len(), 7);
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn raw_samples_expire_after_a_day() {
        let (_dir, store) = open();
        let start = 1_767_225_600_000u64;
        store
            .run_blocking(|connection| {
                insert_sample(connection, &sample(start, 0.5, 2), None)?;
                let next_day = start + DAY_MS + 60_000;
                insert_sample(connection, &sample(next_day, 0.5, 2), Some(start))?;
                let raw: i64 =
                    connection.query_row("SELECT COUNT(*) FROM samples WHERE tier = 0", [], |row| row.get(0))?;
                assert_eq!(raw, 1);
                assert_eq!(history_start(connection)?, Some(start));
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn activity_newest_first() {
        let (_dir, store) = open();
        store
            .run_blocking(|connection| {
                for (at, to) in [(1_000, 3), (2_000, 5)] {
                    insert_activity(
                        connection,
                        &ScalingActivity {
                            at,
                            from_count: 2,
                            to_count: to,
                            recommendation: to,
                            utilization: 0.9,
                            reason: format!("Scaled up to {to}."),
                        },
                    )?;
                }
                let listed = activity(connection, 10)?;
                assert_eq!(listed.iter().map(|item| item.to_count).collect::<Vec<_>>(), [5, 3]);
                assert_eq!(activity(connection, 1)?.len(), 1);
                Ok(())
            })
            .unwrap();
    }
}
