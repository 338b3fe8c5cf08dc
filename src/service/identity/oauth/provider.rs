//! Talking to OpenID Connect providers: discovery, signing keys (cached
//! per issuer, refetched on an unknown `kid`), ID-token verification and
//! the authorization-code exchange.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, PublicKeyUse};
use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, Validation};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::{not_verified, VerifiedIdentity, MAX_SUBJECT_LEN};
use crate::config::OidcProvider;
use crate::error::{AppError, AppResult};

/// Timeout of every request to a provider.
const HTTP_TIMEOUT: Duration = Duration::from_secs(5);
/// How long provider metadata and keys are trusted without fetching again.
const CACHE_TTL: Duration = Duration::from_secs(600);
/// Least time between two fetches caused by an unknown `kid`.
const FORCED_REFRESH_INTERVAL: Duration = Duration::from_secs(60);
/// Clock skew allowed on `exp`, `nbf` and `iat`.
const LEEWAY_SECS: u64 = 60;
/// Largest provider response read.
const MAX_RESPONSE_BYTES: usize = 512 * 1024;
/// Signature algorithms accepted on ID tokens: asymmetric only (never
/// `none`, never HMAC with a shared secret).
const ACCEPTED_ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// Why a provider call failed; logged, never sent to a client.
#[derive(Debug, thiserror::Error)]
enum ProviderError {
    #[error("request to {url} failed: {source}")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url} answered HTTP {status} ({oauth_error})")]
    Status {
        url: String,
        status: u16,
        /// The OAuth `error` code of the body, if any (never the description).
        oauth_error: String,
    },
    #[error("{url}: {reason}")]
    Invalid { url: String, reason: String },
}

fn http() -> Result<&'static reqwest::Client, ProviderError> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    let client = reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .connect_timeout(HTTP_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ProviderError::Invalid {
            url: String::new(),
            reason: format!("cannot build the HTTP client: {e}"),
        })?;
    Ok(CLIENT.get_or_init(|| client))
}

/// Endpoints a provider names must be https (or loopback http, for tests
/// and local providers), like configured issuers.
fn endpoint_allowed(url: &str) -> bool {
    match reqwest::Url::parse(url) {
        Ok(u) => match u.scheme() {
            "https" => u.host_str().is_some(),
            "http" => matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")),
            _ => false,
        },
        Err(_) => false,
    }
}

/// Reads a bounded JSON body. JSON errors are described by position only,
/// so that no value of the body (a token) ends up in a log.
async fn read_json<T: DeserializeOwned>(url: &str, mut res: reqwest::Response) -> Result<T, ProviderError> {
    let status = res.status();
    let mut body = Vec::new();
    loop {
        match res.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(ProviderError::Invalid {
                        url: url.to_string(),
                        reason: "the response is too large".into(),
                    });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(source) => {
                return Err(ProviderError::Http {
                    url: url.to_string(),
                    source,
                })
            }
        }
    }
    if !status.is_success() {
        let oauth_error = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
            .filter(|e| e.len() <= 64 && e.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or_else(|| "no OAuth error code".into());
        return Err(ProviderError::Status {
            url: url.to_string(),
            status: status.as_u16(),
            oauth_error,
        });
    }
    serde_json::from_slice(&body).map_err(|e| ProviderError::Invalid {
        url: url.to_string(),
        reason: format!(
            "not the expected JSON ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        ),
    })
}

async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, ProviderError> {
    let res = http()?
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|source| ProviderError::Http {
            url: url.to_string(),
            source,
        })?;
    read_json(url, res).await
}

/// The part of `/.well-known/openid-configuration` used here.
#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
    #[serde(default)]
    token_endpoint: Option<String>,
}

async fn discover(p: &OidcProvider) -> Result<Discovery, ProviderError> {
    let url = format!("{}/.well-known/openid-configuration", p.issuer.trim_end_matches('/'));
    let d: Discovery = get_json(&url).await?;
    let invalid = |reason: String| ProviderError::Invalid {
        url: url.clone(),
        reason,
    };
    if d.issuer != p.issuer {
        return Err(invalid(format!(
            "the document names issuer {:?}, not the configured {:?}",
            d.issuer, p.issuer
        )));
    }
    if !endpoint_allowed(&d.jwks_uri) {
        return Err(invalid("jwks_uri is not an https URL".into()));
    }
    if d.token_endpoint.as_deref().is_some_and(|t| !endpoint_allowed(t)) {
        return Err(invalid("token_endpoint is not an https URL".into()));
    }
    Ok(d)
}

/// The signing keys of a JWKS document; keys this library cannot read,
/// encryption keys and symmetric keys are skipped.
async fn fetch_keys(jwks_uri: &str) -> Result<Vec<Jwk>, ProviderError> {
    #[derive(Deserialize)]
    struct RawSet {
        keys: Vec<serde_json::Value>,
    }
    let raw: RawSet = get_json(jwks_uri).await?;
    Ok(raw
        .keys
        .into_iter()
        .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
        .filter(|k| matches!(k.common.public_key_use, None | Some(PublicKeyUse::Signature)))
        .filter(|k| !matches!(k.algorithm, AlgorithmParameters::OctetKey(_)))
        .collect())
}

/// What is cached per issuer.
struct ProviderKeys {
    jwks_uri: String,
    token_endpoint: Option<String>,
    keys: Vec<Jwk>,
    fetched_at: Instant,
    /// When an unknown `kid` last made the keys be fetched again.
    forced_at: Option<Instant>,
}

impl ProviderKeys {
    fn fresh(&self) -> bool {
        self.fetched_at.elapsed() < CACHE_TTL
    }

    fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.common.key_id.as_deref() == Some(kid))
    }

    fn may_force(&self) -> bool {
        self.forced_at.is_none_or(|t| t.elapsed() >= FORCED_REFRESH_INTERVAL)
    }

    /// Whether this entry answers a lookup for `kid` without fetching.
    fn serves(&self, kid: Option<&str>) -> bool {
        self.fresh() && kid.is_none_or(|k| self.has_kid(k) || !self.may_force())
    }
}

/// Metadata and keys of every provider used, by issuer, with one fetch at
/// a time per issuer.
#[derive(Default)]
struct Cache {
    entries: tokio::sync::RwLock<HashMap<String, Arc<ProviderKeys>>>,
    fetching: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Cache::default)
}

impl Cache {
    async fn get(&self, issuer: &str) -> Option<Arc<ProviderKeys>> {
        self.entries.read().await.get(issuer).cloned()
    }

    fn fetch_lock(&self, issuer: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.fetching.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(issuer.to_string()).or_default().clone()
    }
}

/// The provider's metadata and keys, fetched when the cache is stale or
/// (at most once a minute) when `kid` is not among the cached keys.
async fn provider_keys(p: &OidcProvider, kid: Option<&str>) -> Result<Arc<ProviderKeys>, ProviderError> {
    let cache = cache();
    if let Some(entry) = cache.get(&p.issuer).await.filter(|e| e.serves(kid)) {
        return Ok(entry);
    }
    let lock = cache.fetch_lock(&p.issuer);
    let _one_fetch = lock.lock().await;
    // Another request may have fetched while this one waited.
    let previous = cache.get(&p.issuer).await;
    if let Some(entry) = previous.as_ref().filter(|e| e.serves(kid)) {
        return Ok(entry.clone());
    }
    let now = Instant::now();
    let entry = match previous.as_ref().filter(|e| e.fresh()) {
        // Fresh metadata, unknown kid: the keys may have rotated.
        Some(prev) => {
            tracing::info!(provider = %p.name, "unknown key id in an identity token; fetching the provider's keys again");
            ProviderKeys {
                jwks_uri: prev.jwks_uri.clone(),
                token_endpoint: prev.token_endpoint.clone(),
                keys: fetch_keys(&prev.jwks_uri).await?,
                fetched_at: now,
                forced_at: Some(now),
            }
        }
        None => {
            let d = discover(p).await?;
            let keys = fetch_keys(&d.jwks_uri).await?;
            ProviderKeys {
                jwks_uri: d.jwks_uri,
                token_endpoint: d.token_endpoint,
                keys,
                fetched_at: now,
                forced_at: previous.as_ref().and_then(|e| e.forced_at),
            }
        }
    };
    let entry = Arc::new(entry);
    cache.entries.write().await.insert(p.issuer.clone(), entry.clone());
    Ok(entry)
}

/// Logs a provider failure (no secrets) and gives the client's error.
fn provider_failed(p: &OidcProvider, e: ProviderError) -> AppError {
    tracing::warn!(provider = %p.name, issuer = %p.issuer, error = %e, "OpenID Connect provider call failed");
    not_verified()
}

/// The key for a token: by `kid`, or the only fitting key when the token
/// names none. A key that declares an algorithm must declare the token's.
fn select_key<'a>(keys: &'a [Jwk], kid: Option<&str>, alg: Algorithm) -> Option<&'a Jwk> {
    let alg_name = format!("{alg:?}");
    let fits = |k: &&Jwk| {
        k.common
            .key_algorithm
            .as_ref()
            .is_none_or(|ka| ka.to_string() == alg_name)
            && match kid {
                Some(kid) => k.common.key_id.as_deref() == Some(kid),
                None => true,
            }
    };
    let mut candidates = keys.iter().filter(fits);
    let first = candidates.next()?;
    if kid.is_none() && candidates.next().is_some() {
        return None;
    }
    Some(first)
}

/// The claims read from an ID token (the rest are checked by `jsonwebtoken`).
#[derive(Deserialize)]
struct IdClaims {
    sub: String,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    iat: Option<f64>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    aud: serde_json::Value,
}

/// Why a token was refused, for the log (never the token or its claims).
fn refusal(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Utf8(_) => "malformed token",
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => "algorithm does not fit the key",
        ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidKeyFormat => "unusable key",
        ErrorKind::ExpiredSignature => "expired",
        ErrorKind::ImmatureSignature => "not valid yet (nbf)",
        ErrorKind::InvalidIssuer => "wrong issuer",
        ErrorKind::InvalidAudience => "wrong audience",
        ErrorKind::MissingRequiredClaim(_) => "missing a required claim",
        ErrorKind::Json(_) => "malformed claims",
        _ => "invalid token",
    }
}

/// Verifies an ID token of `p`: an accepted asymmetric algorithm, a
/// signature by one of the provider's keys, `iss`, `aud` (contains the
/// client id), `exp`/`nbf`/`iat` with leeway, a `sub`, and `nonce` when
/// expected.
pub(super) async fn verify_id_token(p: &OidcProvider, token: &str, nonce: Option<&str>) -> AppResult<VerifiedIdentity> {
    let refuse = |why: &str| {
        tracing::info!(provider = %p.name, reason = why, "identity token refused");
        not_verified()
    };
    // `none` and unknown algorithms fail here: the header does not parse.
    let header = jsonwebtoken::decode_header(token).map_err(|_| refuse("malformed header or unknown algorithm"))?;
    if !ACCEPTED_ALGORITHMS.contains(&header.alg) {
        return Err(refuse("algorithm not accepted"));
    }
    let keys = provider_keys(p, header.kid.as_deref())
        .await
        .map_err(|e| provider_failed(p, e))?;
    let jwk = select_key(&keys.keys, header.kid.as_deref(), header.alg).ok_or_else(|| refuse("no matching key"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| refuse(refusal(e.kind())))?;
    let mut validation = Validation::new(header.alg);
    validation.leeway = LEEWAY_SECS;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.set_issuer(&[p.issuer.as_str()]);
    validation.set_audience(&[p.client_id.as_str()]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<IdClaims>(token, &key, &validation)
        .map_err(|e| refuse(refusal(e.kind())))?
        .claims;
    let subject = claims.sub.trim().to_string();
    if subject.is_empty() || subject.len() > MAX_SUBJECT_LEN {
        return Err(refuse("unusable sub"));
    }
    let now = Utc::now().timestamp() as f64;
    match claims.iat {
        None => return Err(refuse("missing a required claim")),
        Some(iat) if iat > now + LEEWAY_SECS as f64 => return Err(refuse("issued in the future")),
        Some(_) => {}
    }
    // With several audiences, `azp` (when present) must be this client.
    let several_audiences = claims.aud.as_array().is_some_and(|a| a.len() > 1);
    if several_audiences && claims.azp.as_deref().is_some_and(|azp| azp != p.client_id) {
        return Err(refuse("authorized party is another client"));
    }
    if let Some(expected) = nonce {
        if claims.nonce.as_deref() != Some(expected) {
            return Err(refuse("nonce mismatch"));
        }
    }
    Ok(VerifiedIdentity {
        provider: p.name.clone(),
        subject,
    })
}

/// Exchanges an authorization code at the provider's token endpoint
/// (client_secret_post) and returns the ID token it answers with.
pub(super) async fn exchange_code(
    p: &OidcProvider,
    code: &str,
    redirect_uri: &str,
    verifier: Option<&str>,
) -> AppResult<String> {
    let meta = provider_keys(p, None).await.map_err(|e| provider_failed(p, e))?;
    let Some(endpoint) = meta.token_endpoint.clone() else {
        tracing::warn!(provider = %p.name, "the provider publishes no token_endpoint");
        return Err(AppError::invalid(
            "code",
            "this provider does not support authorization codes",
        ));
    };
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("client_id", p.client_id.as_str()),
        ("client_secret", p.client_secret.as_str()),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    #[derive(Deserialize)]
    struct TokenResponse {
        #[serde(default)]
        id_token: Option<String>,
    }
    let sent = http()
        .map_err(|e| provider_failed(p, e))?
        .post(&endpoint)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&form)
        .send()
        .await
        .map_err(|source| ProviderError::Http {
            url: endpoint.clone(),
            source,
        });
    let answer = match sent {
        Ok(res) => read_json::<TokenResponse>(&endpoint, res).await,
        Err(e) => Err(e),
    };
    match answer {
        Ok(TokenResponse { id_token: Some(t) }) => Ok(t),
        Ok(TokenResponse { id_token: None }) => Err(provider_failed(
            p,
            ProviderError::Invalid {
                url: endpoint,
                reason: "the token response has no id_token (is the openid scope requested?)".into(),
            },
        )),
        Err(ProviderError::Status {
            status: 400..=499,
            oauth_error,
            ..
        }) => {
            if oauth_error == "invalid_client" || oauth_error == "unauthorized_client" {
                tracing::warn!(provider = %p.name, oauth_error, "the provider refused this server's client credentials; check clientId and clientSecret");
            } else {
                tracing::info!(provider = %p.name, oauth_error, "the provider refused an authorization code");
            }
            Err(AppError::Unauthenticated(
                "the provider refused the authorization code".into(),
            ))
        }
        Err(e) => Err(provider_failed(p, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn endpoints_must_be_https_or_loopback() {
        assert!(endpoint_allowed("https://login.example.com/keys"));
        assert!(endpoint_allowed("http://127.0.0.1:8080/jwks"));
        assert!(endpoint_allowed("http://localhost/jwks"));
        assert!(!endpoint_allowed("http://localhost.evil.example/jwks"));
        assert!(!endpoint_allowed("http://example.com/jwks"));
        assert!(!endpoint_allowed("file:///etc/passwd"));
        assert!(!endpoint_allowed("not a url"));
    }

    #[test]
    fn keys_are_chosen_by_kid_and_algorithm() {
        let key = |kid: Option<&str>, alg: Option<&str>| -> Jwk {
            let mut v = json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"});
            if let Some(k) = kid {
                v["kid"] = json!(k);
            }
            if let Some(a) = alg {
                v["alg"] = json!(a);
            }
            serde_json::from_value(v).expect("jwk")
        };
        let keys = vec![key(Some("a"), Some("RS256")), key(Some("b"), None)];
        assert!(select_key(&keys, Some("a"), Algorithm::RS256).is_some());
        assert!(select_key(&keys, Some("a"), Algorithm::RS512).is_none());
        assert!(select_key(&keys, Some("b"), Algorithm::RS512).is_some());
        assert!(select_key(&keys, Some("c"), Algorithm::RS256).is_none());
        // Without a kid, only an unambiguous key will do.
        assert!(select_key(&keys, None, Algorithm::RS256).is_none());
        assert!(select_key(&keys[..1], None, Algorithm::RS256).is_some());
    }
}
