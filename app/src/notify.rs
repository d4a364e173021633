//! Desktop notifications: asking the browser's permission (only after the
//! reader clicks "Enable notifications"), and showing the server's
//! `notification` frames, unless the room is open and in view here.
//!
//! Every open tab of the user hears the same frame; each notification is
//! tagged with its message, so the browser shows it once however many
//! tabs raise it.

use leptos::prelude::*;

/// What the browser says about notifications from this site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum Permission {
    /// Not asked yet: the control to ask is shown.
    Ask,
    Granted,
    Denied,
    /// No Notification API (or the server rendering the page).
    Unsupported,
}

pub fn permission() -> Permission {
    #[cfg(feature = "hydrate")]
    {
        let supported = js_sys::Reflect::has(&window(), &"Notification".into()).unwrap_or(false);
        if !supported {
            return Permission::Unsupported;
        }
        match web_sys::Notification::permission() {
            web_sys::NotificationPermission::Granted => Permission::Granted,
            web_sys::NotificationPermission::Denied => Permission::Denied,
            _ => Permission::Ask,
        }
    }
    #[cfg(not(feature = "hydrate"))]
    Permission::Unsupported
}

/// Asks the browser (it shows its own prompt) and sets `answer` to what
/// the reader chose.
pub fn ask(answer: RwSignal<Permission>) {
    #[cfg(feature = "hydrate")]
    {
        match web_sys::Notification::request_permission() {
            Ok(promise) => leptos::task::spawn_local(async move {
                let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
                answer.set(permission());
            }),
            Err(_) => answer.set(permission()),
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = answer;
}

/// Shows a notification of the message, unless the page shows that room
/// and the reader can see it; a click brings this tab forward and calls
/// `open`.
pub fn show(message_id: i64, title: &str, body: &str, in_view: bool, open: impl Fn() + 'static) {
    if in_view || permission() != Permission::Granted {
        return;
    }
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let options = web_sys::NotificationOptions::new();
        options.set_body(body);
        options.set_tag(&format!("chat-message-{message_id}"));
        let Ok(notification) = web_sys::Notification::new_with_options(title, &options) else {
            return;
        };
        let clicked = Closure::<dyn Fn()>::new(move || {
            let _ = window().focus();
            open();
        });
        notification.set_onclick(Some(clicked.as_ref().unchecked_ref()));
        // Lives as long as the notification may be clicked: the page's.
        clicked.forget();
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (message_id, title, body, open);
}

/// "Enable notifications", while the browser has not been asked; the
/// browser's prompt comes only from this click.
#[component]
pub fn EnableNotifications() -> impl IntoView {
    // Known once the page runs in the browser: the server draws nothing,
    // so the two renderings agree.
    let state = RwSignal::new(Permission::Unsupported);
    Effect::new(move |_| state.set(permission()));
    view! {
        <Show when=move || state.get() == Permission::Ask>
            <button
                type="button"
                class="rounded-md px-2 py-1.5 text-slate-600 underline-offset-2 hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                title="Be told of mentions and direct messages while this tab is in the background"
                on:click=move |_| ask(state)
            >
                "Enable notifications"
            </button>
        </Show>
    }
}
