//! Line charts of the samples, drawn as inline SVG.
//!
//! The horizontal axis spans the whole range and ends at the newest sample,
//! because samples carry cluster time, which may run ahead of the browser's
//! clock. Coordinates are whole units of a 640 × 200 view box, so paths need
//! no float formatting. A line breaks where samples are missing.

use std::fmt::Write;

use headroom_api::monitoring::Sample;
use leptos::prelude::*;

use super::Series;
use crate::format::{clock_time, date, fixed, percent};

const VIEW_BOX: &str = "0 0 640 200";
const LEFT: i32 = 64;
const RIGHT: i32 = 628;
const TOP: i32 = 12;
const BOTTOM: i32 = 172;
/// Baseline of the time labels.
const TIME_LABEL_Y: i32 = 192;
/// Length of a day in milliseconds. Ranges longer than a day label their
/// time axis with dates instead of times of day.
const DAY_MS: u64 = 86_400_000;

/// A figure of the samples that a chart draws as one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Metric {
    UtilizationAvg,
    UtilizationMax,
    UtilizationMin,
    Current,
    Available,
    Desired,
    Requests,
    Rejected,
    LatencyP50,
    LatencyP95,
    LatencyP99,
}

impl Metric {
    fn value(self, sample: &Sample) -> f64 {
        match self {
            Metric::UtilizationAvg => sample.utilization_avg,
            Metric::UtilizationMax => sample.utilization_max,
            Metric::UtilizationMin => sample.utilization_min,
            Metric::Current => f64::from(sample.current_count),
            Metric::Available => f64::from(sample.available_count),
            Metric::Desired => f64::from(sample.desired_count),
            Metric::Requests => sample.request_rate,
            Metric::Rejected => sample.rejected_rate,
            Metric::LatencyP50 => sample.latency_p50_ms,
            Metric::LatencyP95 => sample.latency_p95_ms,
            Metric::LatencyP99 => sample.latency_p99_ms,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Metric::UtilizationAvg => "Average",
            Metric::UtilizationMax => "Maximum",
            Metric::UtilizationMin => "Minimum",
            Metric::Current => "Current",
            Metric::Available => "Available",
            Metric::Desired => "Desired",
            Metric::Requests => "Served",
            Metric::Rejected => "Rejected (429)",
            Metric::LatencyP50 => "p50",
            Metric::LatencyP95 => "p95",
            Metric::LatencyP99 => "p99",
        }
    }
}

/// The unit of a chart's vertical axis, which sets its maximum and labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    /// A fraction from 0 to 1, labelled in percent.
    Fraction,
    Pods,
    PerSecond,
    Millis,
}

impl Unit {
    /// Returns the top of the axis: 100% for fractions, otherwise a round
    /// number at or above the peak. The middle of a pod axis is a whole
    /// number too.
    fn axis_max(self, peak: f64) -> f64 {
        match self {
            Unit::Fraction => 1.0,
            Unit::Pods => {
                let max = round_up(peak).max(2.0);
                if max % 2.0 == 0.0 { max } else { max + 1.0 }
            }
            Unit::PerSecond | Unit::Millis => round_up(peak),
        }
    }

    fn label(self, value: f64) -> String {
        let decimals = if value == value.floor() {
            0
        } else if value < 1.0 {
            2
        } else {
            1
        };
        match self {
            Unit::Fraction => percent(value),
            Unit::Pods => fixed(value, decimals),
            Unit::PerSecond => format!("{}/s", fixed(value, decimals)),
            Unit::Millis => format!("{} ms", fixed(value, decimals)),
        }
    }
}

/// The ids, caption, unit and lines of one chart.
struct ChartSpec {
    id: &'static str,
    caption: &'static str,
    latest_id: &'static str,
    unit: Unit,
    metrics: &'static [Metric],
    latest: fn(&Sample) -> String,
}

const CHARTS: [ChartSpec; 4] = [
    ChartSpec {
        id: "chart-utilization",
        caption: "Pod utilization",
        latest_id: "latest-utilization",
        unit: Unit::Fraction,
        metrics: &[
            Metric::UtilizationAvg,
            Metric::UtilizationMax,
            Metric::UtilizationMin,
        ],
        latest: latest_utilization,
    },
    ChartSpec {
        id: "chart-pods",
        caption: "Pods",
        latest_id: "latest-pods",
        unit: Unit::Pods,
        metrics: &[Metric::Current, Metric::Available, Metric::Desired],
        latest: latest_pods,
    },
    ChartSpec {
        id: "chart-requests",
        caption: "Feature requests",
        latest_id: "latest-requests",
        unit: Unit::PerSecond,
        metrics: &[Metric::Requests, Metric::Rejected],
        latest: latest_requests,
    },
    ChartSpec {
        id: "chart-latency",
        caption: "Latency of served requests",
        latest_id: "latest-latency",
        unit: Unit::Millis,
        metrics: &[Metric::LatencyP50, Metric::LatencyP95, Metric::LatencyP99],
        latest: latest_latency,
    },
];

fn latest_utilization(sample: &Sample) -> String {
    format!(
        "Utilization {} (max {})",
        percent(sample.utilization_avg),
        percent(sample.utilization_max)
    )
}

fn latest_pods(sample: &Sample) -> String {
    format!(
        "{} current, {} available, {} desired",
        sample.current_count, sample.available_count, sample.desired_count
    )
}

fn latest_requests(sample: &Sample) -> String {
    format!(
        "{} requests/s, {} rejected/s",
        fixed(sample.request_rate, 1),
        fixed(sample.rejected_rate, 1)
    )
}

fn latest_latency(sample: &Sample) -> String {
    format!(
        "p50 {} ms, p95 {} ms, p99 {} ms",
        fixed(sample.latency_p50_ms, 0),
        fixed(sample.latency_p95_ms, 0),
        fixed(sample.latency_p99_ms, 0)
    )
}

/// Renders the four charts of a series that has at least one sample.
#[component]
pub fn Charts(series: RwSignal<Option<Series>>) -> impl IntoView {
    view! {
        <div class="charts">
            {CHARTS.iter().map(|spec| view! { <Chart spec series /> }).collect_view()}
        </div>
    }
}

#[component]
fn Chart(spec: &'static ChartSpec, series: RwSignal<Option<Series>>) -> impl IntoView {
    let caption_id = format!("{}-caption", spec.id);
    let labelled_by = format!("{caption_id} {}", spec.latest_id);

    let points =
        move || series.with(|series| series.as_ref().map_or(0, |series| series.samples.len()));
    let markup = move || series.with(|series| series.as_ref().map(|series| draw(spec, series)));
    let latest = move || {
        series.with(|series| {
            series
                .as_ref()
                .and_then(|series| series.samples.last())
                .map(spec.latest)
        })
    };

    view! {
        <figure class="chart">
            <figcaption id=caption_id>{spec.caption}</figcaption>
            <svg
                id=spec.id
                viewBox=VIEW_BOX
                role="img"
                aria-labelledby=labelled_by
                data-points=points
                inner_html=markup
            ></svg>
            <ul class="legend">
                {spec
                    .metrics
                    .iter()
                    .enumerate()
                    .map(|(index, metric)| {
                        view! {
                            <li>
                                <span class=format!("swatch line-{index}")></span>
                                {metric.label()}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <p id=spec.latest_id class="latest">{latest}</p>
        </figure>
    }
}

/// Builds the SVG elements of a chart: the value grid with its labels, the
/// time labels and one path per metric. The only text in them is numbers
/// and times formatted here, so nothing needs escaping.
fn draw(spec: &ChartSpec, series: &Series) -> String {
    let samples = &series.samples;
    let end = samples.last().map_or(0, |sample| sample.at);
    let span = series.range.millis();
    let start = end.saturating_sub(span);

    let peak = samples
        .iter()
        .flat_map(|sample| spec.metrics.iter().map(|metric| metric.value(sample)))
        .fold(0.0, f64::max);
    let max = spec.unit.axis_max(peak);
    let height = f64::from(BOTTOM - TOP);
    let y = |value: f64| BOTTOM - (value.clamp(0.0, max) / max * height + 0.5).floor() as i32;
    let mut markup = String::new();
    for value in [0.0, max / 2.0, max] {
        let (y, label) = (y(value), spec.unit.label(value));
        let _ = write!(
            markup,
            r#"<line class="grid" x1="{LEFT}" x2="{RIGHT}" y1="{y}" y2="{y}"/><text class="value-tick" x="{}" y="{}">{label}</text>"#,
            LEFT - 6,
            y + 4
        );
    }

    let with_day = span > DAY_MS;
    let time_label = |at: u64| {
        if with_day {
            date(at, false)
        } else {
            clock_time(at, false)
        }
    };
    let middle = (LEFT + RIGHT) / 2;
    for (class, x, at) in [
        ("start", LEFT, start),
        ("middle", middle, start + span / 2),
        ("end", RIGHT, end),
    ] {
        let _ = write!(
            markup,
            r#"<text class="time-tick {class}" x="{x}" y="{TIME_LABEL_Y}">{}</text>"#,
            time_label(at)
        );
    }

    // A gap of more than two and a half intervals means missing samples.
    let gap = series.resolution_ms * 5 / 2;
    let width = f64::from(RIGHT - LEFT);
    let x = |at: u64| {
        let offset = at.saturating_sub(start) as f64 / span.max(1) as f64;
        LEFT + (offset * width + 0.5).floor() as i32
    };
    for (index, metric) in spec.metrics.iter().enumerate() {
        let data = path(
            samples,
            |sample| (x(sample.at), y(metric.value(sample))),
            gap,
        );
        let _ = write!(markup, r#"<path class="line line-{index}" d="{data}"/>"#);
    }

    markup
}

/// Builds SVG path data through the samples, starting a new segment after
/// a gap. Each segment starts with a 1-unit stroke, so that a lone sample
/// shows as a dot.
fn path(samples: &[Sample], point: impl Fn(&Sample) -> (i32, i32), gap: u64) -> String {
    let mut data = String::new();
    let mut previous: Option<(u64, (i32, i32))> = None;
    for sample in samples {
        let (x, y) = point(sample);
        match previous {
            Some((at, last)) if sample.at.saturating_sub(at) <= gap => {
                if last != (x, y) {
                    let _ = write!(data, "L{x} {y}");
                }
            }
            _ => {
                let _ = write!(data, "M{x} {y}h1");
            }
        }
        previous = Some((sample.at, (x, y)));
    }
    data
}

/// Rounds up to 1, 2 or 5 times a power of ten, and to at least 1.
fn round_up(value: f64) -> f64 {
    if value.is_nan() || value <= 1.0 {
        return 1.0;
    }
    let mut power = 1.0;
    while power * 10.0 < value {
        power *= 10.0;
    }
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|step| step * power)
        .find(|candidate| *candidate >= value)
        .unwrap_or(power * 10.0)
}
