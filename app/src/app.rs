//! The document shell and the router: which page answers which path.

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::header::Header;
use crate::components::shortcuts::{KeyboardShortcuts, ShortcutsOpen};
use crate::pages::{
    home::Home, invite::InvitePage, login::LoginPage, not_found::NotFound, room::RoomPage,
    rooms::RoomsPage,
};
use crate::presence::{Here, report_use};
use crate::session::Session;
use crate::socket::ChatSocket;
use crate::unread::{Unread, titled};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::web::csp::set_for_page(&options);
    #[cfg(feature = "ssr")]
    let theme = crate::theme::Theme::requested();
    #[cfg(not(feature = "ssr"))]
    let theme = crate::theme::Theme::System;
    view! {
        <!DOCTYPE html>
        <html lang="en" class=format!("h-full {}", theme.class())>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <HashedStylesheet options=options.clone() id="leptos" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="h-full bg-canvas text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    Session::provide();
    ChatSocket::provide();
    Unread::provide();
    Here::provide();
    ShortcutsOpen::provide();
    report_use();
    let unread = Unread::get();

    view! {
        <Title text="Chat" formatter=move |title| titled(unread.total(), title) />
        <Router>
            <KeyboardShortcuts />
            <div class="flex h-dvh flex-col">
                <Header />
                <main class="flex min-h-0 flex-1 flex-col">
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=Home />
                        <Route path=path!("/login") view=LoginPage />
                        <Route path=path!("/rooms") view=RoomsPage />
                        <Route path=path!("/rooms/:id") view=RoomPage />
                        <Route path=path!("/invite/:token") view=InvitePage />
                    </Routes>
                </main>
            </div>
        </Router>
    }
}
