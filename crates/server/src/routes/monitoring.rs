//! Monitoring: samples, scaling activity, recommendations, the autoscaler's
//! settings, the live event stream and the Prometheus metrics.

use std::convert::Infallible;
use std::fmt::Write;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use headroom_api::Status;
use headroom_api::access::Permission;
use headroom_api::monitoring::{AutoscalerSettings, LiveEvent, Range, Recommendation, Sample, ScalingActivity};
use serde::{Deserialize, Serialize};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt};

use crate::app::AppState;
use super::QueryParams;
use crate::auth::Principal;
use crate::clock::unix_millis;
use crate::error::AppResult;
use crate::recommendations::{self, Inputs};
use crate::store::history;

/// Most activity entries one request returns.
const MAX_ACTIVITY: u32 = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplesQuery {
    range: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SamplesResponse {
    range: Range,
    /// Length of one sample's interval, in milliseconds.
    resolution_ms: u64,
    samples: Vec<Sample>,
}

pub async fn samples(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(query): QueryParams<SamplesQuery>,
) -> AppResult<Json<SamplesResponse>> {
    principal.require(Permission::ViewFeatureServerConfig)?;
    let range = Range::parse(query.range.as_deref().unwrap_or("1h")).map_err(|message| Status::invalid_field("range", message))?;

    let now = unix_millis(state.cluster_clock.now());
    let samples = state
        .store
        .run(move |connection| history::samples(connection, range, now))
        .await?;
    let tier = history::tier_for(range);
    let resolution_ms = if tier.bucket_ms == 0 {
        state.autoscaler.sample_interval.as_millis() as u64
    } else {
        tier.bucket_ms
    };
    Ok(Json(SamplesResponse {
        range,
        resolution_ms,
        samples,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityQuery {
    limit: Option<String>,
}

pub async fn activity(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(query): QueryParams<ActivityQuery>,
) -> AppResult<Json<Vec<ScalingActivity>>> {
    principal.require(Permission::ViewFeatureServerConfig)?;
    let limit = match query.limit.as_deref() {
        None => 50,
        Some(text) => text.parse::<u32>().ok().filter(|limit| (1..=MAX_ACTIVITY).contains(limit)).ok_or_else(|| {
            Status::invalid_field("limit", format!("limit must be a whole number from 1 to {MAX_ACTIVITY}, got \"{text}\""))
        })?,
    };

    let activity = state
        .store
        .run(move |connection| history::activity(connection, limit))
        .await?;
    Ok(Json(activity))
}

pub async fn recommendations(State(state): State<AppState>, principal: Principal) -> AppResult<Json<Vec<Recommendation>>> {
    principal.require(Permission::ViewFeatureServerConfig)?;

    let now = unix_millis(state.cluster_clock.now());
    let (last_hour, last_ten_days, history_start) = state
        .store
        .run(move |connection| {
            Ok((
                history::samples(connection, Range::Hour, now)?,
                history::samples(connection, Range::TenDays, now)?,
                history::history_start(connection)?,
            ))
        })
        .await?;
    let config = state.feature_servers.get();
    let found = recommendations::recommendations(&Inputs {
        config: &config,
        limits: state.feature_servers.limits(),
        target_utilization: state.autoscaler.target_utilization,
        last_hour: &last_hour,
        last_ten_days: &last_ten_days,
        history_start,
        now,
    });
    Ok(Json(found))
}

pub async fn autoscaler(State(state): State<AppState>, principal: Principal) -> AppResult<Json<AutoscalerSettings>> {
    principal.require(Permission::ViewFeatureServerConfig)?;

    let settings = &state.autoscaler;
    Ok(Json(AutoscalerSettings {
        target_utilization: settings.target_utilization,
        evaluation_interval_seconds: settings.evaluation_interval.as_secs(),
        time_scale: state.time_scale,
        rules: settings.behavior.describe(),
        behavior: settings.behavior.clone(),
    }))
}

/// Server-sent events: the current configuration first, then every change
/// of configuration or pod counts, every sample and every scaling activity.
pub async fn stream(
    State(state): State<AppState>,
    principal: Principal,
) -> AppResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    principal.require(Permission::ViewFeatureServerConfig)?;

    let first = LiveEvent::Config(state.feature_servers.get());
    let receiver = state.live.subscribe();
    let feature_servers = state.feature_servers.clone();
    let updates = BroadcastStream::new(receiver).map(move |received| match received {
        Ok(event) => event,
        // A slow reader missed events: the current configuration resyncs it.
        Err(_) => LiveEvent::Config(feature_servers.get()),
    });
    let events = tokio_stream::once(first).chain(updates).map(|event| {
        let data = match &event {
            LiveEvent::Config(config) => serde_json::to_string(config),
            LiveEvent::Sample(sample) => serde_json::to_string(sample),
            LiveEvent::Activity(activity) => serde_json::to_string(activity),
        };
        Ok(Event::default().event(event.name()).data(data.unwrap_or_default()))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// `GET /metrics` in the Prometheus text format. Scrapers authenticate like
/// scripts, with `Authorization: Tecton-key <API_KEY>`.
pub async fn metrics(State(state): State<AppState>, principal: Principal) -> AppResult<impl IntoResponse> {
    principal.require(Permission::ViewFeatureServerConfig)?;

    let config = state.feature_servers.get();
    let sample = state
        .latest_sample
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    let (served, rejected) = state.request_stats.totals();
    let mut text = String::new();
    let mut family = |name: &str, kind: &str, help: &str, rows: &[(&str, f64)]| {
        let _ = writeln!(text, "# HELP {name} {help}");
        let _ = writeln!(text, "# TYPE {name} {kind}");
        for (labels, value) in rows {
            let _ = writeln!(text, "{name}{labels} {value}");
        }
    };

    family(
        "headroom_feature_server_pods",
        "gauge",
        "Feature server pods: current exist, available are ready, desired are requested.",
        &[
            ("{state=\"current\"}", f64::from(config.current_count)),
            ("{state=\"available\"}", f64::from(config.available_count)),
            ("{state=\"desired\"}", f64::from(config.desired_count)),
        ],
    );
    let autoscaling = &config.auto_scaling_config;
    family(
        "headroom_autoscaling_enabled",
        "gauge",
        "1 when autoscaling is on, 0 when the count is provisioned.",
        &[("", if autoscaling.enabled { 1.0 } else { 0.0 })],
    );
    if let (Some(min), Some(max)) = (autoscaling.min_node_count, autoscaling.max_node_count) {
        family(
            "headroom_autoscaling_bounds_pods",
            "gauge",
            "Autoscaling bounds, in pods.",
            &[("{bound=\"min\"}", f64::from(min)), ("{bound=\"max\"}", f64::from(max))],
        );
    }
    family(
        "headroom_feature_requests_total",
        "counter",
        "Feature requests since the server started, by outcome; rejected ones got 429.",
        &[("{outcome=\"served\"}", served as f64), ("{outcome=\"rejected\"}", rejected as f64)],
    );
    if let Some(sample) = sample {
        family(
            "headroom_pod_utilization_ratio",
            "gauge",
            "Utilization of the ready pods over the last sample interval, from 0 to 1.",
            &[
                ("{stat=\"min\"}", sample.utilization_min),
                ("{stat=\"avg\"}", sample.utilization_avg),
                ("{stat=\"max\"}", sample.utilization_max),
            ],
        );
        family(
            "headroom_demand_pods",
            "gauge",
            "Work offered over the last sample interval, in fully busy pods, rejected requests included.",
            &[("", sample.demand_pods)],
        );
        family(
            "headroom_feature_request_rate",
            "gauge",
            "Feature requests per second over the last sample interval, by outcome.",
            &[("{outcome=\"served\"}", sample.request_rate), ("{outcome=\"rejected\"}", sample.rejected_rate)],
        );
        family(
            "headroom_feature_request_latency_seconds",
            "gauge",
            "Latency percentiles of served feature requests over the last sample interval.",
            &[
                ("{quantile=\"0.5\"}", sample.latency_p50_ms / 1000.0),
                ("{quantile=\"0.95\"}", sample.latency_p95_ms / 1000.0),
                ("{quantile=\"0.99\"}", sample.latency_p99_ms / 1000.0),
            ],
        );
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text))
}
