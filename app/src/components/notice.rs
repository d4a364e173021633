//! Loading and error notices, so every page says the same thing the same way.

use leptos::prelude::*;

use crate::error::AppError;

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="p-6 text-sm text-slate-600" role="status">"Loading…"</p> }
}

/// The shape of what is loading, in place of blank space: grey bars where
/// text will be. Said as "Loading…" to a screen reader.
const BAR: &str = "block h-3 rounded bg-slate-200 motion-safe:animate-pulse";

/// Widths for the bars, so lines differ as text does (classes, not style
/// attributes, which the page's CSP refuses).
const WIDTHS: [&str; 5] = ["w-2/3", "w-1/2", "w-5/6", "w-2/5", "w-3/4"];

/// A list of rooms (or people) on its way.
#[component]
pub fn LoadingList(#[prop(default = 5)] rows: usize) -> impl IntoView {
    view! {
        <div role="status" class="flex flex-col gap-3 px-3 py-2">
            <span class="sr-only">"Loading…"</span>
            {(0..rows).map(|row| view! {
                <span aria-hidden="true" class="flex flex-col gap-1.5">
                    <span class=format!("{BAR} {}", WIDTHS[row % WIDTHS.len()])></span>
                    <span class=format!("{BAR} h-2 w-1/3")></span>
                </span>
            }).collect_view()}
        </div>
    }
}

/// A room's history on its way: avatars and lines of varied length.
#[component]
pub fn LoadingRoom() -> impl IntoView {
    view! {
        <div role="status" class="flex min-w-0 flex-1 flex-col justify-end gap-5 bg-surface px-4 pb-24 sm:px-6">
            <span class="sr-only">"Loading…"</span>
            {(0..6).map(|row| view! {
                <span aria-hidden="true" class="flex gap-3">
                    <span class="h-9 w-9 shrink-0 rounded-lg bg-slate-200 motion-safe:animate-pulse"></span>
                    <span class="flex flex-1 flex-col gap-2 pt-1">
                        <span class=format!("{BAR} w-24")></span>
                        <span class=format!("{BAR} {}", WIDTHS[(row + 2) % WIDTHS.len()])></span>
                    </span>
                </span>
            }).collect_view()}
        </div>
    }
}

#[component]
pub fn ErrorNote(error: AppError) -> impl IntoView {
    view! {
        <div role="alert" class="m-4 rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-800">
            {error.message}
        </div>
    }
}
