//! The top bar: the app name, the search box, the theme and shortcuts
//! buttons, and the account menu: who is logged in, "Log out", and "Log
//! out everywhere" (every session of this user, for a lost phone or a
//! shared computer left signed in).

use leptos::either::Either;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::api::logout;
use crate::components::avatar::{Avatar, Size};
use crate::components::search_box::SearchBox;
use crate::components::shortcuts::ShortcutsButton;
use crate::notify::EnableNotifications;
use crate::session::Session;
use crate::socket::ChatSocket;
use crate::theme::ThemeToggle;

#[component]
pub fn Header() -> impl IntoView {
    let session = Session::get();
    view! {
        // On a phone the search box takes a row of its own, below.
        <header class="flex flex-wrap items-center justify-between gap-x-4 gap-y-2 border-b border-slate-200 bg-surface px-4 py-2">
            <A href="/" attr:class="text-lg font-bold tracking-tight text-indigo-700">"Chat"</A>
            <Transition>
                {move || Suspend::new(async move {
                    match session.me.await {
                        Ok(Some(user)) => Either::Left(view! {
                            <SearchBox />
                            <UserMenu user />
                        }),
                        _ => Either::Right(view! { <ThemeToggle /> }),
                    }
                })}
            </Transition>
        </header>
    }
}

#[component]
fn UserMenu(user: crate::model::User) -> impl IntoView {
    let session = Session::get();
    let socket = ChatSocket::get();
    let navigate = use_navigate();
    let pending = RwSignal::new(false);
    let open = RwSignal::new(false);
    let toggle = NodeRef::<leptos::html::Button>::new();
    let close = move || {
        open.set(false);
        if let Some(button) = toggle.get_untracked() {
            let _ = button.focus();
        }
    };
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
    // A click or tap anywhere else closes it (a pointer that does not move
    // the focus, as on Safari, is not seen by `focusout`).
    let menu = NodeRef::<leptos::html::Div>::new();
    let outside = window_event_listener(leptos::ev::pointerdown, move |ev| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let inside = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
                .zip(menu.get_untracked())
                .is_some_and(|(target, menu)| menu.contains(Some(&target)));
            if !inside && open.get_untracked() {
                open.set(false);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    });
    on_cleanup(move || outside.remove());
    let label = format!("Account: {}", user.username);
    let item = "block w-full rounded-md px-3 py-2 text-left text-sm text-slate-800 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-50";
    view! {
        <div class="flex items-center gap-1 text-sm">
            <EnableNotifications />
            <ShortcutsButton />
            <ThemeToggle />
            // A disclosure, not a menu: Tab moves through its buttons.
            <div
                class="relative"
                node_ref=menu
                on:keydown=move |ev| {
                    if ev.key() == "Escape" && open.get_untracked() {
                        ev.prevent_default();
                        close();
                    }
                }
                on:focusout=move |ev| {
                    // Closed once the focus leaves it (a click elsewhere).
                    #[cfg(feature = "hydrate")]
                    {
                        use wasm_bindgen::JsCast;
                        let inside = ev
                            .related_target()
                            .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
                            .zip(ev.current_target().and_then(|t| t.dyn_into::<web_sys::Node>().ok()))
                            .is_some_and(|(to, menu)| menu.contains(Some(&to)));
                        if !inside {
                            open.set(false);
                        }
                    }
                    #[cfg(not(feature = "hydrate"))]
                    let _ = ev;
                }
            >
                <button
                    type="button"
                    node_ref=toggle
                    class="flex items-center gap-2 rounded-lg p-1 pr-2 text-slate-700 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                    aria-label=label.clone()
                    title=label
                    aria-expanded=move || open.get().to_string()
                    aria-controls="account-menu"
                    on:click=move |_| open.update(|open| *open = !*open)
                >
                    <Avatar user_id=user.id username=user.username.clone() size=Size::Small />
                    <span class="hidden max-w-32 truncate font-medium sm:inline">{user.username.clone()}</span>
                    <svg class="h-4 w-4" viewBox="0 0 20 20" fill="currentColor" aria-hidden="true">
                        <path d="M5.2 7.2a.75.75 0 0 1 1.06 0L10 10.94l3.74-3.74a.75.75 0 1 1 1.06 1.06l-4.27 4.27a.75.75 0 0 1-1.06 0L5.2 8.26a.75.75 0 0 1 0-1.06Z" />
                    </svg>
                </button>
                <Show when=move || open.get()>
                    <div id="account-menu" class="absolute right-0 top-full z-40 mt-1 w-60 rounded-xl border border-slate-200 bg-surface p-1.5 shadow-lg">
                        <p class="px-3 py-2 text-slate-600">"Signed in as " <strong class="text-slate-900">{user.username.clone()}</strong></p>
                        <button
                            type="button"
                            class=item
                            on:click={
                                let log_out = log_out.clone();
                                move |_| log_out(false)
                            }
                            disabled=move || pending.get()
                        >
                            "Log out"
                        </button>
                        <button
                            type="button"
                            class=item
                            title="End every session of this account, on every device"
                            on:click={
                                let log_out = log_out.clone();
                                move |_| log_out(true)
                            }
                            disabled=move || pending.get()
                        >
                            "Log out everywhere"
                        </button>
                    </div>
                </Show>
            </div>
        </div>
    }
}
