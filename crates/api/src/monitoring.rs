//! Monitoring: utilization samples, scaling activity, recommendations and
//! the live event stream, as the API returns them.

use serde::{Deserialize, Serialize};

use crate::scaling::FeatureServerConfig;

/// Figures of one sampling interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    /// End of the interval, in milliseconds since the Unix epoch.
    pub at: u64,
    /// Lowest, average and highest utilization over the ready pods, from 0
    /// to 1: in-flight requests divided by a pod's concurrency, averaged
    /// over the interval.
    pub utilization_min: f64,
    pub utilization_avg: f64,
    pub utilization_max: f64,
    /// Work offered, in pods fully busy: the served load plus the load of
    /// the rejected requests. Above the available count, demand exceeds
    /// capacity.
    pub demand_pods: f64,
    /// Requests served per second.
    pub request_rate: f64,
    /// Requests rejected with 429 per second.
    pub rejected_rate: f64,
    /// Latency percentiles of served requests, in milliseconds.
    pub latency_p50_ms: f64,
    pub latency_p95_ms: f64,
    pub latency_p99_ms: f64,
    pub current_count: u32,
    pub available_count: u32,
    pub desired_count: u32,
}

/// A time range of the monitoring view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Range {
    #[serde(rename = "1h")]
    Hour,
    #[serde(rename = "1d")]
    Day,
    #[serde(rename = "10d")]
    TenDays,
}

impl Range {
    pub const ALL: [Range; 3] = [Range::Hour, Range::Day, Range::TenDays];

    pub fn as_str(self) -> &'static str {
        match self {
            Range::Hour => "1h",
            Range::Day => "1d",
            Range::TenDays => "10d",
        }
    }

    /// Length of the range in milliseconds.
    pub fn millis(self) -> u64 {
        match self {
            Range::Hour => 3_600_000,
            Range::Day => 86_400_000,
            Range::TenDays => 864_000_000,
        }
    }

    pub fn parse(text: &str) -> Result<Range, String> {
        Range::ALL
            .into_iter()
            .find(|range| range.as_str() == text)
            .ok_or_else(|| format!("unknown range \"{text}\"; the ranges are 1h, 1d and 10d"))
    }
}

/// One evaluation of the autoscaler that changed the desired count, or
/// wanted to and could not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalingActivity {
    /// Milliseconds since the Unix epoch.
    pub at: u64,
    pub from_count: u32,
    pub to_count: u32,
    /// The count the utilization alone called for.
    pub recommendation: u32,
    /// The utilization the recommendation was computed from (may exceed 1
    /// when requests were rejected).
    pub utilization: f64,
    /// The change or the limit that held it, with its cause, in plain words.
    pub reason: String,
}

/// Direction of a recommended change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RecommendationKind {
    ScaleUp,
    ScaleDown,
}

/// A suggested change with the figures behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    pub kind: RecommendationKind,
    pub title: String,
    /// The figures behind the suggestion, in plain words.
    pub evidence: String,
    /// Body for `set-feature-server-config` that applies the suggestion.
    pub apply: String,
}

/// Autoscaler settings, as `GET /api/v1/autoscaler` returns them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoscalerSettings {
    /// Utilization the autoscaler aims at, from 0 to 1.
    pub target_utilization: f64,
    /// Seconds between two evaluations, in cluster time.
    pub evaluation_interval_seconds: u64,
    /// How many times faster than the wall clock the embedded cluster runs.
    pub time_scale: f64,
    /// The rate rules in plain words.
    pub rules: Vec<String>,
    pub behavior: crate::autoscaling::Behavior,
}

/// An event of `GET /api/v1/monitoring/stream`, sent as server-sent events
/// named after the variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type", content = "data")]
pub enum LiveEvent {
    Config(FeatureServerConfig),
    Sample(Sample),
    Activity(ScalingActivity),
}

impl LiveEvent {
    /// Returns the server-sent event name.
    pub fn name(&self) -> &'static str {
        match self {
            LiveEvent::Config(_) => "config",
            LiveEvent::Sample(_) => "sample",
            LiveEvent::Activity(_) => "activity",
        }
    }
}
