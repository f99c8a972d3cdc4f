//! Slows password guessing: after too many failed sign-ins for one user
//! name within a window, further attempts for that name are rejected until
//! the window has passed, whatever the password. Setting a new password,
//! for example with `headroom user reset-password`, lifts the lock.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Failed sign-ins allowed per user name within [`WINDOW`].
pub const MAX_FAILURES: u32 = 10;
/// Length of the window that failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

struct Failures {
    count: u32,
    first: SystemTime,
    /// Digest of the password hash the failures were against; a different
    /// one means the password was reset since.
    password: Option<String>,
}

#[derive(Default)]
pub struct SignInThrottle {
    failures: Mutex<HashMap<String, Failures>>,
}

impl SignInThrottle {
    /// Returns how long the user name is locked out, if it is. `password`
    /// is the digest of the user's current password hash, if the user exists.
    pub fn locked_for(&self, username: &str, password: Option<&str>, now: SystemTime) -> Option<Duration> {
        let failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = failures.get(username)?;
        let ends = entry.first + WINDOW;
        let locked = entry.count >= MAX_FAILURES && now < ends && entry.password.as_deref() == password;
        locked.then(|| ends.duration_since(now).unwrap_or_default())
    }

    pub fn record_failure(&self, username: &str, password: Option<&str>, now: SystemTime) {
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Drop expired windows so the map cannot grow without bound.
        failures.retain(|_, entry| now < entry.first + WINDOW);
        let entry = failures.entry(username.to_owned()).or_insert(Failures {
            count: 0,
            first: now,
            password: password.map(str::to_owned),
        });
        if entry.password.as_deref() != password {
            *entry = Failures {
                count: 0,
                first: now,
                password: password.map(str::to_owned),
            };
        }
        entry.count += 1;
    }

    pub fn record_success(&self, username: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        failures.remove(username);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: SystemTime = SystemTime::UNIX_EPOCH;

    #[test]
    fn locks_after_max_failures_until_window_ends() {
        let throttle = SignInThrottle::default();
        for _ in 0..MAX_FAILURES - 1 {
            throttle.record_failure("admin", Some("hash-1"), START);
        }
        assert_eq!(throttle.locked_for("admin", Some("hash-1"), START), None);
        throttle.record_failure("admin", Some("hash-1"), START);
        assert_eq!(throttle.locked_for("admin", Some("hash-1"), START), Some(WINDOW));
        assert_eq!(throttle.locked_for("other", Some("hash-1"), START), None);
        let later = START + WINDOW - Duration::from_secs(1);
        assert_eq!(throttle.locked_for("admin", Some("hash-1"), later), Some(Duration::from_secs(1)));
        assert_eq!(throttle.locked_for("admin", Some("hash-1"), START + WINDOW), None);
    }

    #[test]
    fn new_password_lifts_lock() {
        let throttle = SignInThrottle::default();
        for _ in 0..MAX_FAILURES {
            throttle.record_failure("admin", Some("hash-1"), START);
        }
        assert_eq!(throttle.locked_for("admin", Some("hash-2"), START), None);
        throttle.record_failure("admin", Some("hash-2"), START);
        assert_eq!(throttle.locked_for("admin", Some("hash-2"), START), None, "counting starts again");
    }

    #[test]
    fn success_clears_failures() {
        let throttle = SignInThrottle::default();
        for _ in 0..MAX_FAILURES {
            throttle.record_failure("admin", None, START);
        }
        throttle.record_success("admin");
        assert_eq!(throttle.locked_for("admin", None, START), None);
    }
}
