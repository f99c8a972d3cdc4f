//! The frame around every page that needs a signed-in account: the header
//! with the navigation, the live-update indicator and the account, and the
//! redirect to the sign-in page for everyone else.

use headroom_api::access::Role;
use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::Redirect;
use serde::de::IgnoredAny;

use crate::access::Access;
use crate::api::{self, ApiError, Method};
use crate::feature_servers::FeatureServers;
use crate::feedback::ErrorSlot;
use crate::live::{Connection, use_live};
use crate::monitoring::Monitoring;
use crate::session::{Auth, use_session};

/// The kind of [`Auth`] state without the account, so that the page is
/// rebuilt only when this kind changes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Gate {
    Checking,
    SignedIn,
    SignedOut,
}

/// A page that needs a signed-in account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    FeatureServers,
    Monitoring,
    Access,
}

#[component]
pub fn Shell(page: Page) -> impl IntoView {
    let session = use_session();

    let gate = Memo::new(move |_| match session.auth() {
        Auth::Checking => Gate::Checking,
        Auth::SignedIn(_) => Gate::SignedIn,
        Auth::SignedOut => Gate::SignedOut,
    });

    move || match gate.get() {
        Gate::Checking => EitherOf3::A(view! { <p class="loading" role="status">"Loading…"</p> }),
        Gate::SignedOut => {
            EitherOf3::B(view! { <Redirect path="/sign-in" options=replace_page() /> })
        }
        Gate::SignedIn => EitherOf3::C(view! {
            <Header page />
            <main>
                {match page {
                    Page::FeatureServers => EitherOf3::A(view! { <FeatureServers /> }),
                    Page::Monitoring => EitherOf3::B(view! { <Monitoring /> }),
                    Page::Access => EitherOf3::C(view! { <Access /> }),
                }}
            </main>
        }),
    }
}

#[component]
fn Header(page: Page) -> impl IntoView {
    let pending = RwSignal::new(false);
    let sign_out_error = RwSignal::new(None::<ApiError>);

    let session = use_session();

    let on_sign_out = move |_| {
        pending.set(true);
        sign_out_error.set(None);
        spawn_local(async move {
            let result = session
                .send::<IgnoredAny>(Method::Post, api::SIGN_OUT_URL, None)
                .await;
            pending.try_set(false);
            match result {
                Ok(_) => session.signed_out(),
                // A rejected session has signed the console out already.
                Err(error) if error.is_unauthenticated() => {}
                Err(error) => {
                    sign_out_error.try_set(Some(error));
                }
            }
        });
    };

    let current = move |link: Page| (link == page).then_some("page");
    let name = Signal::derive(move || session.me().map(|me| me.name).unwrap_or_default());
    let roles = Signal::derive(move || {
        session
            .me()
            .map(|me| roles_text(&me.roles))
            .unwrap_or_default()
    });

    view! {
        <header class="app-header">
            <span class="brand">"Headroom"</span>
            <nav aria-label="Main">
                <a href="/" aria-current=current(Page::FeatureServers)>
                    "Feature Servers"
                </a>
                <a href="/monitoring" aria-current=current(Page::Monitoring)>
                    "Monitoring"
                </a>
                <a href="/access" aria-current=current(Page::Access)>
                    "Accounts and Access"
                </a>
            </nav>
            <LiveStatus />
            <div class="whoami">
                <span id="whoami-name">{name}</span>
                <span class="whoami-roles-label">"Roles:"</span>
                <span id="whoami-roles">{roles}</span>
                <button
                    id="sign-out"
                    type="button"
                    disabled=pending
                    on:click=on_sign_out
                >
                    "Sign out"
                </button>
            </div>
        </header>
        <ErrorSlot id="sign-out-error" error=sign_out_error />
    }
}

/// Shows whether changes arrive over the live stream or by polling. The
/// status role announces a switch to screen readers.
#[component]
fn LiveStatus() -> impl IntoView {
    let live = use_live();

    let indicator = move || describe_connection(live.connection());

    view! {
        <span
            id="live-status"
            class=move || indicator().1
            role="status"
            title=move || indicator().2
        >
            {move || indicator().0}
        </span>
    }
}

/// Returns the indicator's text, class and tooltip for a connection.
fn describe_connection(connection: Connection) -> (&'static str, &'static str, &'static str) {
    match connection {
        Connection::Live => ("Live", "live-status live", "Changes appear as they happen."),
        Connection::Polling => (
            "Polling",
            "live-status polling",
            "The live stream is unavailable, so the console refreshes every few seconds while it reconnects.",
        ),
        Connection::Connecting | Connection::Closed => {
            ("Connecting…", "live-status", "Opening the live stream.")
        }
    }
}

/// Returns navigation options that replace the current page in the history,
/// so that the back button skips pages the user was sent away from.
pub fn replace_page() -> NavigateOptions {
    NavigateOptions {
        replace: true,
        ..Default::default()
    }
}

/// Returns roles joined with ", ", or "none".
pub fn roles_text(roles: &[Role]) -> String {
    if roles.is_empty() {
        return "none".to_owned();
    }
    roles
        .iter()
        .map(|role| role.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
