//! `/login`: the React island renders the form; this page hosts it and,
//! once the island reports a login, refreshes the session and moves on to
//! where the visitor was going (`?next=`, a path of this site), else the
//! rooms, without reloading the page.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::components::notice::Loading;
use crate::island::LoginIsland;
use crate::session::{Session, safe_next};

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let query = use_query_map();
    let next = move || {
        query
            .with_untracked(|q| q.get("next"))
            .filter(|path| safe_next(path))
            .unwrap_or_else(|| "/rooms".to_owned())
    };
    let on_login = move |_user| {
        session.refresh();
        navigate(&next(), Default::default());
    };
    view! {
        <Title text="Log in · Chat" />
        <div class="mx-auto w-full max-w-sm p-4 pt-10">
            <h1 class="mb-1 text-2xl font-bold tracking-tight">"Welcome to Chat"</h1>
            <p class="mb-6 text-sm text-slate-600">"Log in, or pick a name and password to create an account."</p>
            <Suspense fallback=Loading>
                {
                    let on_login = on_login.clone();
                    move || {
                        let on_login = on_login.clone();
                        Suspend::new(async move {
                            match session.me.await {
                                Ok(Some(_)) => Either::Left(view! { <Redirect path=next() /> }),
                                _ => Either::Right(view! { <LoginIsland on_login /> }),
                            }
                        })
                    }
                }
            </Suspense>
        </div>
    }
}
