//! The invitations inbox: the rooms the user was invited to, each to
//! accept (and go there) or decline. It stays live: the room list, which
//! follows the socket, has it read again when a new invitation arrives,
//! one is answered in another tab, or the socket reconnects.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::api::{accept_invitation, decline_invitation, pending_invitations};
use crate::components::room_list::KindMark;
use crate::model::Invitation;

#[component]
pub fn InvitationsInbox(
    /// One heading level below the list's.
    whole_page: bool,
    /// Bumped by the room list when the pending invitations may have
    /// changed (a frame said so, or the socket reconnected).
    version: RwSignal<u32>,
) -> impl IntoView {
    let reread = move || version.update(|n| *n = n.wrapping_add(1));
    let pending = Resource::new(move || version.get(), |_| pending_invitations());
    let error = RwSignal::new(None::<String>);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                // Nothing to say when there is nothing pending, or the list
                // cannot be read (the room list says why).
                let list = pending.await.unwrap_or_default();
                (!list.is_empty()).then(|| {
                    let heading = "Invitations";
                    let class = "px-1 text-xs font-semibold text-slate-600";
                    view! {
                        <section aria-labelledby="invitations-heading" class="flex flex-col gap-1 rounded-lg bg-amber-50 p-2 ring-1 ring-amber-200">
                            {if whole_page {
                                leptos::either::Either::Left(view! { <h2 id="invitations-heading" class=class>{heading}</h2> })
                            } else {
                                leptos::either::Either::Right(view! { <h3 id="invitations-heading" class=class>{heading}</h3> })
                            }}
                            <p role="alert" class="px-1 text-xs text-red-700 empty:hidden">{move || error.get()}</p>
                            <ul class="flex flex-col gap-1">
                                {list
                                    .into_iter()
                                    .map(|invitation| view! { <InvitationItem invitation error reread /> })
                                    .collect_view()}
                            </ul>
                        </section>
                    }
                })
            })}
        </Transition>
    }
}

#[component]
fn InvitationItem(
    invitation: Invitation,
    error: RwSignal<Option<String>>,
    reread: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let navigate = use_navigate();
    let busy = RwSignal::new(false);
    let id = invitation.id;
    let room = invitation.room.clone();
    let accept = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        spawn_local(async move {
            match accept_invitation(id).await {
                Ok(room) => navigate(&format!("/rooms/{}", room.id), Default::default()),
                Err(e) => {
                    error.set(Some(e.message));
                    reread();
                }
            }
            busy.set(false);
        });
    };
    let decline = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            if let Err(e) = decline_invitation(id).await {
                error.set(Some(e.message));
            }
            reread();
            busy.set(false);
        });
    };
    let label_id = format!("invitation-{id}");
    // The visible word first, so a voice command saying it still works.
    let accept_label = format!("Accept invitation to {}", room.name);
    let decline_label = format!("Decline invitation to {}", room.name);
    let button = "rounded-md px-2.5 py-1 text-xs font-semibold focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-50";
    view! {
        <li class="flex flex-wrap items-center gap-2 rounded-md bg-surface px-3 py-2 text-sm">
            <p id=label_id.clone() class="min-w-0 flex-1">
                <span class="font-medium">{invitation.inviter.username.clone()}</span>
                " invited you to "
                <span class="inline-flex items-center gap-1 font-medium">
                    <KindMark kind=room.kind />
                    {room.name.clone()}
                </span>
            </p>
            <button
                type="button"
                aria-label=accept_label
                aria-describedby=label_id.clone()
                class=format!("{button} bg-indigo-600 text-white hover:bg-indigo-500")
                disabled=move || busy.get()
                on:click=accept
            >
                "Accept"
            </button>
            <button
                type="button"
                aria-label=decline_label
                aria-describedby=label_id
                class=format!("{button} text-slate-700 ring-1 ring-slate-300 hover:bg-slate-100")
                disabled=move || busy.get()
                on:click=decline
            >
                "Decline"
            </button>
        </li>
    }
}
