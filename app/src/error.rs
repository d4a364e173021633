//! The error shape every client sees: `{"error":{"code","message"}}` over
//! HTTP, the same pair in a WebSocket `error` frame, and this type as the
//! error of every server function. `code` is stable snake_case for programs;
//! `message` is for people; `field` names the input to highlight, if any.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

use leptos::server_fn;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[error("{message}")]
pub struct AppError {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl AppError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
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
                "network_error",
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
                    ..AppError::new("validation_error", format!("Invalid arguments: {detail}"))
                }
            }
            other => AppError::new("server_error", other.to_string()),
        }
    }
}
