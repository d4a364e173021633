//! The service layer's error, and the single place it becomes an HTTP answer.
//!
//! Every adapter (REST handler, server function, WebSocket frame) reports
//! failures through [`Error`]; `code()` and `status()` decide what the client
//! sees. Internal failures are logged here with their cause and answered with
//! a generic message, so no stack trace or SQL text ever leaves the server.

use axum::Json;
use std::time::Duration;

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, ErrorBody, ErrorCode};
use crate::limits::USERNAME_CHARS;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{message}")]
    Validation {
        field: &'static str,
        message: String,
    },
    #[error("That username is already taken.")]
    UsernameTaken,
    #[error("Wrong username or password.")]
    InvalidCredentials,
    #[error("You need to log in.")]
    Unauthorized,
    #[error("A room with that name already exists.")]
    RoomNameTaken,
    #[error("That room does not exist.")]
    RoomNotFound,
    #[error("You are not a member of this room.")]
    NotAMember,
    /// A member path (`/members/{user_id}`) naming someone not in the room.
    #[error("That user is not a member of this room.")]
    MemberNotFound,
    /// Joining a private room without an invitation.
    #[error("This room is private: you need an invitation to join it.")]
    InvitationRequired,
    /// Naming someone (to invite, to talk to) by a username nobody has;
    /// the name as given, cut short (see [`Error::no_user`]).
    #[error("There is no user called \"{0}\".")]
    UserNotFound(String),
    /// Inviting someone already in the room.
    #[error("They are already a member of this room.")]
    AlreadyMember,
    /// An invitation that is not (or no longer) the caller's to answer, or
    /// a link token nobody made.
    #[error("That invitation does not exist or was withdrawn.")]
    InvitationNotFound,
    /// An invite link past its expiry, used up, or revoked.
    #[error("This invite link has expired or was revoked.")]
    InviteExpired,
    #[error("Not found.")]
    NotFound,
    #[error("That message does not exist in this room.")]
    MessageNotFound,
    #[error("That message was deleted.")]
    MessageDeleted,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("A message can have at most {limit} different reactions.")]
    TooManyReactions { limit: usize },
    /// A reaction path whose `{emoji}` is not one emoji: no such reaction
    /// can exist, as no message has a non-numeric id.
    #[error("A reaction must be one emoji.")]
    NotAnEmoji,
    /// A `client_id` already used by this author for a message in another
    /// room: not a retry, and not a new message either.
    #[error("This client_id was already used for a message in another room.")]
    ClientIdReused,
    #[error("Too many requests. Try again in {}.", wait_text(*retry_after))]
    RateLimited { retry_after: Duration },
    /// A send over the allowance from a client that ignored the refusals
    /// before it; a socket is closed for it, REST answers like
    /// [`Error::RateLimited`].
    #[error("Too many messages, sent after being told to wait. Try again in {}.", wait_text(*retry_after))]
    KeptSending { retry_after: Duration },
    #[error("You have too many open connections. Close a tab and try again.")]
    TooManySockets,
    #[error("You are watching too many rooms on this connection.")]
    TooManySubscriptions,
    #[error("The request is too large (at most {limit} bytes).")]
    TooLarge { limit: usize },
    #[error("This file is too large: files may be at most {}.", crate::model::file_size(*limit))]
    FileTooLarge { limit: u64 },
    #[error("Your files would take more than your {} of storage. Delete some messages with files, or send fewer.", crate::model::file_size(*quota))]
    QuotaExceeded { quota: u64 },
    /// A file whose sniffed type `UPLOAD_TYPES` does not list.
    #[error("Files of this type ({0}) are not accepted here.")]
    UnsupportedFileType(String),
    #[error("This request came from another site and was refused.")]
    CrossSite,
    #[error("This path does not accept that method.")]
    MethodNotAllowed,
    /// `GET /ws` without a usable WebSocket handshake.
    #[error("This endpoint only takes WebSocket upgrades: {0}")]
    NotAWebSocket(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        Error::Validation {
            field,
            message: message.into(),
        }
    }

    /// `user_not_found` for a name as the caller gave it, cut to a
    /// username's length (a longer one names nobody anyway).
    pub fn no_user(name: &str) -> Self {
        let name = name.trim();
        let mut shown: String = name.chars().take(*USERNAME_CHARS.end()).collect();
        if shown.len() < name.len() {
            shown.push('…');
        }
        Error::UserNotFound(shown)
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Validation { .. } => ErrorCode::ValidationError,
            Error::UsernameTaken => ErrorCode::UsernameTaken,
            Error::InvalidCredentials => ErrorCode::InvalidCredentials,
            Error::Unauthorized => ErrorCode::Unauthorized,
            Error::RoomNameTaken => ErrorCode::RoomNameTaken,
            Error::RoomNotFound => ErrorCode::RoomNotFound,
            Error::NotAMember => ErrorCode::NotAMember,
            Error::InvitationRequired => ErrorCode::InvitationRequired,
            Error::MemberNotFound => ErrorCode::MemberNotFound,
            Error::UserNotFound(_) => ErrorCode::UserNotFound,
            Error::AlreadyMember => ErrorCode::AlreadyMember,
            Error::InvitationNotFound => ErrorCode::InvitationNotFound,
            Error::InviteExpired => ErrorCode::InviteExpired,
            Error::NotFound => ErrorCode::NotFound,
            Error::MessageNotFound => ErrorCode::MessageNotFound,
            Error::MessageDeleted => ErrorCode::MessageDeleted,
            Error::Forbidden(_) => ErrorCode::Forbidden,
            Error::TooManyReactions { .. } => ErrorCode::TooManyReactions,
            Error::NotAnEmoji => ErrorCode::NotAnEmoji,
            Error::ClientIdReused => ErrorCode::ClientIdReused,
            Error::RateLimited { .. } | Error::KeptSending { .. } => ErrorCode::RateLimited,
            Error::TooManySockets => ErrorCode::TooManySockets,
            Error::TooManySubscriptions => ErrorCode::TooManySubscriptions,
            Error::TooLarge { .. } | Error::FileTooLarge { .. } => ErrorCode::PayloadTooLarge,
            Error::QuotaExceeded { .. } => ErrorCode::QuotaExceeded,
            Error::UnsupportedFileType(_) => ErrorCode::UnsupportedFileType,
            Error::CrossSite => ErrorCode::CrossSiteRequest,
            Error::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            Error::NotAWebSocket(_) => ErrorCode::WebsocketUpgradeRequired,
            Error::Database(_) | Error::Internal(_) => ErrorCode::InternalError,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::Validation { .. } => StatusCode::BAD_REQUEST,
            Error::UsernameTaken | Error::RoomNameTaken | Error::AlreadyMember => {
                StatusCode::CONFLICT
            }
            Error::InviteExpired => StatusCode::GONE,
            Error::InvalidCredentials | Error::Unauthorized => StatusCode::UNAUTHORIZED,
            Error::NotAMember
            | Error::InvitationRequired
            | Error::CrossSite
            | Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::RoomNotFound
            | Error::NotFound
            | Error::MessageNotFound
            | Error::MemberNotFound
            | Error::UserNotFound(_)
            | Error::InvitationNotFound
            | Error::NotAnEmoji => StatusCode::NOT_FOUND,
            Error::MessageDeleted | Error::TooManyReactions { .. } | Error::ClientIdReused => {
                StatusCode::CONFLICT
            }
            Error::RateLimited { .. }
            | Error::KeptSending { .. }
            | Error::TooManySockets
            | Error::TooManySubscriptions => StatusCode::TOO_MANY_REQUESTS,
            Error::TooLarge { .. } | Error::FileTooLarge { .. } | Error::QuotaExceeded { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Error::UnsupportedFileType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Error::NotAWebSocket(_) => StatusCode::BAD_REQUEST,
            Error::Database(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The client-facing form. Internal causes are logged, not sent.
    pub fn to_app_error(&self) -> AppError {
        let message = match self {
            Error::Database(_) | Error::Internal(_) => {
                tracing::error!(error = %self, "request failed");
                "Something went wrong on our side. Please try again.".to_owned()
            }
            other => other.to_string(),
        };
        AppError {
            code: self.code(),
            message,
            field: match self {
                Error::Validation { field, .. } => Some((*field).to_owned()),
                _ => None,
            },
        }
    }
}

/// How a server function fails: with the error's own status (a server
/// function's error would otherwise always be a 500) and its body.
impl From<Error> for AppError {
    fn from(err: Error) -> Self {
        set_server_fn_status(err.status());
        err.to_app_error()
    }
}

/// Sets the status of the server function being answered, if this is one:
/// a page rendered on the server calls server functions in-process, and
/// its own status is not theirs to set.
pub fn set_server_fn_status(status: StatusCode) {
    use leptos::prelude::use_context;

    let called_over_http = use_context::<http::request::Parts>()
        .is_some_and(|parts| parts.uri.path().starts_with("/api/fn/"));
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && called_over_http
    {
        response.set_status(status);
    }
}

/// Seconds to wait, rounded up: "0 seconds" would invite a retry too soon.
fn whole_seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

fn wait_text(wait: Duration) -> String {
    match whole_seconds(wait) {
        1 => "1 second".to_owned(),
        n => format!("{n} seconds"),
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut response = (
            self.status(),
            Json(ErrorBody {
                error: self.to_app_error(),
            }),
        )
            .into_response();
        if let Error::RateLimited { retry_after } | Error::KeptSending { retry_after } = self {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(whole_seconds(retry_after)));
        }
        response
    }
}
