//! A latency histogram of fixed size with logarithmic buckets, so that a
//! day-long run keeps constant memory whatever its request count.
//!
//! Values below 128 µs get one bucket each. Above, every power of two is
//! split into 64 buckets, so a percentile read from the histogram is at most
//! 1/64 (1.6%) above the exact one, and never below it.

use std::time::Duration;

/// Values below this, in microseconds, are stored exactly.
const EXACT_LIMIT: u64 = 128;
/// Buckets per power of two above [`EXACT_LIMIT`].
const SUB_BUCKETS: u64 = 64;
/// log2 of [`EXACT_LIMIT`].
const EXACT_BITS: u32 = 7;
/// Buckets for every `u64` value of microseconds.
const BUCKETS: usize = (EXACT_LIMIT + (64 - EXACT_BITS as u64) * SUB_BUCKETS) as usize;

#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64]>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            total: 0,
        }
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Histogram")
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl Histogram {
    pub fn record(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.counts[bucket_of(micros)] += 1;
        self.total += 1;
    }

    /// Returns the number of values recorded.
    pub fn len(&self) -> u64 {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (count, added) in self.counts.iter_mut().zip(other.counts.iter()) {
            *count += added;
        }
        self.total += other.total;
    }

    /// Returns the smallest bucket bound that at least `quantile` (from 0 to
    /// 1) of the values do not exceed, or `None` when the histogram is empty.
    pub fn quantile(&self, quantile: f64) -> Option<Duration> {
        if self.total == 0 {
            return None;
        }
        // The rank of the value sought, from 1 to total.
        let rank = ((quantile.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(Duration::from_micros(upper_bound(bucket)));
            }
        }
        None
    }
}

/// Returns the bucket of a value in microseconds.
fn bucket_of(micros: u64) -> usize {
    if micros < EXACT_LIMIT {
        return micros as usize;
    }
    let exponent = 63 - micros.leading_zeros();
    let shift = exponent - (EXACT_BITS - 1);
    // The value's top 7 bits, from 64 to 127.
    let mantissa = micros >> shift;
    let index =
        EXACT_LIMIT + u64::from(exponent - EXACT_BITS) * SUB_BUCKETS + (mantissa - SUB_BUCKETS);
    index as usize
}

/// Returns the largest value, in microseconds, that falls in `bucket`.
fn upper_bound(bucket: usize) -> u64 {
    let bucket = bucket as u64;
    if bucket < EXACT_LIMIT {
        return bucket;
    }
    let exponent = EXACT_BITS + ((bucket - EXACT_LIMIT) / SUB_BUCKETS) as u32;
    let mantissa = SUB_BUCKETS + (bucket - EXACT_LIMIT) % SUB_BUCKETS;
    let shift = exponent - (EXACT_BITS - 1);
    ((mantissa + 1) << shift).wrapping_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_are_exact() {
        let mut histogram = Histogram::default();
        for micros in 1..=100 {
            histogram.record(Duration::from_micros(micros));
        }
        assert_eq!(histogram.len(), 100);
        assert_eq!(histogram.quantile(0.5), Some(Duration::from_micros(50)));
        assert_eq!(histogram.quantile(0.95), Some(Duration::from_micros(95)));
        assert_eq!(histogram.quantile(0.99), Some(Duration::from_micros(99)));
        assert_eq!(histogram.quantile(1.0), Some(Duration::from_micros(100)));
        assert_eq!(histogram.quantile(0.0), Some(Duration::from_micros(1)));
    }

    #[test]
    fn large_values_within_precision() {
        for micros in [
            128,
            129,
            1_000,
            50_000,
            50_123,
            1_000_000,
            3_600_000_000,
            u64::MAX / 3,
        ] {
            let mut histogram = Histogram::default();
            histogram.record(Duration::from_micros(micros));
            let read = histogram.quantile(0.5).unwrap().as_micros() as u64;
            assert!(read >= micros, "{micros} µs read as {read} µs");
            assert!(
                (read - micros) as f64 <= micros as f64 / 64.0,
                "{micros} µs read as {read} µs"
            );
        }
    }

    #[test]
    fn buckets_cover_every_value_in_order() {
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
        assert_eq!(upper_bound(BUCKETS - 1), u64::MAX);
        for bucket in 0..BUCKETS - 1 {
            let top = upper_bound(bucket);
            assert_eq!(bucket_of(top), bucket, "top of bucket {bucket}");
            assert_eq!(
                bucket_of(top + 1),
                bucket + 1,
                "start of bucket {}",
                bucket + 1
            );
        }
    }

    #[test]
    fn merge_adds_counts() {
        let mut first = Histogram::default();
        let mut second = Histogram::default();
        first.record(Duration::from_micros(10));
        second.record(Duration::from_micros(20));
        second.record(Duration::from_micros(30));
        first.merge(&second);
        assert_eq!(first.len(), 3);
        assert_eq!(first.quantile(0.5), Some(Duration::from_micros(20)));
    }

    #[test]
    fn empty_has_no_quantile() {
        assert_eq!(Histogram::default().quantile(0.5), None);
    }
}
