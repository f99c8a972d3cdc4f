//! A fluid model of a day of feature traffic against a scaling policy, on a
//! manual clock, for tests and for `headroom simulate`.
//!
//! The model moves in steps of the control loop's sample interval. In each
//! step the offered load comes from a [`Scenario`] at the step's start, and
//! the pods come from a [`SimulatedCluster`] on a [`ManualClock`], with its
//! real start-up delay. A ready pod serves `concurrency / service_time`
//! requests per second. The step serves the offered rate up to the capacity
//! of the pods ready at its start and rejects the rest. Requests are a
//! continuous quantity: there are no queues, bursts or latencies, only
//! rates.
//!
//! The policies are fed like the control loop feeds the autoscaler. Each
//! step yields a sample of demand in pods of work: the offered rate over one
//! pod's capacity, which is the served plus the rejected load. Every
//! evaluation interval, the policy gets the mean demand of the samples since
//! the previous evaluation. [`Policy::Autoscaler`] turns it into a recommendation with
//! [`recommend`] and a count with [`decide`], as the control loop does.
//! A count set at an evaluation applies from the next step on.
//!
//! A simulated day takes 17,280 steps of 5 seconds and runs in milliseconds.

pub mod plan;
pub mod rules;
pub mod table;

use std::sync::Arc;
use std::time::Duration;

use headroom_api::autoscaling::{
    DecideInput, Millis, RecommendationRecord, ScaleEvent, decide,
};

use crate::clock::ManualClock;
use crate::cluster::ClusterBackend;
use crate::cluster::simulated::{SimulatedCluster, StartupDelay};
use crate::loadgen::Scenario;
pub use plan::{Plan, best_plan};
pub use rules::{Rules, Violation, check_changes};

/// How long the autoscaler remembers its changes and recommendations, as in
/// the control loop: the longest period or window Kubernetes allows.
const MEMORY_MS: Millis = 3_600_000;

/// Maximum number of steps of one run. A run keeps every step, 48 bytes
/// each, for the checks, so it stays under 100 MB.
pub const MAX_STEPS: usize = 2_000_000;

/// The cluster and the control loop being simulated.
#[derive(Clone, Debug)]
pub struct Model {
    /// Requests one pod serves at once.
    pub concurrency_per_pod: u32,
    /// Time a pod spends on one request.
    pub service_time: Duration,
    pub startup: StartupDelay,
    /// Length of one step: the control loop's sample interval.
    pub sample_interval: Duration,
    /// Time between two evaluations of the policy, a whole number of steps.
    pub evaluation_interval: Duration,
}

impl Model {
    /// Returns the requests per second one ready pod serves.
    pub fn capacity_per_pod(&self) -> f64 {
        f64::from(self.concurrency_per_pod) / self.service_time.as_secs_f64()
    }

    /// Returns the longest time a pod takes to become ready.
    pub fn longest_startup(&self) -> Duration {
        self.startup.base + self.startup.jitter
    }

    /// Checks that the intervals are whole milliseconds, that the
    /// evaluation interval is a whole number of steps, and that pods have
    /// a capacity.
    pub fn validate(&self) -> Result<(), String> {
        let whole_millis = |interval: Duration| interval.subsec_nanos().is_multiple_of(1_000_000);
        let step = self.sample_interval.as_millis();
        let evaluation = self.evaluation_interval.as_millis();
        if step == 0 || !whole_millis(self.sample_interval) {
            return Err(format!(
                "the sample interval must be a positive whole number of milliseconds, got {:?}",
                self.sample_interval
            ));
        }
        if evaluation == 0
            || !evaluation.is_multiple_of(step)
            || !whole_millis(self.evaluation_interval)
        {
            return Err(format!(
                "the evaluation interval must be a whole number of sample intervals ({step} ms), got {:?}",
                self.evaluation_interval
            ));
        }
        if self.concurrency_per_pod == 0 || self.service_time.is_zero() {
            return Err(
                "pods must serve at least one request at once, in a service time above zero"
                    .to_owned(),
            );
        }
        Ok(())
    }

    /// Checks that a run of `duration` takes at most [`MAX_STEPS`] steps.
    pub fn validate_duration(&self, duration: Duration) -> Result<(), String> {
        let steps = self.steps(duration);
        if steps > MAX_STEPS {
            return Err(format!(
                "a run of {} takes {steps} steps of {}, more than the {MAX_STEPS} a run may keep. \
                 Shorten the duration or lengthen the sample interval",
                humantime::format_duration(duration),
                humantime::format_duration(self.sample_interval),
            ));
        }
        Ok(())
    }

    fn step_ms(&self) -> Millis {
        self.sample_interval.as_millis() as Millis
    }

    fn steps_per_evaluation(&self) -> usize {
        (self.evaluation_interval.as_millis() / self.sample_interval.as_millis()) as usize
    }

    /// Returns the number of steps that cover `duration`.
    fn steps(&self, duration: Duration) -> usize {
        duration
            .as_millis()
            .div_ceil(self.sample_interval.as_millis()) as usize
    }
}

/// The offered load of a run.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    pub scenario: Scenario,
    /// Requests per second at the scenario's usual daily peak.
    pub base_rate: f64,
    /// Scenario time to simulate.
    pub duration: Duration,
}

impl Load {
    /// Returns the offered rate, in requests per second, at the start of step `index`.
    fn rate(&self, model: &Model, index: usize) -> f64 {
        self.scenario
            .rate_at(model.sample_interval * index as u32, self.base_rate)
    }
}

/// The rule that chooses the pod count.
#[derive(Clone, Debug)]
pub enum Policy {
    /// Headroom's autoscaler: [`recommend`] and [`decide`] at every evaluation.
    Autoscaler {
        /// Utilization to aim at, from 0 to 1.
        target_utilization: f64,
        /// Relative deviation from the target that causes no change.
        tolerance: f64,
        rules: Rules,
    },
    /// The same count all day.
    Fixed(u32),
    /// A schedule computed in advance, such as [`best_plan`] returns.
    Plan(Plan),
}

/// The figures of one step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    /// Scenario time at the start of the step.
    pub start: Duration,
    /// Requests offered, served and rejected during the step.
    pub offered: f64,
    pub served: f64,
    pub rejected: f64,
    /// Pods that exist, ready or starting, during the step.
    pub pods: u32,
    /// Pods ready at the start of the step.
    pub available: u32,
}

/// The totals of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    /// Pods that exist, ready or starting, integrated over time.
    pub pod_hours: f64,
    pub offered: f64,
    pub served: f64,
    pub rejected: f64,
    /// Largest number of pods that existed at once.
    pub peak_pods: u32,
}

impl Totals {
    /// Returns the share of offered requests rejected, from 0 to 1.
    pub fn rejected_share(&self) -> f64 {
        if self.offered > 0.0 {
            self.rejected / self.offered
        } else {
            0.0
        }
    }
}

/// The outcome of a run.
#[derive(Clone, Debug)]
pub struct Run {
    pub steps: Vec<Step>,
    /// Pods at the start, all of them ready.
    pub initial_count: u32,
    /// Every change of the desired count, with times in milliseconds of
    /// scenario time.
    pub changes: Vec<ScaleEvent>,
    /// The recommendation of every evaluation, with times in milliseconds
    /// of scenario time. A fixed count records none.
    pub recommendations: Vec<RecommendationRecord>,
    pub totals: Totals,
}

/// Simulates `load` under `policy`. The pods of the initial count are
/// ready when the scenario starts. The model must pass [`Model::validate`].
pub fn simulate(model: &Model, load: &Load, policy: &Policy) -> Run {
    let initial_count = initial_count(model, load, policy);
    let clock = Arc::new(ManualClock::new());
    let cluster = SimulatedCluster::new(
        clock.clone(),
        model.startup,
        model.concurrency_per_pod,
        initial_count,
    );
    clock.advance(model.longest_startup());

    let mut controller = Controller::new(policy, initial_count);
    let capacity_per_pod = model.capacity_per_pod();
    let steps_per_evaluation = model.steps_per_evaluation();
    let step_count = model.steps(load.duration);
    let mut steps = Vec::with_capacity(step_count);
    let mut totals = Totals::default();

    for index in 0..step_count {
        let start = model.sample_interval * index as u32;
        let length = model
            .sample_interval
            .min(load.duration - start)
            .as_secs_f64();
        let counts = cluster.counts();
        let rate = load.rate(model, index);
        let served_rate = rate.min(f64::from(counts.available) * capacity_per_pod);
        let step = Step {
            start,
            offered: rate * length,
            served: served_rate * length,
            rejected: (rate - served_rate) * length,
            pods: counts.current,
            available: counts.available,
        };
        totals.pod_hours += f64::from(counts.current) * length / 3600.0;
        totals.offered += step.offered;
        totals.served += step.served;
        totals.rejected += step.rejected;
        totals.peak_pods = totals.peak_pods.max(counts.current);
        steps.push(step);

        clock.advance(model.sample_interval);
        controller.record_demand(rate / capacity_per_pod);
        if (index + 1) % steps_per_evaluation == 0 {
            let evaluation = (index + 1) / steps_per_evaluation;
            let now = (index as Millis + 1) * model.step_ms();
            if let Some(desired) = controller.evaluate(evaluation, now) {
                cluster.set_desired(desired);
            }
        }
    }

    Run {
        steps,
        initial_count,
        changes: controller.changes,
        recommendations: controller.recommendations,
        totals,
    }
}

/// Returns the count a policy starts with. The autoscaler starts where its
/// target puts the demand at the start of the scenario.
fn initial_count(model: &Model, load: &Load, policy: &Policy) -> u32 {
    match policy {
        Policy::Autoscaler {
            target_utilization,
            rules,
            ..
        } => {
            let (lowest, highest) = rules.range();
            pods_for(
                load.rate(model, 0),
                model.capacity_per_pod() * target_utilization,
            )
            .clamp(lowest, highest)
        }
        Policy::Fixed(count) => *count,
        Policy::Plan(plan) => plan.counts.first().copied().unwrap_or(0),
    }
}

/// Returns the fewest pods that serve `rate` requests per second at
/// `rate_per_pod` each. A quotient within 1e-9 of a whole number counts as
/// that number, so that floating-point noise adds no pod.
pub fn pods_for(rate: f64, rate_per_pod: f64) -> u32 {
    let exact = rate / rate_per_pod;
    if !exact.is_finite() || exact <= 0.0 {
        return 0;
    }
    let nearest = exact.round();
    let count = if (exact - nearest).abs() <= 1e-9 * nearest.max(1.0) {
        nearest
    } else {
        exact.ceil()
    };
    // `as` saturates: counts above u32::MAX become u32::MAX.
    count as u32
}

/// The policy's memory: demand samples, changes and recommendations.
struct Controller<'a> {
    policy: &'a Policy,
    desired: u32,
    /// Demand, in pods of work, of each step since the last evaluation.
    demand: Vec<f64>,
    changes: Vec<ScaleEvent>,
    recommendations: Vec<RecommendationRecord>,
}

impl<'a> Controller<'a> {
    fn new(policy: &'a Policy, desired: u32) -> Self {
        Controller {
            policy,
            desired,
            demand: Vec::new(),
            changes: Vec::new(),
            recommendations: Vec::new(),
        }
    }

    fn record_demand(&mut self, pods: f64) {
        self.demand.push(pods);
    }

    /// Runs evaluation number `evaluation`, at `now` milliseconds of
    /// scenario time, and returns the new count if it changed.
    fn evaluate(&mut self, evaluation: usize, now: Millis) -> Option<u32> {
        let demand = std::mem::take(&mut self.demand);
        let current = self.desired;
        let (desired, recommendation) = match self.policy {
            Policy::Fixed(_) => return None,
            Policy::Plan(plan) => {
                let desired = plan.counts.get(evaluation).copied().unwrap_or(current);
                let recommendation = plan
                    .recommendations
                    .get(evaluation)
                    .copied()
                    .unwrap_or(desired);
                (desired, recommendation)
            }
            Policy::Autoscaler {
                target_utilization,
                tolerance,
                rules,
            } => {
                let (recommendation, _) = crate::control::recommend_and_remember(
                    current,
                    &demand,
                    *target_utilization,
                    *tolerance,
                    (rules.min_node_count, rules.max_node_count),
                    now,
                    &mut self.recommendations,
                );
                let decision = decide(&DecideInput {
                    behavior: &rules.behavior,
                    min_node_count: rules.min_node_count,
                    max_node_count: rules.max_node_count,
                    pod_maximum: rules.pod_maximum,
                    current,
                    recommendation,
                    now,
                    events: remembered(&self.changes, now, |change| change.at),
                    recommendations: remembered(&self.recommendations, now, |record| record.at),
                });
                (decision.desired, recommendation)
            }
        };

        self.recommendations.push(RecommendationRecord {
            at: now,
            replicas: recommendation,
        });
        if desired == current {
            return None;
        }
        self.changes.push(ScaleEvent {
            at: now,
            from: current,
            to: desired,
        });
        self.desired = desired;
        Some(desired)
    }
}

/// Returns the records of the last hour before `now`, from a list in time order.
fn remembered<T>(records: &[T], now: Millis, at: impl Fn(&T) -> Millis) -> &[T] {
    let horizon = now.saturating_sub(MEMORY_MS);
    let first = records.partition_point(|record| at(record) <= horizon);
    &records[first..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use headroom_api::autoscaling::Behavior;

    fn model() -> Model {
        Model {
            concurrency_per_pod: 4,
            service_time: Duration::from_millis(50),
            startup: StartupDelay {
                base: Duration::from_secs(3),
                jitter: Duration::ZERO,
            },
            sample_interval: Duration::from_secs(5),
            evaluation_interval: Duration::from_secs(15),
        }
    }

    fn load(scenario: Scenario, hours: u64) -> Load {
        Load {
            scenario,
            base_rate: 400.0,
            duration: Duration::from_secs(hours * 3600),
        }
    }

    fn autoscaler() -> Policy {
        Policy::Autoscaler {
            target_utilization: 0.7,
            tolerance: 0.1,
            rules: Rules {
                behavior: Behavior::default(),
                min_node_count: 1,
                max_node_count: 50,
                pod_maximum: 50,
            },
        }
    }

    #[test]
    fn pods_for_rounds_up_past_noise() {
        assert_eq!(pods_for(560.0, 80.0 * 0.7), 10);
        assert_eq!(pods_for(561.0, 56.0), 11);
        assert_eq!(pods_for(0.0, 56.0), 0);
        assert_eq!(pods_for(1.0, 0.0), 0);
    }

    #[test]
    fn fixed_count_serves_up_to_capacity() {
        // 5 pods serve 400 requests per second, and the spike offers 1600.
        let run = simulate(&model(), &load(Scenario::Spike, 24), &Policy::Fixed(5));
        assert_eq!(run.steps.len(), 17_280);
        assert_eq!(run.totals.peak_pods, 5);
        assert!(
            (run.totals.pod_hours - 120.0).abs() < 1e-6,
            "{}",
            run.totals.pod_hours
        );
        assert!((run.totals.offered - 400.0 * 86_400.0 - 1200.0 * 1200.0).abs() < 1e-3);
        assert!(
            (run.totals.rejected - 1200.0 * 1200.0).abs() < 1e-3,
            "{}",
            run.totals.rejected
        );
        assert!(run.changes.is_empty());
        assert!(run.recommendations.is_empty());
    }

    #[test]
    fn steady_autoscaler_holds_its_count() {
        // 400 requests per second at 56 per pod (70% of 80) is 7.1 pods,
        // so 8 pods at a utilization of 62.5%. The formula keeps them:
        // ceil(8 * 0.625 / 0.7) is 8.
        let run = simulate(&model(), &load(Scenario::Steady, 2), &autoscaler());
        assert_eq!(run.initial_count, 8);
        assert!(run.changes.is_empty(), "{:?}", run.changes);
        // The initial count, then one recommendation per 15 s.
        assert_eq!(run.recommendations.len(), 481);
        assert!(
            run.recommendations
                .iter()
                .all(|record| record.replicas == 8)
        );
        assert_eq!(run.totals.rejected, 0.0);
    }

    #[test]
    fn pods_serve_after_startup_delay() {
        // The spike at 12:00 calls for more pods. Those of the first
        // change, at 12:00:15, start in 3 s and serve from the step that
        // starts at 12:00:20.
        let run = simulate(&model(), &load(Scenario::Spike, 13), &autoscaler());
        let first = run.changes.first().expect("a change");
        assert_eq!(first.at, (12 * 3600 + 15) * 1000);
        assert!(first.to > first.from);
        let step = |seconds: u64| run.steps[(seconds / 5) as usize];
        assert_eq!(step(12 * 3600 + 15).available, first.from);
        assert_eq!(step(12 * 3600 + 15).pods, first.to);
        assert_eq!(step(12 * 3600 + 20).available, first.to);
    }

    #[test]
    fn duration_need_not_be_whole_steps() {
        let mut short = load(Scenario::Steady, 0);
        short.duration = Duration::from_millis(12_500);
        let run = simulate(&model(), &short, &Policy::Fixed(2));
        assert_eq!(run.steps.len(), 3);
        assert!((run.totals.offered - 400.0 * 12.5).abs() < 1e-9);
    }

    #[test]
    fn validate_duration_bounds_steps() {
        let model = model();
        assert!(model.validate_duration(Duration::from_secs(86_400)).is_ok());
        let error = model
            .validate_duration(Duration::from_secs(5 * 2_000_001))
            .unwrap_err();
        assert!(error.contains("2000001 steps of 5s"), "{error}");
        assert!(
            model
                .validate_duration(Duration::from_secs(5 * 2_000_000))
                .is_ok()
        );
    }

    #[test]
    fn validate_rejects_misaligned_intervals() {
        let mut model = model();
        model.evaluation_interval = Duration::from_secs(12);
        assert!(
            model
                .validate()
                .unwrap_err()
                .contains("whole number of sample intervals")
        );
        model.evaluation_interval = Duration::from_secs(15);
        model.sample_interval = Duration::ZERO;
        assert!(model.validate().is_err());
    }
}
