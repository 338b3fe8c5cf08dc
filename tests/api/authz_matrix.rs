//! The authorization matrix: every query and mutation field of the schema
//! is called as anonymous, customer, agent and admin, and each outcome is
//! compared with the table below. A field without a row fails the test, so
//! no field ships without a decision about who may call it.
//!
//! Outcomes: `A` allowed (any answer but an authentication or authorization
//! refusal: data, NOT_FOUND and BAD_USER_INPUT all mean the caller got
//! past the check), `U` UNAUTHENTICATED, `F` FORBIDDEN. Arguments point at
//! things that do not exist (random ids) or are invalid, so an allowed
//! call changes nothing; rows marked destructive get a fresh session.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::support::gql::Client;
use crate::support::personas::{Persona, PASSWORD};
use crate::support::TestServer;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    A,
    U,
    F,
}
use Outcome::{A, F, U};

struct Row {
    field: &'static str,
    /// The operation; `$id` is a random UUID, `$email`/`$password` sign in
    /// a throwaway account, `$refresh` is a fresh refresh token.
    op: &'static str,
    /// anonymous, customer, agent, admin
    expect: [Outcome; 4],
    /// Ends or changes the caller's session: run with a fresh one.
    destructive: bool,
}

const fn row(field: &'static str, op: &'static str, expect: [Outcome; 4]) -> Row {
    Row {
        field,
        op,
        expect,
        destructive: false,
    }
}

const fn destructive(field: &'static str, op: &'static str, expect: [Outcome; 4]) -> Row {
    Row {
        field,
        op,
        expect,
        destructive: true,
    }
}

const ALL: [Outcome; 4] = [A, A, A, A];
const SIGNED_IN: [Outcome; 4] = [U, A, A, A];
const ADMIN_ONLY: [Outcome; 4] = [U, F, F, A];
/// Staff handling tickets (agents and admins).
const AGENTS: [Outcome; 4] = [U, F, A, A];

const ROWS: &[Row] = &[
    // Queries
    row("apiVersion", "{ apiVersion }", ALL),
    row("viewer", "{ viewer { id } }", ALL),
    row("user", "query($id: ID!) { user(id: $id) { id } }", ADMIN_ONLY),
    row("users", "{ users(first: 1) { edges { node { id } } } }", ADMIN_ONLY),
    row("roles", "{ roles { key } }", SIGNED_IN),
    row("permissions", "{ permissions { key } }", ADMIN_ONLY),
    row("roleRequests", "{ roleRequests { id } }", ADMIN_ONLY),
    row("departments", "{ departments { id } }", SIGNED_IN),
    row("designations", "{ designations { id } }", ADMIN_ONLY),
    row("employees", "{ employees { id } }", ADMIN_ONLY),
    // Mutations: identity
    row(
        "register",
        r#"mutation { register(input: { email: "not-an-email", password: "x", displayName: "" }) { accessToken } }"#,
        ALL,
    ),
    row(
        "login",
        "mutation($email: String!, $password: String!) { login(input: { email: $email, password: $password }) { accessToken } }",
        ALL,
    ),
    row("refreshSession", "mutation($refresh: String!) { refreshSession(refreshToken: $refresh) { accessToken } }", ALL),
    destructive("logout", "mutation { logout }", SIGNED_IN),
    row("revokeSession", "mutation($id: ID!) { revokeSession(input: { id: $id }) }", SIGNED_IN),
    destructive("signOutEverywhere", "mutation { signOutEverywhere }", SIGNED_IN),
    row(
        "changePassword",
        r#"mutation { changePassword(input: { currentPassword: "wrong wrong wrong", newPassword: "a new passphrase" }) }"#,
        SIGNED_IN,
    ),
    row(
        "assignRole",
        r#"mutation($id: ID!) { assignRole(input: { userId: $id, roleKey: "customer" }) { user { id } } }"#,
        ADMIN_ONLY,
    ),
    row(
        "revokeRole",
        r#"mutation($id: ID!) { revokeRole(input: { userId: $id, roleKey: "customer" }) { user { id } } }"#,
        ADMIN_ONLY,
    ),
    row(
        "requestRole",
        r#"mutation { requestRole(input: { roleKey: "no_such_role" }) { request { id } } }"#,
        SIGNED_IN,
    ),
    row(
        "reviewRoleRequest",
        "mutation($id: ID!) { reviewRoleRequest(input: { id: $id, approve: true }) { request { id } } }",
        ADMIN_ONLY,
    ),
    row("unlockUser", "mutation($id: ID!) { unlockUser(input: { userId: $id }) { user { id } } }", ADMIN_ONLY),
    row(
        "setUserStatus",
        "mutation($id: ID!) { setUserStatus(input: { userId: $id, status: ACTIVE }) { user { id } } }",
        ADMIN_ONLY,
    ),
    row("enrollTotp", "mutation { enrollTotp { otpauthUrl } }", SIGNED_IN),
    row("confirmTotp", r#"mutation { confirmTotp(input: { code: "000000" }) { recoveryCodes } }"#, SIGNED_IN),
    row("disableTotp", r#"mutation { disableTotp(input: { code: "000000" }) }"#, SIGNED_IN),
    row(
        "regenerateRecoveryCodes",
        r#"mutation { regenerateRecoveryCodes(input: { code: "000000" }) { recoveryCodes } }"#,
        SIGNED_IN,
    ),
    row("createApiKey", r#"mutation { createApiKey(input: { name: "x", scopes: [] }) { key } }"#, SIGNED_IN),
    row("revokeApiKey", "mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id } } }", SIGNED_IN),
    row("updateSettings", "mutation { updateSettings(input: {}) { settings { theme } } }", SIGNED_IN),
    row(
        "saveDepartment",
        "mutation($id: ID!) { saveDepartment(input: { id: $id, name: \"x\" }) { department { id } } }",
        ADMIN_ONLY,
    ),
    row(
        "setUserDepartments",
        "mutation($id: ID!) { setUserDepartments(input: { userId: $id, departmentIds: [] }) { user { id } } }",
        ADMIN_ONLY,
    ),
    row(
        "createDesignation",
        r#"mutation { createDesignation(input: { name: "", code: "" }) { designation { id } } }"#,
        ADMIN_ONLY,
    ),
    row(
        "saveEmployee",
        "mutation($id: ID!) { saveEmployee(input: { userId: $id }) { employee { id } } }",
        ADMIN_ONLY,
    ),
    // Linked identities (OpenID Connect)
    row("oauthProviders", "{ oauthProviders }", ALL),
    row("viewerOAuthAccounts", "{ viewerOAuthAccounts { id } }", SIGNED_IN),
    row(
        "signInWithOidc",
        r#"mutation { signInWithOidc(input: { provider: "NOPE", idToken: "x" }) { accessToken } }"#,
        ALL,
    ),
    row(
        "linkOAuthAccount",
        r#"mutation { linkOAuthAccount(input: { provider: "NOPE", idToken: "x" }) { __typename } }"#,
        SIGNED_IN,
    ),
    row("unlinkOAuthAccount", r#"mutation { unlinkOAuthAccount(input: { provider: "NOPE" }) }"#, SIGNED_IN),
    // Support desk
    row("ticket", "query($id: ID!) { ticket(id: $id) { id } }", SIGNED_IN),
    row("tickets", "{ tickets(first: 1) { edges { node { id } } } }", SIGNED_IN),
    row("ticketTags", "{ ticketTags }", SIGNED_IN),
    row("client", "query($id: ID!) { client(id: $id) { id } }", SIGNED_IN),
    row("clients", "{ clients(first: 1) { edges { node { id } } } }", AGENTS),
    row(
        "createTicket",
        r#"mutation { createTicket(input: { subject: "", description: "" }) { ticket { id } } }"#,
        SIGNED_IN,
    ),
    row(
        "addTicketMessage",
        r#"mutation($id: ID!) { addTicketMessage(input: { ticketId: $id, body: "hello" }) { message { id } } }"#,
        SIGNED_IN,
    ),
    row(
        "assignTicket",
        "mutation($id: ID!) { assignTicket(input: { ticketId: $id, userIds: [] }) { ticket { id } } }",
        AGENTS,
    ),
    row(
        "setTicketStatus",
        "mutation($id: ID!) { setTicketStatus(input: { ticketId: $id, status: CLOSED }) { ticket { id } } }",
        SIGNED_IN,
    ),
    row(
        "updateTicket",
        r#"mutation($id: ID!) { updateTicket(input: { ticketId: $id, subject: "x" }) { ticket { id } } }"#,
        AGENTS,
    ),
    row(
        "tagTicket",
        r#"mutation($id: ID!) { tagTicket(input: { ticketId: $id, add: ["x"] }) { ticket { id } } }"#,
        AGENTS,
    ),
    row(
        "transferTicket",
        "mutation($id: ID!) { transferTicket(input: { ticketId: $id, departmentId: $id }) { ticket { id } } }",
        AGENTS,
    ),
    row(
        "ingestInboundMessage",
        r#"mutation { ingestInboundMessage(input: { channel: EMAIL, externalId: "x@example.test", body: "" }) { ticket { id } } }"#,
        AGENTS,
    ),
    row(
        "createClient",
        r#"mutation { createClient(input: { displayName: "" }) { client { id } } }"#,
        AGENTS,
    ),
    row(
        "updateClient",
        "mutation($id: ID!) { updateClient(input: { clientId: $id }) { client { id } } }",
        AGENTS,
    ),
    row(
        "addClientExternalId",
        r#"mutation($id: ID!) { addClientExternalId(input: { clientId: $id, kind: EMAIL, value: "a@b.test" }) { client { id } } }"#,
        AGENTS,
    ),
    row(
        "removeClientExternalId",
        r#"mutation($id: ID!) { removeClientExternalId(input: { clientId: $id, kind: EMAIL, value: "a@b.test" }) { client { id } } }"#,
        AGENTS,
    ),
    row(
        "mergeClients",
        "mutation($id: ID!) { mergeClients(input: { sourceId: $id, targetId: $id }) { client { id } } }",
        AGENTS,
    ),
    // Wallets
    row("wallet", "{ wallet { balance } }", SIGNED_IN),
    row("userWallet", "query($id: ID!) { userWallet(userId: $id) { balance } }", ADMIN_ONLY),
    row(
        "creditWallet",
        r#"mutation($id: ID!) { creditWallet(input: { userId: $id, amount: "1", idempotencyKey: "matrix" }) { replayed } }"#,
        ADMIN_ONLY,
    ),
    row(
        "debitWallet",
        r#"mutation { debitWallet(input: { amount: "1", referenceType: LEAD, idempotencyKey: "matrix" }) { replayed } }"#,
        SIGNED_IN,
    ),
    // Notifications
    row("viewerNotifications", "{ viewerNotifications { id } }", SIGNED_IN),
    row("markNotificationsRead", "mutation { markNotificationsRead(input: {}) }", SIGNED_IN),
    // Commerce
    row("pricingPackages", "{ pricingPackages { id } }", ALL),
    row("pricingPackage", "query($id: ID!) { pricingPackage(id: $id) { id } }", ALL),
    row(
        "quotePackage",
        "query($id: ID!) { quotePackage(input: { packageId: $id }) { totalInr } }",
        SIGNED_IN,
    ),
    row("order", "query($id: ID!) { order(id: $id) { id } }", SIGNED_IN),
    row("viewerOrders", "{ viewerOrders(first: 1) { edges { node { id } } } }", SIGNED_IN),
    row("orders", "{ orders(first: 1) { totalCount edges { node { id } } } }", ADMIN_ONLY),
    row("invoice", "query($id: ID!) { invoice(id: $id) { id } }", SIGNED_IN),
    row("viewerInvoices", "{ viewerInvoices(first: 1) { edges { node { id } } } }", SIGNED_IN),
    row("invoices", "{ invoices(first: 1) { edges { node { id } } } }", ADMIN_ONLY),
    row("payment", "query($id: ID!) { payment(id: $id) { id } }", SIGNED_IN),
    row("payments", "{ payments(first: 1) { edges { node { id } } } }", ADMIN_ONLY),
    row("coupons", "{ coupons(first: 1) { edges { node { id } } } }", ADMIN_ONLY),
    row("discountRules", "{ discountRules { id } }", ADMIN_ONLY),
    row("taxRules", "{ taxRules { id } }", ADMIN_ONLY),
    row("paymentGatewayConfigs", "{ paymentGatewayConfigs { id hasSecret } }", ADMIN_ONLY),
    row(
        "purchasePackage",
        r#"mutation($id: ID!) { purchasePackage(input: { packageId: $id, gateway: TEST, idempotencyKey: "matrix" }) { order { id } } }"#,
        SIGNED_IN,
    ),
    row(
        "simulateTestPayment",
        "mutation($id: ID!) { simulateTestPayment(input: { paymentId: $id }) { outcome } }",
        SIGNED_IN,
    ),
    row(
        "refundPayment",
        r#"mutation($id: ID!) { refundPayment(input: { paymentId: $id, reason: "matrix" }) { payment { id } } }"#,
        ADMIN_ONLY,
    ),
    row(
        "createPricingPackage",
        r#"mutation { createPricingPackage(input: { name: "", packageType: TRACECOIN_BUNDLE, priceInr: -1 }) { package { id } } }"#,
        ADMIN_ONLY,
    ),
    row(
        "updatePricingPackage",
        "mutation($id: ID!) { updatePricingPackage(input: { id: $id }) { package { id } } }",
        ADMIN_ONLY,
    ),
    row(
        "createCoupon",
        r#"mutation { createCoupon(input: { code: "", discountType: PERCENT, discountValue: 0 }) { coupon { id } } }"#,
        ADMIN_ONLY,
    ),
    row(
        "updateCoupon",
        "mutation($id: ID!) { updateCoupon(input: { id: $id }) { coupon { id } } }",
        ADMIN_ONLY,
    ),
    row(
        "createDiscountRule",
        r#"mutation { createDiscountRule(input: { name: "", discountType: FLAT, discountValue: 0 }) { discountRule { id } } }"#,
        ADMIN_ONLY,
    ),
    row(
        "updateDiscountRule",
        "mutation($id: ID!) { updateDiscountRule(input: { id: $id }) { discountRule { id } } }",
        ADMIN_ONLY,
    ),
    row(
        "deleteDiscountRule",
        "mutation($id: ID!) { deleteDiscountRule(input: { id: $id }) { deletedId } }",
        ADMIN_ONLY,
    ),
    row(
        "createTaxRule",
        r#"mutation { createTaxRule(input: { name: "", taxType: GST, taxRate: "-1" }) { taxRule { id } } }"#,
        ADMIN_ONLY,
    ),
    row(
        "updateTaxRule",
        "mutation($id: ID!) { updateTaxRule(input: { id: $id }) { taxRule { id } } }",
        ADMIN_ONLY,
    ),
    row(
        "deleteTaxRule",
        "mutation($id: ID!) { deleteTaxRule(input: { id: $id }) { deletedId } }",
        ADMIN_ONLY,
    ),
    row(
        "createPaymentGatewayConfig",
        r#"mutation { createPaymentGatewayConfig(input: { gatewayKey: RAZORPAY, displayName: "" }) { config { id } } }"#,
        ADMIN_ONLY,
    ),
    row(
        "updatePaymentGatewayConfig",
        "mutation($id: ID!) { updatePaymentGatewayConfig(input: { id: $id }) { config { id } } }",
        ADMIN_ONLY,
    ),
];

/// What a response says about authorization; panics on a request error
/// (a broken document in the table must not pass as "allowed").
fn outcome(field: &str, persona: &str, status: u16, body: &Value) -> Outcome {
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    let codes: Vec<&str> = errors.iter().filter_map(|e| e["extensions"]["code"].as_str()).collect();
    if codes.contains(&"UNAUTHENTICATED") {
        return U;
    }
    if codes.contains(&"FORBIDDEN") {
        return F;
    }
    let request_error = status == 400 || (body.get("data").is_none() && !errors.is_empty());
    assert!(
        !request_error,
        "row {field} as {persona}: the operation itself is invalid: {body}"
    );
    assert!(
        !codes.contains(&"INTERNAL"),
        "row {field} as {persona}: internal error: {body}"
    );
    A
}

async fn schema_fields(client: &Client) -> BTreeSet<String> {
    let d = client
        .data(
            "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }",
            json!({}),
        )
        .await;
    let mut out = BTreeSet::new();
    for root in ["queryType", "mutationType"] {
        for f in d["__schema"][root]["fields"].as_array().into_iter().flatten() {
            out.insert(f["name"].as_str().unwrap_or_default().to_string());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_answers_each_persona_as_the_table_says() {
    let server = TestServer::start().await;
    let fields = schema_fields(&server.anon()).await;
    let rows: BTreeSet<String> = ROWS.iter().map(|r| r.field.to_string()).collect();
    let missing: Vec<_> = fields.difference(&rows).collect();
    let stale: Vec<_> = rows.difference(&fields).collect();
    assert!(
        missing.is_empty(),
        "fields with no row in the authorization matrix: {missing:?}"
    );
    assert!(stale.is_empty(), "rows for fields that no longer exist: {stale:?}");

    let mut admin = server.admin().await;
    let mut customer = server.customer("matrix-customer").await;
    let mut agent = server.agent(&admin, "GENERAL").await;
    let throwaway = server.customer("matrix-throwaway").await;

    let mut failures = Vec::new();
    for row in ROWS {
        for (i, name) in ["anonymous", "customer", "agent", "admin"].iter().enumerate() {
            let persona: Option<&Persona> = match i {
                0 => None,
                1 => Some(&customer),
                2 => Some(&agent),
                _ => Some(&admin),
            };
            let client = match (persona, row.destructive) {
                (None, _) => server.anon(),
                (Some(p), false) => p.client.clone(),
                (Some(p), true) => server.login(&p.email, PASSWORD).await.client,
            };
            let mut vars = json!({"id": uuid::Uuid::new_v4().to_string()});
            if row.op.contains("$email") {
                vars["email"] = json!(throwaway.email);
                vars["password"] = json!(PASSWORD);
            }
            if row.op.contains("$refresh") {
                vars["refresh"] = json!(server.login(&throwaway.email, PASSWORD).await.refresh_token);
            }
            let reply = client.run(row.op, vars).await;
            let got = outcome(row.field, name, reply.status, &reply.body);
            if got != row.expect[i] {
                failures.push(format!(
                    "{} as {name}: expected {:?}, got {:?} ({})",
                    row.field, row.expect[i], got, reply.body
                ));
            }
        }
        if row.destructive {
            // It may have ended every session of the personas.
            admin = server.login(&admin.email, PASSWORD).await;
            customer = server.login(&customer.email, PASSWORD).await;
            agent = server.login(&agent.email, PASSWORD).await;
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix mismatches:\n{}",
        failures.join("\n")
    );
    server.stop().await;
}

/// No secret column has a field anywhere in the SDL.
#[test]
fn the_schema_exposes_no_secret() {
    let sdl = switchboard::graphql::sdl().to_lowercase();
    for secret in [
        "passwordhash",
        "password_hash",
        "tokenhash",
        "token_hash",
        "keyhash",
        "key_hash",
        "codehash",
        "totpsecret",
        "totp_secret",
        "secretencrypted",
        "privatekey",
        "private_key",
        "secretconfig",
        "idnumber",
        "id_number",
        "passwordencrypted",
        "sessiontokenhash",
        "clientsecret",
    ] {
        assert!(!sdl.contains(secret), "the schema mentions {secret}");
    }
    // Fields that take a password or code exist only as inputs.
    for line in sdl.lines() {
        let l = line.trim();
        if l.starts_with("password:") || l.starts_with("currentpassword:") || l.starts_with("newpassword:") {
            continue;
        }
        assert!(
            !(l.contains("password") && l.ends_with(": string!") && !l.contains('(')),
            "a password-like output field: {l}"
        );
    }
}
