//! Desktop notifications: asking the browser's permission (only after the
//! reader clicks "Enable notifications"), and showing the server's
//! `notification` frames, unless the room is open and in view here.
//!
//! Every open tab of the user hears the same frame; each notification is
//! tagged with its message, so the browser shows it once however many
//! tabs raise it.
//!
//! Once notifications are allowed, the browser is also subscribed to Web
//! Push, so what would notify its user reaches it while no tab is open:
//! the service worker (`public/sw.js`) shows those.

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
        options.set_tag(&crate::model::notification_tag(message_id));
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
    // Allowed, now or earlier: (re)subscribed on every start, as a
    // subscription belongs to the session that made it.
    Effect::new(move |_| {
        if state.get() == Permission::Granted {
            subscribe_to_pushes();
        }
    });
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

/// Registers the service worker, subscribes this browser to pushes with the
/// server's key (once; the browser keeps it) and gives the subscription to
/// the server. Without push, or with its push service out of reach, the
/// tab's own notifications are all there is: said on the console only.
fn subscribe_to_pushes() {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async {
        if let Err(error) = push_subscription().await {
            web_sys::console::warn_2(&"Push notifications are not available:".into(), &error);
        }
    });
}

#[cfg(feature = "hydrate")]
async fn push_subscription() -> Result<(), wasm_bindgen::JsValue> {
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    let fails = |e: crate::error::AppError| JsValue::from_str(&e.to_string());
    let navigator = window().navigator();
    if !js_sys::Reflect::has(&navigator, &"serviceWorker".into())?
        || !js_sys::Reflect::has(&window(), &"PushManager".into())?
    {
        return Ok(());
    }
    let workers = navigator.service_worker();
    JsFuture::from(workers.register("/sw.js")).await?;
    let registration: web_sys::ServiceWorkerRegistration =
        JsFuture::from(workers.ready()?).await?.unchecked_into();
    let manager = registration.push_manager()?;
    let key = crate::api::push_key().await.map_err(fails)?;
    let mut subscription = JsFuture::from(manager.get_subscription()?).await?;
    if let Some(old) = subscription.clone().dyn_ref::<web_sys::PushSubscription>() {
        // Made with another key (the server's database was replaced): it
        // would be refused, so it is replaced too.
        let made_with = old
            .options()
            .application_server_key()?
            .map(|k| base64url(&js_sys::Uint8Array::new(&k).to_vec()));
        if made_with.is_some_and(|made_with| made_with != key.trim_end_matches('=')) {
            JsFuture::from(old.unsubscribe()?).await?;
            subscription = JsValue::NULL;
        }
    }
    if subscription.is_null() || subscription.is_undefined() {
        let options = web_sys::PushSubscriptionOptionsInit::new();
        options.set_user_visible_only(true);
        // The base64url string, as the Push API takes it.
        options.set_application_server_key(&JsValue::from_str(&key));
        subscription = JsFuture::from(manager.subscribe_with_options(&options)?).await?;
    }
    // `toJSON()`: the endpoint and the keys, base64url.
    let json: String = js_sys::JSON::stringify(&subscription)?.into();
    let new: crate::model::NewPushSubscription =
        serde_json::from_str(&json).map_err(|e| JsValue::from_str(&e.to_string()))?;
    crate::api::push_subscribe(new).await.map_err(fails)?;
    Ok(())
}

/// Bytes in URL-safe base64 without padding, as the Push API writes keys.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64url;

    #[test]
    fn base64url_is_rfc_4648_section_5_without_padding() {
        for (bytes, encoded) in [
            (&b""[..], ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"),
            (b"foobar", "Zm9vYmFy"),
            (&[0xfb, 0xff, 0xbf], "-_-_"),
        ] {
            assert_eq!(base64url(bytes), encoded);
        }
    }
}
