//! Counters and a latency histogram of feature requests, read and reset
//! once per monitoring sample.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bound of the first latency bucket, in milliseconds.
const FIRST_BUCKET_MS: f64 = 0.1;
/// Ratio between the bounds of consecutive buckets.
const BUCKET_GROWTH: f64 = 1.25;
/// 0.1 ms × 1.25^52 ≈ 10.8 s; slower requests share the last bucket.
const BUCKETS: usize = 53;

fn bucket_bound_ms(index: usize) -> f64 {
    FIRST_BUCKET_MS * BUCKET_GROWTH.powi(index as i32)
}

/// Requests served and rejected since the previous window was taken.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Window {
    pub served: u64,
    pub rejected: u64,
    /// Latency percentiles of served requests, in milliseconds; 0 when
    /// nothing was served.
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
}

#[derive(Default)]
struct Counts {
    served: u64,
    rejected: u64,
    buckets: Vec<u64>,
}

#[derive(Default)]
pub struct RequestStats {
    window: Mutex<Counts>,
    served_total: AtomicU64,
    rejected_total: AtomicU64,
}

impl RequestStats {
    pub fn record_served(&self, latency: Duration) {
        self.served_total.fetch_add(1, Ordering::Relaxed);
        let latency_ms = latency.as_secs_f64() * 1000.0;
        let index = (0..BUCKETS)
            .find(|&index| latency_ms <= bucket_bound_ms(index))
            .unwrap_or(BUCKETS - 1);
        let mut counts = self.window.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        counts.served += 1;
        if counts.buckets.is_empty() {
            counts.buckets = vec![0; BUCKETS];
        }
        counts.buckets[index] += 1;
    }

    pub fn record_rejected(&self) {
        self.rejected_total.fetch_add(1, Ordering::Relaxed);
        let mut counts = self.window.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        counts.rejected += 1;
    }

    /// Returns the requests since the previous call and starts a new window.
    pub fn take_window(&self) -> Window {
        let counts = std::mem::take(&mut *self.window.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        Window {
            served: counts.served,
            rejected: counts.rejected,
            p50_ms: percentile(&counts.buckets, counts.served, 0.50),
            p95_ms: percentile(&counts.buckets, counts.served, 0.95),
            p99_ms: percentile(&counts.buckets, counts.served, 0.99),
        }
    }

    /// Returns the requests served and rejected since the server started.
    pub fn totals(&self) -> (u64, u64) {
        (
            self.served_total.load(Ordering::Relaxed),
            self.rejected_total.load(Ordering::Relaxed),
        )
    }
}

/// Estimates a percentile from the histogram by linear interpolation
/// inside the bucket that contains it; the error is at most a bucket's width
/// (25%).
fn percentile(buckets: &[u64], total: u64, quantile: f64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    let rank = quantile * total as f64;
    let mut below = 0u64;
    for (index, &count) in buckets.iter().enumerate() {
        if count > 0 && (below + count) as f64 >= rank {
            let lower = if index == 0 { 0.0 } else { bucket_bound_ms(index - 1) };
            let upper = bucket_bound_ms(index);
            let fraction = ((rank - below as f64) / count as f64).clamp(0.0, 1.0);
            return lower + (upper - lower) * fraction;
        }
        below += count;
    }
    bucket_bound_ms(BUCKETS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_counts_and_resets() {
        let stats = RequestStats::default();
        for _ in 0..99 {
            stats.record_served(Duration::from_millis(50));
        }
        stats.record_served(Duration::from_millis(900));
        stats.record_rejected();

        let window = stats.take_window();
        assert_eq!(window.served, 100);
        assert_eq!(window.rejected, 1);
        // 50 ms falls in the bucket (41.4 ms, 51.7 ms].
        for percentile in [window.p50_ms, window.p95_ms, window.p99_ms] {
            assert!((41.3..=51.8).contains(&percentile), "{window:?}");
        }
        assert_eq!(stats.take_window(), Window::default());
        assert_eq!(stats.totals(), (100, 1));
    }

    #[test]
    fn percentile_finds_slow_tail() {
        let stats = RequestStats::default();
        for _ in 0..90 {
            stats.record_served(Duration::from_millis(10));
        }
        for _ in 0..10 {
            stats.record_served(Duration::from_millis(1000));
        }
        let window = stats.take_window();
        assert!(window.p50_ms <= 10.0, "p50 {}", window.p50_ms);
        // 1000 ms falls in the bucket (944.9 ms, 1180.6 ms].
        assert!((944.8..=1180.7).contains(&window.p99_ms), "p99 {}", window.p99_ms);
    }
}
