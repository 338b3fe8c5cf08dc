//! Identity and access through GraphQL: sign-up, sign-in, refresh-token
//! rotation and reuse, lock-out, two-factor sign-in, API keys, roles,
//! sessions, settings, and the audit rows they leave.

use hmac::{Hmac, Mac};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{json, Value};

use crate::support::gql::Client;
use crate::support::personas::{unique_email, Persona, AUTH_FIELDS, PASSWORD};
use crate::support::{ServerOptions, TestServer};

const LOGIN: &str = "mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken user { id } } }";
const REFRESH: &str = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }";
const ME: &str = "{ viewer { id email isAdmin roles permissions } }";

async fn audit_count(server: &TestServer, summary_like: &str) -> i64 {
    let db = Database::connect(&server.database_url).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT count(*) FROM audit_logs WHERE summary LIKE $1",
            [summary_like.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    let n = row.try_get_by_index::<i64>(0).unwrap();
    db.close().await.unwrap();
    n
}

fn login_vars(email: &str, password: &str) -> Value {
    json!({"i": {"email": email, "password": password}})
}

#[tokio::test]
async fn register_login_refresh_logout() {
    let server = TestServer::start().await;
    let anon = server.anon();
    let alice = server.customer("alice").await;
    let me = alice.client.data(ME, json!({})).await;
    assert_eq!(me["viewer"]["id"], alice.id.as_str());
    assert_eq!(me["viewer"]["roles"], json!(["customer"]));
    assert_eq!(me["viewer"]["isAdmin"], false);
    assert_eq!(anon.data(ME, json!({})).await["viewer"], Value::Null);

    // The same email again, in another case, is a conflict on `email`.
    let upper = alice.email.to_uppercase();
    let r = anon
        .run(
            &format!("mutation($i: RegisterInput!) {{ register(input: $i) {{ {AUTH_FIELDS} }} }}"),
            json!({"i": {"email": upper, "password": PASSWORD, "displayName": "x"}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("CONFLICT"));
    assert_eq!(r.body["errors"][0]["extensions"]["fields"], json!(["email"]));
    // Bad input names every bad field at once.
    let r = anon
        .run(
            &format!("mutation($i: RegisterInput!) {{ register(input: $i) {{ {AUTH_FIELDS} }} }}"),
            json!({"i": {"email": "nope", "password": "short", "displayName": ""}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    assert_eq!(
        r.body["errors"][0]["extensions"]["fields"],
        json!(["email", "password", "displayName"])
    );

    // Unknown email and wrong password give the same answer.
    let wrong = anon.run(LOGIN, login_vars(&alice.email, "wrong password!")).await;
    let unknown = anon
        .run(LOGIN, login_vars(&unique_email("nobody"), "wrong password!"))
        .await;
    assert_eq!(wrong.error_code(), Some("UNAUTHENTICATED"));
    assert_eq!(wrong.error_message(), unknown.error_message());
    assert_eq!(wrong.error_code(), unknown.error_code());

    let session = anon.data(LOGIN, login_vars(&alice.email, PASSWORD)).await["login"].clone();
    let refreshed = anon.data(REFRESH, json!({"t": session["refreshToken"]})).await["refreshSession"].clone();
    assert_ne!(refreshed["refreshToken"], session["refreshToken"]);
    let client = anon.with_token(refreshed["accessToken"].as_str().unwrap());
    assert_eq!(client.data(ME, json!({})).await["viewer"]["id"], alice.id.as_str());

    assert_eq!(client.data("mutation { logout }", json!({})).await["logout"], true);
    // The access token of an ended session stops working at once.
    let r = client.run(ME, json!({})).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));
    let r = anon.run(REFRESH, json!({"t": refreshed["refreshToken"]})).await;
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));
    server.stop().await;
}

#[tokio::test]
async fn refresh_token_reuse_revokes_the_session_family() {
    let server = TestServer::start().await;
    let anon = server.anon();
    let bob = server.customer("bob").await;
    let first = bob.refresh_token.clone();
    let second = anon.data(REFRESH, json!({"t": first})).await["refreshSession"].clone();
    let third = anon.data(REFRESH, json!({"t": second["refreshToken"]})).await["refreshSession"].clone();
    let live = anon.with_token(third["accessToken"].as_str().unwrap());
    assert_eq!(live.data(ME, json!({})).await["viewer"]["id"], bob.id.as_str());

    // An attacker replays the first (already rotated) token.
    let r = anon.run(REFRESH, json!({"t": first})).await;
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));
    assert!(r.error_message().contains("already used"), "{}", r.body);
    // The whole family is dead: the newest refresh token and access token too.
    let r = anon.run(REFRESH, json!({"t": third["refreshToken"]})).await;
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));
    assert_eq!(live.run(ME, json!({})).await.status, 401);
    // Another session of the same user is unaffected.
    let other = server.login(&bob.email, PASSWORD).await;
    assert_eq!(other.client.data(ME, json!({})).await["viewer"]["id"], bob.id.as_str());
    assert_eq!(audit_count(&server, "refresh token reused%").await, 1);
    server.stop().await;
}

#[tokio::test]
async fn five_failures_lock_the_account_until_an_admin_unlocks_it() {
    let server = TestServer::start().await;
    let anon = server.anon();
    let carol = server.customer("carol").await;
    for attempt in 1..=5 {
        let r = anon.run(LOGIN, login_vars(&carol.email, "not the password")).await;
        assert_eq!(r.error_code(), Some("UNAUTHENTICATED"), "attempt {attempt}: {}", r.body);
    }
    // The sixth wrong password meets a locked account...
    let r = anon.run(LOGIN, login_vars(&carol.email, "not the password")).await;
    assert_eq!(r.error_code(), Some("RATE_LIMITED"), "{}", r.body);
    assert!(r.error_message().contains("locked"));
    // ...and so does the right one.
    let r = anon.run(LOGIN, login_vars(&carol.email, PASSWORD)).await;
    assert_eq!(r.error_code(), Some("RATE_LIMITED"));
    assert!(
        r.body["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .unwrap_or(0)
            > 800
    );

    // An unknown email behaves the same, so lock-out reveals nothing.
    let ghost = unique_email("ghost");
    for _ in 0..5 {
        anon.run(LOGIN, login_vars(&ghost, "whatever it is")).await;
    }
    assert_eq!(
        anon.run(LOGIN, login_vars(&ghost, "whatever it is")).await.error_code(),
        Some("RATE_LIMITED")
    );

    // A customer may not unlock; an admin may, and the password works again.
    let admin = server.admin().await;
    let unlock = "mutation($i: UserIdInput!) { unlockUser(input: $i) { user { id lockedUntil } } }";
    let r = carol.client.run(unlock, json!({"i": {"userId": carol.id}})).await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let d = admin.client.data(unlock, json!({"i": {"userId": carol.id}})).await;
    assert_eq!(d["unlockUser"]["user"]["lockedUntil"], Value::Null);
    anon.data(LOGIN, login_vars(&carol.email, PASSWORD)).await;
    assert_eq!(audit_count(&server, "account locked%").await, 1);
    assert_eq!(audit_count(&server, "account unlocked").await, 1);
    server.stop().await;
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_per_account_and_address() {
    let server = TestServer::with(ServerOptions {
        env: vec![
            ("SWITCHBOARD_LOGIN_RATE_PER_ACCOUNT", "3".into()),
            ("SWITCHBOARD_LOGIN_RATE_PER_ADDRESS", "6".into()),
        ],
        ..Default::default()
    })
    .await;
    let anon = server.anon();
    let dave = server.customer("dave").await;
    for _ in 0..3 {
        anon.data(LOGIN, login_vars(&dave.email, PASSWORD)).await;
    }
    let r = anon.run(LOGIN, login_vars(&dave.email, PASSWORD)).await;
    assert_eq!(r.error_code(), Some("RATE_LIMITED"));
    assert!(r.error_message().contains("this account"), "{}", r.body);
    // Other accounts from the same address hit the address limit.
    let mut limited = false;
    for _ in 0..4 {
        let r = anon.run(LOGIN, login_vars(&unique_email("x"), "whatever it is")).await;
        if r.error_code() == Some("RATE_LIMITED") {
            assert!(r.error_message().contains("address"), "{}", r.body);
            limited = true;
        }
    }
    assert!(limited, "the address limit applies");
    server.stop().await;
}

/// RFC 4648 base32 decoding, written here so the test does not trust the
/// server's encoder.
pub(crate) fn base32_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in s.chars() {
        let v = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".find(c).expect("base32 digit") as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buffer >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    out
}

/// RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s), the test's own computation.
pub(crate) fn totp(secret: &[u8], unix: u64) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).unwrap();
    mac.update(&(unix / 30).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = (h[19] & 0xf) as usize;
    let bin = ((h[o] as u32 & 0x7f) << 24) | ((h[o + 1] as u32) << 16) | ((h[o + 2] as u32) << 8) | h[o + 3] as u32;
    format!("{:06}", bin % 1_000_000)
}

pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn two_factor_sign_in_with_totp_and_recovery_codes() {
    let server = TestServer::start().await;
    let anon = server.anon();
    let erin = server.customer("erin").await;
    let enrol = erin
        .client
        .data("mutation { enrollTotp { secret otpauthUrl } }", json!({}))
        .await["enrollTotp"]
        .clone();
    let secret_b32 = enrol["secret"].as_str().unwrap();
    assert!(enrol["otpauthUrl"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/Switchboard%3A"));
    assert!(enrol["otpauthUrl"]
        .as_str()
        .unwrap()
        .contains(&format!("secret={secret_b32}")));
    let secret = base32_decode(secret_b32);

    let confirm = "mutation($i: CodeInput!) { confirmTotp(input: $i) { recoveryCodes } }";
    let r = erin.client.run(confirm, json!({"i": {"code": "000000"}})).await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    let codes = erin
        .client
        .data(confirm, json!({"i": {"code": totp(&secret, now())}}))
        .await["confirmTotp"]["recoveryCodes"]
        .clone();
    let codes: Vec<String> = serde_json::from_value(codes).unwrap();
    assert_eq!(codes.len(), 10);

    // Password alone is not enough any more.
    let r = anon.run(LOGIN, login_vars(&erin.email, PASSWORD)).await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    assert_eq!(r.body["errors"][0]["extensions"]["fields"], json!(["totpCode"]));
    // A stale code (five minutes old) is refused.
    let stale = totp(&secret, now() - 300);
    let r = anon
        .run(
            LOGIN,
            json!({"i": {"email": erin.email, "password": PASSWORD, "totpCode": stale}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", r.body);
    // Codes are single-use and confirming spent the current one; the
    // window also accepts the next step's code.
    let code = totp(&secret, now() + 30);
    let d = anon
        .data(
            LOGIN,
            json!({"i": {"email": erin.email, "password": PASSWORD, "totpCode": code}}),
        )
        .await;
    assert_eq!(d["login"]["user"]["id"], erin.id.as_str());
    // The same code again is refused (no replay).
    let r = anon
        .run(
            LOGIN,
            json!({"i": {"email": erin.email, "password": PASSWORD, "totpCode": code}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    // A recovery code works once.
    let d = anon
        .data(
            LOGIN,
            json!({"i": {"email": erin.email, "password": PASSWORD, "totpCode": codes[0]}}),
        )
        .await;
    assert_eq!(d["login"]["user"]["id"], erin.id.as_str());
    let r = anon
        .run(
            LOGIN,
            json!({"i": {"email": erin.email, "password": PASSWORD, "totpCode": codes[0]}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    let left = erin
        .client
        .data("{ viewer { twoFactorEnabled recoveryCodesLeft } }", json!({}))
        .await;
    assert_eq!(
        left["viewer"],
        json!({"twoFactorEnabled": true, "recoveryCodesLeft": 9})
    );

    // Disabling needs a code; then the password alone works again.
    let disable = "mutation($i: CodeInput!) { disableTotp(input: $i) }";
    let r = erin.client.run(disable, json!({"i": {"code": "123456"}})).await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    erin.client.data(disable, json!({"i": {"code": codes[1]}})).await;
    anon.data(LOGIN, login_vars(&erin.email, PASSWORD)).await;
    assert_eq!(audit_count(&server, "two-factor sign-in %abled").await, 2);
    server.stop().await;
}

const CREATE_KEY: &str =
    "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key apiKey { id prefix scopes isActive } } }";

#[tokio::test]
async fn api_keys_authenticate_with_only_their_scopes() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let created = admin
        .client
        .data(
            CREATE_KEY,
            json!({"i": {"name": "reporting", "scopes": ["users.read", "profile.read"]}}),
        )
        .await["createApiKey"]
        .clone();
    let key = created["key"].as_str().unwrap().to_string();
    assert!(key.starts_with(created["apiKey"]["prefix"].as_str().unwrap()));
    let keyed = Client::new(server.url("/graphql")).with_api_key(&key);
    // In scope: reading users.
    let d = keyed
        .data("{ users(first: 5) { edges { node { id } } } }", json!({}))
        .await;
    assert!(!d["users"]["edges"].as_array().unwrap().is_empty());
    assert_eq!(keyed.data(ME, json!({})).await["viewer"]["id"], admin.id.as_str());
    // Out of scope: the admin could, the key may not.
    let customer = server.customer("frank").await;
    let unlock = "mutation($i: UserIdInput!) { unlockUser(input: $i) { user { id } } }";
    admin.client.data(unlock, json!({"i": {"userId": customer.id}})).await;
    let r = keyed.run(unlock, json!({"i": {"userId": customer.id}})).await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{}", r.body);
    let r = keyed
        .run(
            "mutation($i: UpdateSettingsInput!) { updateSettings(input: $i) { settings { theme } } }",
            json!({"i": {"theme": "LIGHT"}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    // A key cannot mint keys; a scope the user lacks cannot be granted.
    let r = keyed
        .run(CREATE_KEY, json!({"i": {"name": "x", "scopes": ["users.read"]}}))
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let r = customer
        .client
        .run(CREATE_KEY, json!({"i": {"name": "x", "scopes": ["users.read"]}}))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    // Revoked keys stop working.
    admin
        .client
        .data(
            "mutation($i: IdInput!) { revokeApiKey(input: $i) { apiKey { isActive } } }",
            json!({"i": {"id": created["apiKey"]["id"]}}),
        )
        .await;
    let r = keyed.run(ME, json!({})).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));
    assert_eq!(audit_count(&server, "API key created").await, 1);
    assert_eq!(audit_count(&server, "API key revoked").await, 1);
    // The key is stored only as a hash.
    let db = Database::connect(&server.database_url).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT key_hash FROM api_keys",
        ))
        .await
        .unwrap()
        .unwrap();
    let stored: String = row.try_get_by_index(0).unwrap();
    assert!(!stored.contains(&key) && stored.len() == 64);
    server.stop().await;
}

#[tokio::test]
async fn roles_are_granted_revoked_requested_and_reviewed() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let me = admin.client.data(ME, json!({})).await;
    assert_eq!(me["viewer"]["isAdmin"], true);
    assert!(me["viewer"]["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "roles.manage"));

    let gina = server.customer("gina").await;
    let assign = "mutation($i: AssignRoleInput!) { assignRole(input: $i) { user { id roles isAdmin } } }";
    let d = admin
        .client
        .data(assign, json!({"i": {"userId": gina.id, "roleKey": "finance"}}))
        .await;
    assert_eq!(d["assignRole"]["user"]["isAdmin"], true);
    // Her existing token carries the new role at once.
    let mine = gina.client.data(ME, json!({})).await;
    assert!(mine["viewer"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "finance"));
    assert!(mine["viewer"]["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "wallet.credit"));
    // A customer cannot grant roles; finance cannot grant admin (escalation).
    let hank = server.customer("hank").await;
    let r = hank
        .client
        .run(assign, json!({"i": {"userId": hank.id, "roleKey": "admin"}}))
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let r = admin
        .client
        .run(assign, json!({"i": {"userId": hank.id, "roleKey": "no_such_role"}}))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    let revoke = "mutation($i: AssignRoleInput!) { revokeRole(input: $i) { user { roles } } }";
    let d = admin
        .client
        .data(revoke, json!({"i": {"userId": gina.id, "roleKey": "finance"}}))
        .await;
    assert_eq!(d["revokeRole"]["user"]["roles"], json!(["customer"]));

    // Requesting a profession role waits for review; nobody reviews their own.
    let request = "mutation($i: RequestRoleInput!) { requestRole(input: $i) { request { id status role { key } } } }";
    let req = hank
        .client
        .data(request, json!({"i": {"roleKey": "photographer"}}))
        .await["requestRole"]["request"]
        .clone();
    assert_eq!(req["status"], "PENDING");
    let r = hank
        .client
        .run(request, json!({"i": {"roleKey": "photographer"}}))
        .await;
    assert_eq!(r.error_code(), Some("CONFLICT"));
    let r = hank.client.run(request, json!({"i": {"roleKey": "admin"}})).await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    let pending = admin
        .client
        .data(
            "{ roleRequests { totalCount nodes { id status role { key } } } }",
            json!({}),
        )
        .await;
    assert_eq!(pending["roleRequests"]["nodes"].as_array().unwrap().len(), 1);
    assert_eq!(pending["roleRequests"]["totalCount"], 1);
    assert_eq!(pending["roleRequests"]["nodes"][0]["role"]["key"], "photographer");
    let review = "mutation($i: ReviewRoleRequestInput!) { reviewRoleRequest(input: $i) { request { status } } }";
    let r = admin
        .client
        .run(review, json!({"i": {"id": req["id"], "approve": false}}))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "a rejection needs remarks");
    let d = admin
        .client
        .data(review, json!({"i": {"id": req["id"], "approve": true}}))
        .await;
    assert_eq!(d["reviewRoleRequest"]["request"]["status"], "APPROVED");
    let roles = hank.client.data(ME, json!({})).await["viewer"]["roles"].clone();
    assert!(roles.as_array().unwrap().iter().any(|r| r == "photographer"));
    assert_eq!(audit_count(&server, "role finance granted").await, 1);
    assert_eq!(audit_count(&server, "role finance revoked").await, 1);
    assert_eq!(audit_count(&server, "role request approved").await, 1);
    server.stop().await;
}

#[tokio::test]
async fn sessions_settings_and_organisation() {
    let server = TestServer::start().await;
    let ivy = server.customer("ivy").await;
    let second = server.login(&ivy.email, PASSWORD).await;
    let sessions = ivy
        .client
        .data(
            "{ viewer { sessions { nodes { id current deviceType revokedAt } } } }",
            json!({}),
        )
        .await["viewer"]["sessions"]["nodes"]
        .clone();
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let other = sessions.iter().find(|s| s["current"] == false).unwrap();
    ivy.client
        .data(
            "mutation($i: IdInput!) { revokeSession(input: $i) }",
            json!({"i": {"id": other["id"]}}),
        )
        .await;
    assert_eq!(second.client.run(ME, json!({})).await.status, 401);
    // Someone else's session is not found.
    let jack = server.customer("jack").await;
    let r = jack
        .client
        .run(
            "mutation($i: IdInput!) { revokeSession(input: $i) }",
            json!({"i": {"id": sessions[0]["id"]}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    let n = ivy.client.data("mutation { signOutEverywhere }", json!({})).await;
    assert_eq!(n["signOutEverywhere"], 1);
    assert_eq!(ivy.client.run(ME, json!({})).await.status, 401);

    // Settings: defaults, typed updates, validation naming the field.
    let settings = "{ viewer { settings { theme language notifySms autoLogoutMinutes settingsJson } } }";
    let d = jack.client.data(settings, json!({})).await;
    assert_eq!(d["viewer"]["settings"]["theme"], "DARK");
    let update = "mutation($i: UpdateSettingsInput!) { updateSettings(input: $i) { settings { theme notifySms settingsJson } } }";
    let d = jack
        .client
        .data(
            update,
            json!({"i": {"theme": "LIGHT", "notifySms": true, "settingsJson": {"dashboard": "compact"}}}),
        )
        .await;
    assert_eq!(
        d["updateSettings"]["settings"],
        json!({"theme": "LIGHT", "notifySms": true, "settingsJson": {"dashboard": "compact"}})
    );
    // The theme is a GraphQL enum now: an unknown one fails validation.
    let r = jack.client.run(update, json!({"i": {"theme": "NEON"}})).await;
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("NEON"),
        "{:?}",
        r.body
    );
    assert!(r.body["data"].is_null() || r.body.get("data").is_none());
    let r = jack
        .client
        .run(update, json!({"i": {"language": "en us", "autoLogoutMinutes": 0}}))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    assert_eq!(
        r.body["errors"][0]["extensions"]["fields"],
        json!(["language", "autoLogoutMinutes"])
    );

    // Departments, agents' departments, designations, employees.
    let admin = server.admin().await;
    let save =
        "mutation($i: DepartmentInput!) { saveDepartment(input: $i) { department { id code transfersEnabled } } }";
    let r = jack
        .client
        .run(save, json!({"i": {"name": "Sales", "code": "sales"}}))
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let dep = admin
        .client
        .data(save, json!({"i": {"name": "Sales", "code": "sales"}}))
        .await["saveDepartment"]["department"]
        .clone();
    assert_eq!(dep["code"], "SALES");
    let r = admin
        .client
        .run(save, json!({"i": {"name": "Sales again", "code": "SALES"}}))
        .await;
    assert_eq!(r.error_code(), Some("CONFLICT"));
    assert_eq!(r.body["errors"][0]["extensions"]["fields"], json!(["code"]));
    let agent = server.agent(&admin, "SALES").await;
    let deps = agent
        .client
        .data("{ viewer { departments { code } } }", json!({}))
        .await;
    assert_eq!(deps["viewer"]["departments"], json!([{"code": "SALES"}]));
    let des = admin
        .client
        .data(
            "mutation($i: CreateDesignationInput!) { createDesignation(input: $i) { designation { id code } } }",
            json!({"i": {"name": "Team lead", "code": "tl"}}),
        )
        .await["createDesignation"]["designation"]
        .clone();
    let emp = admin
        .client
        .data(
            "mutation($i: SaveEmployeeInput!) { saveEmployee(input: $i) { employee { employeeCode employmentStatus designationId } } }",
            json!({"i": {"userId": agent.id, "employeeCode": "E-1", "designationId": des["id"]}}),
        )
        .await;
    assert_eq!(emp["saveEmployee"]["employee"]["employmentStatus"], "ACTIVE");
    let list = admin
        .client
        .data("{ employees { totalCount nodes { employeeCode user { id } designation { code } } } designations { code } }", json!({}))
        .await;
    assert_eq!(list["employees"]["nodes"][0]["employeeCode"], "E-1");
    assert_eq!(list["employees"]["nodes"][0]["user"]["id"], agent.id);
    assert_eq!(list["employees"]["nodes"][0]["designation"]["code"], "TL");
    assert_eq!(list["employees"]["totalCount"], 1);
    let r = agent
        .client
        .run("{ employees { nodes { employeeCode } } }", json!({}))
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    server.stop().await;
}

#[tokio::test]
async fn other_users_see_only_public_fields_and_admins_manage_accounts() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let kim = server.customer("kim").await;
    let lee: Persona = server.customer("lee").await;
    let q = "query($id: ID!) { user(id: $id) { id displayName email roles status } }";
    let r = lee.client.run(q, json!({"id": kim.id})).await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let d = admin.client.data(q, json!({"id": kim.id})).await;
    assert_eq!(d["user"]["email"], kim.email.as_str());
    assert_eq!(d["user"]["roles"], json!(["customer"]));
    let found = admin
        .client
        .data(
            "query($s: String) { users(filter: { search: $s }, first: 10) { edges { node { id } } pageInfo { hasNextPage } } }",
            json!({"s": "kim"}),
        )
        .await;
    assert_eq!(found["users"]["edges"].as_array().unwrap().len(), 1);
    let status = "mutation($i: SetUserStatusInput!) { setUserStatus(input: $i) { user { status } } }";
    admin
        .client
        .data(status, json!({"i": {"userId": kim.id, "status": "SUSPENDED"}}))
        .await;
    // Suspension ends the sessions and blocks sign-in.
    assert_eq!(kim.client.run(ME, json!({})).await.status, 401);
    let r = server.anon().run(LOGIN, login_vars(&kim.email, PASSWORD)).await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    assert_eq!(audit_count(&server, "account status set to SUSPENDED").await, 1);
    server.stop().await;
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let server = TestServer::start().await;
    let anon = server.anon();
    let mia = server.customer("mia").await;
    let other = server.login(&mia.email, PASSWORD).await;
    let change = "mutation($i: ChangePasswordInput!) { changePassword(input: $i) }";
    let r = mia
        .client
        .run(
            change,
            json!({"i": {"currentPassword": "not it at all", "newPassword": "a brand new passphrase"}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    assert_eq!(r.body["errors"][0]["extensions"]["fields"], json!(["currentPassword"]));
    mia.client
        .data(
            change,
            json!({"i": {"currentPassword": PASSWORD, "newPassword": "a brand new passphrase"}}),
        )
        .await;
    // This session goes on; the other one ends, refresh token included.
    assert_eq!(mia.client.data(ME, json!({})).await["viewer"]["id"], mia.id.as_str());
    assert_eq!(other.client.run(ME, json!({})).await.status, 401);
    let r = anon.run(REFRESH, json!({"t": other.refresh_token})).await;
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));
    let db = Database::connect(&server.database_url).await.unwrap();
    let live_tokens_of_ended_sessions: i64 = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) FROM refresh_tokens t JOIN user_sessions s ON s.id = t.session_id \
             WHERE s.revoked_at IS NOT NULL AND t.revoked_at IS NULL",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    assert_eq!(live_tokens_of_ended_sessions, 0);
    // Only the new password signs in.
    let r = anon.run(LOGIN, login_vars(&mia.email, PASSWORD)).await;
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));
    anon.data(LOGIN, login_vars(&mia.email, "a brand new passphrase")).await;
    server.stop().await;
}
