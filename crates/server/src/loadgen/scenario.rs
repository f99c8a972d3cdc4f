//! Traffic scenarios: the rate of feature requests over a day, shared by the
//! load generator and the autoscaling simulation.
//!
//! A scenario is a pure function of scenario time, the time elapsed since the
//! start of a run, and repeats every 24 hours. Hour 0 is midnight.

use std::f64::consts::TAU;
use std::fmt;
use std::time::Duration;

/// Seconds in the day that every scenario repeats.
const DAY_SECONDS: f64 = 86_400.0;
/// Share of the daily peak that the daily cycle falls to at night.
pub const NIGHT_SHARE: f64 = 0.3;
/// Hour of the daily peak (15:00). The night low is 12 hours away, at 03:00.
pub const PEAK_HOUR: f64 = 15.0;
/// Factor of the holiday scenario over the usual daily cycle.
pub const HOLIDAY_FACTOR: f64 = 2.0;
/// Factor of the spike over the base rate.
pub const SPIKE_FACTOR: f64 = 4.0;
/// Start of the spike, as time of day (12:00).
pub const SPIKE_START: Duration = Duration::from_secs(12 * 3600);
/// Length of the spike (20 minutes).
pub const SPIKE_LENGTH: Duration = Duration::from_secs(20 * 60);

/// The shape of the offered load over a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// A constant rate: the base rate all day.
    Steady,
    /// A smooth day cycle: 30% of the base rate at 03:00, the base rate at
    /// 15:00, a cosine in between.
    Daily,
    /// The daily cycle at twice the usual traffic.
    Holiday,
    /// The base rate all day, except 4 times the base rate from 12:00 to 12:20.
    Spike,
}

impl Scenario {
    /// Every scenario, in the order tables list them.
    pub const ALL: [Scenario; 4] = [
        Scenario::Steady,
        Scenario::Daily,
        Scenario::Holiday,
        Scenario::Spike,
    ];

    /// Returns the offered rate, in requests per second, at `elapsed`
    /// scenario time. `base_rate` is the rate at the usual daily peak.
    pub fn rate_at(self, elapsed: Duration, base_rate: f64) -> f64 {
        let time_of_day = elapsed.as_secs_f64() % DAY_SECONDS;
        match self {
            Scenario::Steady => base_rate,
            Scenario::Daily => base_rate * daily_share(time_of_day),
            Scenario::Holiday => HOLIDAY_FACTOR * base_rate * daily_share(time_of_day),
            Scenario::Spike => {
                let start = SPIKE_START.as_secs_f64();
                let end = start + SPIKE_LENGTH.as_secs_f64();
                if (start..end).contains(&time_of_day) {
                    SPIKE_FACTOR * base_rate
                } else {
                    base_rate
                }
            }
        }
    }

    /// Returns the highest rate of the day, in requests per second.
    pub fn peak_rate(self, base_rate: f64) -> f64 {
        match self {
            Scenario::Steady | Scenario::Daily => base_rate,
            Scenario::Holiday => HOLIDAY_FACTOR * base_rate,
            Scenario::Spike => SPIKE_FACTOR * base_rate,
        }
    }

    /// Returns the name used on the command line, such as `daily`.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Steady => "steady",
            Scenario::Daily => "daily",
            Scenario::Holiday => "holiday",
            Scenario::Spike => "spike",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// Returns the share of the daily peak at `time_of_day` seconds after
/// midnight: 1 at [`PEAK_HOUR`], [`NIGHT_SHARE`] twelve hours away, and a
/// cosine in between.
fn daily_share(time_of_day: f64) -> f64 {
    let phase = TAU * (time_of_day - PEAK_HOUR * 3600.0) / DAY_SECONDS;
    NIGHT_SHARE + (1.0 - NIGHT_SHARE) * (1.0 + phase.cos()) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hours: u64, minutes: u64, seconds: u64) -> Duration {
        Duration::from_secs(hours * 3600 + minutes * 60 + seconds)
    }

    fn assert_rate(scenario: Scenario, elapsed: Duration, expected: f64) {
        let rate = scenario.rate_at(elapsed, 1000.0);
        assert!(
            (rate - expected).abs() < 1e-9,
            "{scenario} at {elapsed:?}: expected {expected} requests/s, got {rate}"
        );
    }

    #[test]
    fn steady_is_constant() {
        for elapsed in [at(0, 0, 0), at(7, 30, 0), at(15, 0, 0), at(30, 0, 0)] {
            assert_rate(Scenario::Steady, elapsed, 1000.0);
        }
    }

    #[test]
    fn daily_peaks_at_fifteen_hundred() {
        assert_rate(Scenario::Daily, at(15, 0, 0), 1000.0);
        assert_rate(Scenario::Daily, at(3, 0, 0), 300.0);
        // A quarter of a day from the peak, the cosine is 0: halfway.
        assert_rate(Scenario::Daily, at(9, 0, 0), 650.0);
        assert_rate(Scenario::Daily, at(21, 0, 0), 650.0);
        // Midnight is 15 hours before the peak: 0.3 + 0.7 * (1 - sqrt(2)/2) / 2.
        assert_rate(
            Scenario::Daily,
            at(0, 0, 0),
            1000.0 * (0.3 + 0.7 * (1.0 - std::f64::consts::FRAC_1_SQRT_2) / 2.0),
        );
    }

    #[test]
    fn daily_repeats_every_day() {
        assert_rate(Scenario::Daily, at(24 + 15, 0, 0), 1000.0);
        assert_rate(Scenario::Daily, at(48 + 3, 0, 0), 300.0);
    }

    #[test]
    fn daily_stays_between_night_and_peak() {
        for minute in 0..24 * 60 {
            let rate = Scenario::Daily.rate_at(at(0, minute, 0), 1000.0);
            assert!(
                (300.0 - 1e-9..=1000.0 + 1e-9).contains(&rate),
                "minute {minute}: {rate}"
            );
        }
    }

    #[test]
    fn holiday_doubles_daily() {
        assert_rate(Scenario::Holiday, at(15, 0, 0), 2000.0);
        assert_rate(Scenario::Holiday, at(3, 0, 0), 600.0);
        assert_rate(Scenario::Holiday, at(9, 0, 0), 1300.0);
    }

    #[test]
    fn spike_lasts_twenty_minutes_at_noon() {
        assert_rate(Scenario::Spike, at(11, 59, 59), 1000.0);
        assert_rate(Scenario::Spike, at(12, 0, 0), 4000.0);
        assert_rate(Scenario::Spike, at(12, 19, 59), 4000.0);
        assert_rate(Scenario::Spike, at(12, 20, 0), 1000.0);
        assert_rate(Scenario::Spike, at(36, 10, 0), 4000.0);
    }

    #[test]
    fn peak_rate_is_highest_rate() {
        for scenario in Scenario::ALL {
            let highest = (0..24 * 60 * 60)
                .step_by(60)
                .map(|second| scenario.rate_at(Duration::from_secs(second), 1000.0))
                .fold(0.0, f64::max);
            assert!(
                (scenario.peak_rate(1000.0) - highest).abs() < 1e-9,
                "{scenario}: peak_rate {} but highest sampled rate {highest}",
                scenario.peak_rate(1000.0)
            );
        }
    }
}
