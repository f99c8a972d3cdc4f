//! The load generator behind `headroom loadgen`: feature requests at the
//! rate of a [`Scenario`], sent open loop.
//!
//! Open loop means that the [`Schedule`] alone decides when each request
//! leaves, whatever the responses do, as real clients do. A slow or
//! rejecting server therefore gets the load the scenario calls for, and its
//! latency shows in the figures instead of lowering the rate. The generator
//! never queues: a request that falls due while `max_in_flight` requests
//! await a response is not sent and is counted as skipped.
//!
//! Scenario time runs `time_scale` times faster than the wall clock, like
//! the cluster clock of `headroom serve --time-scale`, while rates stay in
//! real requests per second. At a time scale of 60 a day of traffic takes
//! 24 minutes, at the rate of each moment of that day.
//!
//! The loop is generic over a [`Target`], so tests drive it with a fake
//! target on tokio's paused clock. [`http::HttpTarget`] sends real requests.

pub mod histogram;
pub mod http;
mod report;
pub mod scenario;

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

pub use histogram::Histogram;
pub use report::{format_interval, format_summary};
pub use scenario::Scenario;

/// The result of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 200: the features were returned.
    Served,
    /// 429: every ready pod was at capacity.
    Rejected,
    /// 503: no pod was ready.
    Unavailable,
    /// 401: the API key is unknown, revoked or expired.
    Unauthorized,
    /// 403: the key's service account may not read features.
    Forbidden,
    /// Any other status code.
    OtherStatus(u16),
    /// No complete response within the request timeout.
    TimedOut,
    /// The connection failed, or the response could not be read.
    Failed,
}

/// The destination of the requests.
pub trait Target: Send + Sync + 'static {
    /// Sends one feature request and waits for its outcome.
    fn send(&self) -> impl Future<Output = Outcome> + Send;
}

/// The shape and bounds of one run.
#[derive(Clone, Debug)]
pub struct LoadSettings {
    pub scenario: Scenario,
    /// Requests per second at the scenario's usual daily peak.
    pub base_rate: f64,
    /// Length of the run, in scenario time.
    pub duration: Duration,
    /// How many times faster than the wall clock scenario time runs.
    pub time_scale: f64,
    /// Maximum number of requests awaiting a response at once.
    pub max_in_flight: usize,
    /// Wall-clock time between two progress reports.
    pub report_every: Duration,
    /// Wall-clock time the end of a finished run waits for the requests
    /// still in flight.
    pub drain_timeout: Duration,
}

/// The wall-clock send times of a scenario's requests.
///
/// Each request is due `1 / rate` wall-clock seconds after the one before,
/// with the rate taken at the earlier request's scenario time. A step of
/// the rate, such as the start of a spike, therefore takes effect one
/// request late. Send times add up in whole nanoseconds, so a rate such as
/// 100 per second spaces requests exactly.
#[derive(Clone, Debug)]
pub struct Schedule {
    scenario: Scenario,
    base_rate: f64,
    time_scale: f64,
    /// End of the run, in scenario time.
    end: Duration,
    /// Send time of the next request, in wall-clock time since the start.
    next: Duration,
}

/// Wall-clock time the schedule skips ahead while the rate is zero.
const IDLE_STEP: Duration = Duration::from_millis(10);

impl Schedule {
    pub fn new(settings: &LoadSettings) -> Schedule {
        Schedule {
            scenario: settings.scenario,
            base_rate: settings.base_rate,
            time_scale: settings.time_scale,
            end: settings.duration,
            next: Duration::ZERO,
        }
    }

    /// Returns the scenario time at a wall-clock offset from the start.
    pub fn scenario_time(&self, wall: Duration) -> Duration {
        wall.mul_f64(self.time_scale)
    }

    /// Returns the wall-clock length of the whole run.
    pub fn wall_length(&self) -> Duration {
        self.end.div_f64(self.time_scale)
    }
}

impl Iterator for Schedule {
    /// Wall-clock offset of the request from the start of the run.
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        loop {
            let scenario_time = self.scenario_time(self.next);
            if scenario_time >= self.end {
                return None;
            }
            let rate = self.scenario.rate_at(scenario_time, self.base_rate);
            if !(rate.is_finite() && rate > 0.0) {
                self.next += IDLE_STEP;
                continue;
            }
            let at = self.next;
            self.next += Duration::from_secs_f64(1.0 / rate);
            return Some(at);
        }
    }
}

/// Request counts of an interval or of a whole run.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    /// Requests the schedule called for.
    pub due: u64,
    /// Requests sent.
    pub sent: u64,
    /// Requests not sent because `max_in_flight` requests awaited a response.
    pub skipped: u64,
    pub served: u64,
    pub rejected: u64,
    pub unavailable: u64,
    pub unauthorized: u64,
    pub forbidden: u64,
    pub other_status: u64,
    pub timed_out: u64,
    pub failed: u64,
    /// Latency of the requests that returned 200.
    pub latency: Histogram,
}

impl Counts {
    fn record(&mut self, outcome: Outcome, latency: Duration) {
        match outcome {
            Outcome::Served => {
                self.served += 1;
                self.latency.record(latency);
            }
            Outcome::Rejected => self.rejected += 1,
            Outcome::Unavailable => self.unavailable += 1,
            Outcome::Unauthorized => self.unauthorized += 1,
            Outcome::Forbidden => self.forbidden += 1,
            Outcome::OtherStatus(_) => self.other_status += 1,
            Outcome::TimedOut => self.timed_out += 1,
            Outcome::Failed => self.failed += 1,
        }
    }

    /// Returns the requests that completed, with a response or an error.
    pub fn completed(&self) -> u64 {
        self.served + self.rejected + self.errors()
    }

    /// Returns the requests that ended neither in 200 nor in 429.
    pub fn errors(&self) -> u64 {
        self.unavailable
            + self.unauthorized
            + self.forbidden
            + self.other_status
            + self.timed_out
            + self.failed
    }

    /// Returns the share of completed requests rejected with 429, from 0 to 1.
    pub fn rejected_share(&self) -> f64 {
        match self.completed() {
            0 => 0.0,
            completed => self.rejected as f64 / completed as f64,
        }
    }

    pub fn merge(&mut self, other: &Counts) {
        self.due += other.due;
        self.sent += other.sent;
        self.skipped += other.skipped;
        self.served += other.served;
        self.rejected += other.rejected;
        self.unavailable += other.unavailable;
        self.unauthorized += other.unauthorized;
        self.forbidden += other.forbidden;
        self.other_status += other.other_status;
        self.timed_out += other.timed_out;
        self.failed += other.failed;
        self.latency.merge(&other.latency);
    }
}

/// The figures of one progress interval.
#[derive(Clone, Debug)]
pub struct Interval {
    /// Wall-clock time since the start of the run, at the end of the interval.
    pub wall: Duration,
    /// Scenario time at the end of the interval.
    pub scenario_time: Duration,
    /// Wall-clock length of the interval.
    pub length: Duration,
    pub counts: Counts,
}

/// The reason a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The scenario reached the end of the duration.
    Finished,
    /// The shutdown signal, such as Ctrl-C, came first.
    Interrupted,
    /// The server returned 401 or 403, so every further request would fail too.
    AuthFailed(Outcome),
}

/// The figures of a whole run.
#[derive(Clone, Debug)]
pub struct Summary {
    pub settings: LoadSettings,
    pub stop: Stop,
    /// Wall-clock length of the run.
    pub wall: Duration,
    /// Scenario time reached.
    pub scenario_time: Duration,
    pub counts: Counts,
    /// Requests without an outcome when the run ended.
    pub in_flight_at_end: u64,
}

fn lock(counts: &Mutex<Counts>) -> MutexGuard<'_, Counts> {
    counts
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Sends the scenario's requests to `target` until the end of the duration,
/// until `shutdown` completes, or until the server rejects the API key.
/// Calls `progress` every `report_every` of wall-clock time and once more
/// for the last, shorter interval.
pub async fn run<T: Target>(
    target: Arc<T>,
    settings: LoadSettings,
    shutdown: impl Future<Output = ()>,
    mut progress: impl FnMut(&Interval),
) -> Summary {
    let start = Instant::now();
    let mut schedule = Schedule::new(&settings);
    let in_flight = Arc::new(Semaphore::new(settings.max_in_flight));
    let window = Arc::new(Mutex::new(Counts::default()));
    let mut total = Counts::default();
    let mut window_start = start;
    let mut ticker = tokio::time::interval_at(start + settings.report_every, settings.report_every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);

    let end = start + schedule.wall_length();
    let mut next = schedule.next();
    let mut stop = Stop::Finished;
    loop {
        if let Some(failure) = auth_failure(&window, &total) {
            stop = Stop::AuthFailed(failure);
            break;
        }
        let deadline = next.map_or(end, |offset| start + offset);
        tokio::select! {
            biased;
            () = &mut shutdown => {
                stop = Stop::Interrupted;
                break;
            }
            _ = ticker.tick() => {
                let now = Instant::now();
                let interval = close_interval(&window, &mut total, &schedule, start, window_start, now);
                window_start = now;
                progress(&interval);
            }
            () = tokio::time::sleep_until(deadline) => {
                if next.is_none() {
                    break;
                }
                dispatch(&target, &in_flight, &window);
                next = schedule.next();
            }
        }
    }

    // Unless interrupted, the run waits for its last responses so that
    // they count.
    if stop != Stop::Interrupted {
        let all = u32::try_from(settings.max_in_flight).unwrap_or(u32::MAX);
        tokio::select! {
            _ = tokio::time::timeout(settings.drain_timeout, in_flight.acquire_many(all)) => {}
            () = &mut shutdown => stop = Stop::Interrupted,
        }
    }
    if stop == Stop::Finished
        && let Some(failure) = auth_failure(&window, &total)
    {
        stop = Stop::AuthFailed(failure);
    }
    let in_flight_at_end = (settings.max_in_flight - in_flight.available_permits()) as u64;

    let end = Instant::now();
    let last = close_interval(&window, &mut total, &schedule, start, window_start, end);
    if last.counts.due > 0 || last.counts.completed() > 0 {
        progress(&last);
    }
    let wall = end - start;
    Summary {
        scenario_time: schedule.scenario_time(wall).min(settings.duration),
        settings,
        stop,
        wall,
        counts: total,
        in_flight_at_end,
    }
}

/// Sends one request in its own task, unless `max_in_flight` requests are
/// awaiting a response already.
fn dispatch<T: Target>(target: &Arc<T>, in_flight: &Arc<Semaphore>, window: &Arc<Mutex<Counts>>) {
    let permit = Arc::clone(in_flight).try_acquire_owned();
    let mut counts = lock(window);
    counts.due += 1;
    let Ok(permit) = permit else {
        counts.skipped += 1;
        return;
    };
    counts.sent += 1;
    drop(counts);

    let target = Arc::clone(target);
    let window = Arc::clone(window);
    tokio::spawn(async move {
        let sent_at = Instant::now();
        let outcome = target.send().await;
        let latency = sent_at.elapsed();
        lock(&window).record(outcome, latency);
        drop(permit);
    });
}

/// Moves the counts of the interval that ends `now` into `total`.
fn close_interval(
    window: &Mutex<Counts>,
    total: &mut Counts,
    schedule: &Schedule,
    start: Instant,
    window_start: Instant,
    now: Instant,
) -> Interval {
    let counts = std::mem::take(&mut *lock(window));
    total.merge(&counts);
    Interval {
        wall: now - start,
        scenario_time: schedule.scenario_time(now - start),
        length: now - window_start,
        counts,
    }
}

/// Returns 401 or 403 if the server returned either since the start.
fn auth_failure(window: &Mutex<Counts>, total: &Counts) -> Option<Outcome> {
    let counts = lock(window);
    if counts.unauthorized + total.unauthorized > 0 {
        Some(Outcome::Unauthorized)
    } else if counts.forbidden + total.forbidden > 0 {
        Some(Outcome::Forbidden)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    fn settings(
        scenario: Scenario,
        base_rate: f64,
        duration: Duration,
        time_scale: f64,
    ) -> LoadSettings {
        LoadSettings {
            scenario,
            base_rate,
            duration,
            time_scale,
            max_in_flight: 1000,
            report_every: Duration::from_secs(1),
            drain_timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn schedule_steady_spaces_requests_evenly() {
        let schedule = Schedule::new(&settings(
            Scenario::Steady,
            10.0,
            Duration::from_secs(10),
            1.0,
        ));
        let offsets: Vec<Duration> = schedule.collect();
        assert_eq!(offsets.len(), 100);
        assert_eq!(offsets[0], Duration::ZERO);
        assert!(
            (offsets[1].as_secs_f64() - 0.1).abs() < 1e-9,
            "{:?}",
            offsets[1]
        );
        assert!(
            (offsets[99].as_secs_f64() - 9.9).abs() < 1e-6,
            "{:?}",
            offsets[99]
        );
    }

    #[test]
    fn schedule_time_scale_keeps_real_rate() {
        // A day at a time scale of 86400 lasts one wall-clock second, and
        // the daily cycle averages 65% of its peak: 65 requests at 100/s.
        let day = Duration::from_secs(86_400);
        let schedule = Schedule::new(&settings(Scenario::Daily, 100.0, day, 86_400.0));
        let offsets: Vec<Duration> = schedule.collect();
        assert!(
            (64..=66).contains(&offsets.len()),
            "{} requests",
            offsets.len()
        );
        assert!(offsets.last().unwrap() < &Duration::from_secs(1));
    }

    #[test]
    fn schedule_follows_spike() {
        // One hour of scenario time passes per wall-clock second. So the
        // spike, 20 minutes at 4 times the rate of 100 per second, takes a
        // third of a second and contains about 133 requests.
        let schedule = Schedule::new(&settings(
            Scenario::Spike,
            100.0,
            Duration::from_secs(13 * 3600),
            3600.0,
        ));
        let offsets: Vec<Duration> = schedule.collect();
        let in_spike = offsets
            .iter()
            .filter(|offset| (12.0..12.0 + 1.0 / 3.0).contains(&offset.as_secs_f64()))
            .count();
        assert!(
            (132..=135).contains(&in_spike),
            "{in_spike} requests in the spike"
        );
        // 12 hours at 100/s, the spike, then 40 minutes at 100/s.
        assert!(
            (1398..=1402).contains(&offsets.len()),
            "{} requests",
            offsets.len()
        );
    }

    /// A target that responds after a fixed delay on tokio's clock: 200 for
    /// the first `serve_first` requests and 429 after them.
    struct FakeTarget {
        delay: Duration,
        serve_first: u64,
        sent: AtomicU64,
        in_flight: AtomicU64,
        max_in_flight_seen: AtomicU64,
    }

    impl FakeTarget {
        fn new(delay: Duration, serve_first: u64) -> Arc<FakeTarget> {
            Arc::new(FakeTarget {
                delay,
                serve_first,
                sent: AtomicU64::new(0),
                in_flight: AtomicU64::new(0),
                max_in_flight_seen: AtomicU64::new(0),
            })
        }
    }

    impl Target for FakeTarget {
        async fn send(&self) -> Outcome {
            let number = self.sent.fetch_add(1, Ordering::SeqCst);
            let in_flight = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_in_flight_seen
                .fetch_max(in_flight, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            if number < self.serve_first {
                Outcome::Served
            } else {
                Outcome::Rejected
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn run_sends_scenario_open_loop() {
        // Responses take 2 s while requests leave every 10 ms: a closed
        // loop would send a handful, an open loop sends all 500.
        let target = FakeTarget::new(Duration::from_secs(2), 400);
        let mut intervals = Vec::new();
        let summary = run(
            target.clone(),
            settings(Scenario::Steady, 100.0, Duration::from_secs(5), 1.0),
            std::future::pending(),
            |interval| intervals.push(interval.clone()),
        )
        .await;

        assert_eq!(summary.stop, Stop::Finished);
        assert_eq!(summary.counts.due, 500);
        assert_eq!(summary.counts.sent, 500);
        assert_eq!(summary.counts.skipped, 0);
        assert_eq!(summary.counts.served, 400);
        assert_eq!(summary.counts.rejected, 100);
        assert_eq!(summary.counts.errors(), 0);
        assert_eq!(summary.in_flight_at_end, 0);
        assert!((summary.counts.rejected_share() - 0.2).abs() < 1e-12);
        let median = summary.counts.latency.quantile(0.5).unwrap();
        assert!(
            median >= Duration::from_secs(2) && median.as_secs_f64() <= 2.0 * (1.0 + 1.0 / 64.0),
            "median {median:?} for 2 s responses"
        );
        // A request that leaves as another completes may see one more.
        let max_seen = target.max_in_flight_seen.load(Ordering::SeqCst);
        assert!((200..=201).contains(&max_seen), "{max_seen} in flight");

        // Five full seconds, then the 2 s the last responses take.
        assert_eq!(intervals.len(), 6, "{intervals:?}");
        assert_eq!(intervals[0].counts.due, 100);
        assert_eq!(intervals[0].counts.completed(), 0);
        assert_eq!(intervals[0].length, Duration::from_secs(1));
        assert_eq!(
            intervals
                .iter()
                .map(|interval| interval.counts.due)
                .sum::<u64>(),
            500
        );
    }

    #[tokio::test(start_paused = true)]
    async fn run_skips_beyond_max_in_flight() {
        let target = FakeTarget::new(Duration::from_secs(1), u64::MAX);
        let mut load = settings(Scenario::Steady, 100.0, Duration::from_secs(3), 1.0);
        load.max_in_flight = 10;
        let summary = run(target.clone(), load, std::future::pending(), |_| {}).await;

        assert_eq!(summary.counts.due, 300);
        // Ten requests leave each second, and the rest find ten in flight.
        assert_eq!(summary.counts.sent, 30);
        assert_eq!(summary.counts.skipped, 270);
        assert_eq!(summary.counts.served, 30);
        assert_eq!(target.max_in_flight_seen.load(Ordering::SeqCst), 10);
    }

    #[tokio::test(start_paused = true)]
    async fn run_follows_time_scale() {
        // Two hours of scenario time at a time scale of 3600 take 2 s of
        // wall-clock time at the real rate of 50 requests per second.
        let target = FakeTarget::new(Duration::from_millis(10), u64::MAX);
        let started = Instant::now();
        let summary = run(
            target,
            settings(Scenario::Steady, 50.0, Duration::from_secs(7200), 3600.0),
            std::future::pending(),
            |_| {},
        )
        .await;
        assert_eq!(summary.counts.sent, 100);
        assert_eq!(summary.scenario_time, Duration::from_secs(7200));
        let wall = started.elapsed();
        assert!(
            wall >= Duration::from_secs(2) && wall < Duration::from_millis(2100),
            "{wall:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn run_stops_on_shutdown() {
        let target = FakeTarget::new(Duration::from_secs(3), u64::MAX);
        let summary = run(
            target,
            settings(Scenario::Steady, 10.0, Duration::from_secs(3600), 1.0),
            tokio::time::sleep(Duration::from_millis(2050)),
            |_| {},
        )
        .await;
        assert_eq!(summary.stop, Stop::Interrupted);
        assert_eq!(summary.counts.sent, 21);
        assert_eq!(summary.in_flight_at_end, 21);
        assert_eq!(summary.wall, Duration::from_millis(2050));
    }

    struct RejectingKey;

    impl Target for RejectingKey {
        async fn send(&self) -> Outcome {
            Outcome::Forbidden
        }
    }

    #[tokio::test(start_paused = true)]
    async fn run_stops_on_rejected_key() {
        let summary = run(
            Arc::new(RejectingKey),
            settings(Scenario::Steady, 10.0, Duration::from_secs(3600), 1.0),
            std::future::pending(),
            |_| {},
        )
        .await;
        assert_eq!(summary.stop, Stop::AuthFailed(Outcome::Forbidden));
        assert!(summary.counts.sent <= 2, "sent {}", summary.counts.sent);
        assert_eq!(summary.counts.forbidden, summary.counts.sent);
    }
}
