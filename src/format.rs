//! Number and time formatting for people, done by JavaScript's `Number` and
//! `Date`, which keeps Rust's float formatting code out of the wasm binary.
//! Times are shown in the browser's time zone.

use wasm_bindgen::JsValue;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Formats a number with a fixed count of decimals, such as "3.1" for 3.14159
/// and 1 decimal.
pub fn fixed(value: f64, decimals: u8) -> String {
    js_sys::Number::from(value)
        .to_fixed(decimals)
        .map(String::from)
        .unwrap_or_default()
}

/// Formats a fraction as a whole percentage, such as "87%" for 0.871.
pub fn percent(fraction: f64) -> String {
    format!("{}%", fixed(fraction * 100.0, 0))
}

/// Formats a time, in milliseconds since the Unix epoch, as "14:05" or,
/// with seconds, "14:05:09".
pub fn clock_time(millis: u64, with_seconds: bool) -> String {
    let date = js_date(millis);
    let (hours, minutes) = (date.get_hours(), date.get_minutes());
    if with_seconds {
        format!("{hours:02}:{minutes:02}:{:02}", date.get_seconds())
    } else {
        format!("{hours:02}:{minutes:02}")
    }
}

/// Formats a time, in milliseconds since the Unix epoch, as "Jan 2" or, with
/// the time of day, "Jan 2 14:05:09".
pub fn date(millis: u64, with_time: bool) -> String {
    let date = js_date(millis);
    let month = MONTHS[date.get_month() as usize % 12];
    let day = format!("{month} {}", date.get_date());
    if with_time {
        format!("{day} {}", clock_time(millis, true))
    } else {
        day
    }
}

/// Formats a time, in milliseconds since the Unix epoch, as ISO 8601 in UTC
/// for a `datetime` attribute.
pub fn iso(millis: u64) -> String {
    js_date(millis).to_iso_string().into()
}

fn js_date(millis: u64) -> js_sys::Date {
    js_sys::Date::new(&JsValue::from_f64(millis as f64))
}
