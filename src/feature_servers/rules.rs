//! The autoscaler's rules in words, shown beside the autoscaling bounds.

use headroom_api::monitoring::AutoscalerSettings;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::feedback::ErrorSlot;
use crate::format::percent;
use crate::session::use_session;

#[component]
pub fn AutoscalerRules() -> impl IntoView {
    // The target utilization and the rate rules, one sentence each.
    let rules = RwSignal::new(None::<Vec<String>>);
    let error = RwSignal::new(None::<ApiError>);

    let session = use_session();

    // The settings are command-line options of the server, so one fetch per
    // visit of the page is enough.
    spawn_local(async move {
        match session.get::<AutoscalerSettings>(api::AUTOSCALER_URL).await {
            Ok(settings) => {
                let mut lines = vec![format!(
                    "Target utilization {}",
                    percent(settings.target_utilization)
                )];
                lines.extend(settings.rules);
                rules.try_set(Some(lines));
            }
            Err(failure) => {
                error.try_set(Some(failure));
            }
        }
    });

    view! {
        <div class="autoscaler-rules">
            <h4 id="autoscaler-rules-heading">"Autoscaler rules"</h4>
            <ErrorSlot
                id="autoscaler-rules-error"
                error
                context="The autoscaler rules could not be loaded:"
            />
            <ul id="autoscaler-rules" aria-labelledby="autoscaler-rules-heading">
                {move || {
                    rules
                        .get()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|rule| view! { <li>{rule}</li> })
                        .collect_view()
                }}
            </ul>
        </div>
    }
}
