//! Extractors that turn axum's rejections into our error shape, and the
//! authenticated caller. Without these, a malformed body or a bad path would
//! answer in plain text instead of `{"error":{…}}`.

use app::server::services::auth::AuthUser;
use app::server::web::credentials;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use app::server::{AppState, Error, Settings};
use axum::extract::ConnectInfo;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::marker::PhantomData;

/// `Json<T>` whose rejections are `validation_error`s. Every request body
/// is a JSON object: serde would also take an array of the fields' values
/// in order (`[null, null]` for a struct of optional fields), which no
/// client means.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<Object<T>>::from_request(req, state).await {
            Ok(axum::Json(Object(value))) => Ok(Json(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// `T`, read from a JSON object only.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Fields<T> {
            type Value = T;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(Fields(PhantomData))
            .map(Object)
    }
}

fn json_rejection(rejection: JsonRejection) -> Error {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return Error::TooLarge {
            limit: super::MAX_BODY_BYTES,
        };
    }
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

/// A whole number as JSON may write it: `7` or `7.0` (JSON has one number
/// type, and some encoders write every number with a fraction); `7.5` is
/// none.
pub fn whole_number(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

/// serde's `deserialize_with` for a required whole-number field, read as
/// [`whole_number`] reads it.
pub fn whole<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    use serde::Deserialize as _;
    use serde::de::Error as _;
    let n = serde_json::Number::deserialize(deserializer)?;
    whole_number(&n).ok_or_else(|| D::Error::custom(format!("expected a whole number, not {n}")))
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

/// A message in a room, from `/api/rooms/{id}/messages/{message_id}[/reactions/{emoji}]`:
/// an id that is not a number names nothing, so it is not found.
pub struct MessagePath {
    pub room_id: i64,
    pub message_id: i64,
    /// Percent-decoded.
    pub emoji: Option<String>,
}

#[derive(serde::Deserialize)]
struct MessageParams {
    id: String,
    message_id: String,
    emoji: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for MessagePath {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(params) =
            axum::extract::Path::<MessageParams>::from_request_parts(parts, state)
                .await
                .map_err(|_: PathRejection| Error::MessageNotFound)?;
        Ok(MessagePath {
            room_id: params.id.parse().map_err(|_| Error::RoomNotFound)?,
            message_id: params
                .message_id
                .parse()
                .map_err(|_| Error::MessageNotFound)?,
            emoji: params.emoji,
        })
    }
}

/// A member of a room, from `/api/rooms/{id}/members/{user_id}/…`: an id
/// that is not a number names nobody, so the member is not found.
pub struct MemberPath {
    pub room_id: i64,
    pub user_id: i64,
}

#[derive(serde::Deserialize)]
struct MemberParams {
    id: String,
    user_id: String,
}

impl<S: Send + Sync> FromRequestParts<S> for MemberPath {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(params) =
            axum::extract::Path::<MemberParams>::from_request_parts(parts, state)
                .await
                .map_err(|_: PathRejection| Error::MemberNotFound)?;
        Ok(MemberPath {
            room_id: params.id.parse().map_err(|_| Error::RoomNotFound)?,
            user_id: params.user_id.parse().map_err(|_| Error::MemberNotFound)?,
        })
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
        credentials::authenticate_headers(state, &parts.headers)
            .await
            .map(Caller)
    }
}

/// The client's address: the TCP peer, or behind a reverse proxy the last
/// entry of the header it sets (`CLIENT_IP_HEADER`). The last entry is the
/// one our proxy wrote; earlier ones come from the client and prove nothing.
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        Ok(ClientIp(client_ip(&state.settings, &parts.headers, peer)))
    }
}

fn client_ip(settings: &Settings, headers: &axum::http::HeaderMap, peer: Option<IpAddr>) -> IpAddr {
    let forwarded = settings.client_ip_header.as_ref().and_then(|name| {
        let value = headers.get_all(name).iter().next_back()?.to_str().ok()?;
        value.rsplit(',').next()?.trim().parse().ok()
    });
    forwarded
        .or(peer)
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderName};

    #[test]
    fn the_proxy_header_counts_only_when_configured_and_only_its_last_entry() {
        let peer: IpAddr = "10.0.0.1".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "1.1.1.1, 203.0.113.5".parse().unwrap());
        let mut settings = Settings::default();
        assert_eq!(client_ip(&settings, &headers, Some(peer)), peer);
        settings.client_ip_header = Some(HeaderName::from_static("x-forwarded-for"));
        assert_eq!(
            client_ip(&settings, &headers, Some(peer)),
            "203.0.113.5".parse::<IpAddr>().unwrap()
        );
        headers.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(client_ip(&settings, &headers, Some(peer)), peer);
    }
}
