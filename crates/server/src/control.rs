//! The control loop: every sample interval of the cluster clock it samples
//! utilization, traffic and pod counts into the history, and every
//! evaluation interval it runs the autoscaler while autoscaling is enabled.
//!
//! The decisions themselves are the pure functions of
//! [`headroom_api::autoscaling`]; this module feeds them what was measured
//! and carries out what they decide. The autoscaler's memory of its own
//! changes and recommendations lives here, in memory, as in Kubernetes'
//! HorizontalPodAutoscaler controller.

use std::time::{Duration, SystemTime};

use headroom_api::autoscaling::{
    Behavior, DecideInput, Millis, RecommendationRecord, ScaleEvent, decide, recommend,
};
use headroom_api::monitoring::{LiveEvent, Sample, ScalingActivity};

use crate::app::AppState;
use crate::clock::unix_millis;
use crate::error::AppResult;
use crate::store::history;

/// The autoscaler's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoscalerConfig {
    /// Utilization to aim at, from 0 to 1.
    pub target_utilization: f64,
    /// Relative deviation from the target that causes no change, as in the
    /// HorizontalPodAutoscaler (0.1 there).
    pub tolerance: f64,
    /// Time between evaluations, in cluster time.
    pub evaluation_interval: Duration,
    /// Time between monitoring samples, in cluster time.
    pub sample_interval: Duration,
    pub behavior: Behavior,
}

impl Default for AutoscalerConfig {
    fn default() -> Self {
        AutoscalerConfig {
            target_utilization: 0.7,
            tolerance: 0.1,
            evaluation_interval: Duration::from_secs(15),
            sample_interval: Duration::from_secs(5),
            behavior: Behavior::default(),
        }
    }
}

/// How long the autoscaler remembers its changes and recommendations: the
/// longest policy period or stabilization window Kubernetes allows.
const MEMORY_MS: u64 = 3_600_000;

pub struct ControlLoop {
    state: AppState,
    last_sample_at: SystemTime,
    last_evaluation_at: SystemTime,
    /// Demand, in pods of work, of each sample since the last evaluation.
    demand_since_evaluation: Vec<f64>,
    events: Vec<ScaleEvent>,
    recommendations: Vec<RecommendationRecord>,
}

impl ControlLoop {
    pub fn new(state: AppState) -> ControlLoop {
        let now = state.cluster_clock.now();
        // Start the interval of the first load report now.
        state.cluster.take_load_report();
        ControlLoop {
            state,
            last_sample_at: now,
            last_evaluation_at: now,
            demand_since_evaluation: Vec::new(),
            events: Vec::new(),
            recommendations: Vec::new(),
        }
    }

    /// Runs until the process ends. A failed step is logged and the next
    /// one runs on time.
    pub async fn run(mut self) {
        let interval = self.state.autoscaler.sample_interval;
        loop {
            self.state.cluster_clock.sleep(interval).await;
            if let Err(error) = self.step().await {
                tracing::error!(error = %error, "monitoring or autoscaling step failed");
            }
        }
    }

    /// Takes one sample and, when an evaluation is due, runs the autoscaler.
    pub async fn step(&mut self) -> AppResult<Sample> {
        let now = self.state.cluster_clock.now();
        let sample = self.take_sample(now);
        let previous_at = unix_millis(self.last_sample_at);
        self.last_sample_at = now;

        let stored = sample.clone();
        self.state
            .store
            .run(move |connection| history::insert_sample(connection, &stored, Some(previous_at)))
            .await?;
        *self
            .state
            .latest_sample
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(sample.clone());
        let _ = self.state.live.send(LiveEvent::Sample(sample.clone()));

        self.demand_since_evaluation.push(sample.demand_pods);
        let due = now
            .duration_since(self.last_evaluation_at)
            .is_ok_and(|elapsed| elapsed >= self.state.autoscaler.evaluation_interval);
        if due {
            self.last_evaluation_at = now;
            let demand = std::mem::take(&mut self.demand_since_evaluation);
            self.evaluate(now, &demand).await?;
        }
        Ok(sample)
    }

    fn take_sample(&self, now: SystemTime) -> Sample {
        let load = self.state.cluster.take_load_report();
        let window = self.state.request_stats.take_window();
        let config = self.state.feature_servers.get();

        let cluster_elapsed = now.duration_since(self.last_sample_at).unwrap_or_default();
        let wall_seconds = (cluster_elapsed.as_secs_f64() / self.state.time_scale).max(1e-9);
        let request_rate = window.served as f64 / wall_seconds;
        let rejected_rate = window.rejected as f64 / wall_seconds;

        let pods = load.pod_utilization.len() as f64;
        let (minimum, maximum) = load
            .pod_utilization
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(low, high), &value| (low.min(value), high.max(value)));
        let average = if pods > 0.0 {
            load.pod_utilization.iter().sum::<f64>() / pods
        } else {
            0.0
        };

        // Rejected requests would each have kept a slot busy for the
        // service time: their load, in pods, adds to the served load.
        let serving = self.state.serving;
        let rejected_pods = rejected_rate * serving.service_time.as_secs_f64()
            / f64::from(serving.concurrency_per_pod.max(1));
        Sample {
            at: unix_millis(now),
            utilization_min: if pods > 0.0 { minimum } else { 0.0 },
            utilization_avg: average,
            utilization_max: maximum,
            demand_pods: average * pods + rejected_pods,
            request_rate,
            rejected_rate,
            latency_p50_ms: window.p50_ms,
            latency_p95_ms: window.p95_ms,
            latency_p99_ms: window.p99_ms,
            current_count: config.current_count,
            available_count: config.available_count,
            desired_count: config.desired_count,
        }
    }

    async fn evaluate(&mut self, now: SystemTime, demand: &[f64]) -> AppResult<()> {
        let config = self.state.feature_servers.get();
        let autoscaling = &config.auto_scaling_config;
        let (Some(min_node_count), Some(max_node_count)) = (autoscaling.min_node_count, autoscaling.max_node_count)
        else {
            return Ok(());
        };
        if !autoscaling.enabled || demand.is_empty() {
            return Ok(());
        }

        let now_ms = unix_millis(now);
        let settings = &self.state.autoscaler;
        let current = config.desired_count;
        let (recommendation, utilization) = recommend_and_remember(
            current,
            demand,
            settings.target_utilization,
            settings.tolerance,
            (min_node_count, max_node_count),
            now_ms,
            &mut self.recommendations,
        );
        let decision = decide(&DecideInput {
            behavior: &settings.behavior,
            min_node_count,
            max_node_count,
            pod_maximum: self.state.feature_servers.limits().max_pods,
            current,
            recommendation,
            now: now_ms,
            events: &self.events,
            recommendations: &self.recommendations,
        });
        self.recommendations.push(RecommendationRecord {
            at: now_ms,
            replicas: recommendation,
        });
        let horizon = now_ms.saturating_sub(MEMORY_MS);
        self.recommendations.retain(|record| record.at > horizon);
        self.events.retain(|event| event.at > horizon);

        let changed = decision.changed(current)
            && self.state.feature_servers.apply_autoscaler(&config, decision.desired).await?;
        if changed {
            self.events.push(ScaleEvent {
                at: now_ms,
                from: current,
                to: decision.desired,
            });
            tracing::info!(from = current, to = decision.desired, reason = decision.reason, "autoscaler changed the desired count");
        } else if !decision.wanted_to_change(current) {
            return Ok(());
        }

        let activity = ScalingActivity {
            at: now_ms,
            from_count: current,
            to_count: if changed { decision.desired } else { current },
            recommendation,
            utilization,
            reason: decision.reason,
        };
        let stored = activity.clone();
        self.state
            .store
            .run(move |connection| history::insert_activity(connection, &stored))
            .await?;
        let _ = self.state.live.send(LiveEvent::Activity(activity));
        Ok(())
    }
}

/// Computes an evaluation's recommendation from the demand samples since
/// the previous one, and returns it with the utilization it came from.
///
/// The recommendation is kept within the bounds, so that reasons name
/// counts that can happen. As Kubernetes does for a new
/// HorizontalPodAutoscaler, an evaluation with an empty memory remembers
/// the current count as a recommendation, so the scale-down window starts
/// now instead of allowing an immediate scale-down. The control loop and
/// the simulation both evaluate through this function.
pub fn recommend_and_remember(
    current: u32,
    demand: &[f64],
    target_utilization: f64,
    tolerance: f64,
    (min_node_count, max_node_count): (u32, u32),
    now: Millis,
    recommendations: &mut Vec<RecommendationRecord>,
) -> (u32, f64) {
    let demand_pods = demand.iter().sum::<f64>() / demand.len().max(1) as f64;
    let utilization = demand_pods / f64::from(current.max(1));
    let recommendation = recommend(current, utilization, target_utilization, tolerance)
        .clamp(min_node_count, max_node_count.max(min_node_count));
    if recommendations.is_empty() {
        recommendations.push(RecommendationRecord {
            at: now,
            replicas: current,
        });
    }
    (recommendation, utilization)
}

/// Tells open consoles about pod count changes, such as pods becoming
/// ready, within a quarter second of wall-clock time.
pub async fn watch_pod_counts(state: AppState) {
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last = state.feature_servers.get();
    loop {
        ticker.tick().await;
        let config = state.feature_servers.get();
        if config != last {
            let _ = state.live.send(LiveEvent::Config(config.clone()));
            last = config;
        }
    }
}
