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

/// Renders its children for a logged-in user and sends visitors to /login.
#[component]
pub fn RequireUser(children: ChildrenFn) -> impl IntoView {
    let session = Session::get();
    view! {
        <Transition fallback=Loading>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match session.me.await {
                        Ok(Some(_)) => EitherOf3::A(children()),
                        Ok(None) => EitherOf3::B(view! { <Redirect path="/login" /> }),
                        Err(error) => EitherOf3::C(view! { <ErrorNote error /> }),
                    }
                })
            }}
        </Transition>
    }
}
