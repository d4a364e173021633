//! Watching a room: only members may, and a subscription starts where the
//! client left off (`after_seq`) and joins the live stream without a gap
//! ([`live::subscription`](crate::server::live::subscription) says how).

use crate::server::error::Result;
use crate::server::live::hub::Subscriber;
use crate::server::live::subscription::{self, Started};
use crate::server::services::rooms::require_member;
use crate::server::state::AppState;
use crate::server::storage::sessions::AuthUser;

pub async fn subscribe(
    state: &AppState,
    auth: &AuthUser,
    room_id: i64,
    subscriber: Subscriber,
    after_seq: Option<i64>,
) -> Result<Started> {
    let admitted = require_member(state, auth.user.id, room_id);
    subscription::start(
        &state.db, &state.hub, room_id, subscriber, after_seq, admitted,
    )
    .await
}
