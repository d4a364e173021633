//! Extractors that turn axum's rejections into our error shape, and the
//! authenticated caller. Without these, a malformed body or a bad path would
//! answer in plain text instead of `{"error":{…}}`.

use app::server::auth::{self, AuthUser};
use app::server::{AppState, Error};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// `Json<T>` whose rejections are `validation_error`s.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> Error {
    let message = match &rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "Expected a JSON body with Content-Type: application/json.".to_owned()
        }
        JsonRejection::JsonSyntaxError(_) => "The request body is not valid JSON.".to_owned(),
        JsonRejection::JsonDataError(e) => format!("Invalid request body: {}", e.body_text()),
        other => format!("Invalid request body: {}", other.body_text()),
    };
    Error::validation("body", message)
}

/// A numeric id from the path; anything else is a room that does not exist.
pub struct RoomId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for RoomId {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<i64>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(id)| RoomId(id))
            .map_err(|_: PathRejection| Error::RoomNotFound)
    }
}

/// `Query<T>` whose rejections are `validation_error`s.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|e: QueryRejection| {
                Error::validation("query", format!("Invalid query string: {}", e.body_text()))
            })
    }
}

/// The logged-in caller, from the bearer token or the session cookie.
pub struct Caller(pub AuthUser);

impl FromRequestParts<AppState> for Caller {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        auth::authenticate_headers(state, &parts.headers)
            .await
            .map(Caller)
    }
}
