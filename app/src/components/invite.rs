//! Inviting people, for a room's owners and admins: by username (they see
//! it at once, in their invitations), or with a link to copy and share,
//! which works until it expires, is used up or is revoked here.
//!
//! A link's token is shown once, when it is made (the server keeps only
//! its hash), so the link made here lives in this panel until revoked or
//! closed.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{create_invite_link, invite, revoke_invite_link};
use crate::model::InviteLink;
use crate::time::{Shown, Timestamp};

const INPUT: &str = "min-w-0 flex-1 rounded-md border border-slate-300 px-3 py-1.5 text-sm placeholder:text-slate-500 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200";
const PRIMARY: &str = "rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-50";
const SECONDARY: &str = "rounded-md px-2.5 py-1.5 text-sm font-medium text-slate-700 ring-1 ring-slate-300 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-50";

#[component]
pub fn InvitePanel(room_id: i64) -> impl IntoView {
    view! {
        <section aria-labelledby="invite-heading" class="mb-3 flex flex-col gap-3">
            <h3 id="invite-heading" class="sr-only">"Invite people"</h3>
            <InviteByName room_id />
            <InviteLinkMaker room_id />
        </section>
    }
}

#[component]
fn InviteByName(room_id: i64) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let status = RwSignal::new(None::<Result<String, String>>);
    let pending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = username.get_untracked().trim().to_owned();
        if pending.get_untracked() || name.is_empty() {
            return;
        }
        pending.set(true);
        status.set(None);
        let shown = name.clone();
        spawn_local(async move {
            match invite(room_id, name).await {
                Ok(_) => {
                    username.set(String::new());
                    status.set(Some(Ok(format!(
                        "Invited {shown}. They will see it in their invitations."
                    ))));
                }
                Err(e) => status.set(Some(Err(e.message))),
            }
            pending.set(false);
        });
    };
    view! {
        <form on:submit=submit class="flex flex-col gap-1" novalidate>
            <label for="invite-username" class="text-xs font-medium text-slate-700">"Invite by username"</label>
            <div class="flex gap-2">
                <input
                    id="invite-username"
                    type="text"
                    autocomplete="off"
                    autocapitalize="none"
                    spellcheck="false"
                    placeholder="username"
                    class=INPUT
                    aria-invalid=move || matches!(status.get(), Some(Err(_))).to_string()
                    aria-describedby="invite-status"
                    prop:value=username
                    on:input=move |ev| username.set(event_target_value(&ev))
                />
                <button type="submit" class=PRIMARY disabled=move || pending.get()>"Invite"</button>
            </div>
            <p
                id="invite-status"
                role="status"
                class=move || match status.get() {
                    Some(Err(_)) => "text-xs text-red-700 empty:hidden",
                    _ => "text-xs text-emerald-800 empty:hidden",
                }
            >
                {move || status.get().map(|s| s.unwrap_or_else(|e| e))}
            </p>
        </form>
    }
}

/// How long a new link works, as offered.
const EXPIRIES: [(&str, i64); 3] = [("1 day", 24), ("7 days", 24 * 7), ("30 days", 24 * 30)];
/// How many may join by a new link, as offered (0: no limit).
const USES: [(&str, i64); 4] = [
    ("No limit", 0),
    ("1 use", 1),
    ("10 uses", 10),
    ("100 uses", 100),
];

#[component]
fn InviteLinkMaker(room_id: i64) -> impl IntoView {
    let hours = RwSignal::new(24 * 7);
    let uses = RwSignal::new(0i64);
    let link = RwSignal::new(None::<InviteLink>);
    let status = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let make = move |_| {
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        status.set(None);
        let max_uses = Some(uses.get_untracked()).filter(|n| *n > 0);
        spawn_local(async move {
            match create_invite_link(room_id, Some(hours.get_untracked()), max_uses).await {
                Ok(made) => link.set(Some(made)),
                Err(e) => status.set(Some(e.message)),
            }
            pending.set(false);
        });
    };
    let revoke = move |_| {
        let Some(token) = link.with_untracked(|l| l.as_ref().map(|l| l.token.clone())) else {
            return;
        };
        pending.set(true);
        spawn_local(async move {
            match revoke_invite_link(room_id, token).await {
                Ok(()) => {
                    link.set(None);
                    status.set(Some("Link revoked: it no longer works.".into()));
                }
                Err(e) => status.set(Some(e.message)),
            }
            pending.set(false);
        });
    };
    let copy = move |_| {
        let Some(url) = link.with_untracked(|l| l.as_ref().map(|l| absolute(&l.url))) else {
            return;
        };
        #[cfg(feature = "hydrate")]
        {
            let promise = window().navigator().clipboard().write_text(&url);
            spawn_local(async move {
                let copied = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                status.set(Some(if copied {
                    "Link copied.".into()
                } else {
                    "Could not copy: select the link and copy it.".into()
                }));
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = url;
    };
    view! {
        <div class="flex flex-col gap-1">
            <Show
                when=move || link.get().is_some()
                fallback=move || view! {
                    <div class="flex flex-wrap items-end gap-2">
                        <label class="flex flex-col gap-0.5 text-xs font-medium text-slate-700">
                            "Link works for"
                            <select
                                class="rounded-md border border-slate-300 px-2 py-1.5 text-sm"
                                on:change=move |ev| hours.set(event_target_value(&ev).parse().unwrap_or(24 * 7))
                            >
                                {EXPIRIES.into_iter().map(|(label, value)| view! {
                                    <option value=value.to_string() selected=move || hours.get() == value>{label}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <label class="flex flex-col gap-0.5 text-xs font-medium text-slate-700">
                            "Joins allowed"
                            <select
                                class="rounded-md border border-slate-300 px-2 py-1.5 text-sm"
                                on:change=move |ev| uses.set(event_target_value(&ev).parse().unwrap_or(0))
                            >
                                {USES.into_iter().map(|(label, value)| view! {
                                    <option value=value.to_string() selected=move || uses.get() == value>{label}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <button type="button" class=SECONDARY disabled=move || pending.get() on:click=make>
                            "Create invite link"
                        </button>
                    </div>
                }
            >
                {move || link.get().map(|made| view! {
                    <label for="invite-link" class="text-xs font-medium text-slate-700">"Invite link"</label>
                    <div class="flex flex-wrap gap-2">
                        <input
                            id="invite-link"
                            type="text"
                            readonly
                            class=INPUT
                            prop:value=absolute(&made.url)
                        />
                        <button type="button" class=PRIMARY on:click=copy>"Copy link"</button>
                        <button type="button" class=SECONDARY disabled=move || pending.get() on:click=revoke>"Revoke link"</button>
                    </div>
                    <p class="text-xs text-slate-600">
                        "Works until " <Timestamp iso=made.expires_at.clone() shown=Shown::Full />
                        {made.max_uses.map(|n| format!(", for {n} {}", if n == 1 { "join" } else { "joins" }))}
                        "."
                    </p>
                })}
            </Show>
            <p role="status" class="text-xs text-slate-700 empty:hidden">{move || status.get()}</p>
        </div>
    }
}

/// The link as someone else opens it: this site's origin and the path.
fn absolute(path: &str) -> String {
    #[cfg(feature = "hydrate")]
    if let Ok(origin) = window().location().origin() {
        return format!("{origin}{path}");
    }
    path.to_owned()
}
