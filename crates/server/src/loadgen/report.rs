//! The text of progress lines and of the final summary.

use std::time::Duration;

use super::{Counts, Interval, Outcome, Stop, Summary};

/// Formats one progress line: wall-clock and scenario time, the rate the
/// scenario called for and the rate achieved, latency percentiles of the 200
/// responses, 429s and other errors.
pub fn format_interval(interval: &Interval) -> String {
    let seconds = interval.length.as_secs_f64().max(1e-9);
    let counts = &interval.counts;
    let mut line = format!(
        "[{:>7}] scenario {}  target {:.1}/s  achieved {:.1}/s  200: {}  {}  429: {} ({:.1}%)  errors: {}",
        format_wall(interval.wall),
        format_clock(interval.scenario_time),
        counts.due as f64 / seconds,
        counts.sent as f64 / seconds,
        counts.served,
        format_percentiles(counts),
        counts.rejected,
        100.0 * counts.rejected_share(),
        counts.errors(),
    );
    if counts.skipped > 0 {
        line.push_str(&format!("  skipped: {}", counts.skipped));
    }
    line
}

/// Formats the summary of a run, one figure per line.
pub fn format_summary(summary: &Summary) -> String {
    let settings = &summary.settings;
    let counts = &summary.counts;
    let wall_seconds = summary.wall.as_secs_f64().max(1e-9);
    let ending = match summary.stop {
        Stop::Finished => "Finished".to_owned(),
        Stop::Interrupted => "Interrupted".to_owned(),
        Stop::AuthFailed(outcome) => format!("Stopped after a {} response", status_of(outcome)),
    };

    let mut lines = vec![format!(
        "{ending}: scenario {} at a base rate of {} requests/s, {} of scenario time in {} (time scale {}).",
        settings.scenario,
        settings.base_rate,
        format_duration(summary.scenario_time),
        format_duration(summary.wall),
        settings.time_scale,
    )];
    lines.push(format!(
        "Requests: {} due, {} sent ({:.1}/s), {} skipped at the limit of {} in flight.",
        counts.due,
        counts.sent,
        counts.sent as f64 / wall_seconds,
        counts.skipped,
        settings.max_in_flight,
    ));
    lines.push(format!(
        "Responses: 200: {}; 429: {} ({:.2}%); errors: {} (503: {}, 401: {}, 403: {}, other status: {}, timed out: {}, failed: {}).",
        counts.served,
        counts.rejected,
        100.0 * counts.rejected_share(),
        counts.errors(),
        counts.unavailable,
        counts.unauthorized,
        counts.forbidden,
        counts.other_status,
        counts.timed_out,
        counts.failed,
    ));
    lines.push(format!(
        "Latency of 200 responses: {}.",
        format_percentiles(counts)
    ));
    if summary.in_flight_at_end > 0 {
        lines.push(format!(
            "Requests still in flight at the end, not counted: {}.",
            summary.in_flight_at_end
        ));
    }
    lines.join("\n")
}

fn status_of(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Unauthorized => "401 Unauthorized",
        Outcome::Forbidden => "403 Forbidden",
        _ => "failed",
    }
}

fn format_percentiles(counts: &Counts) -> String {
    let millis = |quantile: f64| match counts.latency.quantile(quantile) {
        Some(latency) => format!("{:.1} ms", latency.as_secs_f64() * 1000.0),
        None => "-".to_owned(),
    };
    format!(
        "p50 {}  p95 {}  p99 {}",
        millis(0.50),
        millis(0.95),
        millis(0.99)
    )
}

/// Formats wall-clock time since the start in whole seconds, such as `125s`.
fn format_wall(wall: Duration) -> String {
    format!("{}s", wall.as_secs())
}

/// Formats scenario time as hours, minutes and seconds, such as `26:05:00`.
fn format_clock(time: Duration) -> String {
    let seconds = time.as_secs();
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// Formats a duration to the millisecond, such as `24m 0s 5ms`.
fn format_duration(duration: Duration) -> String {
    let millis = Duration::from_millis(duration.as_millis() as u64);
    humantime::format_duration(millis).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loadgen::{LoadSettings, Scenario};

    fn counts() -> Counts {
        let mut counts = Counts {
            due: 1000,
            sent: 990,
            skipped: 10,
            ..Counts::default()
        };
        for _ in 0..900 {
            counts.record(Outcome::Served, Duration::from_millis(50));
        }
        for _ in 0..80 {
            counts.record(Outcome::Rejected, Duration::from_millis(1));
        }
        counts.record(Outcome::Unavailable, Duration::from_millis(1));
        counts.record(Outcome::TimedOut, Duration::from_secs(10));
        counts
    }

    // The histogram reports 50 ms as the top of its bucket, 50.175 ms.
    #[test]
    fn interval_line_shows_rates_and_shares() {
        let interval = Interval {
            wall: Duration::from_secs(20),
            scenario_time: Duration::from_secs(26 * 3600 + 300),
            length: Duration::from_secs(10),
            counts: counts(),
        };
        assert_eq!(
            format_interval(&interval),
            "[    20s] scenario 26:05:00  target 100.0/s  achieved 99.0/s  200: 900  \
             p50 50.2 ms  p95 50.2 ms  p99 50.2 ms  429: 80 (8.1%)  errors: 2  skipped: 10"
        );
    }

    #[test]
    fn summary_names_stop_and_errors() {
        let summary = Summary {
            settings: LoadSettings {
                scenario: Scenario::Daily,
                base_rate: 100.0,
                duration: Duration::from_secs(86_400),
                time_scale: 60.0,
                max_in_flight: 512,
                report_every: Duration::from_secs(10),
                drain_timeout: Duration::from_secs(10),
            },
            stop: Stop::AuthFailed(Outcome::Forbidden),
            wall: Duration::from_millis(1_500),
            scenario_time: Duration::from_secs(90),
            counts: counts(),
            in_flight_at_end: 3,
        };
        let text = format_summary(&summary);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "Stopped after a 403 Forbidden response: scenario daily at a base rate of 100 requests/s, \
             1m 30s of scenario time in 1s 500ms (time scale 60)."
        );
        assert_eq!(
            lines[1],
            "Requests: 1000 due, 990 sent (660.0/s), 10 skipped at the limit of 512 in flight."
        );
        assert_eq!(
            lines[2],
            "Responses: 200: 900; 429: 80 (8.15%); errors: 2 (503: 1, 401: 0, 403: 0, other status: 0, timed out: 1, failed: 0)."
        );
        assert_eq!(
            lines[3],
            "Latency of 200 responses: p50 50.2 ms  p95 50.2 ms  p99 50.2 ms."
        );
        assert_eq!(
            lines[4],
            "Requests still in flight at the end, not counted: 3."
        );
    }
}
