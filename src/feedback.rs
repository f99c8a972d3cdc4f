//! Messages that report the outcome of a request: errors that stay until the
//! next edit or submit, and a success message. Nothing here disappears on a
//! timer.

use leptos::prelude::*;

use crate::api::ApiError;

/// Renders an error of a whole form or page, announced to screen readers. A
/// permission error links to the page where an admin grants roles.
#[component]
pub fn ErrorAlert(
    id: &'static str,
    error: ApiError,
    /// A sentence placed before the error that explains what it means here.
    #[prop(optional)]
    context: &'static str,
) -> impl IntoView {
    view! {
        <p id=id class="alert error" role="alert">
            {(!context.is_empty()).then(|| format!("{context} "))}
            {error_text(error)}
        </p>
    }
}

/// Renders the message of an error for an element that announces it. A
/// permission error links to the page where an admin grants roles.
pub fn error_text(error: ApiError) -> impl IntoView {
    let mut message = error.message();
    let help = error.permission_help_url().map(|url| {
        if !message.ends_with('.') {
            message.push('.');
        }
        view! {
            " Ask an admin to grant you a role that allows it under "
            <a href=url>"Accounts and Access"</a>
            "."
        }
    });
    view! {
        {message}
        {help}
    }
}

/// Shows the error in `error`, if there is one, in an element with the id `id`.
#[component]
pub fn ErrorSlot(
    id: &'static str,
    #[prop(into)] error: Signal<Option<ApiError>>,
    /// A sentence placed before the error that explains what it means here.
    #[prop(optional)]
    context: &'static str,
) -> impl IntoView {
    move || {
        error
            .get()
            .map(|error| view! { <ErrorAlert id error context /> })
    }
}

/// The error and the success message of the last request a form sent.
#[derive(Clone, Copy)]
pub struct Outcome {
    pub error: RwSignal<Option<ApiError>>,
    pub success: RwSignal<Option<String>>,
}

impl Outcome {
    pub fn new() -> Outcome {
        Outcome {
            error: RwSignal::new(None),
            success: RwSignal::new(None),
        }
    }

    pub fn clear(&self) {
        self.error.set(None);
        self.success.set(None);
    }

    pub fn fail(&self, error: ApiError) {
        self.success.set(None);
        self.error.set(Some(error));
    }

    pub fn succeed(&self, message: String) {
        self.error.set(None);
        self.success.set(Some(message));
    }
}

/// Shows an [`Outcome`]: its error in the element `error_id` and its success
/// message in the element `status_id`.
#[component]
pub fn OutcomeMessages(
    outcome: Outcome,
    error_id: &'static str,
    status_id: &'static str,
) -> impl IntoView {
    view! {
        <ErrorSlot id=error_id error=outcome.error />
        // The status element stays in the page while empty, because screen
        // readers announce changes of a live region only once it exists.
        // Focusable from script only, so that a change made from a button
        // that then disappears can leave the focus on its outcome.
        <p id=status_id class="alert success" role="status" tabindex="-1">
            {outcome.success}
        </p>
    }
}
