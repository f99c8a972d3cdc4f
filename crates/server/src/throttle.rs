//! Slows password guessing: after too many failed sign-ins for one user
//! name within a window, further attempts for that name are rejected until
//! the window has passed, whatever the password.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Failed sign-ins allowed per user name within [`WINDOW`].
pub const MAX_FAILURES: u32 = 10;
/// Length of the window that failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct SignInThrottle {
    failures: Mutex<HashMap<String, (u32, SystemTime)>>,
}

impl SignInThrottle {
    /// Returns how long the user name is locked out, if it is.
    pub fn locked_for(&self, username: &str, now: SystemTime) -> Option<Duration> {
        let failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (count, started) = failures.get(username)?;
        let ends = *started + WINDOW;
        (*count >= MAX_FAILURES && now < ends).then(|| ends.duration_since(now).unwrap_or_default())
    }

    pub fn record_failure(&self, username: &str, now: SystemTime) {
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Drop expired windows so the map cannot grow without bound.
        failures.retain(|_, (_, started)| now < *started + WINDOW);
        let entry = failures.entry(username.to_owned()).or_insert((0, now));
        entry.0 += 1;
    }

    pub fn record_success(&self, username: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        failures.remove(username);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_until_window_ends() {
        let throttle = SignInThrottle::default();
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        for _ in 0..MAX_FAILURES - 1 {
            throttle.record_failure("admin", start);
        }
        assert_eq!(throttle.locked_for("admin", start), None);
        throttle.record_failure("admin", start);
        assert_eq!(throttle.locked_for("admin", start), Some(WINDOW));
        assert_eq!(throttle.locked_for("other", start), None);
        let later = start + WINDOW - Duration::from_secs(1);
        assert_eq!(throttle.locked_for("admin", later), Some(Duration::from_secs(1)));
        assert_eq!(throttle.locked_for("admin", start + WINDOW), None);
    }

    #[test]
    fn success_clears_failures() {
        let throttle = SignInThrottle::default();
        let now = SystemTime::UNIX_EPOCH;
        for _ in 0..MAX_FAILURES {
            throttle.record_failure("admin", now);
        }
        throttle.record_success("admin");
        assert_eq!(throttle.locked_for("admin", now), None);
    }
}
