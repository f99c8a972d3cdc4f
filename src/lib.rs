//! The Headroom console, a Leptos single-page app. It exists only for wasm32.
#![cfg(target_arch = "wasm32")]

pub fn mount() {}
