//! The panel that shows a newly issued API key. The server returns the key
//! only in the response that issues it, so this panel is the one chance to
//! copy it. Dismissing the panel discards it.

use headroom_api::access::IssuedApiKey;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// `navigator.clipboard.writeText`. It throws where the Clipboard API is
    /// missing, as on pages not served from a secure context.
    #[wasm_bindgen(catch, js_namespace = ["navigator", "clipboard"], js_name = writeText)]
    fn write_clipboard_text(text: &str) -> Result<js_sys::Promise, JsValue>;
}

const PANEL_ID: &str = "new-api-key-panel";

#[component]
pub fn NewKeyPanel(new_key: RwSignal<Option<IssuedApiKey>>) -> impl IntoView {
    move || {
        let issued = new_key.get()?;
        let copy_status = RwSignal::new(None::<&'static str>);

        let api_key = issued.api_key.clone();
        let on_copy = move |_| {
            let key = api_key.clone();
            spawn_local(async move {
                let copied = match write_clipboard_text(&key) {
                    Ok(promise) => JsFuture::from(promise).await.is_ok(),
                    Err(_) => false,
                };
                copy_status.try_set(Some(if copied {
                    "Copied to the clipboard."
                } else {
                    "Copying failed, because the browser denied access to the clipboard. Select the key and copy it instead."
                }));
            });
        };
        let on_dismiss = move |_| new_key.set(None);

        Some(view! {
            <section
                id=PANEL_ID
                class="panel key-panel"
                tabindex="-1"
                aria-labelledby="new-api-key-heading"
            >
                <h2 id="new-api-key-heading">
                    {format!("New API key for {}", issued.service_account.name)}
                </h2>
                <p class="warning">
                    <strong>"Copy this key now."</strong>
                    " It is shown only once and cannot be shown again; if it is lost, issue a new key."
                </p>
                <div class="key-row">
                    <label for="new-api-key" class="visually-hidden">
                        "API key"
                    </label>
                    <output id="new-api-key" class="api-key">
                        {issued.api_key}
                    </output>
                    <button id="copy-api-key" type="button" class="primary" on:click=on_copy>
                        "Copy"
                    </button>
                    <button id="dismiss-api-key" type="button" on:click=on_dismiss>
                        "Dismiss"
                    </button>
                </div>
                <p id="copy-status" role="status">
                    {copy_status}
                </p>
            </section>
        })
    }
}

/// Moves the focus to the panel once it is drawn, so that keyboard and
/// screen reader users find the new key.
pub fn focus_panel() {
    focus_when_drawn(PANEL_ID);
}

/// Moves the focus to the element with this id once the next frame is drawn.
pub fn focus_when_drawn(id: &'static str) {
    request_animation_frame(move || {
        let element = document()
            .get_element_by_id(id)
            .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(element) = element {
            let _ = element.focus();
        }
    });
}
