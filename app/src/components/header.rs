//! The top bar: the app name, the search box, who is logged in, "Log out",
//! and "Log out everywhere" (every session of this user, for a lost phone
//! or a shared computer left signed in).

use leptos::either::Either;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::api::logout;
use crate::components::search_box::SearchBox;
use crate::notify::EnableNotifications;
use crate::session::Session;
use crate::socket::ChatSocket;

#[component]
pub fn Header() -> impl IntoView {
    let session = Session::get();
    view! {
        // On a phone the search box takes a row of its own, below.
        <header class="flex flex-wrap items-center justify-between gap-x-4 gap-y-2 border-b border-slate-200 bg-white px-4 py-2">
            <A href="/" attr:class="text-lg font-bold tracking-tight text-indigo-700">"Chat"</A>
            <Transition>
                {move || Suspend::new(async move {
                    match session.me.await {
                        Ok(Some(user)) => Either::Left(view! {
                            <SearchBox />
                            <UserMenu username=user.username />
                        }),
                        _ => Either::Right(()),
                    }
                })}
            </Transition>
        </header>
    }
}

#[component]
fn UserMenu(username: String) -> impl IntoView {
    let session = Session::get();
    let socket = ChatSocket::get();
    let navigate = use_navigate();
    let pending = RwSignal::new(false);
    let log_out = move |everywhere: bool| {
        let navigate = navigate.clone();
        pending.set(true);
        spawn_local(async move {
            // Even if the server call fails, this tab forgets the session.
            let _ = logout(everywhere).await;
            socket.disconnect();
            pending.set(false);
            session.refresh();
            navigate("/login", Default::default());
        });
    };
    view! {
        <div class="flex items-center gap-3 text-sm">
            <span class="hidden text-slate-600 sm:inline">"Signed in as " <strong class="text-slate-900">{username}</strong></span>
            <EnableNotifications />
            <button
                type="button"
                class="rounded-md px-2 py-1.5 text-slate-600 underline-offset-2 hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-50"
                title="End every session of this account, on every device"
                on:click={
                    let log_out = log_out.clone();
                    move |_| log_out(true)
                }
                disabled=move || pending.get()
            >
                "Log out everywhere"
            </button>
            <button
                type="button"
                class="rounded-md border border-slate-300 px-3 py-1.5 font-medium hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-50"
                on:click=move |_| log_out(false)
                disabled=move || pending.get()
            >
                "Log out"
            </button>
        </div>
    }
}
