//! The Feature Servers page: the pod counts, which the live source keeps
//! current, and the forms that change the provisioned count or the
//! autoscaling bounds.

mod forms;
mod rules;

use headroom_api::scaling::{FeatureServerConfig, Limits, ScalingRequest};
use leptos::either::EitherOf3;
use leptos::prelude::*;

use crate::api::{self, ApiError, Method};
use crate::feedback::{ErrorAlert, ErrorSlot};
use crate::live::use_live;
use crate::session::use_session;
use forms::ScalingForms;

/// A scaling request that was sent, and the configuration it led to.
pub type Applied = (ScalingRequest, Result<FeatureServerConfig, ApiError>);

/// The configuration and the limits it is checked against.
#[derive(Clone, PartialEq)]
struct Snapshot {
    config: FeatureServerConfig,
    limits: Limits,
}

#[component]
pub fn FeatureServers() -> impl IntoView {
    let session = use_session();
    let live = use_live();

    let apply = Action::new_local(move |request: &ScalingRequest| {
        let request = *request;
        async move {
            let body = Some(request.to_json());
            let result = session.send(Method::Post, api::SET_CONFIG_URL, body).await;
            (request, result)
        }
    });

    // The response shows at once; the stream's `config` event follows.
    Effect::new(move |_| {
        if let Some((_, Ok(config))) = apply.value().get() {
            live.set_config(config);
        }
    });

    let retry = move |_| live.poll_now();

    // The last snapshot that arrived. The live source keeps it while a
    // later poll fails.
    let last_snapshot = Memo::new(move |_| {
        let config = live.config().get()?;
        let limits = live.limits().get()?;
        Some(Snapshot { config, limits })
    });
    let poll_error = Memo::new(move |_| live.config_error().get());
    let is_ready = Memo::new(move |_| last_snapshot.with(Option::is_some));

    view! {
        <h1>"Feature Servers"</h1>
        {move || {
            if let (true, Some(initial)) = (is_ready.get(), last_snapshot.get_untracked()) {
                return EitherOf3::A(view! { <ReadyPage initial last_snapshot apply poll_error /> });
            }
            match poll_error.get() {
                Some(error) => EitherOf3::B(view! {
                    <section class="load-failed">
                        <ErrorAlert id="load-error" error />
                        <button id="retry-load" type="button" on:click=retry>
                            "Try again"
                        </button>
                    </section>
                }),
                None => EitherOf3::C(view! {
                    <p id="loading" class="loading" role="status">
                        "Loading the feature server configuration…"
                    </p>
                }),
            }
        }}
    }
}

/// Renders the page once the first snapshot has arrived. It stays mounted
/// while later polls fail, so that typed input is kept.
#[component]
fn ReadyPage(
    /// The snapshot that was last when this page was built.
    initial: Snapshot,
    /// The last snapshot, which returns to `None` only on sign-out, which
    /// unmounts this page.
    last_snapshot: Memo<Option<Snapshot>>,
    apply: Action<ScalingRequest, Applied>,
    poll_error: Memo<Option<ApiError>>,
) -> impl IntoView {
    let limits = initial.limits;
    let config = Signal::derive(move || {
        last_snapshot.with(|snapshot| snapshot.as_ref().unwrap_or(&initial).config.clone())
    });

    view! {
        <ErrorSlot
            id="refresh-error"
            error=poll_error
            context="The pod counts below may be out of date, because the last refresh failed:"
        />
        <PodCounts config />
        <ScalingForms config limits apply />
    }
}

#[component]
fn PodCounts(config: Signal<FeatureServerConfig>) -> impl IntoView {
    let current = Signal::derive(move || config.with(|config| config.current_count));
    let available = Signal::derive(move || config.with(|config| config.available_count));
    let desired = Signal::derive(move || config.with(|config| config.desired_count));
    let mode = Signal::derive(move || config.with(mode_text));
    let starting = Memo::new(move |_| available.get() < desired.get());
    let progress_text =
        Signal::derive(move || format!("{} of {} pods available", available.get(), desired.get()));

    view! {
        <section class="panel" aria-labelledby="pods-heading">
            <h2 id="pods-heading">"Pods"</h2>
            <dl class="counts">
                <div>
                    <dt>"Current"</dt>
                    <dd id="current-count">{current}</dd>
                </div>
                <div>
                    <dt>"Available"</dt>
                    <dd id="available-count">{available}</dd>
                </div>
                <div>
                    <dt>"Desired"</dt>
                    <dd id="desired-count">{desired}</dd>
                </div>
                <div class="mode">
                    <dt>"Mode"</dt>
                    <dd id="mode">{mode}</dd>
                </div>
            </dl>
            <p class="counts-hint">
                "Current pods exist, ready or still starting. Available pods are ready to serve."
            </p>
            {move || {
                starting
                    .get()
                    .then(|| {
                        view! {
                            <div class="startup">
                                <label for="startup-progress" id="startup-progress-text">
                                    {progress_text}
                                </label>
                                <progress
                                    id="startup-progress"
                                    max=desired
                                    value=available
                                ></progress>
                            </div>
                        }
                    })
            }}
        </section>
    }
}

/// Describes the scaling mode, such as "Autoscaling between 2 and 10 pods".
fn mode_text(config: &FeatureServerConfig) -> String {
    let autoscaling = &config.auto_scaling_config;
    match (
        autoscaling.enabled,
        autoscaling.min_node_count,
        autoscaling.max_node_count,
    ) {
        (true, Some(min), Some(max)) => format!("Autoscaling between {min} and {max} pods"),
        (true, _, _) => "Autoscaling".to_owned(),
        (false, _, _) => "Provisioned".to_owned(),
    }
}
