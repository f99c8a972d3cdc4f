#[cfg(target_arch = "wasm32")]
fn main() {
    headroom_console::mount();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The Headroom console runs in the browser: build it with `trunk build --release`.");
}
