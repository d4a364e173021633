//! Light or dark. The reader's choice is a cookie rather than local storage
//! so that the server renders the page in it and nothing flashes light on
//! load; with no choice made, the stylesheet follows the system's
//! `prefers-color-scheme`. The palette lives in style/tailwind.css, where
//! dark mode swaps the colours' values: views name one colour for both.

use leptos::prelude::*;

/// The cookie that remembers the choice, for a year.
const COOKIE: &str = "theme";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    /// No choice: as the system prefers.
    System,
    Light,
    Dark,
}

impl Theme {
    /// The choice in a `Cookie` header.
    #[cfg(any(feature = "ssr", test))]
    pub fn from_cookies(header: &str) -> Self {
        let value = header.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE).then_some(value)
        });
        match value {
            Some("light") => Self::Light,
            Some("dark") => Self::Dark,
            _ => Self::System,
        }
    }

    /// The class on `<html>` that the stylesheet reads.
    pub fn class(self) -> &'static str {
        match self {
            Self::System => "",
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }

    /// The choice the page is being rendered for: the request's cookie on
    /// the server.
    #[cfg(feature = "ssr")]
    pub fn requested() -> Self {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                let cookies = parts.headers.get(http::header::COOKIE)?;
                Some(Self::from_cookies(cookies.to_str().ok()?))
            })
            .unwrap_or(Self::System)
    }
}

/// Whether the page shows dark now, the system's preference included.
#[cfg(feature = "hydrate")]
fn shows_dark() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let class = window
        .document()
        .and_then(|d| d.document_element())
        .map(|html| html.class_name())
        .unwrap_or_default();
    if class.split(' ').any(|c| c == "dark") {
        return true;
    }
    if class.split(' ').any(|c| c == "light") {
        return false;
    }
    window
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .is_some_and(|query| query.matches())
}

/// Makes `theme` the page's and remembers it.
#[cfg(feature = "hydrate")]
fn choose(theme: Theme) {
    use wasm_bindgen::JsCast;
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(html) = document.document_element() {
        let classes = html.class_list();
        let _ = classes.remove_2("light", "dark");
        let _ = classes.add_1(theme.class());
    }
    if let Ok(document) = document.dyn_into::<web_sys::HtmlDocument>() {
        let cookie = format!(
            "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            theme.class()
        );
        let _ = document.set_cookie(&cookie);
    }
}

/// Keeps `dark` true to the page when the system's preference changes
/// while it is open (it shows only while nothing was chosen).
#[cfg(feature = "hydrate")]
fn follow_the_system(dark: RwSignal<bool>) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Some(query) = web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok())
        .flatten()
    else {
        return;
    };
    let follow = Closure::<dyn Fn()>::new(move || dark.set(shows_dark()));
    let _ = query.add_event_listener_with_callback("change", follow.as_ref().unchecked_ref());
    let listening = send_wrapper::SendWrapper::new((query, follow));
    on_cleanup(move || {
        let (query, follow) = listening.take();
        let _ =
            query.remove_event_listener_with_callback("change", follow.as_ref().unchecked_ref());
    });
}

/// A button that turns dark mode on or off, and remembers the choice. Both
/// icons are drawn and the stylesheet shows the right one, so it is right
/// before the page is interactive.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    // A choice is known on both sides; the system's preference only in the
    // browser, after hydration.
    #[cfg(feature = "ssr")]
    let chosen = Theme::requested();
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    let chosen = document()
        .document_element()
        .map(|html| html.class_list().contains("dark"))
        .map_or(Theme::System, |dark| {
            if dark { Theme::Dark } else { Theme::System }
        });
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    let chosen = Theme::System;
    let dark = RwSignal::new(chosen == Theme::Dark);
    #[cfg(feature = "hydrate")]
    {
        Effect::new(move |_| dark.set(shows_dark()));
        follow_the_system(dark);
    }
    let toggle = move |_| {
        let now = !dark.get_untracked();
        #[cfg(feature = "hydrate")]
        choose(if now { Theme::Dark } else { Theme::Light });
        dark.set(now);
    };
    view! {
        <button
            type="button"
            class="rounded-md p-1.5 text-slate-600 hover:bg-slate-100 hover:text-slate-900 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
            aria-label="Dark theme"
            title="Dark theme"
            aria-pressed=move || dark.get().to_string()
            on:click=toggle
        >
            // A moon in light mode, a sun in dark.
            <svg class="h-5 w-5 dark:hidden" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
                <path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z" />
            </svg>
            <svg class="hidden h-5 w-5 dark:block" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
                <circle cx="12" cy="12" r="4" />
                <path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4" />
            </svg>
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::Theme;

    #[test]
    fn the_cookie_names_the_choice_and_anything_else_is_the_system() {
        assert_eq!(Theme::from_cookies("session=abc; theme=dark"), Theme::Dark);
        assert_eq!(Theme::from_cookies("theme=light"), Theme::Light);
        assert_eq!(Theme::from_cookies("theme=purple; a=b"), Theme::System);
        assert_eq!(Theme::from_cookies("notheme=dark"), Theme::System);
        assert_eq!(Theme::from_cookies(""), Theme::System);
    }
}
