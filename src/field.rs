//! Text inputs with a label and an error message next to them.
//!
//! An input shows the error of the last submit until it is edited, and
//! otherwise the error its form's validation finds in the current text.
//! Validation errors appear only once the text was edited, so a form that
//! has just been shown does not open with errors on its empty inputs.

use headroom_api::FieldViolation;
use leptos::prelude::*;

/// The state of one text input: its text, whether the user edited it since
/// it was last reset, and the server's error about its last submitted value.
#[derive(Clone, Copy)]
pub struct Field {
    pub text: RwSignal<String>,
    pub edited: RwSignal<bool>,
    pub server_error: RwSignal<Option<String>>,
}

impl Field {
    pub fn new(text: impl Into<String>) -> Field {
        Field {
            text: RwSignal::new(text.into()),
            edited: RwSignal::new(false),
            server_error: RwSignal::new(None),
        }
    }

    /// Replaces the text with a value from the server and clears the edited
    /// flag and the error.
    pub fn reset(&self, text: impl Into<String>) {
        self.text.set(text.into());
        self.edited.set(false);
        self.server_error.set(None);
    }

    /// Sets the text the user typed, which clears the server's error.
    pub fn edit(&self, text: String) {
        self.text.set(text);
        self.edited.set(true);
        self.server_error.set(None);
    }

    /// Sets the text from the server unless the user has edited it.
    pub fn follow(&self, text: String) {
        if !self.edited.get_untracked() && self.text.get_untracked() != text {
            self.text.set(text);
        }
    }
}

/// Places each violation next to the input of the same request field, given
/// as pairs of a field path and its input. Returns whether every violation
/// found its input, so that the caller can show the rest elsewhere.
pub fn place_violations(inputs: &[(&str, Field)], violations: &[FieldViolation]) -> bool {
    let mut placed = 0;
    for violation in violations {
        if let Some((_, field)) = inputs.iter().find(|(name, _)| *name == violation.field) {
            field.server_error.set(Some(violation.description.clone()));
            placed += 1;
        }
    }
    placed > 0 && placed == violations.len()
}

/// The kind of text an input takes, which sets its type, input mode and
/// autocomplete hint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum InputKind {
    #[default]
    Text,
    /// A whole number, typed as text so that the shared parser receives
    /// exactly what the user typed. `inputmode` brings up a numeric keyboard.
    Count,
    /// An account name.
    Name,
    NewPassword,
}

/// Renders a labelled text input, with an error element that the input names
/// in `aria-describedby`. The error element has the id `{id}-error`.
#[component]
pub fn TextField(
    id: &'static str,
    label: &'static str,
    field: Field,
    /// The validation error of the current text, if any.
    #[prop(into)]
    invalid: Signal<Option<String>>,
    #[prop(into)] disabled: Signal<bool>,
    #[prop(optional)] kind: InputKind,
    /// Runs after each edit, to clear messages about the form as a whole.
    #[prop(optional, into)]
    on_edit: Option<Callback<()>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");

    let shown_error = Memo::new(move |_| {
        field.server_error.get().or_else(|| {
            if field.edited.get() {
                invalid.get()
            } else {
                None
            }
        })
    });
    let invalid_attribute =
        Signal::derive(move || shown_error.with(Option::is_some).then_some("true"));
    let on_input = move |event| {
        field.edit(event_target_value(&event));
        if let Some(on_edit) = on_edit {
            on_edit.run(());
        }
    };

    let (input_type, input_mode, autocomplete) = match kind {
        InputKind::Text => ("text", None, None),
        InputKind::Count => ("text", Some("numeric"), Some("off")),
        InputKind::Name => ("text", None, Some("off")),
        InputKind::NewPassword => ("password", None, Some("new-password")),
    };

    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name=id
                type=input_type
                inputmode=input_mode
                autocomplete=autocomplete
                spellcheck="false"
                aria-describedby=error_id.clone()
                aria-invalid=invalid_attribute
                disabled=disabled
                prop:value=field.text
                on:input=on_input
            />
            <p id=error_id class="field-error" aria-live="polite">
                {shown_error}
            </p>
        </div>
    }
}
