//! Who is logged in, shared by every page. The user comes from a server
//! function (so the server-rendered page already knows it); after login or
//! logout, [`Session::refresh`] asks again.

use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::api::current_user;
use crate::components::notice::{ErrorNote, Loading};
use crate::error::AppError;
use crate::model::User;

#[derive(Clone, Copy)]
pub struct Session {
    pub me: Resource<Result<Option<User>, AppError>>,
    version: RwSignal<u32>,
}

impl Session {
    pub fn provide() {
        let version = RwSignal::new(0u32);
        let me = Resource::new(move || version.get(), |_| current_user());
        provide_context(Session { me, version });
    }

    pub fn get() -> Session {
        expect_context::<Session>()
    }

    /// Re-reads the user from the server (after login or logout).
    pub fn refresh(&self) {
        self.version.update(|v| *v += 1);
    }

    /// The user as known now (not tracked); for use inside a `<RequireUser>`.
    pub fn user(&self) -> Option<User> {
        self.me.get_untracked().and_then(Result::ok).flatten()
    }
}

/// Whether `path` may be where logging in leads: a path of this site made
/// of plain characters (so never another site, `//host`, and nothing a
/// query or script could hide in).
pub fn safe_next(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_'))
}

/// The login page, leading back to `path` afterwards (the rooms, where
/// logging in leads anyway, need no mention).
fn login_path(path: &str) -> String {
    if safe_next(path) && !matches!(path, "/" | "/rooms") {
        format!("/login?next={path}")
    } else {
        "/login".to_owned()
    }
}

/// Renders its children for a logged-in user and sends visitors to /login,
/// to come back here once they are in.
#[component]
pub fn RequireUser(children: ChildrenFn) -> impl IntoView {
    let session = Session::get();
    let location = leptos_router::hooks::use_location();
    view! {
        <Transition fallback=Loading>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match session.me.await {
                        Ok(Some(_)) => EitherOf3::A(children()),
                        Ok(None) => {
                            let path = login_path(&location.pathname.get_untracked());
                            EitherOf3::B(view! { <Redirect path /> })
                        }
                        Err(error) => EitherOf3::C(view! { <ErrorNote error /> }),
                    }
                })
            }}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logging_in_leads_back_only_to_plain_paths_of_this_site() {
        assert!(safe_next("/invite/AbC-_9"));
        assert!(safe_next("/rooms/12"));
        for unsafe_path in [
            "//evil.example",
            "https://evil.example",
            "/a?b",
            "/a#b",
            "/a b",
            "evil",
            "",
        ] {
            assert!(!safe_next(unsafe_path), "{unsafe_path}");
        }
        assert_eq!(login_path("/invite/t0k"), "/login?next=/invite/t0k");
        assert_eq!(login_path("/"), "/login");
        assert_eq!(login_path("/rooms"), "/login");
        assert_eq!(login_path("//x"), "/login");
    }
}
