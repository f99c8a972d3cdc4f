//! The Monitoring page: charts of the sampled utilization, pods, traffic and
//! latency over a chosen range, the autoscaler's activity, and the
//! recommendations with a button that applies each.
//!
//! Samples, activity and recommendations are fetched when the page opens
//! and whenever the live source signals a refresh. Over the stream, new
//! samples extend the hour chart and new activity joins the list without a
//! refetch. The longer ranges are fetched again when an interval of theirs
//! completes, and the recommendations after new samples or configuration.

mod activity;
mod chart;
mod recommendations;

use std::collections::VecDeque;

use headroom_api::monitoring::{Range, Sample};
use leptos::either::EitherOf4;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::api::{self, ApiError};
use crate::feedback::ErrorSlot;
use crate::live::use_live;
use crate::session::{Session, use_session};
use activity::ActivityList;
use chart::Charts;
use recommendations::Recommendations;

/// The samples of one range, as `GET /api/v1/monitoring/samples` returns
/// them, oldest first.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Series {
    pub range: Range,
    /// Length of the interval each sample covers, in milliseconds.
    pub resolution_ms: u64,
    pub samples: Vec<Sample>,
}

/// Data that the page fetches, with the error of the last fetch. A failed
/// fetch keeps the data of the one before.
pub struct Fetched<T: Send + Sync + 'static> {
    pub value: RwSignal<Option<T>>,
    pub error: RwSignal<Option<ApiError>>,
    /// Numbers the requests, so that only the response to the newest one is
    /// stored.
    requests: StoredValue<u64>,
}

impl<T: Send + Sync + 'static> Clone for Fetched<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Fetched<T> {}

impl<T: DeserializeOwned + PartialEq + Send + Sync + 'static> Fetched<T> {
    pub fn new() -> Fetched<T> {
        Fetched {
            value: RwSignal::new(None),
            error: RwSignal::new(None),
            requests: StoredValue::new(0),
        }
    }

    /// Fetches `url` and stores the response after `merge` has added what
    /// the stream delivered meanwhile. A response equal to the stored value
    /// leaves it alone, so the page keeps its elements and their focus.
    pub fn load(self, session: Session, url: String, merge: impl FnOnce(&mut T) + 'static) {
        let request = self.requests.get_value() + 1;
        self.requests.set_value(request);
        spawn_local(async move {
            let result = session.get::<T>(&url).await;
            if self.requests.try_get_value() != Some(request) {
                return;
            }
            match result {
                Ok(mut value) => {
                    merge(&mut value);
                    if self
                        .value
                        .with_untracked(|stored| stored.as_ref() != Some(&value))
                    {
                        self.value.set(Some(value));
                    }
                    if self.error.with_untracked(Option::is_some) {
                        self.error.set(None);
                    }
                }
                // The same error on every refresh is announced only once.
                Err(error) => {
                    if self
                        .error
                        .with_untracked(|last| last.as_ref() != Some(&error))
                    {
                        self.error.set(Some(error));
                    }
                }
            }
        });
    }
}

/// The content of the chart panel.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ChartsState {
    Loading,
    Failed,
    Empty,
    Ready,
}

#[component]
pub fn Monitoring() -> impl IntoView {
    let range = RwSignal::new(Range::Hour);
    let reloads = RwSignal::new(0_u32);
    let series = Fetched::<Series>::new();

    let session = use_session();
    let live = use_live();

    Effect::new(move |_| {
        let chosen = range.get();
        live.refresh().track();
        reloads.track();
        let url = format!("{}?range={}", api::SAMPLES_URL, chosen.as_str());
        series.load(session, url, move |fetched| {
            live.samples()
                .with_untracked(|streamed| extend_hour(fetched, streamed));
        });
    });
    // Samples that arrive over the stream extend the hour without a refetch.
    // The longer ranges hold rolled-up samples, so they are fetched again
    // each time a streamed sample starts a new interval of theirs.
    Effect::new(move |_| {
        live.samples().with(|streamed| {
            let rolled_up = series.value.with_untracked(|series| {
                series
                    .as_ref()
                    .is_some_and(|series| starts_interval(series, streamed))
            });
            if rolled_up {
                reloads.update(|count| *count += 1);
                return;
            }
            series.value.maybe_update(|series| {
                series
                    .as_mut()
                    .is_some_and(|series| extend_hour(series, streamed))
            });
        });
    });

    let state = Memo::new(move |_| {
        let empty = series.value.with(|series| {
            series
                .as_ref()
                .filter(|series| series.range == range.get())
                .map(|series| series.samples.is_empty())
        });
        match empty {
            Some(false) => ChartsState::Ready,
            Some(true) => ChartsState::Empty,
            None if series.error.with(Option::is_some) => ChartsState::Failed,
            None => ChartsState::Loading,
        }
    });

    let retry = move |_| reloads.update(|count| *count += 1);

    view! {
        <h1>"Monitoring"</h1>
        <RangeSelector range />
        <section
            class="panel"
            aria-labelledby="charts-heading"
            aria-busy=move || (state.get() == ChartsState::Loading).then_some("true")
        >
            <h2 id="charts-heading">{move || range_heading(range.get())}</h2>
            {move || match state.get() {
                ChartsState::Loading => EitherOf4::A(view! {
                    <p id="samples-loading" class="loading" role="status">
                        "Loading samples…"
                    </p>
                }),
                ChartsState::Failed => EitherOf4::B(view! {
                    <div class="load-failed">
                        <ErrorSlot
                            id="samples-error"
                            error=series.error
                            context="The samples could not be loaded:"
                        />
                        <button id="retry-samples" type="button" on:click=retry>
                            "Try again"
                        </button>
                    </div>
                }),
                ChartsState::Empty => EitherOf4::C(view! {
                    <p id="samples-empty" class="empty">"No samples yet"</p>
                    <p class="hint">
                        "The control plane records utilization, traffic and pod counts at a fixed interval; charts appear with the first sample."
                    </p>
                }),
                ChartsState::Ready => EitherOf4::D(view! {
                    <ErrorSlot
                        id="samples-refresh-error"
                        error=series.error
                        context="The charts may be out of date, because the last refresh failed:"
                    />
                    <Charts series=series.value />
                }),
            }}
        </section>
        <div class="monitoring-lists">
            <Recommendations />
            <ActivityList />
        </div>
    }
}

/// Renders the range choice as radio buttons, so the arrow keys move between
/// the ranges as in any radio group.
#[component]
fn RangeSelector(range: RwSignal<Range>) -> impl IntoView {
    let option = move |choice: Range| {
        let id = format!("range-{}", choice.as_str());
        view! {
            <input
                type="radio"
                name="range"
                id=id.clone()
                value=choice.as_str()
                prop:checked=move || range.get() == choice
                on:change=move |_| range.set(choice)
            />
            <label for=id>{range_label(choice)}</label>
        }
    };

    view! {
        <fieldset class="range-selector">
            <legend>"Time range"</legend>
            {Range::ALL.map(option)}
        </fieldset>
    }
}

fn range_label(range: Range) -> &'static str {
    match range {
        Range::Hour => "1 hour",
        Range::Day => "1 day",
        Range::TenDays => "10 days",
    }
}

fn range_heading(range: Range) -> &'static str {
    match range {
        Range::Hour => "Last hour",
        Range::Day => "Last day",
        Range::TenDays => "Last 10 days",
    }
}

/// Returns whether the newest streamed sample starts a new interval of a
/// rolled-up series, which completes the interval before it.
fn starts_interval(series: &Series, streamed: &VecDeque<Sample>) -> bool {
    if series.range == Range::Hour || series.resolution_ms == 0 {
        return false;
    }
    let mut newest = streamed.iter().rev();
    match (newest.next(), newest.next()) {
        (Some(last), Some(before)) => {
            last.at / series.resolution_ms != before.at / series.resolution_ms
        }
        _ => false,
    }
}

/// Appends the streamed samples that are newer than the last one of an
/// hour series, then drops the samples that have fallen out of the hour.
/// Returns whether the series changed.
fn extend_hour(series: &mut Series, streamed: &VecDeque<Sample>) -> bool {
    if series.range != Range::Hour {
        return false;
    }
    let samples = &mut series.samples;
    let last = samples.last().map_or(0, |sample| sample.at);
    let count = samples.len();
    samples.extend(streamed.iter().filter(|sample| sample.at > last).cloned());
    if samples.len() == count {
        return false;
    }
    let newest = samples.last().map_or(0, |sample| sample.at);
    let start = newest.saturating_sub(Range::Hour.millis());
    samples.retain(|sample| sample.at > start);
    true
}
