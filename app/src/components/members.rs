//! The member list of a room, opened from its header: who is in it and
//! with what role, and for owners and admins the ways to change that
//! (make admin, make member, remove).
//!
//! The server decides every change (`server::services::rules`); the panel
//! only leaves out the buttons it would refuse, so that nobody is offered
//! what they cannot do. What the list shows comes from the server after
//! each change and after each membership event of the room.

use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{remove_member, room_members, set_member_role};
use crate::components::delete_room::DeleteRoom;
use crate::components::invite::InvitePanel;
use crate::components::notice::{ErrorNote, LoadingList};
use crate::model::{Member, Role, UserPresence};
use crate::presence::{Here, PresenceBadge};

#[component]
pub fn MembersPanel(
    room_id: i64,
    /// The reader's own id and role (the role follows changes).
    me: i64,
    #[prop(into)] my_role: Signal<Option<Role>>,
    /// The room's name as it now is (the delete button names it).
    #[prop(into)]
    name: Signal<String>,
    /// Bumped when the room's membership changed (an event arrived).
    #[prop(into)]
    changed: Signal<u32>,
) -> impl IntoView {
    let acted = RwSignal::new(0u32);
    let here = Here::get();
    // A change of the reader's own role arrives as an event too, so the
    // list is drawn again with the actions it now allows.
    let members = Resource::new(
        move || (changed.get(), acted.get()),
        move |_| room_members(room_id),
    );
    // What the list says of who is here, learnt outside the render (the
    // items being replaced follow the store).
    Effect::new(move |_| {
        if let Some(Ok(list)) = members.get() {
            here.learn(list.iter().map(|m| UserPresence {
                user_id: m.user.id,
                status: m.presence,
            }));
        }
    });
    let error = RwSignal::new(None::<String>);
    let act = move |change: Change| {
        error.set(None);
        spawn_local(async move {
            let done = match change {
                Change::Role(user_id, role) => {
                    set_member_role(room_id, user_id, role).await.map(drop)
                }
                Change::Remove(user_id) => remove_member(room_id, user_id).await,
            };
            match done {
                Ok(()) => acted.update(|n| *n = n.wrapping_add(1)),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <section id="members-panel" aria-labelledby="members-heading" class="px-4 py-3">
            <h2 id="members-heading" class="mb-2 text-sm font-semibold text-slate-700">"Members"</h2>
            {move || my_role.get().is_some_and(Role::moderates).then(|| view! { <InvitePanel room_id /> })}
            <p role="alert" class="mb-2 text-xs text-red-700 empty:hidden">{move || error.get()}</p>
            <Transition fallback=|| view! { <LoadingList rows=3 /> }>
                {move || Suspend::new(async move {
                    match members.await {
                        Ok(list) if list.is_empty() => EitherOf3::A(view! {
                            <p class="text-sm text-slate-600">"Nobody is in this room."</p>
                        }),
                        Ok(list) => EitherOf3::B({
                            view! {
                            <ul class="flex max-h-64 flex-col gap-1 overflow-y-auto">
                                {list
                                    .into_iter()
                                    .map(|member| {
                                        let actions = actions(my_role.get_untracked(), me, &member);
                                        view! { <MemberItem member actions act /> }
                                    })
                                    .collect_view()}
                            </ul>
                        }}),
                        Err(error) => EitherOf3::C(view! { <ErrorNote error /> }),
                    }
                })}
            </Transition>
            {move || (my_role.get() == Some(Role::Owner)).then(|| view! { <DeleteRoom room_id name /> })}
        </section>
    }
}

/// A change the panel asks of the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    Role(i64, Role),
    Remove(i64),
}

/// The buttons to offer beside `member`: owners act on anyone else, admins
/// on members only (making them admins, or removing them); owners are made
/// and unmade through the API.
fn actions(mine: Option<Role>, me: i64, member: &Member) -> Vec<(&'static str, Change)> {
    let Some(mine) = mine.filter(|r| r.moderates()) else {
        return Vec::new();
    };
    if member.user.id == me || member.role == Role::Owner && mine != Role::Owner {
        return Vec::new();
    }
    let id = member.user.id;
    let mut actions = Vec::new();
    match member.role {
        Role::Member => actions.push(("Make admin", Change::Role(id, Role::Admin))),
        Role::Admin if mine == Role::Owner => {
            actions.push(("Make member", Change::Role(id, Role::Member)))
        }
        Role::Admin | Role::Owner => {}
    }
    if mine == Role::Owner || member.role == Role::Member {
        actions.push(("Remove", Change::Remove(id)));
    }
    actions
}

#[component]
fn MemberItem(
    member: Member,
    actions: Vec<(&'static str, Change)>,
    act: impl Fn(Change) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let name = member.user.username.clone();
    let here = Here::get();
    let id = member.user.id;
    let badge = match member.role {
        Role::Owner => Some("Owner"),
        Role::Admin => Some("Admin"),
        Role::Member => None,
    };
    view! {
        <li class="flex flex-wrap items-center gap-2 rounded-md bg-surface px-3 py-1.5 text-sm">
            <span class="min-w-0 flex-1 truncate font-medium text-slate-900">{name.clone()}</span>
            <PresenceBadge status=move || here.of(id) />
            {badge.map(|badge| view! {
                <span class="rounded bg-indigo-100 px-1.5 py-0.5 text-xs font-medium text-indigo-800">{badge}</span>
            })}
            {actions
                .into_iter()
                .map(|(label, change)| {
                    let described = format!("{label}: {name}");
                    view! {
                        <button
                            type="button"
                            aria-label=described
                            class="rounded-md px-2 py-0.5 text-xs font-medium text-slate-700 ring-1 ring-slate-300 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                            on:click=move |_| act(change)
                        >
                            {label}
                        </button>
                    }
                })
                .collect_view()}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Author;

    fn member(id: i64, role: Role) -> Member {
        Member {
            user: Author {
                id,
                username: format!("user{id}"),
            },
            role,
            joined_at: String::new(),
            presence: Default::default(),
        }
    }

    fn labels(mine: Option<Role>, theirs: Role) -> Vec<&'static str> {
        actions(mine, 1, &member(2, theirs))
            .into_iter()
            .map(|(label, _)| label)
            .collect()
    }

    #[test]
    fn the_panel_offers_what_the_rules_allow() {
        use Role::{Admin, Member, Owner};
        assert_eq!(labels(Some(Owner), Member), ["Make admin", "Remove"]);
        assert_eq!(labels(Some(Owner), Admin), ["Make member", "Remove"]);
        assert_eq!(labels(Some(Owner), Owner), ["Remove"]);
        assert_eq!(labels(Some(Admin), Member), ["Make admin", "Remove"]);
        assert!(labels(Some(Admin), Admin).is_empty());
        assert!(labels(Some(Admin), Owner).is_empty());
        assert!(labels(Some(Member), Member).is_empty());
        assert!(labels(None, Member).is_empty());
        assert!(
            actions(Some(Owner), 2, &member(2, Owner)).is_empty(),
            "not oneself"
        );
    }
}
