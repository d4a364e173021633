//! Where the reader writes: a new message, a reply, or an edit of one of
//! their own. Enter sends, Shift+Enter adds a line, Up in an empty box
//! edits the last message they sent, Escape leaves a reply or an edit.
//! `@` offers the room's members (`mention_picker`). Files come by the
//! attach button, by dropping them on the composer or by pasting them
//! (`upload_tray`), and go with the next message, or alone.

use leptos::prelude::*;
use web_sys::HtmlTextAreaElement;

// The server's own limit, checked here too to answer before sending.
use crate::components::mention_picker::{Key, MentionList, Mentionable, Picker, option_id};
use crate::components::upload_tray::{Tray, UploadTray};
use crate::limits::{BODY_TOO_LONG, MAX_BODY_CHARS};
use crate::model::{Message, Upload};

const STILL_UPLOADING: &str = "Wait for your files to finish uploading, or remove them.";

/// What the composer is writing besides a plain new message.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    New,
    Reply(Message),
    Edit(Message),
}

#[component]
pub fn Composer(
    mode: RwSignal<Mode>,
    /// A new message (a reply when the mode says so), with its files.
    send: Callback<(String, Vec<Upload>)>,
    /// `(message, new body)`.
    save_edit: Callback<(Message, String)>,
    /// Up in an empty composer: start editing the reader's last message.
    edit_last: Callback<()>,
    /// The reader typed something (not an edit): the room may say so.
    typed: Callback<()>,
    /// Whom `@` offers.
    mentionable: Mentionable,
) -> impl IntoView {
    let picker = Picker::new(mentionable);
    let draft = RwSignal::new(String::new());
    // What was being written when an edit began, given back when it ends.
    let set_aside = StoredValue::new(String::new());
    let error = RwSignal::new(None::<&'static str>);
    let tray = Tray::default();
    on_cleanup(move || tray.stop_all());
    // A file is being dragged over the composer.
    let dragging = RwSignal::new(false);
    let file_input = NodeRef::<leptos::html::Input>::new();
    let textarea = NodeRef::<leptos::html::Textarea>::new();
    // Entering a mode puts the cursor here, with the text to edit; leaving
    // an edit gives back the draft it set aside.
    Effect::new(move |previous: Option<Mode>| {
        let current = mode.get();
        if previous.as_ref() != Some(&current) {
            let was_editing = matches!(previous, Some(Mode::Edit(_)));
            match &current {
                Mode::Edit(message) => {
                    if !was_editing {
                        set_aside.set_value(draft.get_untracked());
                    }
                    draft.set(message.body.clone());
                }
                _ if was_editing => draft.set(set_aside.get_value()),
                _ => {}
            }
            if current != Mode::New
                && let Some(el) = textarea.get_untracked()
            {
                let _ = el.focus();
            }
        }
        current
    });
    let cancel = move || {
        mode.set(Mode::New);
        error.set(None);
    };
    let submit = move || {
        let body = draft.get_untracked();
        let editing = matches!(mode.get_untracked(), Mode::Edit(_));
        let files = if editing { Vec::new() } else { tray.ready() };
        if !editing && tray.uploading() {
            error.set(Some(STILL_UPLOADING));
            return;
        }
        if body.trim().is_empty() && files.is_empty() {
            return;
        }
        if body.chars().count() > MAX_BODY_CHARS {
            error.set(Some(BODY_TOO_LONG));
            return;
        }
        error.set(None);
        match mode.get_untracked() {
            Mode::Edit(message) => save_edit.run((message, body)),
            Mode::New | Mode::Reply(_) => {
                draft.set(String::new());
                tray.clear();
                // Files alone go without text, not with blank text.
                let body = if body.trim().is_empty() {
                    String::new()
                } else {
                    body
                };
                send.run((body, files));
            }
        }
        mode.set(Mode::New);
    };
    let too_long = move || draft.with(|d| d.chars().count() > MAX_BODY_CHARS);
    // The picker follows the cursor as well as the text.
    let follow = move |el: &HtmlTextAreaElement| {
        let cursor = el.selection_start().ok().flatten().unwrap_or(0);
        picker.follow(&el.value(), cursor);
    };
    let take = move |chosen: String| {
        let Some(el) = textarea.get_untracked() else {
            return;
        };
        if let Some((text, cursor)) = picker.take(&el.value(), &chosen) {
            el.set_value(&text);
            let _ = el.set_selection_range(cursor, cursor);
            draft.set(text);
        }
    };
    let banner = move || match mode.get() {
        Mode::New => None,
        Mode::Reply(message) => Some((
            format!("Replying to {}", message.author.username),
            message.excerpt(),
            "Cancel reply",
        )),
        Mode::Edit(_) => Some((
            "Editing your message".to_owned(),
            "Enter saves, Escape cancels.".to_owned(),
            "Cancel editing",
        )),
    };
    view! {
        <form
            class=move || format!(
                "flex flex-col gap-1 border-t p-3 {}",
                if dragging.get() { "border-indigo-400 bg-indigo-50 ring-2 ring-inset ring-indigo-400" } else { "border-slate-200 bg-slate-50" },
            )
            on:submit=move |ev| {
                ev.prevent_default();
                submit();
            }
            on:dragover=move |ev: web_sys::DragEvent| {
                let carries_files = ev.data_transfer().is_some_and(|data| data.types().includes(&"Files".into(), 0));
                if carries_files {
                    ev.prevent_default();
                    dragging.set(true);
                }
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=move |ev: web_sys::DragEvent| {
                dragging.set(false);
                if let Some(files) = ev.data_transfer().and_then(|data| data.files())
                    && files.length() > 0
                {
                    ev.prevent_default();
                    tray.add_all(&files);
                }
            }
        >
            {move || banner().map(|(title, detail, cancel_label)| view! {
                <div class="flex items-start gap-2 rounded-lg border-l-4 border-indigo-500 bg-surface px-3 py-1.5 text-sm" role="status">
                    <div class="min-w-0 flex-1">
                        <p class="font-semibold text-indigo-800">{title}</p>
                        <p class="truncate text-xs text-slate-600">{detail}</p>
                    </div>
                    <button type="button" class="rounded-md px-2 text-lg leading-none text-slate-600 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                        aria-label=cancel_label on:click=move |_| cancel()>"×"</button>
                </div>
            })}
            <UploadTray tray />
            <div class="relative flex items-end gap-2">
                <input
                    type="file"
                    multiple
                    class="sr-only"
                    tabindex="-1"
                    aria-hidden="true"
                    id="composer-files"
                    node_ref=file_input
                    on:change=move |ev| {
                        let input = event_target::<web_sys::HtmlInputElement>(&ev);
                        if let Some(files) = input.files() {
                            tray.add_all(&files);
                        }
                        // Choosing the same file again is a change too.
                        input.set_value("");
                    }
                />
                <button
                    type="button"
                    class="self-center rounded-xl p-2.5 text-slate-700 hover:bg-slate-200 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                    aria-label="Attach files"
                    title="Attach files (or drop or paste them here)"
                    on:click=move |_| {
                        if let Some(input) = file_input.get_untracked() {
                            input.click();
                        }
                    }
                >
                    <svg aria-hidden="true" viewBox="0 0 24 24" class="h-5 w-5" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
                        <path d="M21.4 11.05 12.2 20.24a6 6 0 0 1-8.49-8.49l9.2-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48" />
                    </svg>
                </button>
                <div class="absolute bottom-full left-0 z-10 mb-1 w-72 max-w-full">
                    <MentionList names=picker.names highlighted=picker.highlighted choose=Callback::new(take) />
                </div>
                <label for="composer" class="sr-only">"Message"</label>
                <textarea
                    id="composer"
                    name="body"
                    // Two lines where the box cannot grow with its text
                    // (`field-sizing` is Chromium's so far).
                    rows="2"
                    node_ref=textarea
                    placeholder="Write a message…"
                    title="Enter sends, Shift+Enter adds a line, Up edits your last message"
                    class="field-sizing-content max-h-48 min-h-11 flex-1 resize-none rounded-xl border border-slate-300 bg-surface px-3 py-2 placeholder:text-slate-500 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200"
                    aria-invalid=move || too_long().to_string()
                    aria-describedby="composer-error"
                    aria-autocomplete="list"
                    aria-controls=move || picker.is_open().then_some("mention-list")
                    aria-activedescendant=move || picker.is_open().then(|| option_id(picker.highlighted.get()))
                    prop:value=draft
                    on:input=move |ev| {
                        let el = event_target::<HtmlTextAreaElement>(&ev);
                        let text = el.value();
                        if !text.trim().is_empty() && !matches!(mode.get_untracked(), Mode::Edit(_)) {
                            typed.run(());
                        }
                        follow(&el);
                        draft.set(text);
                    }
                    on:click=move |ev| follow(&event_target::<HtmlTextAreaElement>(&ev))
                    on:keyup=move |ev| {
                        if matches!(ev.key().as_str(), "ArrowLeft" | "ArrowRight" | "Home" | "End") {
                            follow(&event_target::<HtmlTextAreaElement>(&ev));
                        }
                    }
                    on:blur=move |_| picker.close()
                    on:paste=move |ev: web_sys::ClipboardEvent| {
                        if let Some(files) = ev.clipboard_data().and_then(|data| data.files())
                            && files.length() > 0
                            && !matches!(mode.get_untracked(), Mode::Edit(_))
                        {
                            ev.prevent_default();
                            tray.add_all(&files);
                        }
                    }
                    on:keydown=move |ev| {
                        if !ev.is_composing()
                            && let Some(key) = picker.key(&ev.key())
                        {
                            ev.prevent_default();
                            if let Key::Take(chosen) = key {
                                take(chosen);
                            }
                            return;
                        }
                        match ev.key().as_str() {
                            "Enter" if !ev.shift_key() && !ev.is_composing() => {
                                ev.prevent_default();
                                submit();
                            }
                            "Escape" if mode.get_untracked() != Mode::New => {
                                ev.prevent_default();
                                cancel();
                            }
                            "ArrowUp"
                                if !ev.alt_key()
                                    && mode.get_untracked() == Mode::New
                                    && draft.with_untracked(|d| d.is_empty()) =>
                            {
                                ev.prevent_default();
                                edit_last.run(());
                            }
                            _ => {}
                        }
                    }
                ></textarea>
                <button
                    type="submit"
                    class="rounded-xl bg-indigo-600 px-4 py-2 font-semibold text-white hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-50"
                    disabled=too_long
                >
                    {move || if matches!(mode.get(), Mode::Edit(_)) { "Save" } else { "Send" }}
                </button>
            </div>
            <p id="composer-error" class="min-h-4 text-xs text-red-700" role="alert">
                {move || error.get().or_else(|| too_long().then_some(BODY_TOO_LONG))}
            </p>
        </form>
    }
}
