//! One message as the room page shows it: its row, what it replies to,
//! its reactions, and the actions on it (react, reply, edit, delete).
//!
//! The actions appear on hover, on keyboard focus anywhere in the message,
//! and on a long press (touch screens have no hover). Every control is a
//! real button with a name, so the whole thing works from the keyboard and
//! reads sensibly in a screen reader. What an action does is the page's
//! business: it hands [`MessageActions`] down.

use std::collections::HashMap;

use leptos::either::Either;
use leptos::prelude::*;

use crate::components::attachments::Attachments;
use crate::components::avatar::Avatar;
use crate::model::{Message, Reaction};
use crate::time::{EditedMark, Timestamp, clock, local_time};

/// What the page does when the reader acts on a message.
#[derive(Clone, Copy)]
pub struct MessageActions {
    /// `(message id, emoji, add)`: add or remove the reader's reaction.
    pub react: Callback<(i64, String, bool)>,
    pub reply: Callback<Message>,
    pub edit: Callback<Message>,
    pub delete: Callback<i64>,
    /// Show the message with this seq, loading older history if needed.
    pub jump: Callback<i64>,
    /// Open the image viewer on this upload.
    pub view_image: Callback<String>,
}

/// The emoji offered first, in the picker and nowhere else.
const FREQUENT: [&str; 8] = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"];

/// Emoji the picker can find, with the words that find them.
const EMOJI: &[(&str, &str)] = &[
    ("👍", "thumbs up yes ok agree like"),
    ("👎", "thumbs down no disagree dislike"),
    ("❤️", "heart love red"),
    ("😂", "joy laugh tears funny lol"),
    ("🎉", "party tada celebrate congrats hooray"),
    ("😮", "wow surprised open mouth"),
    ("😢", "cry sad tear"),
    ("🙏", "pray please thanks thank you"),
    ("👀", "eyes look see watching"),
    ("🔥", "fire hot lit"),
    ("✅", "check done yes complete"),
    ("❌", "cross no wrong cancel"),
    ("👏", "clap applause bravo"),
    ("🙌", "raised hands hooray praise"),
    ("💯", "hundred perfect score"),
    ("🚀", "rocket ship launch fast"),
    ("🤔", "thinking hmm wonder"),
    ("😀", "grin smile happy"),
    ("😅", "sweat smile relief phew"),
    ("😍", "heart eyes love adore"),
    ("😎", "cool sunglasses"),
    ("🥳", "party face celebrate birthday"),
    ("😴", "sleep tired zzz"),
    ("🤯", "mind blown exploding head"),
    ("😬", "grimace awkward oops"),
    ("🙂", "smile slight happy"),
    ("😉", "wink"),
    ("😡", "angry mad rage"),
    ("🤝", "handshake deal agree"),
    ("💪", "muscle strong flex"),
    ("👋", "wave hello hi bye"),
    ("👌", "ok perfect fine"),
    ("✨", "sparkles shiny new magic"),
    ("⭐", "star favourite favorite"),
    ("💡", "bulb idea light"),
    ("📌", "pin pushpin important"),
    ("⚠️", "warning caution alert"),
    ("🐛", "bug insect issue"),
    ("☕", "coffee tea break"),
    ("🍕", "pizza food lunch"),
    ("🎂", "cake birthday"),
    ("🌟", "glowing star shine"),
    ("💬", "speech bubble comment talk"),
    ("🧵", "thread"),
    ("➕", "plus add one more"),
    ("❓", "question what"),
    ("❗", "exclamation important"),
    ("🆗", "ok button"),
];

/// How a rendered body's parts look.
const FORMATTED: &str = "break-words [&_.mention]:rounded [&_.mention]:bg-black/10 [&_.mention]:px-0.5 [&_.mention]:font-semibold [&_a]:underline [&_blockquote]:border-l-4 [&_blockquote]:border-current/40 [&_blockquote]:pl-2 [&_code]:rounded [&_code]:bg-black/10 [&_code]:px-1 [&_code]:font-mono [&_code]:text-[0.9em] [&_ol]:list-decimal [&_ol]:pl-5 [&>*+*]:mt-1.5 [&_pre]:my-1 [&_pre]:overflow-x-auto [&_pre]:rounded-md [&_pre]:bg-black/10 [&_pre]:p-2 [&_pre_code]:bg-transparent [&_pre_code]:p-0 [&_ul]:list-disc [&_ul]:pl-5";

const ACTION: &str = "rounded-md px-2 py-1 text-xs font-medium text-slate-700 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500";

/// How long a touch must rest on a message to open its actions.
const LONG_PRESS_MS: u64 = 500;

#[component]
pub fn MessageItem(
    /// The message as it now is. Only what changes is redrawn when it
    /// does, so focus and an open picker survive someone else's reaction.
    message: Memo<Message>,
    me: i64,
    /// Whether the reader is an owner or admin of the room (which can
    /// change while the room is open): they may delete anyone's message.
    #[prop(into)]
    owner: Signal<bool>,
    /// Who is who, for naming the people behind a reaction.
    names: Signal<HashMap<i64, String>>,
    actions: MessageActions,
    /// The seq of the message to draw the eye to (a reply's original).
    highlighted: Signal<Option<i64>>,
    /// Whether it goes under the previous message's name and avatar
    /// (`timeline::place`); loading older history can change that.
    #[prop(into)]
    continued: Signal<bool>,
) -> impl IntoView {
    // What never changes: who wrote it, when, and where it sits.
    let first = message.get_untracked();
    let mine = first.author.id == me;
    let local = local_time();
    // Open by a long press or the keyboard; hover shows them too.
    let open = RwSignal::new(false);
    let picking = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let press = StoredValue::new(None::<TimeoutHandle>);
    let end_press = move || {
        if let Some(handle) = press.get_value() {
            handle.clear();
        }
        press.set_value(None);
    };
    let react_button = NodeRef::<leptos::html::Button>::new();
    let confirm_button = NodeRef::<leptos::html::Button>::new();
    let article = NodeRef::<leptos::html::Article>::new();
    // Where focus goes when what held it disappears (a closed picker, a
    // cancelled confirmation): the message itself, not the page.
    let focus_article = move || {
        if let Some(el) = article.get_untracked() {
            let _ = el.focus();
        }
    };
    // Asked to confirm, the keyboard lands on the confirmation.
    Effect::new(move |_| {
        if confirming.get()
            && let Some(button) = confirm_button.get()
        {
            let _ = button.focus();
        }
    });
    let seq = first.seq;
    let id = first.id;
    let deleted = Memo::new(move |_| message.with(|m| m.deleted));
    let body_html = Memo::new(move |_| message.with(|m| m.body_html.clone()));
    let edited_at =
        Memo::new(move |_| message.with(|m| m.edited_at.clone().filter(|_| !m.deleted)));
    let quoted = Memo::new(move |_| message.with(|m| m.reply_to.clone()));
    let reactions = Memo::new(move |_| message.with(|m| m.reactions.clone()));
    let attachments = Memo::new(move |_| message.with(|m| m.attachments.clone()));
    let flash = move || highlighted.get() == Some(seq);
    // Someone else's message that names the reader (an edit may add or
    // drop the name): tinted, and said first to a screen reader.
    let mentions_me = Memo::new(move |_| !mine && message.with(|m| m.mentions_user(me)));
    let author = first.author.clone();
    let created_at = first.created_at.clone();
    view! {
            <article
                node_ref=article
                id=format!("message-{id}")
                class=move || {
                    format!(
                        "group relative flex gap-3 rounded-lg border-l-2 py-0.5 pl-1.5 pr-2 transition-colors sm:pl-2.5 {} {} {}",
                        if continued.get() { "" } else { "mt-3 pt-1" },
                        // Someone naming the reader stands out; the
                        // reader's own lines are marked, calmly.
                        if mentions_me.get() {
                            "border-amber-500 bg-amber-50"
                        } else if mine {
                            "border-indigo-300 hover:bg-slate-50"
                        } else {
                            "border-transparent hover:bg-slate-50"
                        },
                        if flash() { "ring-4 ring-amber-300" } else { "" },
                    )
                }
                tabindex="-1"
                data-seq=seq
                data-mine=mine.to_string()
                on:touchstart=move |_| {
                    end_press();
                    let handle = set_timeout_with_handle(
                        move || open.set(true),
                        std::time::Duration::from_millis(LONG_PRESS_MS),
                    )
                    .ok();
                    press.set_value(handle);
                }
                on:touchend=move |_| end_press()
                on:touchmove=move |_| end_press()
                on:keydown=move |ev| {
                    // Closes what is open here, and only that: with nothing
                    // open, Escape goes on to the room (a panel closes).
                    if ev.key() == "Escape"
                        && (open.get_untracked() || picking.get_untracked() || confirming.get_untracked())
                    {
                        ev.prevent_default();
                        open.set(false);
                        picking.set(false);
                        confirming.set(false);
                    }
                }
            >
                // The avatar begins a run; later lines show their time
                // there on hover (the header says it to screen readers).
                <div class="w-9 shrink-0">
                    {
                        let author = author.clone();
                        let created_at = created_at.clone();
                        move || if continued.get() {
                            Either::Left(view! {
                                <span aria-hidden="true" class="block pt-1 text-right text-[0.625rem] leading-4 text-slate-600 opacity-0 group-hover:opacity-100 group-focus-within:opacity-100">
                                    {let created_at = created_at.clone(); move || clock(&created_at, local.get())}
                                </span>
                            })
                        } else {
                            Either::Right(view! { <Avatar user_id=author.id username=author.username.clone() /> })
                        }
                    }
                </div>
                <div class="min-w-0 flex-1 text-slate-900">
                {move || quoted.get().map(|quoted| {
                    let excerpt = if quoted.excerpt.is_empty() { "message deleted".to_owned() } else { quoted.excerpt.clone() };
                    let label = format!("Replying to {}: {excerpt}. Show the original.", quoted.author.username);
                    view! {
                        <button
                            type="button"
                            class="mb-1 block w-full rounded-lg border-l-4 border-slate-300 bg-slate-50 px-2 py-1 text-left text-xs text-slate-700 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                            aria-label=label
                            on:click=move |_| actions.jump.run(quoted.seq)
                        >
                            <span class="font-semibold">{quoted.author.username.clone()}</span>
                            " "
                            <span class="line-clamp-2">{excerpt}</span>
                        </button>
                    }
                })}
                // A continued line keeps its header for screen readers, so
                // every message says who wrote it and when.
                <header class=move || if continued.get() { "sr-only" } else { "flex items-baseline gap-2" }>
                    {move || mentions_me.get().then(|| view! { <span class="sr-only">"Mentions you. "</span> })}
                    <span class="text-sm font-semibold text-slate-900">{first.author.username.clone()}</span>
                    <Timestamp iso=first.created_at.clone() />
                    {move || edited_at.get().map(|at| view! { <EditedMark iso=at /> })}
                </header>
                {move || if deleted.get() {
                    Either::Left(view! { <p class="italic text-slate-600">"message deleted"</p> })
                } else {
                    // Rendered and cleaned on the server (server/format.rs).
                    Either::Right(view! { <div class=FORMATTED inner_html=move || body_html.get()></div> })
                }}
                // Seen, where the header is not; heard once, from the header.
                {move || edited_at.get().filter(|_| continued.get()).map(|at| view! {
                    <span aria-hidden="true"><EditedMark iso=at /></span>
                })}
                <Attachments attachments=attachments.into() view_image=actions.view_image />
                <Reactions message_id=id reactions=reactions.into() me names react=actions.react />
                <Show when=move || !deleted.get()>
                    <div
                        role="toolbar"
                        aria-label="Actions"
                        class=move || format!(
                            "absolute -top-4 right-2 z-10 items-center gap-0.5 rounded-lg border border-slate-200 bg-surface p-0.5 shadow-md {}",
                            // Out of sight, not out of the tab order: a
                            // keyboard user tabs into it and it shows.
                            if open.get() || picking.get() || confirming.get() {
                                "flex"
                            } else {
                                "flex pointer-events-none opacity-0 group-hover:pointer-events-auto group-hover:opacity-100 group-focus-within:pointer-events-auto group-focus-within:opacity-100"
                            },
                        )
                    >
                        <Show
                            when=move || confirming.get()
                            fallback=move || {
                                view! {
                                    <button type="button" class=ACTION node_ref=react_button
                                        aria-haspopup="dialog" aria-controls=format!("emoji-picker-{id}")
                                        aria-expanded=move || picking.get().to_string()
                                        on:click=move |_| picking.update(|p| *p = !*p)>"React"</button>
                                    <button type="button" class=ACTION
                                        on:click=move |_| { open.set(false); actions.reply.run(message.get_untracked()) }>"Reply"</button>
                                    {mine.then(|| {
                                        view! {
                                            <button type="button" class=ACTION
                                                on:click=move |_| { open.set(false); actions.edit.run(message.get_untracked()) }>"Edit"</button>
                                        }
                                    })}
                                    {move || (mine || owner.get()).then(|| {
                                        view! {
                                            <button type="button" class=ACTION
                                                on:click=move |_| confirming.set(true)>"Delete"</button>
                                        }
                                    })}
                                    // A long press has no hover to end it.
                                    <Show when=move || open.get()>
                                        <button type="button" class=ACTION aria-label="Close actions"
                                            on:click=move |_| open.set(false)>"×"</button>
                                    </Show>
                                }
                            }
                        >
                            <span class="px-2 text-xs text-slate-800" role="alert">"Delete this message?"</span>
                            <button type="button" node_ref=confirm_button class="rounded-md bg-red-600 px-2 py-1 text-xs font-semibold text-white hover:bg-red-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-300"
                                on:click=move |_| { confirming.set(false); open.set(false); actions.delete.run(id) }>"Delete"</button>
                            <button type="button" class=ACTION on:click=move |_| {
                                confirming.set(false);
                                focus_article();
                            }>"Cancel"</button>
                        </Show>
                    </div>
                </Show>
                <Show when=move || picking.get()>
                    <EmojiPicker
                        id=format!("emoji-picker-{id}")
                        pick=Callback::new(move |emoji: String| {
                            picking.set(false);
                            open.set(false);
                            actions.react.run((id, emoji, true));
                            focus_article();
                        })
                        close=Callback::new(move |()| {
                            picking.set(false);
                            if let Some(button) = react_button.get_untracked() {
                                let _ = button.focus();
                            }
                        })
                    />
                </Show>
                </div>
            </article>
    }
}

/// A message's reactions, one chip per emoji: the count, the people on
/// hover, and a click to add or take back the reader's own. Chips are kept
/// by emoji, so the one just clicked keeps the keyboard's focus.
#[component]
fn Reactions(
    message_id: i64,
    reactions: Signal<Vec<Reaction>>,
    me: i64,
    names: Signal<HashMap<i64, String>>,
    react: Callback<(i64, String, bool)>,
) -> impl IntoView {
    view! {
        <Show when=move || reactions.with(|r| !r.is_empty())>
            <ul class="mt-1 flex flex-wrap gap-1" aria-label="Reactions">
                <For
                    each=move || reactions.with(|r| r.iter().map(|r| r.emoji.clone()).collect::<Vec<_>>())
                    key=|emoji| emoji.clone()
                    children=move |emoji| view! { <Chip message_id emoji reactions me names react /> }
                />
            </ul>
        </Show>
    }
}

#[component]
fn Chip(
    message_id: i64,
    emoji: String,
    reactions: Signal<Vec<Reaction>>,
    me: i64,
    names: Signal<HashMap<i64, String>>,
    react: Callback<(i64, String, bool)>,
) -> impl IntoView {
    let chip = {
        let emoji = emoji.clone();
        Memo::new(move |_| reactions.with(|r| r.iter().find(|r| r.emoji == emoji).cloned()))
    };
    let users = move || chip.with(|c| c.as_ref().map(|c| c.user_ids.clone()).unwrap_or_default());
    let mine = move || users().contains(&me);
    let count = move || chip.with(|c| c.as_ref().map_or(0, |c| c.count));
    let who = move || {
        names.with(|names| {
            users()
                .iter()
                .map(|id| {
                    if *id == me {
                        "you".to_owned()
                    } else {
                        names.get(id).cloned().unwrap_or_else(|| "someone".into())
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let label = {
        let emoji = emoji.clone();
        move || {
            let action = if mine() {
                "Remove your reaction"
            } else {
                "Add yours"
            };
            format!("{emoji} {}: {}. {action}", count(), who())
        }
    };
    let text = emoji.clone();
    view! {
        <li>
            <button
                type="button"
                class=move || if mine() {
                    "rounded-full border border-indigo-400 bg-indigo-50 px-2 text-sm text-indigo-900 hover:bg-indigo-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                } else {
                    "rounded-full border border-slate-300 bg-surface px-2 text-sm text-slate-800 hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                }
                aria-pressed=move || mine().to_string()
                title=move || format!("Reacted by {}", who())
                aria-label=label
                on:click=move |_| react.run((message_id, emoji.clone(), !mine()))
            >
                {text} " " {count}
            </button>
        </li>
    }
}

/// A few frequent emoji, and a search over the rest.
#[component]
fn EmojiPicker(id: String, pick: Callback<String>, close: Callback<()>) -> impl IntoView {
    let search_id = format!("{id}-search");
    let query = RwSignal::new(String::new());
    let search = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = search.get() {
            let _ = input.focus();
        }
    });
    let found = move || {
        let query = query.get().trim().to_lowercase();
        if query.is_empty() {
            FREQUENT.to_vec()
        } else {
            EMOJI
                .iter()
                .filter(|(_, words)| words.split(' ').any(|w| w.starts_with(&query)))
                .map(|(emoji, _)| *emoji)
                .collect()
        }
    };
    view! {
        <div
            id=id
            role="dialog"
            aria-label="Pick a reaction"
            class="absolute top-6 right-2 z-20 w-64 rounded-xl border border-slate-200 bg-surface p-2 text-slate-900 shadow-lg"
            on:keydown=move |ev| {
                if ev.key() == "Escape" {
                    ev.stop_propagation();
                    close.run(());
                }
            }
        >
            <label class="sr-only" for=search_id.clone()>"Search emoji"</label>
            <input
                id=search_id
                node_ref=search
                type="search"
                placeholder="Search emoji"
                class="mb-2 w-full rounded-lg border border-slate-300 px-2 py-1 text-sm placeholder:text-slate-500 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200"
                prop:value=query
                on:input=move |ev| query.set(event_target_value(&ev))
                on:keydown=move |ev| {
                    if ev.key() == "Enter" {
                        ev.prevent_default();
                        if let Some(first) = found().first() {
                            pick.run((*first).to_owned());
                        }
                    }
                }
            />
            <div class="grid grid-cols-8 gap-1">
                {move || {
                    let found = found();
                    if found.is_empty() {
                        Either::Left(view! { <p class="col-span-8 text-xs text-slate-600">"No emoji found."</p> })
                    } else {
                        Either::Right(found
                            .into_iter()
                            .map(|emoji| view! {
                                <button type="button" class="rounded-md p-1 text-lg hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                                    aria-label=format!("React with {emoji}")
                                    on:click=move |_| pick.run(emoji.to_owned())
                                >{emoji}</button>
                            })
                            .collect_view())
                    }
                }}
            </div>
        </div>
    }
}
