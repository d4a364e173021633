//! The error shape every client sees: `{"error":{"code","message"}}` over
//! HTTP, the same pair in a WebSocket `error` frame, and this type as the
//! error of every server function. `code` is stable snake_case for programs;
//! `message` is for people; `field` names the input to highlight, if any.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

use leptos::server_fn;

/// Every code a client can be answered with, defined once for the server,
/// the WebSocket frames, the WASM client and the OpenAPI document. On the
/// wire it is the snake_case string; a code this build does not know reads
/// as [`ErrorCode::Unknown`], so an older client keeps working.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    ValidationError,
    UsernameTaken,
    InvalidCredentials,
    Unauthorized,
    RoomNameTaken,
    RoomNotFound,
    NotAMember,
    InvitationRequired,
    MemberNotFound,
    UserNotFound,
    AlreadyMember,
    InvitationNotFound,
    InviteExpired,
    NotFound,
    MessageNotFound,
    MessageDeleted,
    Forbidden,
    TooManyReactions,
    NotAnEmoji,
    ClientIdReused,
    RateLimited,
    TooManySockets,
    TooManySubscriptions,
    PayloadTooLarge,
    QuotaExceeded,
    UnsupportedFileType,
    CrossSiteRequest,
    MethodNotAllowed,
    WebsocketUpgradeRequired,
    InternalError,
    /// WebSocket frames that cannot be read.
    InvalidJson,
    InvalidFrame,
    UnknownType,
    UnsupportedFrame,
    /// The browser's own: the server could not be reached.
    NetworkError,
    /// The browser's own: a server function failed without a code.
    ServerError,
    Unknown,
}

const CODES: [(ErrorCode, &str); 37] = [
    (ErrorCode::ValidationError, "validation_error"),
    (ErrorCode::UsernameTaken, "username_taken"),
    (ErrorCode::InvalidCredentials, "invalid_credentials"),
    (ErrorCode::Unauthorized, "unauthorized"),
    (ErrorCode::RoomNameTaken, "room_name_taken"),
    (ErrorCode::RoomNotFound, "room_not_found"),
    (ErrorCode::NotAMember, "not_a_member"),
    (ErrorCode::InvitationRequired, "invitation_required"),
    (ErrorCode::MemberNotFound, "member_not_found"),
    (ErrorCode::UserNotFound, "user_not_found"),
    (ErrorCode::AlreadyMember, "already_member"),
    (ErrorCode::InvitationNotFound, "invitation_not_found"),
    (ErrorCode::InviteExpired, "invite_expired"),
    (ErrorCode::NotFound, "not_found"),
    (ErrorCode::MessageNotFound, "message_not_found"),
    (ErrorCode::MessageDeleted, "message_deleted"),
    (ErrorCode::Forbidden, "forbidden"),
    (ErrorCode::TooManyReactions, "too_many_reactions"),
    (ErrorCode::NotAnEmoji, "not_an_emoji"),
    (ErrorCode::ClientIdReused, "client_id_reused"),
    (ErrorCode::RateLimited, "rate_limited"),
    (ErrorCode::TooManySockets, "too_many_sockets"),
    (ErrorCode::TooManySubscriptions, "too_many_subscriptions"),
    (ErrorCode::PayloadTooLarge, "payload_too_large"),
    (ErrorCode::QuotaExceeded, "quota_exceeded"),
    (ErrorCode::UnsupportedFileType, "unsupported_file_type"),
    (ErrorCode::CrossSiteRequest, "cross_site_request"),
    (ErrorCode::MethodNotAllowed, "method_not_allowed"),
    (
        ErrorCode::WebsocketUpgradeRequired,
        "websocket_upgrade_required",
    ),
    (ErrorCode::InternalError, "internal_error"),
    (ErrorCode::InvalidJson, "invalid_json"),
    (ErrorCode::InvalidFrame, "invalid_frame"),
    (ErrorCode::UnknownType, "unknown_type"),
    (ErrorCode::UnsupportedFrame, "unsupported_frame"),
    (ErrorCode::NetworkError, "network_error"),
    (ErrorCode::ServerError, "server_error"),
    (ErrorCode::Unknown, "unknown"),
];

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        CODES
            .iter()
            .find(|(code, _)| *code == self)
            .map_or("unknown", |(_, name)| name)
    }

    pub fn parse(name: &str) -> ErrorCode {
        CODES
            .iter()
            .find(|(_, n)| *n == name)
            .map_or(ErrorCode::Unknown, |(code, _)| *code)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ok(ErrorCode::parse(&name))
    }
}

#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(CODES.iter().map(|(_, name)| *name)))
            .into()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for ErrorCode {}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
        }
    }
}

/// The HTTP body wrapping an [`AppError`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: AppError,
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) => AppError::new(
                ErrorCode::NetworkError,
                "Could not reach the server. Check your connection.",
            ),
            // Arguments that do not decode are the caller's mistake: 400,
            // in the same shape as every other validation error.
            ServerFnErrorErr::Args(detail)
            | ServerFnErrorErr::MissingArg(detail)
            | ServerFnErrorErr::Deserialization(detail) => {
                #[cfg(feature = "ssr")]
                crate::server::error::set_server_fn_status(http::StatusCode::BAD_REQUEST);
                AppError {
                    field: Some("body".into()),
                    ..AppError::new(
                        ErrorCode::ValidationError,
                        format!("Invalid arguments: {detail}"),
                    )
                }
            }
            other => AppError::new(ErrorCode::ServerError, other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_strings_and_unknown_ones_still_read() {
        for (code, name) in CODES {
            assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{name}\""));
            assert_eq!(
                serde_json::from_str::<ErrorCode>(&format!("\"{name}\"")).unwrap(),
                code
            );
        }
        assert_eq!(
            serde_json::from_str::<ErrorCode>("\"from_the_future\"").unwrap(),
            ErrorCode::Unknown
        );
    }
}
