//! `/api/openapi.json`, generated from the handlers' `#[utoipa::path]`
//! annotations and the wire types, so the document cannot drift from the code.

use app::server::AppState;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{auth, direct, invitations, messages, push, rooms, search, uploads, users};

#[derive(OpenApi)]
#[openapi(
    info(title = "Chat API", description = "Rooms, messages and sessions. Live delivery is over the WebSocket at /ws; see docs/api.md."),
    paths(
        auth::register, auth::login, auth::logout, auth::logout_everywhere, auth::me,
        rooms::list, rooms::create, rooms::update, rooms::delete_room, rooms::join, rooms::leave,
        rooms::mark_read,
        rooms::set_notifications,
        rooms::members,
        rooms::set_role, rooms::remove,
        direct::start, users::search,
        invitations::invite, invitations::pending, invitations::accept, invitations::decline,
        invitations::create_link, invitations::revoke_link, invitations::accept_link,
        messages::list, messages::create, messages::edit, messages::delete,
        messages::react, messages::unreact,
        push::key, push::subscribe, push::list, push::unsubscribe,
        search::find,
        uploads::create, uploads::content, uploads::thumbnail,
    ),
    components(schemas(app::error::AppError)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/openapi.json",
        get(|| async { Json(ApiDoc::openapi()) }),
    )
}
