//! Short-lived signed access tokens (JWT, HS256).

use chrono::Utc;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const ISSUER: &str = "switchboard";

/// What an access token asserts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user.
    pub sub: Uuid,
    /// The session the token was issued for (revoking it ends the token's use).
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    /// Token type, always `access`: a refresh token is never a JWT.
    pub typ: String,
}

/// Signs and verifies access tokens with the configured secret.
#[derive(Clone)]
pub struct TokenSigner {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl_secs: i64,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner").field("ttl_secs", &self.ttl_secs).finish()
    }
}

/// A token that is malformed, forged or expired.
#[derive(Debug, thiserror::Error)]
#[error("invalid or expired access token")]
pub struct InvalidToken;

impl TokenSigner {
    pub fn new(secret: &[u8], ttl_secs: i64) -> Self {
        TokenSigner {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl_secs,
        }
    }

    /// Lifetime of the tokens this signer issues.
    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    /// Issues a token for `user` in `session`; returns it with its expiry.
    pub fn issue(&self, user: Uuid, session: Uuid) -> (String, chrono::DateTime<Utc>) {
        let now = Utc::now();
        let exp = now + chrono::Duration::seconds(self.ttl_secs);
        let claims = AccessClaims {
            sub: user,
            sid: session,
            iat: now.timestamp(),
            exp: exp.timestamp(),
            iss: ISSUER.into(),
            typ: "access".into(),
        };
        // HS256 signing of a serializable struct cannot fail.
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).unwrap_or_default();
        (token, exp)
    }

    /// Verifies signature, issuer, type and expiry (no leeway).
    pub fn verify(&self, token: &str) -> Result<AccessClaims, InvalidToken> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.leeway = 0;
        let data = decode::<AccessClaims>(token, &self.decoding, &validation).map_err(|_| InvalidToken)?;
        if data.claims.typ != "access" {
            return Err(InvalidToken);
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_then_verify() {
        let s = TokenSigner::new(&[1u8; 32], 60);
        let (t, _) = s.issue(Uuid::nil(), Uuid::nil());
        assert_eq!(s.verify(&t).unwrap().sub, Uuid::nil());
        assert!(TokenSigner::new(&[2u8; 32], 60).verify(&t).is_err());
        assert!(s.verify("not.a.token").is_err());
        let expired = TokenSigner::new(&[1u8; 32], -10).issue(Uuid::nil(), Uuid::nil()).0;
        assert!(s.verify(&expired).is_err());
    }
}
