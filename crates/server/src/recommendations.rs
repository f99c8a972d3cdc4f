//! Recommendations from the monitoring history: a pure function of the
//! samples, the configuration and the time.
//!
//! - Scale up when requests were rejected with 429 in the last hour, or
//!   some pod's utilization reached 90%.
//! - Scale down when utilization stayed below 50% of capacity for 10
//!   days; never while less than 10 days of history exist.
//!
//! The suggested count keeps the peak demand at the autoscaler's target
//! utilization. Each recommendation carries the request body that applies
//! it through the validated scaling API.

use headroom_api::monitoring::{Recommendation, RecommendationKind, Sample};
use headroom_api::scaling::{FeatureServerConfig, Limits, ScalingRequest};

/// Utilization at which a pod counts as close to full.
pub const NEAR_FULL: f64 = 0.9;
/// Peak utilization below which capacity counts as oversized.
pub const OVERSIZED: f64 = 0.5;
/// History needed before a scale-down is recommended, in milliseconds.
pub const SCALE_DOWN_HISTORY_MS: u64 = 10 * 86_400_000;

pub struct Inputs<'a> {
    pub config: &'a FeatureServerConfig,
    pub limits: Limits,
    pub target_utilization: f64,
    /// Raw samples of the last hour.
    pub last_hour: &'a [Sample],
    /// Samples of the last 10 days, of any resolution.
    pub last_ten_days: &'a [Sample],
    /// Time of the oldest stored sample.
    pub history_start: Option<u64>,
    pub now: u64,
}

pub fn recommendations(inputs: &Inputs<'_>) -> Vec<Recommendation> {
    let mut found = Vec::new();
    if let Some(up) = scale_up(inputs) {
        found.push(up);
    } else if let Some(down) = scale_down(inputs) {
        found.push(down);
    }
    found
}

fn peak(samples: &[Sample], field: impl Fn(&Sample) -> f64) -> f64 {
    samples.iter().map(field).fold(0.0, f64::max)
}

/// Returns the pods needed to serve `demand` at the target utilization.
fn pods_for(demand: f64, target: f64) -> u32 {
    let pods = (demand / target - 1e-9).ceil();
    if pods < 1.0 { 1 } else { pods.min(f64::from(u32::MAX)) as u32 }
}

fn percent(fraction: f64) -> String {
    format!("{:.0}%", fraction * 100.0)
}

fn scale_up(inputs: &Inputs<'_>) -> Option<Recommendation> {
    let samples = inputs.last_hour;
    let peak_rejected = peak(samples, |sample| sample.rejected_rate);
    let peak_utilization = peak(samples, |sample| sample.utilization_max);
    if peak_rejected <= 0.0 && peak_utilization < NEAR_FULL {
        return None;
    }

    let config = inputs.config;
    let peak_demand = peak(samples, |sample| sample.demand_pods);
    let needed = pods_for(peak_demand, inputs.target_utilization)
        .max(config.desired_count + 1)
        .min(inputs.limits.max_pods);
    let mut evidence = format!(
        "In the last hour, pod utilization peaked at {} and demand at {:.1} pods of work, with {} desired.",
        percent(peak_utilization),
        peak_demand,
        config.desired_count
    );
    if peak_rejected > 0.0 {
        evidence.push_str(&format!(" Up to {peak_rejected:.1} requests per second were rejected with 429."));
    }
    evidence.push_str(&format!(
        " {needed} pods serve that peak at {} utilization.",
        percent(inputs.target_utilization)
    ));

    let autoscaling = &config.auto_scaling_config;
    let (title, request) = match (autoscaling.enabled, autoscaling.min_node_count, autoscaling.max_node_count) {
        (true, Some(min_node_count), Some(max_node_count)) => {
            if max_node_count >= needed {
                // The autoscaler may go there by itself.
                return None;
            }
            (
                format!("Raise maxNodeCount from {max_node_count} to {needed}"),
                ScalingRequest::Autoscaling {
                    min_node_count,
                    max_node_count: needed,
                },
            )
        }
        _ => {
            if needed <= config.desired_count {
                return None;
            }
            (
                format!("Scale up from {} to {needed} pods", config.desired_count),
                ScalingRequest::Provisioned { count: needed },
            )
        }
    };
    Some(Recommendation {
        kind: RecommendationKind::ScaleUp,
        title,
        evidence,
        apply: request.to_json(),
    })
}

fn scale_down(inputs: &Inputs<'_>) -> Option<Recommendation> {
    let enough_history = inputs
        .history_start
        .is_some_and(|start| inputs.now.saturating_sub(start) >= SCALE_DOWN_HISTORY_MS);
    if !enough_history || inputs.last_ten_days.is_empty() {
        return None;
    }
    let samples = inputs.last_ten_days;
    let peak_utilization = peak(samples, |sample| sample.utilization_max);
    if peak_utilization >= OVERSIZED || peak(samples, |sample| sample.rejected_rate) > 0.0 {
        return None;
    }

    let config = inputs.config;
    let peak_demand = peak(samples, |sample| sample.demand_pods);
    let suggested = pods_for(peak_demand, inputs.target_utilization);
    let evidence = format!(
        "Over the last 10 days, pod utilization peaked at {} and demand at {:.1} pods of work, with {} desired. \
         {suggested} pods serve that peak at {} utilization.",
        percent(peak_utilization),
        peak_demand,
        config.desired_count,
        percent(inputs.target_utilization)
    );

    let autoscaling = &config.auto_scaling_config;
    let (title, request) = match (autoscaling.enabled, autoscaling.min_node_count, autoscaling.max_node_count) {
        (true, Some(min_node_count), Some(max_node_count)) => {
            if min_node_count <= suggested {
                return None;
            }
            (
                format!("Lower minNodeCount from {min_node_count} to {suggested}"),
                ScalingRequest::Autoscaling {
                    min_node_count: suggested,
                    max_node_count,
                },
            )
        }
        _ => {
            if suggested >= config.desired_count {
                return None;
            }
            (
                format!("Scale down from {} to {suggested} pods", config.desired_count),
                ScalingRequest::Provisioned { count: suggested },
            )
        }
    };
    Some(Recommendation {
        kind: RecommendationKind::ScaleDown,
        title,
        evidence,
        apply: request.to_json(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use headroom_api::scaling::AutoScalingConfig;

    const DAY: u64 = 86_400_000;
    const NOW: u64 = 100 * DAY;

    fn config(desired: u32, autoscaling: AutoScalingConfig) -> FeatureServerConfig {
        FeatureServerConfig {
            current_count: desired,
            available_count: desired,
            desired_count: desired,
            auto_scaling_config: autoscaling,
        }
    }

    fn sample(utilization_max: f64, demand_pods: f64, rejected_rate: f64) -> Sample {
        Sample {
            at: NOW,
            utilization_min: 0.0,
            utilization_avg: utilization_max,
            utilization_max,
            demand_pods,
            request_rate: 100.0,
            rejected_rate,
            latency_p50_ms: 50.0,
            latency_p95_ms: 50.0,
            latency_p99_ms: 50.0,
            current_count: 4,
            available_count: 4,
            desired_count: 4,
        }
    }

    fn run(config: &FeatureServerConfig, hour: &[Sample], days: &[Sample], history_days: u64) -> Vec<Recommendation> {
        recommendations(&Inputs {
            config,
            limits: Limits::default(),
            target_utilization: 0.7,
            last_hour: hour,
            last_ten_days: days,
            history_start: Some(NOW - history_days * DAY),
            now: NOW,
        })
    }

    #[test]
    fn rejections_recommend_scale_up() {
        let provisioned = config(4, AutoScalingConfig::disabled());
        let found = run(&provisioned, &[sample(1.0, 5.6, 12.0)], &[], 1);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, RecommendationKind::ScaleUp);
        assert_eq!(found[0].title, "Scale up from 4 to 8 pods");
        assert_eq!(found[0].apply, r#"{"count": 8}"#);
        assert_eq!(
            found[0].evidence,
            "In the last hour, pod utilization peaked at 100% and demand at 5.6 pods of work, with 4 desired. \
             Up to 12.0 requests per second were rejected with 429. 8 pods serve that peak at 70% utilization."
        );
    }

    #[test]
    fn near_full_autoscaling_raises_max() {
        let autoscaling = config(4, AutoScalingConfig::enabled(2, 4));
        let found = run(&autoscaling, &[sample(0.95, 3.8, 0.0)], &[], 1);
        assert_eq!(found[0].title, "Raise maxNodeCount from 4 to 6");
        assert_eq!(
            found[0].apply,
            r#"{"autoScalingConfig": {"enabled": true, "minNodeCount": 2, "maxNodeCount": 6}}"#
        );

        let roomy = config(4, AutoScalingConfig::enabled(2, 10));
        assert!(run(&roomy, &[sample(0.95, 3.8, 0.0)], &[], 1).is_empty());
    }

    #[test]
    fn scale_up_capped_by_pod_maximum() {
        let provisioned = config(45, AutoScalingConfig::disabled());
        let found = run(&provisioned, &[sample(1.0, 60.0, 100.0)], &[], 1);
        assert_eq!(found[0].apply, r#"{"count": 50}"#);
    }

    #[test]
    fn scale_down_needs_ten_days() {
        let provisioned = config(10, AutoScalingConfig::disabled());
        let quiet = [sample(0.3, 2.1, 0.0)];
        assert!(run(&provisioned, &[], &quiet, 9).is_empty(), "9 days of history");

        let found = run(&provisioned, &[], &quiet, 10);
        assert_eq!(found[0].kind, RecommendationKind::ScaleDown);
        assert_eq!(found[0].title, "Scale down from 10 to 3 pods");
        assert_eq!(found[0].apply, r#"{"count": 3}"#);
        assert_eq!(
            found[0].evidence,
            "Over the last 10 days, pod utilization peaked at 30% and demand at 2.1 pods of work, with 10 desired. \
             3 pods serve that peak at 70% utilization."
        );
    }

    #[test]
    fn busy_or_rejected_days_block_scale_down() {
        let provisioned = config(10, AutoScalingConfig::disabled());
        assert!(run(&provisioned, &[], &[sample(0.5, 4.0, 0.0)], 12).is_empty(), "peak at 50%");
        assert!(run(&provisioned, &[], &[sample(0.3, 2.0, 0.5)], 12).is_empty(), "rejections");
    }

    #[test]
    fn scale_down_autoscaling_lowers_min() {
        let autoscaling = config(6, AutoScalingConfig::enabled(6, 20));
        let found = run(&autoscaling, &[], &[sample(0.2, 1.2, 0.0)], 30);
        assert_eq!(found[0].title, "Lower minNodeCount from 6 to 2");
        assert_eq!(
            found[0].apply,
            r#"{"autoScalingConfig": {"enabled": true, "minNodeCount": 2, "maxNodeCount": 20}}"#
        );
    }
}
