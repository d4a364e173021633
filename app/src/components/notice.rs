//! Loading and error notices, so every page says the same thing the same way.

use leptos::prelude::*;

use crate::error::AppError;

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="p-6 text-sm text-slate-600" role="status">"Loading…"</p> }
}

#[component]
pub fn ErrorNote(error: AppError) -> impl IntoView {
    view! {
        <div role="alert" class="m-4 rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-800">
            {error.message}
        </div>
    }
}
