//! A modal dialog that requests confirmation before a change that cannot be
//! undone.
//!
//! It is a native `<dialog>` opened with `showModal`, so the browser traps
//! the focus inside it, makes the rest of the page inert and closes it on
//! Escape.

use leptos::html::Dialog;
use leptos::prelude::*;

/// The question the dialog shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub title: String,
    pub message: String,
    /// Label of the button that goes ahead, such as "Delete".
    pub confirm_label: &'static str,
}

/// Renders the dialog, which is open while `question` is `Some`. It runs
/// `on_answer` with `true` when the user confirms, and with `false` whenever
/// it closes otherwise (the cancel button, Escape, or closing after a
/// confirmation).
#[component]
pub fn ConfirmDialog(
    #[prop(into)] question: Signal<Option<Question>>,
    on_answer: Callback<bool>,
) -> impl IntoView {
    let dialog = NodeRef::<Dialog>::new();

    Effect::new(move |_| {
        let open = question.with(Option::is_some);
        let Some(dialog) = dialog.get() else {
            return;
        };
        if open && !dialog.open() {
            // `showModal` throws only for a dialog that is open or not in the
            // document, and this one is closed and mounted here.
            let _ = dialog.show_modal();
        } else if !open && dialog.open() {
            dialog.close();
        }
    });

    let title = Signal::derive(move || question.with(|q| q.as_ref().map(|q| q.title.clone())));
    let message = Signal::derive(move || question.with(|q| q.as_ref().map(|q| q.message.clone())));
    let confirm_label =
        Signal::derive(move || question.with(|q| q.as_ref().map(|q| q.confirm_label)));

    view! {
        <dialog
            id="confirm-dialog"
            node_ref=dialog
            aria-labelledby="confirm-title"
            aria-describedby="confirm-message"
            on:close=move |_| on_answer.run(false)
        >
            <h2 id="confirm-title">{title}</h2>
            <p id="confirm-message">{message}</p>
            <div class="dialog-actions">
                <button
                    id="confirm-no"
                    type="button"
                    autofocus
                    on:click=move |_| on_answer.run(false)
                >
                    "Cancel"
                </button>
                <button
                    id="confirm-yes"
                    type="button"
                    class="danger"
                    on:click=move |_| on_answer.run(true)
                >
                    {confirm_label}
                </button>
            </div>
        </dialog>
    }
}
