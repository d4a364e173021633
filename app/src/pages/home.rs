//! `/`: sends people where they belong: their rooms, or the login form.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::components::notice::Loading;
use crate::session::Session;

#[component]
pub fn Home() -> impl IntoView {
    let session = Session::get();
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match session.me.await {
                    Ok(Some(_)) => Either::Left(view! { <Redirect path="/rooms" /> }),
                    _ => Either::Right(view! { <Redirect path="/login" /> }),
                }
            })}
        </Suspense>
    }
}
