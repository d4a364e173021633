//! `/rooms`: every room, and creating one.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::room_list::RoomList;
use crate::session::RequireUser;

#[component]
pub fn RoomsPage() -> impl IntoView {
    view! {
        <Title text="Rooms · Chat" />
        <RequireUser>
            <div class="mx-auto flex w-full max-w-2xl min-h-0 flex-1 flex-col p-4">
                <RoomList whole_page=true />
            </div>
        </RequireUser>
    }
}
