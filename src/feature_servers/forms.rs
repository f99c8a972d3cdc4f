//! The two scaling forms of the Feature Servers page.
//!
//! Both forms build a [`ScalingRequest`] and check it on every keystroke
//! with `parse_count_input` and `validate` of the shared API crate, against
//! the configuration and limits fetched last, so the console rejects what
//! the server would reject, with the same messages. The server's own
//! rejections are shown next to the input they name, and anything else
//! (permission, conflict, network) above the forms.

use headroom_api::FieldViolation;
use headroom_api::access::Permission;
use headroom_api::scaling::{
    FIELD_COUNT, FIELD_MAX, FIELD_MIN, FeatureServerConfig, Limits, ScalingRequest,
    parse_count_input, validate,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::Applied;
use super::rules::AutoscalerRules;
use crate::feedback::{Outcome, OutcomeMessages};
use crate::field::{Field, InputKind, TextField, place_violations};
use crate::session::use_session;

/// The request a form would send, or the violations that stop it. `None`
/// means there is nothing to send because the input matches the current
/// configuration.
type Checked = Result<Option<ScalingRequest>, Vec<FieldViolation>>;

/// The inputs of both forms. They live as long as the page, so that a form
/// that is hidden and shown again keeps what was typed.
#[derive(Clone, Copy)]
struct Inputs {
    count: Field,
    autoscaling: RwSignal<bool>,
    autoscaling_edited: RwSignal<bool>,
    min: Field,
    max: Field,
    disable_count: Field,
}

impl Inputs {
    fn new(config: &FeatureServerConfig) -> Inputs {
        let (min, max) = bounds_text(config);
        Inputs {
            count: Field::new(config.desired_count.to_string()),
            autoscaling: RwSignal::new(config.auto_scaling_config.enabled),
            autoscaling_edited: RwSignal::new(false),
            min: Field::new(min),
            max: Field::new(max),
            disable_count: Field::new(config.current_count.to_string()),
        }
    }

    /// Updates every input the user has not edited to a newly fetched
    /// configuration.
    fn follow(&self, config: &FeatureServerConfig) {
        let (min, max) = bounds_text(config);
        self.count.follow(config.desired_count.to_string());
        self.min.follow(min);
        self.max.follow(max);
        self.disable_count.follow(config.current_count.to_string());
        let enabled = config.auto_scaling_config.enabled;
        if !self.autoscaling_edited.get_untracked() && self.autoscaling.get_untracked() != enabled {
            self.autoscaling.set(enabled);
        }
    }

    /// Sets every input to the configuration a successful request led to.
    fn reset(&self, config: &FeatureServerConfig) {
        let (min, max) = bounds_text(config);
        self.count.reset(config.desired_count.to_string());
        self.min.reset(min);
        self.max.reset(max);
        self.disable_count.reset(config.current_count.to_string());
        self.autoscaling.set(config.auto_scaling_config.enabled);
        self.autoscaling_edited.set(false);
    }

    /// Places the server's violations next to the inputs of the form that
    /// sent `request`. Returns whether every violation found its input.
    fn show_violations(&self, request: &ScalingRequest, violations: &[FieldViolation]) -> bool {
        let inputs: &[(&str, Field)] = match request {
            ScalingRequest::Provisioned { .. } => &[(FIELD_COUNT, self.count)],
            ScalingRequest::DisableAutoscaling { .. } => &[(FIELD_COUNT, self.disable_count)],
            ScalingRequest::Autoscaling { .. } => &[(FIELD_MIN, self.min), (FIELD_MAX, self.max)],
        };
        place_violations(inputs, violations)
    }

    fn clear_server_errors(&self) {
        for field in [self.count, self.min, self.max, self.disable_count] {
            field.server_error.set(None);
        }
    }
}

#[component]
pub fn ScalingForms(
    config: Signal<FeatureServerConfig>,
    limits: Limits,
    apply: Action<ScalingRequest, Applied>,
) -> impl IntoView {
    let inputs = Inputs::new(&config.get_untracked());
    let outcome = Outcome::new();

    let session = use_session();

    let submit = Callback::new(move |request: ScalingRequest| {
        outcome.clear();
        inputs.clear_server_errors();
        apply.dispatch(request);
    });
    let on_edit = Callback::new(move |()| outcome.clear());

    Effect::new(move |_| config.with(|config| inputs.follow(config)));
    // The action is created before these forms and has not run yet when
    // they are built, so the first run of this effect finds no value.
    Effect::new(move |_| {
        let Some((request, result)) = apply.value().get() else {
            return;
        };
        match result {
            Ok(config) => {
                inputs.reset(&config);
                outcome.succeed(success_message(&request));
            }
            Err(error) => {
                let violations = error.status().map(|status| status.field_violations());
                if !inputs.show_violations(&request, violations.unwrap_or_default()) {
                    outcome.fail(error);
                }
            }
        }
    });

    // The account cannot change while this page is shown, because signing
    // in again goes through the sign-in page.
    let read_only = untrack(|| !session.can(Permission::ScaleFeatureServer));
    let pending = Signal::derive(move || apply.pending().get());
    let provisioned = Memo::new(move |_| config.with(|config| !config.auto_scaling_config.enabled));

    view! {
        <section class="panel" aria-labelledby="scaling-heading">
            <h2 id="scaling-heading">"Scaling"</h2>
            {read_only
                .then(|| {
                    view! {
                        <p id="read-only-notice" class="alert notice">
                            "You have read-only access; an admin can grant the admin role under "
                            <a href="/access">"Accounts and Access"</a>
                            "."
                        </p>
                    }
                })}
            <OutcomeMessages outcome error_id="form-error" status_id="form-status" />
            <div class="forms">
                {move || {
                    provisioned.get().then(|| {
                        view! {
                            <ProvisionedForm config limits inputs read_only pending submit on_edit />
                        }
                    })
                }}
                <AutoscalingForm config limits inputs read_only pending submit on_edit />
            </div>
        </section>
    }
}

#[component]
fn ProvisionedForm(
    config: Signal<FeatureServerConfig>,
    limits: Limits,
    inputs: Inputs,
    read_only: bool,
    pending: Signal<bool>,
    submit: Callback<ScalingRequest>,
    on_edit: Callback<()>,
) -> impl IntoView {
    let count = inputs.count;

    let checked = Memo::new(move |_| -> Checked {
        let count = parse_count_input(FIELD_COUNT, &count.text.get()).map_err(|v| vec![v])?;
        let request = ScalingRequest::Provisioned { count };
        config.with(|config| check(request, config, &limits))?;
        let unchanged = config.with(|config| config.desired_count == count);
        Ok((!unchanged).then_some(request))
    });
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if let Ok(Some(request)) = checked.get_untracked() {
            submit.run(request);
        }
    };

    let invalid = Signal::derive(move || checked.with(|checked| violation(checked, FIELD_COUNT)));
    let cannot_submit =
        Memo::new(move |_| read_only || pending.get() || !matches!(checked.get(), Ok(Some(_))));

    view! {
        <form
            id="provisioned-form"
            class="scaling-form"
            aria-labelledby="provisioned-heading"
            on:submit=on_submit
        >
            <h3 id="provisioned-heading">"Provisioned capacity"</h3>
            <p class="hint">"Run a fixed number of pods."</p>
            <TextField
                id="count"
                label="Desired count"
                field=count
                invalid
                disabled=read_only
                kind=InputKind::Count
                on_edit
            />
            <button id="apply-count" type="submit" class="primary" disabled=cannot_submit>
                "Apply count"
            </button>
        </form>
    }
}

#[component]
fn AutoscalingForm(
    config: Signal<FeatureServerConfig>,
    limits: Limits,
    inputs: Inputs,
    read_only: bool,
    pending: Signal<bool>,
    submit: Callback<ScalingRequest>,
    on_edit: Callback<()>,
) -> impl IntoView {
    let checked = Memo::new(move |_| -> Checked {
        let enabled = config.with(|config| config.auto_scaling_config.enabled);
        match (enabled, inputs.autoscaling.get()) {
            (false, false) => Ok(None),
            (true, false) => {
                let text = inputs.disable_count.text.get();
                let count = parse_count_input(FIELD_COUNT, &text).map_err(|v| vec![v])?;
                let request = ScalingRequest::DisableAutoscaling { count };
                config.with(|config| check(request, config, &limits))?;
                Ok(Some(request))
            }
            (_, true) => {
                let min = parse_count_input(FIELD_MIN, &inputs.min.text.get());
                let max = parse_count_input(FIELD_MAX, &inputs.max.text.get());
                let request = match (min, max) {
                    (Ok(min_node_count), Ok(max_node_count)) => ScalingRequest::Autoscaling {
                        min_node_count,
                        max_node_count,
                    },
                    (min, max) => {
                        return Err([min.err(), max.err()].into_iter().flatten().collect());
                    }
                };
                config.with(|config| check(request, config, &limits))?;
                let unchanged = config
                    .with(|config| config.auto_scaling_config == request.auto_scaling_config());
                Ok((!unchanged).then_some(request))
            }
        }
    });
    let on_toggle = move |event| {
        inputs.autoscaling.set(event_target_checked(&event));
        inputs.autoscaling_edited.set(true);
        on_edit.run(());
    };
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if let Ok(Some(request)) = checked.get_untracked() {
            submit.run(request);
        }
    };

    let invalid = move |field: &'static str| {
        Signal::derive(move || checked.with(|checked| violation(checked, field)))
    };
    let checked_box = Memo::new(move |_| inputs.autoscaling.get());
    let turning_off = Memo::new(move |_| {
        config.with(|config| config.auto_scaling_config.enabled) && !checked_box.get()
    });
    let cannot_submit =
        Memo::new(move |_| read_only || pending.get() || !matches!(checked.get(), Ok(Some(_))));
    let submit_label = Memo::new(move |_| {
        if turning_off.get() {
            "Turn autoscaling off"
        } else {
            "Apply autoscaling"
        }
    });

    view! {
        <form
            id="autoscaling-form"
            class="scaling-form"
            aria-labelledby="autoscaling-heading"
            on:submit=on_submit
        >
            <h3 id="autoscaling-heading">"Autoscaling"</h3>
            <p class="hint">
                "Let the autoscaler choose the count between a minimum and a maximum."
            </p>
            <div class="checkbox">
                <input
                    id="autoscaling-enabled"
                    type="checkbox"
                    prop:checked=inputs.autoscaling
                    disabled=read_only
                    on:change=on_toggle
                />
                <label for="autoscaling-enabled">"Enable autoscaling"</label>
            </div>
            {move || {
                checked_box.get().then(|| {
                    view! {
                        <div class="field-row">
                            <TextField
                                id="min-node-count"
                                label="Minimum pods"
                                field=inputs.min
                                invalid=invalid(FIELD_MIN)
                                disabled=read_only
                                kind=InputKind::Count
                                on_edit
                            />
                            <TextField
                                id="max-node-count"
                                label="Maximum pods"
                                field=inputs.max
                                invalid=invalid(FIELD_MAX)
                                disabled=read_only
                                kind=InputKind::Count
                                on_edit
                            />
                        </div>
                    }
                })
            }}
            <AutoscalerRules />
            {move || {
                turning_off.get().then(|| {
                    view! {
                        <TextField
                            id="disable-count"
                            label="Provisioned count after turning autoscaling off"
                            field=inputs.disable_count
                            invalid=invalid(FIELD_COUNT)
                            disabled=read_only
                            kind=InputKind::Count
                            on_edit
                        />
                    }
                })
            }}
            <button id="apply-autoscaling" type="submit" class="primary" disabled=cannot_submit>
                {submit_label}
            </button>
        </form>
    }
}

/// Checks a request against the configuration and limits, and turns a
/// rejection into violations of named fields.
fn check(
    request: ScalingRequest,
    config: &FeatureServerConfig,
    limits: &Limits,
) -> Result<(), Vec<FieldViolation>> {
    validate(&request, config, limits).map_err(|status| {
        let violations = status.field_violations();
        if violations.is_empty() {
            let field = match request {
                ScalingRequest::Autoscaling { .. } => FIELD_MIN,
                _ => FIELD_COUNT,
            };
            vec![FieldViolation::new(field, status.message)]
        } else {
            violations.to_vec()
        }
    })
}

/// Returns the description of the violation of `field`, if any.
fn violation(checked: &Checked, field: &str) -> Option<String> {
    let violations = checked.as_ref().err()?;
    violations
        .iter()
        .find(|violation| violation.field == field)
        .map(|violation| violation.description.clone())
}

/// Returns the autoscaling bounds as input text, empty while autoscaling is off.
fn bounds_text(config: &FeatureServerConfig) -> (String, String) {
    let autoscaling = &config.auto_scaling_config;
    if !autoscaling.enabled {
        return (String::new(), String::new());
    }
    let text = |bound: Option<u32>| bound.map(|bound| bound.to_string()).unwrap_or_default();
    (
        text(autoscaling.min_node_count),
        text(autoscaling.max_node_count),
    )
}

fn success_message(request: &ScalingRequest) -> String {
    match *request {
        ScalingRequest::Provisioned { count } => format!("Desired count set to {count}."),
        ScalingRequest::DisableAutoscaling { count } => {
            format!("Autoscaling turned off. Desired count set to {count}.")
        }
        ScalingRequest::Autoscaling {
            min_node_count,
            max_node_count,
        } => format!("Autoscaling enabled between {min_node_count} and {max_node_count} pods."),
    }
}
