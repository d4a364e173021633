//! `/invite/<token>`: where an invite link leads. A visitor logs in first
//! (and comes back here); a logged-in user joins with one click and lands
//! in the room. An expired, used-up or revoked link says so.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::accept_invite_link;
use crate::session::RequireUser;

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let accept = move |_| {
        if pending.get_untracked() {
            return;
        }
        let token = params.with_untracked(|p| p.get("token").unwrap_or_default());
        let navigate = navigate.clone();
        pending.set(true);
        error.set(None);
        spawn_local(async move {
            match accept_invite_link(token).await {
                Ok(room) => navigate(&format!("/rooms/{}", room.id), Default::default()),
                Err(e) => error.set(Some(e.message)),
            }
            pending.set(false);
        });
    };
    view! {
        <Title text="Invitation · Chat" />
        <RequireUser>
            <div class="mx-auto w-full max-w-sm p-4 pt-10">
                <h1 class="mb-1 text-2xl font-bold tracking-tight">"You are invited"</h1>
                <p class="mb-6 text-sm text-slate-600">"This link invites you to join a room. Anyone in it will see that you joined."</p>
                <button
                    type="button"
                    class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-50"
                    disabled=move || pending.get()
                    on:click=accept.clone()
                >
                    "Join the room"
                </button>
                <p role="alert" class="mt-3 text-sm text-red-700 empty:hidden">{move || error.get()}</p>
                <p class="mt-6 text-sm"><a href="/rooms" class="text-indigo-700 hover:underline">"Back to your rooms"</a></p>
            </div>
        </RequireUser>
    }
}
