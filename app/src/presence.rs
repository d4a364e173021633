//! Who is here, as this tab knows it: read with the member list and the
//! room list (each says how people were when it was read), then kept up to
//! date by the socket's `presence` frames. And the other way: telling the
//! server this tab is in use, so its person shows as online, not away.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::model::{Presence, UserPresence};

#[derive(Clone, Copy)]
pub struct Here {
    people: RwSignal<HashMap<i64, Presence>>,
}

impl Here {
    pub fn provide() {
        provide_context(Here {
            people: RwSignal::new(HashMap::new()),
        });
    }

    pub fn get() -> Here {
        expect_context::<Here>()
    }

    /// What a list or a frame says; nothing is redrawn when it says what
    /// was known.
    pub fn learn(&self, users: impl IntoIterator<Item = UserPresence>) {
        let users: Vec<UserPresence> = users.into_iter().collect();
        let news = self.people.with_untracked(|people| {
            users
                .iter()
                .any(|u| people.get(&u.user_id) != Some(&u.status))
        });
        if !news {
            return;
        }
        self.people.update(|people| {
            people.extend(users.into_iter().map(|u| (u.user_id, u.status)));
        });
    }

    /// Tracked; offline for someone never heard of.
    pub fn of(&self, user_id: i64) -> Presence {
        self.people
            .with(|people| people.get(&user_id).copied())
            .unwrap_or_default()
    }

    /// The most present of several people (a direct conversation is "here"
    /// when anyone in it is).
    pub fn most_present(&self, users: &[i64]) -> Presence {
        users
            .iter()
            .map(|&user| self.of(user))
            .min_by_key(|status| match status {
                Presence::Online => 0,
                Presence::Away => 1,
                Presence::Offline => 2,
            })
            .unwrap_or_default()
    }
}

/// Says the tab is in use on a key, a click or a touch, or when it gets
/// the focus back, at most once a minute (`ACTIVE_EVERY_MS`): the server
/// shows its person away after minutes without one.
pub fn report_use() {
    #[cfg(feature = "hydrate")]
    {
        use crate::protocol::{ACTIVE_EVERY_MS, ClientFrame};
        use crate::socket::ChatSocket;
        use leptos::ev;

        let socket = ChatSocket::get();
        // Opening the socket counts as use, so the first minute is free.
        let last = StoredValue::new(js_sys::Date::now());
        let used = move || {
            let now = js_sys::Date::now();
            if now - last.get_value() >= ACTIVE_EVERY_MS as f64 {
                last.set_value(now);
                socket.signal(ClientFrame::Active);
            }
        };
        let handles = [
            window_event_listener(ev::keydown, move |_| used()),
            window_event_listener(ev::pointerdown, move |_| used()),
            window_event_listener(ev::focus, move |_| used()),
        ];
        on_cleanup(move || handles.into_iter().for_each(|handle| handle.remove()));
    }
}

/// Presence beside a name: a dot (filled green when online, amber when
/// away, an empty ring when offline) and the word, so colour is never the
/// only sign. `status` reads the store: a plain closure, not a signal owned
/// by the item, so a list redrawn while the store changes never reads one
/// already disposed.
#[component]
pub fn PresenceBadge(
    status: impl Fn() -> Presence + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let (word, look) = (status.clone(), status.clone());
    let dot = move || {
        let look = match look() {
            Presence::Online => "bg-emerald-600",
            Presence::Away => "bg-amber-500",
            Presence::Offline => "border-2 border-slate-500",
        };
        format!("inline-block size-2 shrink-0 rounded-full {look}")
    };
    view! {
        <span class="inline-flex items-center gap-1 text-xs text-slate-600" data-presence=move || status().as_str()>
            <span class=dot aria-hidden="true"></span>
            {move || word().label()}
        </span>
    }
}
