//! The autoscaler's activity: every change of the desired count, and every
//! evaluation that a rule held back, newest first.

use std::collections::VecDeque;

use headroom_api::monitoring::ScalingActivity;
use leptos::either::Either;
use leptos::prelude::*;

use super::Fetched;
use crate::api;
use crate::feedback::ErrorSlot;
use crate::format::{date, iso};
use crate::live::{MAX_ACTIVITY, use_live};
use crate::session::use_session;

#[component]
pub fn ActivityList() -> impl IntoView {
    let activity = Fetched::<Vec<ScalingActivity>>::new();

    let session = use_session();
    let live = use_live();

    Effect::new(move |_| {
        live.refresh().track();
        activity.load(session, api::ACTIVITY_URL.to_owned(), move |fetched| {
            live.activity()
                .with_untracked(|streamed| add_newer(fetched, streamed));
        });
    });
    // Entries that arrive over the stream join the list without a refetch.
    Effect::new(move |_| {
        live.activity().with(|streamed| {
            activity
                .value
                .maybe_update(|list| list.as_mut().is_some_and(|list| add_newer(list, streamed)));
        });
    });

    let announcement = move || {
        live.activity()
            .with(|streamed| streamed.front().map(|entry| entry.reason.clone()))
    };

    view! {
        <section class="panel" aria-labelledby="activity-heading">
            <h2 id="activity-heading">"Scaling activity"</h2>
            <ErrorSlot
                id="activity-error"
                error=activity.error
                context="The activity below may be out of date, because the last refresh failed:"
            />
            {move || match activity.value.with(|list| list.as_ref().map(Vec::is_empty)) {
                None => Some(Either::Left(view! {
                    <p class="loading" role="status">"Loading the activity…"</p>
                })),
                Some(true) => Some(Either::Right(view! {
                    <p id="activity-empty" class="empty">
                        "No scaling activity yet. Entries appear when the autoscaler changes the desired count or a rule holds it back."
                    </p>
                })),
                Some(false) => None,
            }}
            <ol id="activity" class="activity-list">
                {move || {
                    activity
                        .value
                        .get()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|entry| view! { <ActivityItem entry /> })
                        .collect_view()
                }}
            </ol>
            // The list is rebuilt on every change, so screen readers hear
            // only the newest entry, from here.
            <p class="visually-hidden" role="status">
                {announcement}
            </p>
        </section>
    }
}

/// Puts the streamed entries that are newer than the newest of `list` in
/// front of it, keeping at most MAX_ACTIVITY. Returns whether the list
/// changed.
fn add_newer(list: &mut Vec<ScalingActivity>, streamed: &VecDeque<ScalingActivity>) -> bool {
    let newest = list.first().map_or(0, |entry| entry.at);
    let newer: Vec<ScalingActivity> = streamed
        .iter()
        .filter(|entry| entry.at > newest)
        .cloned()
        .collect();
    if newer.is_empty() {
        return false;
    }
    list.splice(0..0, newer);
    list.truncate(MAX_ACTIVITY);
    true
}

#[component]
fn ActivityItem(entry: ScalingActivity) -> impl IntoView {
    view! {
        <li class="activity-item">
            <time datetime=iso(entry.at)>{date(entry.at, true)}</time>
            <span class="change">{format!("{} → {}", entry.from_count, entry.to_count)}</span>
            <span class="reason">{entry.reason}</span>
        </li>
    }
}
