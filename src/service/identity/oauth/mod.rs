//! Linked sign-in identities (`user_oauth_accounts`) through OpenID Connect
//! providers configured by issuer, client id and secret
//! (`SWITCHBOARD_OIDC_PROVIDERS`).
//!
//! A client presents an identity either as an ID token it obtained itself
//! or as an authorization code the server exchanges at the provider's token
//! endpoint (`client_secret_post`). Either way the ID token is verified
//! here: signature against the provider's published keys (chosen by `kid`),
//! issuer, audience, lifetime and, when the client sent one, the nonce.
//!
//! Provider metadata and keys are cached per issuer for ten minutes; a
//! token whose `kid` is unknown makes the keys be fetched again (key
//! rotation), at most once a minute per issuer. Every call to a provider
//! times out after five seconds. Provider failures are logged without
//! tokens, codes or secrets, and reach the client only as
//! `UNAUTHENTICATED`.
//!
//! This module checks what a client presents; `provider` talks to the
//! providers (discovery, keys, token verification, code exchange) and
//! `links` signs in with, links and unlinks identities.

mod links;
mod provider;

pub use links::{link, list, sign_in, unlink};

use crate::app::AppContext;
use crate::config::OidcProvider;
use crate::error::{AppError, AppResult, FieldError};
use provider::{exchange_code, verify_id_token};

const MAX_ID_TOKEN_LEN: usize = 16 * 1024;
const MAX_CODE_LEN: usize = 4 * 1024;
const MAX_URI_LEN: usize = 2048;
const MAX_NONCE_LEN: usize = 512;
const MAX_SUBJECT_LEN: usize = 255;

/// An identity as a client presents it: a provider name and exactly one of
/// an ID token or an authorization code.
#[derive(Clone, Default)]
pub struct OidcInput {
    /// A configured provider name (case-insensitive).
    pub provider: String,
    /// An ID token the client obtained from the provider.
    pub id_token: Option<String>,
    /// An authorization code for the server to exchange.
    pub code: Option<String>,
    /// The redirect URI the code was issued for (required with `code`).
    pub redirect_uri: Option<String>,
    /// The PKCE verifier of the authorization request, if it used PKCE.
    pub code_verifier: Option<String>,
    /// When given, the token's `nonce` claim must equal it.
    pub nonce: Option<String>,
    /// A two-factor code, required to sign in when two-factor sign-in is on.
    pub totp_code: Option<String>,
}

impl std::fmt::Debug for OidcInput {
    /// Tokens, codes and verifiers are credentials: only their presence shows.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcInput")
            .field("provider", &self.provider)
            .field("id_token", &self.id_token.as_ref().map(|_| "<redacted>"))
            .field("code", &self.code.as_ref().map(|_| "<redacted>"))
            .field("redirect_uri", &self.redirect_uri)
            .field("code_verifier", &self.code_verifier.as_ref().map(|_| "<redacted>"))
            .field("nonce", &self.nonce.as_ref().map(|_| "<redacted>"))
            .field("totp_code", &self.totp_code.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// An identity whose ID token verified.
#[derive(Clone, Debug)]
pub struct VerifiedIdentity {
    /// The configured provider name (upper-case).
    pub provider: String,
    /// The token's `sub`: the user's stable id at the provider.
    pub subject: String,
}

/// A validated presentation.
enum Presentation<'a> {
    IdToken {
        token: &'a str,
        nonce: Option<&'a str>,
    },
    Code {
        code: &'a str,
        redirect_uri: &'a str,
        code_verifier: Option<&'a str>,
        nonce: Option<&'a str>,
    },
}

impl Presentation<'_> {
    /// The input field that carried the identity.
    fn field(&self) -> &'static str {
        match self {
            Presentation::IdToken { .. } => "idToken",
            Presentation::Code { .. } => "code",
        }
    }
}

fn not_verified() -> AppError {
    AppError::Unauthenticated("could not verify the identity token".into())
}

fn not_linked() -> AppError {
    AppError::Unauthenticated(
        "no account is linked to this identity; sign in with your password and link it first".into(),
    )
}

/// Names of the configured providers, as clients pass them. Safe to show
/// anyone: no issuer, client id or secret.
pub fn provider_names(ctx: &AppContext) -> Vec<String> {
    ctx.config.auth.oidc_providers.iter().map(|p| p.name.clone()).collect()
}

fn find_provider<'a>(ctx: &'a AppContext, name: &str) -> Option<&'a OidcProvider> {
    let wanted = name.trim().to_ascii_uppercase();
    ctx.config.auth.oidc_providers.iter().find(|p| p.name == wanted)
}

/// Blank strings count as absent.
fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn problem(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// Checks the shape of an input and finds its provider; every problem is
/// reported at once, each naming its field.
fn parse_input<'a>(ctx: &'a AppContext, input: &'a OidcInput) -> AppResult<(&'a OidcProvider, Presentation<'a>)> {
    let mut problems = Vec::new();
    let provider = find_provider(ctx, &input.provider);
    if provider.is_none() {
        problems.push(problem("provider", "is not a configured sign-in provider"));
    }
    let id_token = present(&input.id_token);
    let code = present(&input.code);
    let redirect_uri = present(&input.redirect_uri);
    let code_verifier = present(&input.code_verifier);
    let nonce = present(&input.nonce);
    if id_token.is_some() == code.is_some() {
        problems.push(problem("idToken", "give exactly one of idToken or code"));
        problems.push(problem("code", "give exactly one of idToken or code"));
    }
    if id_token.is_some_and(|t| t.len() > MAX_ID_TOKEN_LEN) {
        problems.push(problem("idToken", "is too long"));
    }
    if code.is_some_and(|c| c.len() > MAX_CODE_LEN) {
        problems.push(problem("code", "is too long"));
    }
    if nonce.is_some_and(|n| n.len() > MAX_NONCE_LEN) {
        problems.push(problem("nonce", "is too long"));
    }
    if code.is_some() {
        match redirect_uri {
            None => problems.push(problem("redirectUri", "is required with code")),
            Some(uri) if uri.len() > MAX_URI_LEN || reqwest::Url::parse(uri).is_err() => {
                problems.push(problem("redirectUri", "is not a valid absolute URL"))
            }
            Some(_) => {}
        }
        let verifier_ok = |v: &str| {
            (43..=128).contains(&v.len())
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'))
        };
        if code_verifier.is_some_and(|v| !verifier_ok(v)) {
            problems.push(problem(
                "codeVerifier",
                "must be 43 to 128 characters of A-Z, a-z, 0-9, - . _ ~",
            ));
        }
    } else if id_token.is_some() {
        if redirect_uri.is_some() {
            problems.push(problem("redirectUri", "is only used with code"));
        }
        if code_verifier.is_some() {
            problems.push(problem("codeVerifier", "is only used with code"));
        }
    }
    let presentation = match (id_token, code, redirect_uri) {
        (Some(token), None, _) => Some(Presentation::IdToken { token, nonce }),
        (None, Some(code), Some(redirect_uri)) => Some(Presentation::Code {
            code,
            redirect_uri,
            code_verifier,
            nonce,
        }),
        _ => None,
    };
    match (provider, presentation) {
        (Some(p), Some(pres)) if problems.is_empty() => Ok((p, pres)),
        _ => Err(AppError::invalid_fields(problems)),
    }
}

/// Verifies a presented identity with its provider (exchanging the code
/// first when a code was presented).
async fn verify(provider: &OidcProvider, presentation: &Presentation<'_>) -> AppResult<VerifiedIdentity> {
    match presentation {
        Presentation::IdToken { token, nonce } => verify_id_token(provider, token, *nonce).await,
        Presentation::Code {
            code,
            redirect_uri,
            code_verifier,
            nonce,
        } => {
            let token = exchange_code(provider, code, redirect_uri, *code_verifier).await?;
            verify_id_token(provider, &token, *nonce).await
        }
    }
}

/// Validates `input` and verifies the identity it presents.
pub async fn verify_input(ctx: &AppContext, input: &OidcInput) -> AppResult<VerifiedIdentity> {
    let (provider, presentation) = parse_input(ctx, input)?;
    verify(provider, &presentation).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_debug_hides_credentials() {
        let input = OidcInput {
            provider: "okta".into(),
            id_token: Some("eyJsecret".into()),
            code: Some("code-secret".into()),
            code_verifier: Some("verifier-secret".into()),
            ..Default::default()
        };
        let shown = format!("{input:?}");
        assert!(shown.contains("okta"));
        assert!(!shown.contains("secret"), "{shown}");
    }
}
