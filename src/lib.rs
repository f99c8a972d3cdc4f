//! The Headroom console, a Leptos single-page app. It exists only for wasm32.
//!
//! Pages: `/sign-in`, `/` (Feature Servers), `/monitoring` and `/access`
//! (Accounts and Access). The server returns `index.html` for every path
//! outside `/api`, so each page can be opened directly.
#![cfg(target_arch = "wasm32")]

mod access;
mod api;
mod confirm;
mod feature_servers;
mod feedback;
mod field;
mod format;
mod live;
mod monitoring;
mod session;
mod shell;
mod sign_in;

use leptos::prelude::*;
use leptos_router::components::{FlatRoutes, Route, Router};
use leptos_router::path;

use live::Live;
use session::Session;
use shell::{Page, Shell};
use sign_in::SignIn;

/// Mounts the console into the page's `<body>`.
pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let session = Session::provide();
    Live::provide(session);

    view! {
        <Router>
            <FlatRoutes fallback=NotFound>
                <Route path=path!("/sign-in") view=SignIn />
                <Route path=path!("/") view=|| view! { <Shell page=Page::FeatureServers /> } />
                <Route
                    path=path!("/monitoring")
                    view=|| view! { <Shell page=Page::Monitoring /> }
                />
                <Route path=path!("/access") view=|| view! { <Shell page=Page::Access /> } />
            </FlatRoutes>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <main class="not-found">
            <h1>"Page not found"</h1>
            <p>
                "There is no console page at this address. Go to "
                <a href="/">"Feature Servers"</a>
                "."
            </p>
        </main>
    }
}
