//! Identity and access: who is calling, and what they may do.

pub mod tokens;
pub mod viewer;

pub use viewer::Viewer;

use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::http::auth::ClientInfo;

/// Credentials a request presented.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    None,
    /// An access token from `Authorization: Bearer`.
    Bearer(String),
    /// A partner's API key from `X-Api-Key`.
    ApiKey(String),
    /// An `Authorization` header in a scheme we do not speak.
    Unsupported,
}

impl Credentials {
    /// From an `Authorization` value and an API key, the key winning when
    /// both are present would be ambiguous: a bearer token wins.
    pub fn from_parts(authorization: Option<&str>, api_key: Option<&str>) -> Self {
        if let Some(auth) = authorization.filter(|a| !a.is_empty()) {
            let (scheme, rest) = auth.split_once(' ').unwrap_or((auth, ""));
            return if scheme.eq_ignore_ascii_case("bearer") && !rest.trim().is_empty() {
                Credentials::Bearer(rest.trim().to_string())
            } else {
                Credentials::Unsupported
            };
        }
        match api_key.filter(|k| !k.is_empty()) {
            Some(k) => Credentials::ApiKey(k.to_string()),
            None => Credentials::None,
        }
    }
}

/// Resolves credentials to a viewer. Absent credentials give an anonymous
/// viewer; present but invalid ones are `UNAUTHENTICATED` (never silently
/// anonymous).
pub async fn authenticate(ctx: &AppContext, credentials: Credentials, client: ClientInfo) -> AppResult<Viewer> {
    let mut viewer = Viewer {
        ip_address: client.ip_address,
        user_agent: client.user_agent,
        request_id: client.request_id,
        ..Viewer::anonymous()
    };
    match credentials {
        Credentials::None => Ok(viewer),
        Credentials::Unsupported => Err(AppError::Unauthenticated(
            "unsupported Authorization scheme; use Bearer".into(),
        )),
        Credentials::Bearer(token) => {
            let claims = ctx
                .keys
                .tokens
                .verify(&token)
                .map_err(|e| AppError::Unauthenticated(e.to_string()))?;
            viewer.user_id = Some(claims.sub);
            viewer.session_id = Some(claims.sid);
            Ok(viewer)
        }
        Credentials::ApiKey(_) => Err(AppError::Unauthenticated("invalid API key".into())),
    }
}
