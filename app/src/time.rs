//! Showing times in the reader's own time zone. The server renders UTC (it
//! cannot know the zone); after hydration the browser swaps in local time.

use leptos::prelude::*;

/// `HH:MM` of an RFC 3339 UTC string, as rendered before hydration.
pub fn utc_clock(iso: &str) -> String {
    iso.get(11..16).unwrap_or(iso).to_owned()
}

#[cfg(feature = "hydrate")]
fn local(iso: &str) -> (String, String) {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(iso));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"hour".into(), &"2-digit".into());
    let _ = js_sys::Reflect::set(&options, &"minute".into(), &"2-digit".into());
    let clock = date.to_locale_string("default", &options);
    let full = date.to_locale_string("default", &js_sys::Object::new());
    (clock.into(), full.into())
}

#[cfg(not(feature = "hydrate"))]
fn local(iso: &str) -> (String, String) {
    (format!("{} UTC", utc_clock(iso)), iso.to_owned())
}

/// A `<time>` showing the local clock time, with the full date on hover;
/// `dated` shows the full date itself (a time days away, not today's).
#[component]
pub fn Timestamp(#[prop(into)] iso: String, #[prop(optional)] dated: bool) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let shown = {
        let iso = iso.clone();
        move || {
            if hydrated.get() {
                local(&iso)
            } else {
                (format!("{} UTC", utc_clock(&iso)), iso.clone())
            }
        }
    };
    let title = {
        let shown = shown.clone();
        move || shown().1
    };
    view! {
        <time datetime=iso class="text-xs text-slate-600" title=title>
            {move || if dated { shown().1 } else { shown().0 }}
        </time>
    }
}

/// "(edited)", with when on hover, in the reader's time zone once hydrated.
#[component]
pub fn EditedMark(#[prop(into)] iso: String) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let title = move || {
        if hydrated.get() {
            format!("Edited {}", local(&iso).1)
        } else {
            format!("Edited {iso}")
        }
    };
    view! { <span class="text-xs opacity-80" title=title>"(edited)"</span> }
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_clock_is_hours_and_minutes() {
        assert_eq!(super::utc_clock("2026-11-24T09:05:07.123Z"), "09:05");
    }
}
