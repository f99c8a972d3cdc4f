//! Recommendations from the monitoring history, each with a button that
//! applies it.
//!
//! A recommendation carries the exact `set-feature-server-config` body that
//! applies it. Before sending the body, the console parses it and checks it
//! with the shared crate's `validate` against the configuration and limits
//! of the live source, as the Feature Servers forms do. Errors stay next to
//! the recommendation they concern.

use gloo_timers::callback::Timeout;
use headroom_api::access::Permission;
use headroom_api::monitoring::Recommendation;
use headroom_api::scaling::{FeatureServerConfig, ScalingRequest, validate};
use leptos::either::Either;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::Fetched;
use crate::api::{self, ApiError, Method};
use crate::feedback::{ErrorSlot, error_text};
use crate::live::{Live, use_live};
use crate::session::use_session;

/// Milliseconds from a live event to the refetch it leads to, so that a burst
/// of events costs one request.
const RECHECK_DELAY_MS: u32 = 1_000;

/// The reason a recommendation was not applied.
#[derive(Clone, Debug, PartialEq)]
enum ApplyError {
    /// The console's own checks rejected the body.
    Invalid(String),
    /// The server rejected the request, or it failed.
    Request(ApiError),
}

#[component]
pub fn Recommendations() -> impl IntoView {
    let list = Fetched::<Vec<Recommendation>>::new();
    let rechecks = RwSignal::new(0_u64);
    let pending = RwSignal::new(false);
    let status = RwSignal::new(None::<String>);
    // The last error of each recommendation, by its `apply` body.
    let errors = RwSignal::new(Vec::<(String, ApplyError)>::new());
    let timer = StoredValue::new_local(None::<Timeout>);
    let scheduled = StoredValue::new(false);

    let session = use_session();
    let live = use_live();

    Effect::new(move |_| {
        live.refresh().track();
        rechecks.track();
        list.load(session, api::RECOMMENDATIONS_URL.to_owned(), |_| {});
    });

    // Recommendations follow the samples and the configuration, so each
    // event leads to a refetch, at most one per RECHECK_DELAY_MS.
    Effect::new(move |previous: Option<()>| {
        live.samples().track();
        live.config().track();
        if previous.is_none() || scheduled.get_value() {
            return;
        }
        scheduled.set_value(true);
        let next = Timeout::new(RECHECK_DELAY_MS, move || {
            scheduled.try_set_value(false);
            rechecks.try_update(|count| *count += 1);
        });
        timer.set_value(Some(next));
    });
    on_cleanup(move || {
        timer.try_update_value(|timer| timer.take());
    });

    let apply = Callback::new(move |recommendation: Recommendation| {
        let Recommendation {
            title, apply: body, ..
        } = recommendation;
        status.set(None);
        errors.update(|errors| errors.retain(|(failed, _)| *failed != body));
        if let Err(error) = check(&body, live) {
            errors.update(|errors| errors.push((body, error)));
            return;
        }

        pending.set(true);
        spawn_local(async move {
            let result = session
                .send::<FeatureServerConfig>(Method::Post, api::SET_CONFIG_URL, Some(body.clone()))
                .await;
            pending.try_set(false);
            match result {
                Ok(config) => {
                    live.set_config(config);
                    status.try_set(Some(format!("Applied: {title}.")));
                    rechecks.try_update(|count| *count += 1);
                }
                Err(error) => {
                    errors.try_update(|errors| errors.push((body, ApplyError::Request(error))));
                }
            }
        });
    });

    // The account cannot change while this page is shown, because signing
    // in again goes through the sign-in page.
    let read_only = untrack(|| !session.can(Permission::ScaleFeatureServer));

    view! {
        <section class="panel" aria-labelledby="recommendations-heading">
            <h2 id="recommendations-heading">"Recommendations"</h2>
            {read_only
                .then(|| {
                    view! {
                        <p id="recommendations-read-only" class="alert notice">
                            "You have read-only access, so you cannot apply recommendations; an admin can grant the admin role under "
                            <a href="/access">"Accounts and Access"</a>
                            "."
                        </p>
                    }
                })}
            // The status element stays in the page while empty, because
            // screen readers announce changes of a live region only once it
            // exists.
            <p id="recommendation-status" class="alert success" role="status">
                {status}
            </p>
            <ErrorSlot
                id="recommendations-error"
                error=list.error
                context="The recommendations below may be out of date, because the last refresh failed:"
            />
            {move || match list.value.with(|list| list.as_ref().map(Vec::is_empty)) {
                None => Some(Either::Left(view! {
                    <p class="loading" role="status">"Loading the recommendations…"</p>
                })),
                Some(true) => Some(Either::Right(view! {
                    <p id="recommendations-empty" class="empty">
                        "No recommendations right now. They appear when requests are rejected or pods run close to full, and after 10 days of low utilization."
                    </p>
                })),
                Some(false) => None,
            }}
            <ul id="recommendations" class="recommendations">
                {move || {
                    list.value
                        .get()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|recommendation| {
                            view! { <RecommendationItem recommendation errors read_only pending apply /> }
                        })
                        .collect_view()
                }}
            </ul>
        </section>
    }
}

#[component]
fn RecommendationItem(
    recommendation: Recommendation,
    errors: RwSignal<Vec<(String, ApplyError)>>,
    read_only: bool,
    pending: RwSignal<bool>,
    apply: Callback<Recommendation>,
) -> impl IntoView {
    let body = recommendation.apply.clone();
    let error = move || {
        let error = errors.with(|errors| {
            errors
                .iter()
                .find(|(failed, _)| *failed == body)
                .map(|(_, error)| error.clone())
        })?;
        let text = match error {
            ApplyError::Invalid(message) => Either::Left(message),
            ApplyError::Request(error) => Either::Right(error_text(error)),
        };
        Some(view! {
            <p class="alert error recommendation-error" role="alert">
                {text}
            </p>
        })
    };
    let Recommendation {
        title, evidence, ..
    } = recommendation.clone();
    let on_click = move |_| apply.run(recommendation.clone());

    view! {
        <li class="recommendation">
            <h3>{title}</h3>
            <p class="evidence">{evidence}</p>
            <button
                type="button"
                class="primary apply-recommendation"
                disabled=move || read_only || pending.get()
                on:click=on_click
            >
                "Apply"
            </button>
            {error}
        </li>
    }
}

/// Parses a recommendation's body and checks it against the configuration
/// and limits the console has, with the rules the server applies.
fn check(body: &str, live: Live) -> Result<(), ApplyError> {
    let request = ScalingRequest::parse(body.as_bytes()).map_err(|status| {
        ApplyError::Invalid(format!(
            "The server sent a recommendation that is not a valid scaling request: {}",
            status.message
        ))
    })?;
    let config = live.config().get_untracked();
    let limits = live.limits().get_untracked();
    let (Some(config), Some(limits)) = (config, limits) else {
        return Err(ApplyError::Invalid(
            "The feature server configuration has not loaded yet; try again in a moment."
                .to_owned(),
        ));
    };
    validate(&request, &config, &limits).map_err(|status| {
        ApplyError::Invalid(format!(
            "This recommendation no longer fits the current configuration: {}",
            status.message
        ))
    })
}
