//! The sign-in page. A successful sign-in sets the session cookie and leads
//! to the Feature Servers page.

use headroom_api::access::{Me, SignInRequest};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::api::{self, ApiError, Method};
use crate::feedback::ErrorSlot;
use crate::session::{Auth, use_session};
use crate::shell::replace_page;

#[component]
pub fn SignIn() -> impl IntoView {
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let pending = RwSignal::new(false);

    let session = use_session();
    let navigate = use_navigate();

    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let request = SignInRequest {
            username: username.get_untracked(),
            password: password.get_untracked(),
        };
        let body = serde_json::to_string(&request).ok();
        error.set(None);
        pending.set(true);
        spawn_local(async move {
            let result = session
                .send::<Me>(Method::Post, api::SIGN_IN_URL, body)
                .await;
            pending.try_set(false);
            match result {
                Ok(me) => session.signed_in(me),
                Err(failure) => {
                    error.try_set(Some(failure));
                }
            }
        });
    };

    // Signing in, and opening this page while signed in, lead to the start page.
    Effect::new(move |_| {
        if matches!(session.auth(), Auth::SignedIn(_)) {
            navigate("/", replace_page());
        }
    });

    let invalid = Signal::derive(move || error.with(Option::is_some).then_some("true"));

    view! {
        <main class="sign-in">
            <h1>"Headroom"</h1>
            <p class="subtitle">"Sign in to manage the feature servers."</p>
            <form on:submit=on_submit>
                <ErrorSlot id="sign-in-error" error />
                <div class="field">
                    <label for="username">"Username"</label>
                    <input
                        id="username"
                        name="username"
                        type="text"
                        autocomplete="username"
                        autocapitalize="none"
                        spellcheck="false"
                        required
                        aria-describedby="sign-in-error"
                        aria-invalid=invalid
                        prop:value=username
                        on:input=move |event| {
                            username.set(event_target_value(&event));
                            error.set(None);
                        }
                    />
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        aria-describedby="sign-in-error"
                        aria-invalid=invalid
                        prop:value=password
                        on:input=move |event| {
                            password.set(event_target_value(&event));
                            error.set(None);
                        }
                    />
                </div>
                <button
                    id="sign-in"
                    type="submit"
                    class="primary"
                    disabled=pending
                >
                    "Sign in"
                </button>
            </form>
        </main>
    }
}
