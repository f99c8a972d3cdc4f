//! The source of time. Code that reasons about expiry, start-up delays or
//! scaling windows takes a [`Clock`], so tests move time forward instead of
//! sleeping, and the embedded cluster can run faster than real time.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant, SystemTime};

/// A future that completes when a clock has moved on by a duration.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> SystemTime;

    /// Completes once `now()` has moved on by `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// The wall clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock that runs `scale` times faster than the wall clock, from the
/// moment it is created. A scale of 60 turns a day into 24 minutes.
#[derive(Debug)]
pub struct ScaledClock {
    started: Instant,
    origin: SystemTime,
    scale: f64,
}

impl ScaledClock {
    /// `scale` must be positive and finite; the command line checks it.
    pub fn new(scale: f64) -> Self {
        ScaledClock::starting_at(scale, SystemTime::now())
    }

    /// A clock that reads `origin` now and runs `scale` times faster from here.
    pub fn starting_at(scale: f64, origin: SystemTime) -> Self {
        ScaledClock {
            started: Instant::now(),
            origin,
            scale,
        }
    }
}

impl ScaledClock {
    /// Returns the scaled time at the wall-clock instant `real`.
    pub fn time_at(&self, real: Instant) -> SystemTime {
        self.origin + real.saturating_duration_since(self.started).mul_f64(self.scale)
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> SystemTime {
        self.time_at(Instant::now())
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration.div_f64(self.scale)))
    }
}

/// A clock that moves only when [`ManualClock::advance`] is called.
#[derive(Debug)]
pub struct ManualClock {
    now: tokio::sync::watch::Sender<SystemTime>,
}

impl ManualClock {
    /// Starts at 2026-01-01T00:00:00Z.
    pub fn new() -> Self {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        ManualClock {
            now: tokio::sync::watch::Sender::new(start),
        }
    }

    /// Moves the clock forward and wakes the sleepers whose time has come.
    pub fn advance(&self, by: Duration) {
        self.now.send_modify(|now| *now += by);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.now.borrow()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let deadline = self.now() + duration;
        let mut receiver = self.now.subscribe();
        Box::pin(async move {
            while *receiver.borrow_and_update() < deadline {
                if receiver.changed().await.is_err() {
                    // The clock is gone, so time will never reach the deadline.
                    std::future::pending::<()>().await;
                }
            }
        })
    }
}

/// Formats a time as RFC 3339 in UTC with whole seconds, such as `2026-01-01T00:00:00Z`.
pub fn rfc3339(time: SystemTime) -> String {
    let seconds = unix_seconds(time);
    let time = time::OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    time.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

/// Returns whole seconds since the Unix epoch.
pub fn unix_seconds(time: SystemTime) -> i64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or(0)
}

/// Returns milliseconds since the Unix epoch.
pub fn unix_millis(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn manual_sleep_wakes_on_advance() {
        let clock = std::sync::Arc::new(ManualClock::new());
        let sleeper = tokio::spawn(clock.sleep(Duration::from_secs(10)));
        clock.advance(Duration::from_secs(9));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished());
        clock.advance(Duration::from_secs(1));
        tokio::time::timeout(Duration::from_secs(5), sleeper)
            .await
            .expect("sleeper wakes")
            .expect("sleeper task");
    }

    #[test]
    fn scaled_clock_runs_faster() {
        let clock = ScaledClock::new(60.0);
        let start = clock.time_at(clock.started);
        let later = clock.time_at(clock.started + Duration::from_secs(24 * 60));
        assert_eq!(later.duration_since(start).unwrap(), Duration::from_secs(24 * 3600));
    }
}
