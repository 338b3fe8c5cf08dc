//! Linked OpenID Connect identities through GraphQL, against a test issuer
//! this file runs itself (discovery, JWKS and a token endpoint on a
//! loopback port): linking, signing in with an ID token or an authorization
//! code, refusing bad tokens, key rotation, unlinking, and the audit rows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::support::personas::{Persona, PASSWORD};
use crate::support::{ServerOptions, TestServer};

/// Test-only RSA key the issuer signs with (kid `main`). Never use elsewhere.
const MAIN_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCrheZVmn+7+qI8
eZ7gGw3aIbeiyi/Kp+tCi2QDn4+07H2eyLOgwvukypoQJlsxviFdWZdynr2Uf3Q6
deQ629IQhwc9y6ui+1OuD2+2uONj7eYFMudWxs6wsHMn4B2F9CFAM5R/Ae7kxW3t
jIZ6N7GQWPZ3j7eVHby1FBfuEmrQQxvrcSGNOdTmpJ6uNxZ6SuwbxZOCCrUEyqiv
zGYnglbCDU8q9KoNogY1cEOfVDw7g1/BgHxG+JZl/+c3PYF7UxDH0ya3JYUCNs9H
cZGc0EVlnZ+wUN1sweg9CRo4w/st11NFZzimhRh+G2oFFFPHBPXKOQNNuZklS8Uy
iVzfVWuRAgMBAAECggEAC4fxkZb0yCiL/FyRSJ/s/RmH8MzerGVAUM2R7FfvZ3KA
Kfr0b4X4OK6Jr7UCa7xMXiwaHUGsfVWZtN3s2WOikkufmiENgYQbrq+ZOyugFt1d
GcOfr5LnPZPpM/iyR2l/jENDdAvnWXAn6SDJwCDrIikG7cgGx6Kzh2lpx+6rSWOj
XSkwZeBa2DM6fIpsVzU28zglHLKbMPZrKO5/83nnE6H5WQoxGLlZdIcjc9naHL2S
MGNFmMGTac2c5YQhj8sxPZ9LPc9BfLIvFB0+DE2hyQFkK7g3TdfhH8jGUZY9r/I+
ysQawKxTtPZ60GMWk+W2Ik9KbMrQy2B6znj+J0FnuQKBgQDeRnNzS7MvsgyN7Qf2
HwoaLC5y8IB52tcmmrweD1spQeynTB4k7tHcdEjg1SB7zgT7rvCQHH/Yd0cdA8/B
RJlXcwhFLA54jVpaBzK3dyEHbNUD+lfIAgv6FzIm72Wzm3FQ9UZBVbzXEi/okYtQ
97ouGMxWHIGKHogKWb2u84dmqQKBgQDFjCX3HWggtcb7JWAk6tNXrmCZU1V+UjQr
yM6aAhixMu7iIjjYorSj7QCpGpYQ8LYjhWZ1czcjwK/ujzPnTsmke4nr0IKeYXzt
C2j9dRhl+dG6RkRTx/FZ2zXsSSswpWjkpJMjyvEYY/EJ3bKDk6rpZG0e1t4Qkcyh
hgBhPtM2qQKBgHduh242CKviEZjY+eQnPXhesP6Vd5MCIYTes6G7QpJil9Q0tCXI
JP89hEM6gV/EjSznDN+CULdxL8bJW4JPZ81zQ8hXKddgrGGfaILoAdlJgxPGGhCf
+OuCNzJwg8cECNklUYCdnwA5B4EBY0g4M9O9A15pprkeOp7FJYSx2dkxAoGAJOaj
COATXVjXTH6U0RCUXeKS5NEuPSR53lvqS9Zsal1LRi6CU+VAvQY+g1gWBCASxdvb
YcEd4a3Sr0tMtL6A6BqzjrsqSw+G2HizKfU/k3zw8kzB4qyMpu5Nyk94o+OiDmO3
oI3+L0Ir+l3RRMbGvEYoJASbAplZkiqH06J6rdECgYBsl8SUdbnDnPexS6IzztC1
LBJmuFR1W20kJzZiC6PkeMtOh6yj7N60H20XezzRAFYS72yKTfumVldmaeW0doSv
8g8LzYJ0xYKdD8famNZlxcZkfgZQZny7Q3UimsxgiBatlY/wQkSQwMPAB1ul40g3
zBDzprOXgEQfXvnTk5/C8g==
-----END PRIVATE KEY-----
";
const MAIN_KEY_N: &str = "q4XmVZp_u_qiPHme4BsN2iG3osovyqfrQotkA5-PtOx9nsizoML7pMqaECZbMb4hXVmXcp69lH90OnXkOtvSEIcHPcurovtTrg9vtrjjY-3mBTLnVsbOsLBzJ-AdhfQhQDOUfwHu5MVt7YyGejexkFj2d4-3lR28tRQX7hJq0EMb63EhjTnU5qSerjcWekrsG8WTggq1BMqor8xmJ4JWwg1PKvSqDaIGNXBDn1Q8O4NfwYB8RviWZf_nNz2Be1MQx9MmtyWFAjbPR3GRnNBFZZ2fsFDdbMHoPQkaOMP7LddTRWc4poUYfhtqBRRTxwT1yjkDTbmZJUvFMolc31VrkQ";

/// A second test-only RSA key: a stranger's key, or the next key after rotation.
const OTHER_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDFa0QLBg/Iu8pN
Is6Wilx0cSwRy+coT3Eadsu813686axc3ILq+JNaJykeytUumQvQUg1etQfgAa3w
07ai6jOcEezxKWoqCcUil3Xz9OLPC+0TdQKsty65BPVqC9Z2FOkyaeJUOg2cNwt4
dOqbrUU4FcuzxG/vISDhpnIq5YYkcXDpVKlLMVrSklsyoj+TvzOKrvYJ2ICsfA38
41uYYuOrNVlF6oVjcfiu9W+zIBlVAU3ExRVSZFkQoPf4/ZvRtIVeEmNfLSO1RfyE
cGzaFY7TdD6mCdE7SQ14/LZz5d192B9b414kMrJUt90ZgM815ZOoHOOENMUfGBWx
jHZy6LQLAgMBAAECggEAF1YEzt7HuofZiSuuSuTjuo9EJn25VIOresrZw3f0+cS6
GfymQbs3bnvcOaZqnl2l+Vkxo7p3dKxje2kImOe2nmIPZY8VMbns7RgFRTHzJjFN
NAnBUq7mnXqaEzp/U9RIn9Zx/q3MEmVT/EhUZn7hWe4C9xF8f8JP6OHWyKj6pc+e
jfAbsdurB22XNwkB9mql3gP7sZS44nyefaqFpv4Sx5/Pv5SicKfdRXDOiH6aMngC
iyaFQFeetPk0gzmvRmZj8nrfzXr0MlgXT8VLDYVcQxbdqS2EjprFpDc2znkUVTOS
6tLV6PVaNg4Dcw8hvSUOGbN4OVPEnzvhxg4acQh3iQKBgQDh4AaIOWqvNX4YDKJi
m7tgybyEW/3pfzq9ey/bqBJXfbNI5H/uSGMR/MxBI05TQevFttfyGFrCMnG/e/UI
FESkys8/EQTZCXddcf5DTZP8sRXrCD8ABpm3hs0W1OclKjMRXHVsStlt55/LMnQi
89xeubIHyUuFrdUqH1Y7Zy0FwwKBgQDfv6yCTVyyQ3z2i1Df+n1eAM1Jx52mV+f0
N4j4aX3SgO3XaF7w4aXNMOkq5+HEXWWtk/w/jpVyyMu1ld80LKLT7bKpc5QogMLR
ovqoe9fJ9Kl1ezhxu4ilxLsZEa8f7UtJlpKKasZAinQJQM9kBCuLUiy8GdzlWT4V
kaHRFeoMGQKBgQDbzWSt5anSrGxzPMA80y1Jp6ci6l4xfdUMlLbiuzB2IWV5Nprj
p195HpcpgBD1Zj3oneCQv3B6cBpO63JsFUUjVBTPW2FrTxHwRkDW/8RV74HTwKeF
/+ZQOQaVBEOW3/ToHSBLbJ8fm3ndg9COPt6g83WyrAkpIhtArVP95I5kfwKBgA43
W3qb97vL1fDEQUs52yVR37lEWZvsEezOaoF+EmSBlJsPIpkjfSlgZjA3s3yKgp9Y
u7o+EPjOEUNkVl42R9I3VBa4JT29kKNJO6vg0oEebnXsclWnmLMPoOOi4AGjThlK
29y3lAkdwumjmIm+ShX8DqOU8RgRZ4RvUFy8i7ZhAoGBALShbR7HbPRBrKnJVG/5
v7PEs5fvS98Cd/GDzX8c2SzBx+6XWnFQtogzm9UE/gYYnGAd2s0JTyz0zWU2KpwI
cqdGPlZf3TZl7racQwPHsZVqmmjwSPY4QuvWhz46OCJiM1N04JZLLiUzf3fHzceT
FvKryfVZABxzg4bNERrLmMGn
-----END PRIVATE KEY-----
";
const OTHER_KEY_N: &str = "xWtECwYPyLvKTSLOlopcdHEsEcvnKE9xGnbLvNd-vOmsXNyC6viTWicpHsrVLpkL0FINXrUH4AGt8NO2ouoznBHs8SlqKgnFIpd18_TizwvtE3UCrLcuuQT1agvWdhTpMmniVDoNnDcLeHTqm61FOBXLs8Rv7yEg4aZyKuWGJHFw6VSpSzFa0pJbMqI_k78ziq72CdiArHwN_ONbmGLjqzVZReqFY3H4rvVvsyAZVQFNxMUVUmRZEKD3-P2b0bSFXhJjXy0jtUX8hHBs2hWO03Q-pgnRO0kNePy2c-XdfdgfW-NeJDKyVLfdGYDPNeWTqBzjhDTFHxgVsYx2cui0Cw";

const KEY_E: &str = "AQAB";
const CLIENT_ID: &str = "switchboard-test";
const CLIENT_SECRET: &str = "test-client-secret-4f1c";
const WRONG_SECRET: &str = "not-the-client-secret-9d2e";
const REDIRECT_URI: &str = "https://app.example.test/callback";
const NOT_VERIFIED: &str = "could not verify the identity token";

const SIGN_IN: &str =
    "mutation($i: OidcSignInInput!) { signInWithOidc(input: $i) { accessToken refreshToken user { id } } }";
const LINK: &str = "mutation($i: OidcSignInInput!) { linkOAuthAccount(input: $i) { account { id provider providerUserId createdAt } } }";
const UNLINK: &str = "mutation($p: String!) { unlinkOAuthAccount(input: { provider: $p }) }";
const MINE: &str = "{ viewerOAuthAccounts { id provider providerUserId } }";

/// A code the issuer handed out, as its authorization endpoint would.
struct IssuedCode {
    sub: String,
    nonce: Option<String>,
    redirect_uri: String,
    challenge: Option<String>,
}

#[derive(Default)]
struct IssuerState {
    keys: Vec<Value>,
    codes: HashMap<String, IssuedCode>,
    discovery_fetches: usize,
    jwks_fetches: usize,
}

#[derive(Clone)]
struct Shared {
    url: String,
    state: Arc<Mutex<IssuerState>>,
}

/// An OpenID Connect provider on a loopback port.
struct TestIssuer {
    url: String,
    state: Arc<Mutex<IssuerState>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestIssuer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn jwk(kid: &str, n: &str) -> Value {
    json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": KEY_E})
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn sign(pem: &str, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_string);
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("test key");
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

async fn discovery(State(s): State<Shared>) -> Json<Value> {
    s.state.lock().unwrap().discovery_fetches += 1;
    Json(json!({
        "issuer": s.url,
        "authorization_endpoint": format!("{}/authorize", s.url),
        "token_endpoint": format!("{}/token", s.url),
        "jwks_uri": format!("{}/jwks", s.url),
        "response_types_supported": ["code", "id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn jwks(State(s): State<Shared>) -> Json<Value> {
    let mut st = s.state.lock().unwrap();
    st.jwks_fetches += 1;
    // A key this server cannot use must not spoil the others.
    let mut keys = st.keys.clone();
    keys.push(json!({"kty": "RSA", "use": "enc", "kid": "encryption-only", "n": MAIN_KEY_N, "e": KEY_E}));
    keys.push(json!({"kty": "weird", "kid": "unknown-type"}));
    Json(json!({ "keys": keys }))
}

async fn token(State(s): State<Shared>, Form(form): Form<HashMap<String, String>>) -> impl IntoResponse {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    if field("client_id") != CLIENT_ID || field("client_secret") != CLIENT_SECRET {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client"})));
    }
    if field("grant_type") != "authorization_code" {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "unsupported_grant_type"})),
        );
    }
    // Codes are single-use.
    let Some(issued) = s.state.lock().unwrap().codes.remove(&field("code")) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant"})));
    };
    if issued.redirect_uri != field("redirect_uri") {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant"})));
    }
    if let Some(challenge) = &issued.challenge {
        let verifier = field("code_verifier");
        if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != *challenge {
            return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant"})));
        }
    }
    let mut claims = base_claims(&s.url, &issued.sub);
    if let Some(n) = issued.nonce {
        claims["nonce"] = json!(n);
    }
    let id_token = sign(MAIN_KEY_PEM, Some("main"), &claims);
    (
        StatusCode::OK,
        Json(json!({"access_token": "at-unused", "token_type": "Bearer", "expires_in": 300, "id_token": id_token})),
    )
}

fn base_claims(issuer: &str, sub: &str) -> Value {
    let t = now();
    json!({"iss": issuer, "sub": sub, "aud": CLIENT_ID, "iat": t, "exp": t + 300, "email": format!("{sub}@idp.test")})
}

impl TestIssuer {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind issuer");
        let url = format!("http://{}", listener.local_addr().expect("issuer addr"));
        let state = Arc::new(Mutex::new(IssuerState {
            keys: vec![jwk("main", MAIN_KEY_N)],
            ..Default::default()
        }));
        let shared = Shared {
            url: url.clone(),
            state: state.clone(),
        };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/token", post(token))
            .with_state(shared);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestIssuer { url, state, task }
    }

    /// A Switchboard server configured with this issuer, as TESTISSUER and
    /// as MISCONFIGURED (the same issuer with a wrong client secret).
    async fn server(&self) -> TestServer {
        let providers = json!([
            {"name": "testissuer", "issuer": self.url, "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET},
            {"name": "misconfigured", "issuer": self.url, "clientId": CLIENT_ID, "clientSecret": WRONG_SECRET},
        ]);
        TestServer::with(ServerOptions {
            env: vec![("SWITCHBOARD_OIDC_PROVIDERS", providers.to_string())],
            ..Default::default()
        })
        .await
    }

    fn claims(&self, sub: &str) -> Value {
        base_claims(&self.url, sub)
    }

    /// A fresh, valid ID token for `sub`, signed with the main key.
    fn id_token(&self, sub: &str) -> String {
        sign(MAIN_KEY_PEM, Some("main"), &self.claims(sub))
    }

    /// Issues a code for `sub`, as the authorization endpoint would after
    /// the user signed in there.
    fn authorize(&self, sub: &str, nonce: Option<&str>, challenge: Option<String>) -> String {
        let code = format!("code-{}", uuid::Uuid::new_v4().simple());
        self.state.lock().unwrap().codes.insert(
            code.clone(),
            IssuedCode {
                sub: sub.into(),
                nonce: nonce.map(str::to_string),
                redirect_uri: REDIRECT_URI.into(),
                challenge,
            },
        );
        code
    }

    fn fetches(&self) -> (usize, usize) {
        let st = self.state.lock().unwrap();
        (st.discovery_fetches, st.jwks_fetches)
    }

    /// Publishes the other key too (kid `next`), as a provider rotating keys.
    fn rotate(&self) {
        self.state.lock().unwrap().keys.push(jwk("next", OTHER_KEY_N));
    }
}

fn with_id_token(provider: &str, token: &str) -> Value {
    json!({"i": {"provider": provider, "idToken": token}})
}

async fn sql(server: &TestServer, query: &str, values: Vec<sea_orm::Value>) -> Vec<sea_orm::QueryResult> {
    let db = Database::connect(&server.database_url).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(db.get_database_backend(), query, values))
        .await
        .unwrap();
    db.close().await.unwrap();
    rows
}

async fn count(server: &TestServer, query: &str, values: Vec<sea_orm::Value>) -> i64 {
    sql(server, query, values).await[0].try_get_by_index::<i64>(0).unwrap()
}

fn user_id(p: &Persona) -> sea_orm::Value {
    uuid::Uuid::parse_str(&p.id).unwrap().into()
}

fn fields(r: &crate::support::gql::Reply) -> Value {
    r.body["errors"][0]["extensions"]["fields"].clone()
}

#[tokio::test]
async fn link_sign_in_and_unlink() {
    let issuer = TestIssuer::start().await;
    let server = issuer.server().await;
    let anon = server.anon();

    // Anyone may see which providers exist (names only).
    let providers = anon.data("{ oauthProviders }", json!({})).await;
    assert_eq!(providers["oauthProviders"], json!(["TESTISSUER", "MISCONFIGURED"]));

    // An identity no account is linked to does not sign in.
    let r = anon
        .run(SIGN_IN, with_id_token("testissuer", &issuer.id_token("alice-sub")))
        .await;
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"), "{:?}", r.body);
    assert!(
        r.error_message().contains("no account is linked"),
        "{}",
        r.error_message()
    );
    // Linking and listing need a signed-in user.
    let r = anon
        .run(LINK, with_id_token("testissuer", &issuer.id_token("alice-sub")))
        .await;
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));
    assert_eq!(anon.run(MINE, json!({})).await.error_code(), Some("UNAUTHENTICATED"));

    let alice = server.customer("alice").await;
    let linked = alice
        .client
        .data(LINK, with_id_token("TestIssuer", &issuer.id_token("alice-sub")))
        .await["linkOAuthAccount"]["account"]
        .clone();
    assert_eq!(linked["provider"], "TESTISSUER");
    assert_eq!(linked["providerUserId"], "alice-sub");
    // Linking the same identity again is harmless and returns the same link.
    let again = alice
        .client
        .data(LINK, with_id_token("testissuer", &issuer.id_token("alice-sub")))
        .await;
    assert_eq!(again["linkOAuthAccount"]["account"]["id"], linked["id"]);
    let mine = alice.client.data(MINE, json!({})).await;
    assert_eq!(
        mine["viewerOAuthAccounts"],
        json!([{"id": linked["id"], "provider": "TESTISSUER", "providerUserId": "alice-sub"}])
    );

    // A fresh token of the linked identity signs in, with a nonce check.
    let mut claims = issuer.claims("alice-sub");
    claims["nonce"] = json!("nonce-123");
    let token = sign(MAIN_KEY_PEM, Some("main"), &claims);
    let session = anon
        .data(
            SIGN_IN,
            json!({"i": {"provider": "testissuer", "idToken": token, "nonce": "nonce-123"}}),
        )
        .await["signInWithOidc"]
        .clone();
    assert_eq!(session["user"]["id"], alice.id.as_str());
    let signed_in = anon.with_token(session["accessToken"].as_str().unwrap());
    let me = signed_in.data("{ viewer { id } }", json!({})).await;
    assert_eq!(me["viewer"]["id"], alice.id.as_str());
    // The refresh token of that session works too.
    let refreshed = anon
        .data(
            "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
            json!({"t": session["refreshToken"]}),
        )
        .await;
    assert!(refreshed["refreshSession"]["accessToken"].is_string());
    // The same token with another expected nonce is refused.
    let r = anon
        .run(
            SIGN_IN,
            json!({"i": {"provider": "testissuer", "idToken": token, "nonce": "other"}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));
    assert_eq!(r.error_message(), NOT_VERIFIED);

    // Someone else cannot take the identity over.
    let bob = server.customer("bob").await;
    let r = bob
        .client
        .run(LINK, with_id_token("testissuer", &issuer.id_token("alice-sub")))
        .await;
    assert_eq!(r.error_code(), Some("CONFLICT"), "{:?}", r.body);
    assert_eq!(fields(&r), json!(["idToken"]));
    // One identity per provider and account.
    let r = alice
        .client
        .run(LINK, with_id_token("testissuer", &issuer.id_token("alice-second")))
        .await;
    assert_eq!(r.error_code(), Some("CONFLICT"));
    assert_eq!(fields(&r), json!(["provider"]));
    // An unknown provider is bad input naming `provider`.
    let r = alice
        .client
        .run(LINK, with_id_token("nosuch", &issuer.id_token("alice-sub")))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    assert_eq!(fields(&r), json!(["provider"]));

    // A locked or suspended account does not sign in this way either.
    sql(
        &server,
        "UPDATE users SET locked_until = now() + interval '10 minutes' WHERE id = $1",
        vec![user_id(&alice)],
    )
    .await;
    let r = anon
        .run(SIGN_IN, with_id_token("testissuer", &issuer.id_token("alice-sub")))
        .await;
    assert_eq!(r.error_code(), Some("RATE_LIMITED"), "{:?}", r.body);
    sql(
        &server,
        "UPDATE users SET locked_until = NULL, status = 'SUSPENDED' WHERE id = $1",
        vec![user_id(&alice)],
    )
    .await;
    let r = anon
        .run(SIGN_IN, with_id_token("testissuer", &issuer.id_token("alice-sub")))
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{:?}", r.body);
    sql(
        &server,
        "UPDATE users SET status = 'ACTIVE' WHERE id = $1",
        vec![user_id(&alice)],
    )
    .await;
    // With two-factor sign-in on, a code is required as for a password.
    sql(
        &server,
        "UPDATE users SET two_factor_enabled = true, totp_secret_encrypted = '\\x00' WHERE id = $1",
        vec![user_id(&alice)],
    )
    .await;
    let r = anon
        .run(SIGN_IN, with_id_token("testissuer", &issuer.id_token("alice-sub")))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    assert_eq!(fields(&r), json!(["totpCode"]));
    sql(
        &server,
        "UPDATE users SET two_factor_enabled = false, totp_secret_encrypted = NULL WHERE id = $1",
        vec![user_id(&alice)],
    )
    .await;

    // With a password left, unlinking works; the identity no longer signs in.
    let alice = server.login(&alice.email, PASSWORD).await;
    let r = alice.client.data(UNLINK, json!({"p": "testissuer"})).await;
    assert_eq!(r["unlinkOAuthAccount"], true);
    let r = alice.client.data(UNLINK, json!({"p": "testissuer"})).await;
    assert_eq!(r["unlinkOAuthAccount"], false, "nothing left to unlink");
    let r = anon
        .run(SIGN_IN, with_id_token("testissuer", &issuer.id_token("alice-sub")))
        .await;
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));
    assert!(r.error_message().contains("no account is linked"));
    assert_eq!(
        alice.client.data(MINE, json!({})).await["viewerOAuthAccounts"],
        json!([])
    );

    // Without a password, the only linked identity cannot be unlinked.
    alice
        .client
        .data(LINK, with_id_token("testissuer", &issuer.id_token("alice-sub")))
        .await;
    sql(
        &server,
        "UPDATE users SET password_hash = NULL WHERE id = $1",
        vec![user_id(&alice)],
    )
    .await;
    let r = alice.client.run(UNLINK, json!({"p": "testissuer"})).await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{:?}", r.body);
    assert_eq!(fields(&r), json!(["provider"]));
    assert!(
        r.error_message().contains("only way to sign in"),
        "{}",
        r.error_message()
    );
    // ... and it still signs in.
    let s = anon
        .data(SIGN_IN, with_id_token("testissuer", &issuer.id_token("alice-sub")))
        .await;
    assert_eq!(s["signInWithOidc"]["user"]["id"], alice.id.as_str());
    let r = alice.client.run(UNLINK, json!({"p": "bad name!"})).await;
    assert_eq!(fields(&r), json!(["provider"]));

    // Audit rows: two links and one unlink by alice, and the sign-ins.
    let audit = |action: &'static str| {
        let server = &server;
        let alice = &alice;
        async move {
            count(
                server,
                "SELECT count(*) FROM audit_logs WHERE entity_type = 'USER_OAUTH_ACCOUNT' \
                 AND action = $1 AND actor_user_id = $2 AND module_key = 'IDENTITY'",
                vec![action.into(), user_id(alice)],
            )
            .await
        }
    };
    assert_eq!(audit("CREATE").await, 2);
    assert_eq!(audit("DELETE").await, 1);
    let rows = sql(
        &server,
        "SELECT before_json::text FROM audit_logs WHERE entity_type = 'USER_OAUTH_ACCOUNT' AND action = 'DELETE' AND actor_user_id = $1",
        vec![user_id(&alice)],
    )
    .await;
    let before: String = rows[0].try_get_by_index(0).unwrap();
    assert!(
        before.contains("alice-sub") && before.contains("TESTISSUER"),
        "{before}"
    );
    let logins = count(
        &server,
        "SELECT count(*) FROM audit_logs WHERE action = 'LOGIN' AND actor_user_id = $1 AND summary = 'signed in with TESTISSUER'",
        vec![user_id(&alice)],
    )
    .await;
    assert_eq!(logins, 2);

    // Metadata and keys came from the cache after the first token.
    assert_eq!(issuer.fetches(), (1, 1));
}

#[tokio::test]
async fn authorization_code_exchange() {
    let issuer = TestIssuer::start().await;
    let server = issuer.server().await;
    let anon = server.anon();
    let carol = server.customer("carol").await;

    // Link through a code with PKCE and a nonce.
    let verifier = format!("verifier-{}", "x".repeat(40));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let code = issuer.authorize("carol-sub", Some("n-1"), Some(challenge.clone()));
    let linked = carol
        .client
        .data(
            LINK,
            json!({"i": {"provider": "testissuer", "code": code, "redirectUri": REDIRECT_URI, "codeVerifier": verifier, "nonce": "n-1"}}),
        )
        .await;
    assert_eq!(linked["linkOAuthAccount"]["account"]["providerUserId"], "carol-sub");

    // Sign in through a code; the tokens work.
    let code = issuer.authorize("carol-sub", None, None);
    let vars = json!({"i": {"provider": "testissuer", "code": code, "redirectUri": REDIRECT_URI}});
    let s = anon.data(SIGN_IN, vars.clone()).await["signInWithOidc"].clone();
    assert_eq!(s["user"]["id"], carol.id.as_str());
    let me = anon
        .with_token(s["accessToken"].as_str().unwrap())
        .data("{ viewer { id } }", json!({}))
        .await;
    assert_eq!(me["viewer"]["id"], carol.id.as_str());

    // A used code, an unknown code, a wrong verifier or redirect URI fail.
    let refused = |r: &crate::support::gql::Reply| {
        assert_eq!(r.error_code(), Some("UNAUTHENTICATED"), "{:?}", r.body);
        assert_eq!(r.error_message(), "the provider refused the authorization code");
    };
    refused(&anon.run(SIGN_IN, vars).await);
    refused(
        &anon
            .run(
                SIGN_IN,
                json!({"i": {"provider": "testissuer", "code": "made-up", "redirectUri": REDIRECT_URI}}),
            )
            .await,
    );
    let code = issuer.authorize("carol-sub", None, Some(challenge));
    let wrong_verifier = "w".repeat(43);
    refused(
        &anon
            .run(
                SIGN_IN,
                json!({"i": {"provider": "testissuer", "code": code, "redirectUri": REDIRECT_URI, "codeVerifier": wrong_verifier}}),
            )
            .await,
    );
    let code = issuer.authorize("carol-sub", None, None);
    refused(
        &anon
            .run(
                SIGN_IN,
                json!({"i": {"provider": "testissuer", "code": code, "redirectUri": "https://evil.example.test/cb"}}),
            )
            .await,
    );
    // A nonce the code was not issued with fails verification.
    let code = issuer.authorize("carol-sub", Some("n-2"), None);
    let r = anon
        .run(
            SIGN_IN,
            json!({"i": {"provider": "testissuer", "code": code, "redirectUri": REDIRECT_URI, "nonce": "n-3"}}),
        )
        .await;
    assert_eq!(r.error_message(), NOT_VERIFIED);

    // A server with the wrong client secret is refused by the provider, and
    // neither secret shows in the answer.
    let code = issuer.authorize("carol-sub", None, None);
    let r = anon
        .run(
            SIGN_IN,
            json!({"i": {"provider": "misconfigured", "code": code, "redirectUri": REDIRECT_URI}}),
        )
        .await;
    refused(&r);
    let body = r.body.to_string();
    assert!(!body.contains(WRONG_SECRET) && !body.contains(CLIENT_SECRET), "{body}");

    // Shapes of input that are refused before any provider call.
    let bad = |i: Value| {
        let anon = anon.clone();
        async move {
            let r = anon.run(SIGN_IN, json!({ "i": i })).await;
            assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{:?}", r.body);
            fields(&r)
        }
    };
    assert_eq!(
        bad(json!({"provider": "testissuer", "idToken": "x", "code": "y", "redirectUri": REDIRECT_URI})).await,
        json!(["idToken", "code"])
    );
    assert_eq!(bad(json!({"provider": "testissuer"})).await, json!(["idToken", "code"]));
    assert_eq!(
        bad(json!({"provider": "testissuer", "code": "y"})).await,
        json!(["redirectUri"])
    );
    assert_eq!(
        bad(json!({"provider": "testissuer", "code": "y", "redirectUri": REDIRECT_URI, "codeVerifier": "short"})).await,
        json!(["codeVerifier"])
    );
    assert_eq!(
        bad(json!({"provider": "testissuer", "idToken": "x", "redirectUri": REDIRECT_URI})).await,
        json!(["redirectUri"])
    );
    assert_eq!(
        bad(json!({"provider": "okta", "idToken": "x"})).await,
        json!(["provider"])
    );
}

#[tokio::test]
async fn bad_tokens_are_refused_and_keys_rotate() {
    let issuer = TestIssuer::start().await;
    let server = issuer.server().await;
    let anon = server.anon();
    let dave = server.customer("dave").await;
    dave.client
        .data(LINK, with_id_token("testissuer", &issuer.id_token("dave-sub")))
        .await;
    let ok = anon
        .data(SIGN_IN, with_id_token("testissuer", &issuer.id_token("dave-sub")))
        .await;
    assert_eq!(ok["signInWithOidc"]["user"]["id"], dave.id.as_str());

    let t = now();
    let tweak = |f: &dyn Fn(&mut Value)| {
        let mut c = issuer.claims("dave-sub");
        f(&mut c);
        c
    };
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let hs256 = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("main".into());
        jsonwebtoken::encode(
            &header,
            &issuer.claims("dave-sub"),
            &EncodingKey::from_secret(MAIN_KEY_N.as_bytes()),
        )
        .unwrap()
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "signed by another key",
            sign(OTHER_KEY_PEM, Some("main"), &issuer.claims("dave-sub")),
        ),
        (
            "wrong audience",
            sign(
                MAIN_KEY_PEM,
                Some("main"),
                &tweak(&|c| c["aud"] = json!("someone-else")),
            ),
        ),
        (
            "audience list without us",
            sign(MAIN_KEY_PEM, Some("main"), &tweak(&|c| c["aud"] = json!(["a", "b"]))),
        ),
        (
            "expired",
            sign(
                MAIN_KEY_PEM,
                Some("main"),
                &tweak(&|c| {
                    c["iat"] = json!(t - 7200);
                    c["exp"] = json!(t - 3600);
                }),
            ),
        ),
        (
            "not valid yet",
            sign(MAIN_KEY_PEM, Some("main"), &tweak(&|c| c["nbf"] = json!(t + 3600))),
        ),
        (
            "issued in the future",
            sign(MAIN_KEY_PEM, Some("main"), &tweak(&|c| c["iat"] = json!(t + 3600))),
        ),
        (
            "wrong issuer",
            sign(
                MAIN_KEY_PEM,
                Some("main"),
                &tweak(&|c| c["iss"] = json!("https://evil.example.test")),
            ),
        ),
        (
            "no subject",
            sign(
                MAIN_KEY_PEM,
                Some("main"),
                &tweak(&|c| {
                    c.as_object_mut().unwrap().remove("sub");
                }),
            ),
        ),
        (
            "no expiry",
            sign(
                MAIN_KEY_PEM,
                Some("main"),
                &tweak(&|c| {
                    c.as_object_mut().unwrap().remove("exp");
                }),
            ),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT"})),
                b64(&issuer.claims("dave-sub"))
            ),
        ),
        (
            "alg none with kid",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "kid": "main"})),
                b64(&issuer.claims("dave-sub"))
            ),
        ),
        ("HS256 keyed with public material", hs256),
        ("not a JWT", "not-a-jwt".into()),
    ];
    for (what, token) in cases {
        let r = anon.run(SIGN_IN, with_id_token("testissuer", &token)).await;
        assert_eq!(r.error_code(), Some("UNAUTHENTICATED"), "{what}: {:?}", r.body);
        assert_eq!(r.error_message(), NOT_VERIFIED, "{what}");
    }
    assert_eq!(issuer.fetches(), (1, 1), "no refetch for known key ids");

    // The provider rotates: a token with the new kid makes the server fetch
    // the keys again, once.
    issuer.rotate();
    let rotated = sign(OTHER_KEY_PEM, Some("next"), &issuer.claims("dave-sub"));
    let s = anon.data(SIGN_IN, with_id_token("testissuer", &rotated)).await;
    assert_eq!(s["signInWithOidc"]["user"]["id"], dave.id.as_str());
    assert_eq!(issuer.fetches(), (1, 2));
    // Unknown key ids do not make it fetch again within the minute.
    for kid in ["ghost-1", "ghost-2"] {
        let token = sign(OTHER_KEY_PEM, Some(kid), &issuer.claims("dave-sub"));
        let r = anon.run(SIGN_IN, with_id_token("testissuer", &token)).await;
        assert_eq!(r.error_message(), NOT_VERIFIED);
    }
    assert_eq!(issuer.fetches(), (1, 2));

    // A token without a kid is refused when the provider has several keys.
    let r = anon
        .run(
            SIGN_IN,
            with_id_token("testissuer", &sign(MAIN_KEY_PEM, None, &issuer.claims("dave-sub"))),
        )
        .await;
    assert_eq!(r.error_message(), NOT_VERIFIED);
}
