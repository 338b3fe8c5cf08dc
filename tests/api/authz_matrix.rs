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
    /// a throwaway account, `$refresh` is a fresh refresh token, `$file` a
    /// small PNG sent as a part of a multipart request.
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
    row("roleRequests", "{ roleRequests { nodes { id } } }", ADMIN_ONLY),
    row("departments", "{ departments { id } }", SIGNED_IN),
    row("designations", "{ designations { id } }", ADMIN_ONLY),
    row("employees", "{ employees { nodes { id } } }", ADMIN_ONLY),
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
    // exchange (issue 13): quotes, pairs and placing an order are public
    row("exchangePairs", "{ exchangePairs { fromCurrency } }", ALL),
    row(
        "exchangeQuote",
        r#"{ exchangeQuote(fromCurrency: "BTC", toCurrency: "XX", fromAmount: "1") { toAmount } }"#,
        ALL,
    ),
    row(
        "exchangeOrder",
        r#"query($id: ID!) { exchangeOrder(id: $id, accessToken: "xo_guess") { id } }"#,
        ALL,
    ),
    row(
        "exchangeOrders",
        "{ exchangeOrders(first: 1) { totalCount nodes { id } } }",
        SIGNED_IN,
    ),
    row(
        "needsRotatingAddress",
        r#"{ needsRotatingAddress(currency: "BTC", amount: "1") }"#,
        ALL,
    ),
    row(
        "createExchangeOrder",
        r#"mutation { createExchangeOrder(input: { fromCurrency: "BTC", toCurrency: "XX", fromAmount: "1", receivingAddress: "x" }) { accessToken } }"#,
        ALL,
    ),
    row(
        "updateExchangeCurrency",
        r#"mutation { updateExchangeCurrency(input: { code: "XX", confirmationsRequired: -1 }) { currency { code } } }"#,
        ADMIN_ONLY,
    ),
    row(
        "saveExchangePair",
        r#"mutation { saveExchangePair(input: { fromCurrency: "BTC", toCurrency: "BTC", minAmount: "0", maxAmount: "0", rateTypes: [] }) { pair { fromCurrency } } }"#,
        ADMIN_ONLY,
    ),
    row(
        "decideExchangeOrder",
        r#"mutation($id: ID!) { decideExchangeOrder(input: { orderId: $id, decision: FAIL, reason: "x" }) { order { id } } }"#,
        ADMIN_ONLY,
    ),
    // approvals (issue 12)
    row(
        "approvalRequests",
        "{ approvalRequests(first: 1) { totalCount nodes { id } } }",
        SIGNED_IN,
    ),
    row(
        "approvalRequest",
        "query($id: ID!) { approvalRequest(id: $id) { id } }",
        SIGNED_IN,
    ),
    row(
        "submitApprovalRequest",
        "mutation($id: ID!) { submitApprovalRequest(input: { entityType: ROLE, entityId: $id, approvalType: VERIFICATION }) { request { id } } }",
        SIGNED_IN,
    ),
    row(
        "approveRequest",
        "mutation($id: ID!) { approveRequest(input: { id: $id }) { request { id } } }",
        SIGNED_IN,
    ),
    row(
        "rejectRequest",
        r#"mutation($id: ID!) { rejectRequest(input: { id: $id, remarks: "no" }) { request { id } } }"#,
        SIGNED_IN,
    ),
    row(
        "cancelApprovalRequest",
        "mutation($id: ID!) { cancelApprovalRequest(id: $id) { request { id } } }",
        SIGNED_IN,
    ),
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
    row("ticketTags", "{ ticketTags(first: 5) { nodes { name } totalCount } }", SIGNED_IN),
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
    row("viewerWallet", "{ viewerWallet { balance } }", SIGNED_IN),
    row("viewerWallets", "{ viewerWallets { currency } }", SIGNED_IN),
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
    row("viewerNotifications", "{ viewerNotifications { nodes { id } } }", SIGNED_IN),
    row("markNotificationsRead", "mutation { markNotificationsRead(input: {}) { count } }", SIGNED_IN),
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
    // verification, KYC, storage (issue 12)
    row(
        "kycSubmission",
        "query($id: ID!) { kycSubmission(userId: $id) { status maskedDocumentNumber } }",
        ADMIN_ONLY,
    ),
    row(
        "verificationDocument",
        "query($id: ID!) { verificationDocument(id: $id) { id downloadUrl } }",
        SIGNED_IN,
    ),
    row(
        "submitKyc",
        r#"mutation { submitKyc(input: { fullName: "", dateOfBirth: "2000-01-01", country: "", addressLine: "", idDocumentType: OTHER, documentNumber: "", front: null, back: null, selfie: null }) { kyc { status } } }"#,
        SIGNED_IN,
    ),
    row(
        "verificationRequest",
        "query($id: ID!) { verificationRequest(id: $id) { id status } }",
        SIGNED_IN,
    ),
    row(
        "viewerVerificationRequests",
        "{ viewerVerificationRequests { id status } }",
        SIGNED_IN,
    ),
    row(
        "submitVerificationRequest",
        "mutation { submitVerificationRequest(input: { verificationType: IDENTITY, documents: [] }) { verificationRequest { id } } }",
        SIGNED_IN,
    ),
    row(
        "uploadVerificationDocuments",
        "mutation($id: ID!) { uploadVerificationDocuments(input: { verificationRequestId: $id, documents: [] }) { verificationRequest { id } } }",
        SIGNED_IN,
    ),
    row(
        "reviewVerificationDocument",
        "mutation($id: ID!) { reviewVerificationDocument(input: { documentId: $id, approve: true }) { document { id } } }",
        ADMIN_ONLY,
    ),
    row(
        "requestVerificationDocuments",
        r#"mutation($id: ID!) { requestVerificationDocuments(input: { verificationRequestId: $id, remarks: "more" }) { verificationRequest { id } } }"#,
        ADMIN_ONLY,
    ),
    // exchange market data and reserves (issue 13)
    row(
        "exchangeRate",
        r#"{ exchangeRate(baseCurrency: "BTC", quoteCurrency: "USD") }"#,
        ALL,
    ),
    row(
        "priceHistory",
        r#"{ priceHistory(currency: "BTC", from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z") { priceUsd } }"#,
        ALL,
    ),
    row(
        "priceCandles",
        r#"{ priceCandles(currency: "BTC", interval: H1, from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z") { open } }"#,
        ALL,
    ),
    row("reserves", "{ reserves { currency amount } }", ADMIN_ONLY),
    row(
        "adjustReserve",
        r#"mutation { adjustReserve(input: { currency: "BTC", delta: "0", reason: "matrix" }) { reserve { amount } } }"#,
        ADMIN_ONLY,
    ),
    row(
        "setExchangeRate",
        r#"mutation { setExchangeRate(input: { baseCurrency: "BTC", quoteCurrency: "USD", rate: "0" }) { rate { rate } } }"#,
        ADMIN_ONLY,
    ),
    // exchange address pools (issue 13)
    row("addressPools", "{ addressPools { currency network watchOnly free inUse quarantined total } }", ADMIN_ONLY),
    // custody (issue 14): your own deposits and withdrawals; finance and
    // admins see all (custody.rs, custody_withdrawals.rs)
    row(
        "cryptoDeposits",
        "{ cryptoDeposits(first: 1) { totalCount edges { node { id } } } }",
        SIGNED_IN,
    ),
    row(
        "withdrawals",
        "{ withdrawals(first: 1) { totalCount edges { node { id } } } }",
        SIGNED_IN,
    ),
    row("withdrawal", "query($id: ID!) { withdrawal(id: $id) { id } }", SIGNED_IN),
    row("withdrawalThresholds", "{ withdrawalThresholds { kycUsd approvalUsd } }", SIGNED_IN),
    row(
        "requestWithdrawal",
        r#"mutation { requestWithdrawal(input: { currency: "XX", amount: "1", destinationAddress: "x", idempotencyKey: "matrix" }) { replayed } }"#,
        SIGNED_IN,
    ),
    row(
        "failWithdrawal",
        r#"mutation($id: ID!) { failWithdrawal(input: { id: $id, reason: "matrix" }) { withdrawal { id } } }"#,
        ADMIN_ONLY,
    ),
    row(
        "setWithdrawalThresholds",
        r#"mutation { setWithdrawalThresholds(input: { kycUsd: "-1", approvalUsd: "-1" }) { thresholds { kycUsd } } }"#,
        ADMIN_ONLY,
    ),
    // marketplace (issue 15, /work/mk_api.md): search and public profiles
    // for anyone, one's own profiles, leads and reviews for every signed-in
    // user (marketplace.use), moderation for moderators (marketplace.rs,
    // marketplace_leads.rs, marketplace_search.rs)
    row(
        "professionals",
        "{ professionals(first: 1) { totalCount edges { node { id } } } }",
        ALL,
    ),
    row("professional", "query($id: ID!) { professional(id: $id) { id } }", ALL),
    row("myProfessionalProfiles", "{ myProfessionalProfiles { id } }", SIGNED_IN),
    row("myCustomerProfile", "{ myCustomerProfile { id } }", SIGNED_IN),
    row("myCandidateProfile", "{ myCandidateProfile { id } }", SIGNED_IN),
    row(
        "saveProfessionalProfile",
        r#"mutation { saveProfessionalProfile(input: { roleKey: "no_such_role", displayName: "" }) { profile { id } } }"#,
        SIGNED_IN,
    ),
    row(
        "submitProfessionalProfile",
        r#"mutation { submitProfessionalProfile(roleKey: "no_such_role") { profile { id } } }"#,
        SIGNED_IN,
    ),
    row(
        "saveCustomerProfile",
        r#"mutation { saveCustomerProfile(input: { displayName: "" }) { profile { id } } }"#,
        SIGNED_IN,
    ),
    row(
        "saveCandidateProfile",
        r#"mutation { saveCandidateProfile(input: { displayName: "" }) { profile { id } } }"#,
        SIGNED_IN,
    ),
    // A candidate profile goes through review (marketplace_people.rs): a
    // caller without one gets NOT_FOUND, past the check.
    row(
        "submitCandidateProfile",
        "mutation { submitCandidateProfile { profile { id approvalStatus rejectionReason approvedAt } } }",
        SIGNED_IN,
    ),
    row(
        "saveService",
        r#"mutation($id: ID!) { saveService(input: { profileId: $id, name: "", priceInr: -1 }) { service { id } } }"#,
        SIGNED_IN,
    ),
    row("deleteService", "mutation($id: ID!) { deleteService(id: $id) { id } }", SIGNED_IN),
    row(
        "savePortfolioItem",
        r#"mutation($id: ID!) { savePortfolioItem(input: { profileId: $id, title: "" }) { item { id } } }"#,
        SIGNED_IN,
    ),
    row("deletePortfolioItem", "mutation($id: ID!) { deletePortfolioItem(id: $id) { id } }", SIGNED_IN),
    row(
        "addPortfolioImage",
        "mutation($id: ID!, $file: Upload!) { addPortfolioImage(input: { itemId: $id, file: $file }) { image { id } } }",
        SIGNED_IN,
    ),
    row("deletePortfolioImage", "mutation($id: ID!) { deletePortfolioImage(id: $id) { id } }", SIGNED_IN),
    row("leads", "{ leads(first: 1) { totalCount edges { node { id } } } }", SIGNED_IN),
    row("lead", "query($id: ID!) { lead(id: $id) { id } }", SIGNED_IN),
    row(
        "myLeadRequests",
        "{ myLeadRequests(first: 1) { edges { node { id } } } }",
        SIGNED_IN,
    ),
    row(
        "createLead",
        r#"mutation { createLead(input: { professionKey: "no_such_role", title: "" }) { lead { id } } }"#,
        SIGNED_IN,
    ),
    row(
        "unlockLeadContact",
        r#"mutation($id: ID!) { unlockLeadContact(input: { leadId: $id, idempotencyKey: "matrix" }) { replayed } }"#,
        SIGNED_IN,
    ),
    row(
        "requestLead",
        "mutation($id: ID!) { requestLead(input: { leadId: $id }) { request { id } } }",
        SIGNED_IN,
    ),
    row(
        "respondToLeadRequest",
        "mutation($id: ID!) { respondToLeadRequest(input: { id: $id, accept: true }) { request { id } } }",
        SIGNED_IN,
    ),
    row("closeLead", "mutation($id: ID!) { closeLead(id: $id) { lead { id } } }", SIGNED_IN),
    row(
        "reviews",
        "{ reviews(first: 1) { totalCount edges { node { id } } } }",
        ALL,
    ),
    row(
        "submitReview",
        "mutation($id: ID!) { submitReview(input: { entityType: PROFESSIONAL, entityId: $id, rating: 0 }) { review { id } } }",
        SIGNED_IN,
    ),
    row(
        "moderateReview",
        "mutation($id: ID!) { moderateReview(input: { id: $id, status: HIDDEN }) { review { id } } }",
        ADMIN_ONLY,
    ),
    // marketplace companies, jobs and applications (issue 15)
    row("jobs", "{ jobs(first: 1) { totalCount edges { node { id } } } }", ALL),
    row("job", "query($id: ID!) { job(id: $id) { id } }", ALL),
    row(
        "myJobApplications",
        "{ myJobApplications(first: 1) { totalCount edges { node { id } } } }",
        SIGNED_IN,
    ),
    // JobApplication.candidate: the applicant's own always, an employer's
    // only once approved (marketplace_people.rs).
    row(
        "myJobApplications",
        "{ myJobApplications(first: 1) { edges { node { id candidate { id approvalStatus } } } } }",
        SIGNED_IN,
    ),
    row(
        "job",
        "query($id: ID!) { job(id: $id) { applications(first: 1) { edges { node { candidate { id } } } } } }",
        ALL,
    ),
    row("myCompanyProfile", "{ myCompanyProfile { id } }", SIGNED_IN),
    row(
        "saveCompanyProfile",
        r#"mutation { saveCompanyProfile(input: { companyName: "" }) { company { id } } }"#,
        SIGNED_IN,
    ),
    row("submitCompanyProfile", "mutation { submitCompanyProfile { company { id } } }", SIGNED_IN),
    row(
        "createJob",
        r#"mutation { createJob(input: { title: "" }) { job { id } } }"#,
        SIGNED_IN,
    ),
    row(
        "updateJob",
        r#"mutation($id: ID!) { updateJob(input: { id: $id, title: "" }) { job { id } } }"#,
        SIGNED_IN,
    ),
    row(
        "submitJob",
        r#"mutation($id: ID!) { submitJob(input: { id: $id, idempotencyKey: "matrix" }) { replayed } }"#,
        SIGNED_IN,
    ),
    row("closeJob", "mutation($id: ID!) { closeJob(id: $id) { job { id } } }", SIGNED_IN),
    row(
        "applyToJob",
        "mutation($id: ID!) { applyToJob(input: { jobId: $id }) { application { id } } }",
        SIGNED_IN,
    ),
    row(
        "updateJobApplication",
        "mutation($id: ID!) { updateJobApplication(input: { id: $id, status: REJECTED }) { application { id } } }",
        SIGNED_IN,
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
            // Deprecated fields still answer, so they keep their rows.
            "{ __schema { queryType { fields(includeDeprecated: true) { name } } \
             mutationType { fields(includeDeprecated: true) { name } } } }",
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
            // A `$file` (an Upload) travels only in a multipart request.
            let reply = if row.op.contains("$file:") {
                let file = crate::storage::FilePart::new("file", "x.png", "image/png", crate::storage::png());
                crate::storage::upload(&client, row.op, vars, vec![file]).await
            } else {
                client.run(row.op, vars).await
            };
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

// ------------------------------------------------ by id through a mutation

/// Who tries a "by id" row: another customer, or a support agent outside
/// the ticket's department (not assigned to it).
#[derive(Clone, Copy, Debug)]
enum Intruder {
    Customer,
    Agent,
}
use Intruder::{Agent as OUTSIDE_AGENT, Customer as OTHER_CUSTOMER};

/// Answers that count as refused: an error with one of these codes and no
/// data for the field. `ZERO` is a payload that changed nothing (a `count`
/// of zero and no `notifications`: nothing of yours to change).
const NOT_FOUND: &[&str] = &["NOT_FOUND"];
const FORBIDDEN: &[&str] = &["FORBIDDEN"];
const CONFLICT: &[&str] = &["CONFLICT"];
/// An id given as a reference inside the input (a related entity): refused
/// exactly as an id that does not exist.
const NO_SUCH: &[&str] = &["BAD_USER_INPUT"];
const ZERO: &[&str] = &["ZERO"];
/// Something the caller may not see, where the contract pins no single
/// code (marketplace leads and jobs): either refusal, nothing answered.
const UNREACHABLE: &[&str] = &["NOT_FOUND", "FORBIDDEN"];

struct ByIdRow {
    field: &'static str,
    /// The operation, with variables from [`World::vars`] (`$ticket`
    /// alice's ticket, `$note` an internal note on it, `$client` her
    /// client, `$spare` a client without tickets, `$bobClient`/`$bobTicket`
    /// the other customer's, `$alice`/`$aliceEmail` her account, `$session`,
    /// `$key`, `$notice`, `$request` (her role grant), `$approval` (its
    /// approval request), `$order`, `$payment` hers, `$billing`
    /// the Billing department, `$outsider` the outside agent's id;
    /// marketplace: `$profile` her draft photographer profile, `$service`
    /// and `$item` its service and portfolio item, `$lead` her pending
    /// lead, `$job` her draft job).
    op: &'static str,
    tries: &'static [(Intruder, &'static [&'static str])],
}

const fn by_id(
    field: &'static str,
    op: &'static str,
    tries: &'static [(Intruder, &'static [&'static str])],
) -> ByIdRow {
    ByIdRow { field, op, tries }
}

/// Mutations that take an id of something without an owner (catalogue and
/// configuration, for their managers only: the table above pins that), or
/// whose ids are all covered elsewhere.
const ID_EXEMPT: &[(&str, &str)] = &[
    (
        "createExchangeOrder",
        "a quote id is a bearer reference to a public price; the order made is the caller's (exchange.rs)",
    ),
    (
        "decideExchangeOrder",
        "operators only (exchange.orders.manage), pinned by the table above; customers are FORBIDDEN (exchange.rs)",
    ),
    (
        "failWithdrawal",
        "finance and admins only (exchange.withdrawals.manage), pinned by the table above; customers are FORBIDDEN \
         (custody.rs, custody_withdrawals.rs)",
    ),
    ("saveDepartment", "the department catalogue (departments.manage)"),
    ("createDesignation", "the designation catalogue (departments.manage)"),
    (
        "purchasePackage",
        "packages are a public catalogue; the order made is the caller's",
    ),
    (
        "debitWallet",
        "debits the caller's own wallet only; referenceId labels the posting",
    ),
    ("updateCoupon", "catalogue (commerce.coupons.manage)"),
    ("createDiscountRule", "catalogue (commerce.coupons.manage)"),
    ("updateDiscountRule", "catalogue (commerce.coupons.manage)"),
    ("deleteDiscountRule", "catalogue (commerce.coupons.manage)"),
    ("updateTaxRule", "catalogue (commerce.tax.manage)"),
    ("deleteTaxRule", "catalogue (commerce.tax.manage)"),
    ("updatePricingPackage", "catalogue (commerce.packages.manage)"),
    ("updatePaymentGatewayConfig", "configuration (payments.gateways.manage)"),
    // verification, KYC, storage (issue 12)
    (
        "submitVerificationRequest",
        "another's role profile is NOT_FOUND and nothing is written (verification.rs)",
    ),
    (
        "uploadVerificationDocuments",
        "another's request is NOT_FOUND and nothing is stored (verification.rs)",
    ),
    (
        "reviewVerificationDocument",
        "reviewers only (verification.review), never their own",
    ),
    (
        "requestVerificationDocuments",
        "reviewers only (verification.review), never their own",
    ),
    // marketplace (issue 15)
    (
        "addPortfolioImage",
        "needs a multipart upload (the JSON rows cannot send one); another's item is FORBIDDEN like \
         savePortfolioItem below (the portfolio helper's tests)",
    ),
    (
        "deletePortfolioImage",
        "images exist only through a multipart addPortfolioImage; another's image is FORBIDDEN (the portfolio \
         helper's tests)",
    ),
    (
        "respondToLeadRequest",
        "a request exists only on an OPEN lead with an approved professional; anyone but the lead's owner is \
         FORBIDDEN and nothing changes (marketplace_leads.rs)",
    ),
    (
        "moderateReview",
        "moderators only (marketplace.reviews.moderate), pinned by the table above; a reviewer is FORBIDDEN \
         (marketplace.rs)",
    ),
    (
        "updateJobApplication",
        "an application exists only on a LIVE (paid, approved) job; only its poster moves it (the jobs helper's tests)",
    ),
];

const BY_ID: &[ByIdRow] = &[
    // Tickets: the rule of the queries (customers their own, agents their
    // departments' and assigned ones), on every write.
    by_id(
        "addTicketMessage",
        r#"mutation($ticket: ID!) { addTicketMessage(input: { ticketId: $ticket, body: "hijacked" }) { message { id body } } }"#,
        &[(OTHER_CUSTOMER, NOT_FOUND), (OUTSIDE_AGENT, NOT_FOUND)],
    ),
    by_id(
        "addTicketMessage",
        r#"mutation($bobTicket: ID!, $note: ID!) { addTicketMessage(input: { ticketId: $bobTicket, id: $note, body: "x" }) { message { id body } } }"#,
        &[(OTHER_CUSTOMER, CONFLICT)],
    ),
    by_id(
        "assignTicket",
        "mutation($ticket: ID!, $outsider: ID!) { assignTicket(input: { ticketId: $ticket, userIds: [$outsider] }) { ticket { id } } }",
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, NOT_FOUND)],
    ),
    by_id(
        "setTicketStatus",
        "mutation($ticket: ID!) { setTicketStatus(input: { ticketId: $ticket, status: CLOSED }) { ticket { id status } } }",
        &[(OTHER_CUSTOMER, NOT_FOUND), (OUTSIDE_AGENT, NOT_FOUND)],
    ),
    by_id(
        "updateTicket",
        r#"mutation($ticket: ID!) { updateTicket(input: { ticketId: $ticket, subject: "taken" }) { ticket { id subject } } }"#,
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, NOT_FOUND)],
    ),
    by_id(
        "tagTicket",
        r#"mutation($ticket: ID!) { tagTicket(input: { ticketId: $ticket, add: ["intruder"] }) { ticket { id tags } } }"#,
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, NOT_FOUND)],
    ),
    by_id(
        "transferTicket",
        "mutation($ticket: ID!, $billing: ID!) { transferTicket(input: { ticketId: $ticket, departmentId: $billing }) { ticket { id } } }",
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, NOT_FOUND)],
    ),
    by_id(
        "ingestInboundMessage",
        r#"mutation($ticket: ID!, $aliceEmail: String!) { ingestInboundMessage(input: { channel: EMAIL, externalId: $aliceEmail, ticketId: $ticket, body: "as the customer" }) { ticket { id messages(last: 100) { nodes { body isInternal } } } message { id } } }"#,
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, NOT_FOUND)],
    ),
    by_id(
        "createTicket",
        r#"mutation($ticket: ID!) { createTicket(input: { id: $ticket, subject: "Cannot withdraw", description: "guess" }) { ticket { id subject description } } }"#,
        &[(OTHER_CUSTOMER, CONFLICT)],
    ),
    by_id(
        "createTicket",
        r#"mutation($ticket: ID!, $bobClient: ID!) { createTicket(input: { id: $ticket, clientId: $bobClient, subject: "s", description: "d" }) { ticket { id } } }"#,
        &[(OUTSIDE_AGENT, CONFLICT)],
    ),
    by_id(
        "createTicket",
        r#"mutation($order: ID!) { createTicket(input: { subject: "s", description: "d", relatedEntity: { entityType: "ORDER", entityId: $order } }) { ticket { id relatedEntity { entityId } } } }"#,
        &[(OTHER_CUSTOMER, NO_SUCH)],
    ),
    by_id(
        "createTicket",
        r#"mutation($payment: ID!, $bobClient: ID!) { createTicket(input: { clientId: $bobClient, subject: "s", description: "d", relatedEntity: { entityType: "PAYMENT", entityId: $payment } }) { ticket { id } } }"#,
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, NO_SUCH)],
    ),
    // Clients: any agent with clients.manage reads and edits every client
    // (the `client` query says so); a merge also moves tickets, so every
    // ticket of both clients must be within the caller's reach.
    by_id(
        "updateClient",
        r#"mutation($client: ID!) { updateClient(input: { clientId: $client, displayName: "taken" }) { client { id } } }"#,
        &[(OTHER_CUSTOMER, FORBIDDEN)],
    ),
    by_id(
        "addClientExternalId",
        r#"mutation($client: ID!) { addClientExternalId(input: { clientId: $client, kind: EMAIL, value: "intruder@example.test" }) { client { id } } }"#,
        &[(OTHER_CUSTOMER, FORBIDDEN)],
    ),
    by_id(
        "removeClientExternalId",
        "mutation($client: ID!, $aliceEmail: String!) { removeClientExternalId(input: { clientId: $client, kind: EMAIL, value: $aliceEmail }) { client { id } } }",
        &[(OTHER_CUSTOMER, FORBIDDEN)],
    ),
    by_id(
        "mergeClients",
        "mutation($client: ID!, $spare: ID!) { mergeClients(input: { sourceId: $client, targetId: $spare }) { client { id } } }",
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, FORBIDDEN)],
    ),
    by_id(
        "mergeClients",
        "mutation($client: ID!, $spare: ID!) { mergeClients(input: { sourceId: $spare, targetId: $client }) { client { id } } }",
        &[(OUTSIDE_AGENT, FORBIDDEN)],
    ),
    // Identity: your own sessions and keys; other users' accounts only
    // with administrative permissions.
    by_id(
        "revokeSession",
        "mutation($session: ID!) { revokeSession(input: { id: $session }) }",
        &[(OTHER_CUSTOMER, NOT_FOUND), (OUTSIDE_AGENT, NOT_FOUND)],
    ),
    by_id(
        "revokeApiKey",
        "mutation($key: ID!) { revokeApiKey(input: { id: $key }) { apiKey { id } } }",
        &[(OTHER_CUSTOMER, NOT_FOUND), (OUTSIDE_AGENT, NOT_FOUND)],
    ),
    by_id(
        "assignRole",
        r#"mutation($alice: ID!) { assignRole(input: { userId: $alice, roleKey: "support_agent" }) { user { id } } }"#,
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, FORBIDDEN)],
    ),
    by_id(
        "revokeRole",
        r#"mutation($alice: ID!) { revokeRole(input: { userId: $alice, roleKey: "customer" }) { user { id } } }"#,
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, FORBIDDEN)],
    ),
    by_id(
        "reviewRoleRequest",
        "mutation($request: ID!) { reviewRoleRequest(input: { id: $request, approve: true }) { request { id } } }",
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, FORBIDDEN)],
    ),
    // Approval requests: only their submitter and the reviewers of their
    // type learn that they exist.
    by_id(
        "approveRequest",
        "mutation($approval: ID!) { approveRequest(input: { id: $approval }) { request { id status } } }",
        &[(OTHER_CUSTOMER, NOT_FOUND), (OUTSIDE_AGENT, NOT_FOUND)],
    ),
    by_id(
        "rejectRequest",
        r#"mutation($approval: ID!) { rejectRequest(input: { id: $approval, remarks: "x" }) { request { id status } } }"#,
        &[(OTHER_CUSTOMER, NOT_FOUND), (OUTSIDE_AGENT, NOT_FOUND)],
    ),
    by_id(
        "cancelApprovalRequest",
        "mutation($approval: ID!) { cancelApprovalRequest(id: $approval) { request { id status } } }",
        &[(OTHER_CUSTOMER, NOT_FOUND), (OUTSIDE_AGENT, NOT_FOUND)],
    ),
    by_id(
        "submitApprovalRequest",
        "mutation($request: ID!) { submitApprovalRequest(input: { entityType: ROLE, entityId: $request, approvalType: VERIFICATION }) { request { id } } }",
        &[(OTHER_CUSTOMER, NOT_FOUND), (OUTSIDE_AGENT, NOT_FOUND)],
    ),
    by_id(
        "unlockUser",
        "mutation($alice: ID!) { unlockUser(input: { userId: $alice }) { user { id } } }",
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, FORBIDDEN)],
    ),
    by_id(
        "setUserStatus",
        "mutation($alice: ID!) { setUserStatus(input: { userId: $alice, status: SUSPENDED }) { user { id } } }",
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, FORBIDDEN)],
    ),
    by_id(
        "setUserDepartments",
        "mutation($alice: ID!, $billing: ID!) { setUserDepartments(input: { userId: $alice, departmentIds: [$billing] }) { user { id } } }",
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, FORBIDDEN)],
    ),
    by_id(
        "saveEmployee",
        "mutation($alice: ID!) { saveEmployee(input: { userId: $alice }) { employee { id } } }",
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, FORBIDDEN)],
    ),
    by_id(
        "markNotificationsRead",
        "mutation($notice: ID!) { markNotificationsRead(input: { ids: [$notice] }) { count notifications { id } } }",
        &[(OTHER_CUSTOMER, ZERO), (OUTSIDE_AGENT, ZERO)],
    ),
    // Money.
    by_id(
        "creditWallet",
        r#"mutation($alice: ID!) { creditWallet(input: { userId: $alice, amount: "1", idempotencyKey: "intruder" }) { replayed } }"#,
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, FORBIDDEN)],
    ),
    by_id(
        "simulateTestPayment",
        "mutation($payment: ID!) { simulateTestPayment(input: { paymentId: $payment }) { outcome payment { id } } }",
        &[(OTHER_CUSTOMER, NOT_FOUND), (OUTSIDE_AGENT, NOT_FOUND)],
    ),
    by_id(
        "refundPayment",
        r#"mutation($payment: ID!) { refundPayment(input: { paymentId: $payment, reason: "intruder" }) { payment { id } } }"#,
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, FORBIDDEN)],
    ),
    // Marketplace (issue 15): alice's draft profile, its service and
    // portfolio item, her pending lead and her draft job.
    by_id(
        "saveService",
        r#"mutation($profile: ID!) { saveService(input: { profileId: $profile, name: "hijacked", priceInr: 1 }) { service { id } } }"#,
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, FORBIDDEN)],
    ),
    by_id(
        "saveService",
        r#"mutation($profile: ID!, $service: ID!) { saveService(input: { id: $service, profileId: $profile, name: "hijacked", priceInr: 1 }) { service { id } } }"#,
        &[(OTHER_CUSTOMER, FORBIDDEN)],
    ),
    by_id(
        "deleteService",
        "mutation($service: ID!) { deleteService(id: $service) { id } }",
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, FORBIDDEN)],
    ),
    by_id(
        "savePortfolioItem",
        r#"mutation($profile: ID!) { savePortfolioItem(input: { profileId: $profile, title: "hijacked" }) { item { id } } }"#,
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, FORBIDDEN)],
    ),
    by_id(
        "deletePortfolioItem",
        "mutation($item: ID!) { deletePortfolioItem(id: $item) { id } }",
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, FORBIDDEN)],
    ),
    by_id(
        "submitReview",
        r#"mutation($profile: ID!) { submitReview(input: { entityType: PROFESSIONAL, entityId: $profile, rating: 1, text: "x" }) { review { id } } }"#,
        &[(OTHER_CUSTOMER, FORBIDDEN), (OUTSIDE_AGENT, FORBIDDEN)],
    ),
    by_id(
        "closeLead",
        "mutation($lead: ID!) { closeLead(id: $lead) { lead { id status description } } }",
        &[(OTHER_CUSTOMER, UNREACHABLE), (OUTSIDE_AGENT, UNREACHABLE)],
    ),
    by_id(
        "unlockLeadContact",
        r#"mutation($lead: ID!) { unlockLeadContact(input: { leadId: $lead, idempotencyKey: "intruder" }) { replayed lead { description contact { email } } } }"#,
        &[(OTHER_CUSTOMER, UNREACHABLE), (OUTSIDE_AGENT, UNREACHABLE)],
    ),
    by_id(
        "requestLead",
        "mutation($lead: ID!) { requestLead(input: { leadId: $lead }) { request { id lead { description } } } }",
        &[(OTHER_CUSTOMER, UNREACHABLE), (OUTSIDE_AGENT, UNREACHABLE)],
    ),
    by_id(
        "updateJob",
        r#"mutation($job: ID!) { updateJob(input: { id: $job, title: "hijacked" }) { job { id description } } }"#,
        &[(OTHER_CUSTOMER, UNREACHABLE), (OUTSIDE_AGENT, UNREACHABLE)],
    ),
    by_id(
        "submitJob",
        r#"mutation($job: ID!) { submitJob(input: { id: $job, idempotencyKey: "intruder" }) { replayed job { id } } }"#,
        &[(OTHER_CUSTOMER, UNREACHABLE), (OUTSIDE_AGENT, UNREACHABLE)],
    ),
    by_id(
        "closeJob",
        "mutation($job: ID!) { closeJob(id: $job) { job { id description } } }",
        &[(OTHER_CUSTOMER, UNREACHABLE), (OUTSIDE_AGENT, UNREACHABLE)],
    ),
    by_id(
        "applyToJob",
        "mutation($job: ID!) { applyToJob(input: { jobId: $job }) { application { id job { description } } } }",
        &[(OTHER_CUSTOMER, UNREACHABLE), (OUTSIDE_AGENT, UNREACHABLE)],
    ),
];

/// Mutation fields with an argument that is (or holds, in an input object
/// at any depth) an `ID`.
async fn mutations_taking_ids(client: &Client) -> BTreeSet<String> {
    const TYPE: &str = "name kind ofType { name kind ofType { name kind ofType { name kind } } }";
    let d = client
        .data(
            &format!(
                "{{ __schema {{ mutationType {{ fields {{ name args {{ type {{ {TYPE} }} }} }} }} \
                 types {{ name inputFields {{ type {{ {TYPE} }} }} }} }} }}"
            ),
            json!({}),
        )
        .await;
    fn named(t: &Value) -> (String, String) {
        let mut t = t;
        while t["ofType"].is_object() {
            t = &t["ofType"];
        }
        (
            t["name"].as_str().unwrap_or_default().to_string(),
            t["kind"].as_str().unwrap_or_default().to_string(),
        )
    }
    let mut inputs = std::collections::BTreeMap::new();
    for t in d["__schema"]["types"].as_array().into_iter().flatten() {
        if let Some(fields) = t["inputFields"].as_array() {
            let name = t["name"].as_str().unwrap_or_default().to_string();
            inputs.insert(name, fields.iter().map(|f| named(&f["type"])).collect::<Vec<_>>());
        }
    }
    fn holds_id(
        t: &(String, String),
        inputs: &std::collections::BTreeMap<String, Vec<(String, String)>>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        if t.0 == "ID" {
            return true;
        }
        if t.1 != "INPUT_OBJECT" || !seen.insert(t.0.clone()) {
            return false;
        }
        inputs
            .get(&t.0)
            .is_some_and(|fields| fields.iter().any(|f| holds_id(f, inputs, seen)))
    }
    let mut out = BTreeSet::new();
    for f in d["__schema"]["mutationType"]["fields"].as_array().into_iter().flatten() {
        let takes = f["args"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|a| holds_id(&named(&a["type"]), &inputs, &mut BTreeSet::new()));
        if takes {
            out.insert(f["name"].as_str().unwrap_or_default().to_string());
        }
    }
    out
}

/// Rows of the tables an intruder could touch, fingerprinted (columns that
/// move on their own, such as last-activity times, are left out).
async fn fingerprint(db: &sea_orm::DatabaseConnection) -> Vec<(String, String)> {
    use sea_orm::ConnectionTrait;
    let tables: &[(&str, &str)] = &[
        ("support_tickets", "t.*"),
        ("support_ticket_messages", "t.*"),
        ("ticket_assignments", "t.*"),
        ("ticket_tags", "t.*"),
        ("tags", "t.*"),
        ("clients", "t.*"),
        ("client_external_ids", "t.*"),
        ("users", "t.id, t.status, t.locked_until, t.failed_login_attempts"),
        ("user_roles", "t.*"),
        ("user_departments", "t.*"),
        ("employees", "t.*"),
        ("user_sessions", "t.id, t.revoked_at"),
        ("api_keys", "t.id, t.is_active"),
        ("notifications", "t.id, t.status, t.read_at"),
        ("wallets", "t.*"),
        ("wallet_ledger", "t.*"),
        ("orders", "t.id, t.status"),
        ("payments", "t.id, t.status"),
        ("invoices", "t.id, t.status"),
        ("user_role_profiles", "t.*"),
        ("photographer_profiles", "t.*"),
        ("services", "t.*"),
        ("portfolio_items", "t.*"),
        ("portfolio_images", "t.*"),
        ("leads", "t.*"),
        ("lead_requests", "t.*"),
        ("lead_unlocks", "t.*"),
        ("reviews", "t.*"),
        ("company_profiles", "t.*"),
        ("jobs", "t.*"),
        ("job_applications", "t.*"),
    ];
    let mut out = Vec::new();
    for (table, cols) in tables {
        let sql = format!(
            "SELECT count(*)::text || ':' || coalesce(md5(string_agg(r::text, '|' ORDER BY r::text)), '') AS f \
             FROM (SELECT {cols} FROM {table} t) r"
        );
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Postgres, sql))
            .await
            .unwrap_or_else(|e| panic!("fingerprint of {table}: {e}"))
            .expect("a row");
        out.push((table.to_string(), row.try_get::<String>("", "f").unwrap()));
    }
    out
}

/// Every mutation that takes the id of a ticket, client, user, session,
/// key, notification, order or payment refuses a caller who may not reach
/// that object by query: another customer, or an agent outside the
/// ticket's department. Nothing is answered about the object and nothing
/// is written (every table an intruder could touch is unchanged).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_id_through_a_mutation_out_of_reach_callers_are_refused() {
    let server = TestServer::with(crate::support::ServerOptions {
        env: vec![("SWITCHBOARD_PAYMENTS_TEST_GATEWAY", "true".into())],
        ..Default::default()
    })
    .await;
    let taking_ids = mutations_taking_ids(&server.anon()).await;
    let covered: BTreeSet<String> = BY_ID
        .iter()
        .map(|r| r.field)
        .chain(ID_EXEMPT.iter().map(|(f, _)| *f))
        .map(str::to_string)
        .collect();
    let missing: Vec<_> = taking_ids.difference(&covered).collect();
    let stale: Vec<_> = covered.difference(&taking_ids).collect();
    assert!(
        missing.is_empty(),
        "id-taking mutations with no \"by id\" row: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "\"by id\" rows for mutations that take no id: {stale:?}"
    );

    // Alice's world, and two intruders.
    let admin = server.admin().await;
    let alice = server.customer("alice").await;
    let bob = server.customer("bob").await;
    let general = server.agent(&admin, "GENERAL").await;
    let outsider = server.agent(&admin, "BILLING").await;
    let ticket = alice
        .client
        .data(
            "mutation { createTicket(input: { subject: \"Cannot withdraw\", description: \"secret details\" }) { ticket { id client { id } } } }",
            json!({}),
        )
        .await["createTicket"]["ticket"]
        .clone();
    let say = "mutation($i: AddTicketMessageInput!) { addTicketMessage(input: $i) { message { id } } }";
    let note = general
        .client
        .data(
            say,
            json!({"i": {"ticketId": ticket["id"], "body": "internal: her ledger looks odd", "isInternal": true}}),
        )
        .await["addTicketMessage"]["message"]["id"]
        .clone();
    general
        .client
        .data(say, json!({"i": {"ticketId": ticket["id"], "body": "We are looking"}}))
        .await;
    let bob_ticket = bob
        .client
        .data(
            "mutation { createTicket(input: { subject: \"mine\", description: \"mine\" }) { ticket { id client { id } } } }",
            json!({}),
        )
        .await["createTicket"]["ticket"]
        .clone();
    let spare = admin
        .client
        .data(
            "mutation { createClient(input: { displayName: \"Spare\" }) { client { id } } }",
            json!({}),
        )
        .await["createClient"]["client"]["id"]
        .clone();
    let package = admin
        .client
        .data(
            r#"mutation { createPricingPackage(input: { name: "100 coins", packageType: TRACECOIN_BUNDLE, priceInr: 10000, tracecoinsIncluded: 100 }) { package { id } } }"#,
            json!({}),
        )
        .await["createPricingPackage"]["package"]["id"]
        .clone();
    let bought = alice
        .client
        .data(
            "mutation($p: ID!) { purchasePackage(input: { packageId: $p, gateway: TEST, idempotencyKey: \"alice-1\" }) { order { id } payment { id } } }",
            json!({"p": package}),
        )
        .await["purchasePackage"]
        .clone();
    let key = alice
        .client
        .data(
            "mutation { createApiKey(input: { name: \"mine\", scopes: [\"tickets.read\"] }) { apiKey { id } } }",
            json!({}),
        )
        .await["createApiKey"]["apiKey"]["id"]
        .clone();
    let request = alice
        .client
        .data(
            "mutation { requestRole(input: { roleKey: \"photographer\" }) { request { id } } }",
            json!({}),
        )
        .await["requestRole"]["request"]["id"]
        .clone();
    let approval = alice
        .client
        .data(
            "{ approvalRequests(filter: { entityType: ROLE }) { nodes { id } } }",
            json!({}),
        )
        .await["approvalRequests"]["nodes"][0]["id"]
        .clone();
    let mine = alice
        .client
        .data(
            "{ viewer { sessions { nodes { id } } } viewerNotifications { nodes { id } } }",
            json!({}),
        )
        .await;
    let billing = admin.client.data("{ departments { id code } }", json!({})).await["departments"]
        .as_array()
        .and_then(|a| a.iter().find(|d| d["code"] == "BILLING"))
        .map(|d| d["id"].clone())
        .expect("billing department");
    // Marketplace (issue 15): her draft profile with a service and an
    // item, her pending lead, her draft job of an approved company.
    let profile = alice
        .client
        .data(
            r#"mutation { saveProfessionalProfile(input: { roleKey: "photographer", displayName: "Alice Frames" }) { profile { id } } }"#,
            json!({}),
        )
        .await["saveProfessionalProfile"]["profile"]["id"]
        .clone();
    let service = alice
        .client
        .data(
            r#"mutation($p: ID!) { saveService(input: { profileId: $p, name: "Portraits", priceInr: 100000 }) { service { id } } }"#,
            json!({"p": profile}),
        )
        .await["saveService"]["service"]["id"]
        .clone();
    let item = alice
        .client
        .data(
            r#"mutation($p: ID!) { savePortfolioItem(input: { profileId: $p, title: "Weddings" }) { item { id } } }"#,
            json!({"p": profile}),
        )
        .await["savePortfolioItem"]["item"]["id"]
        .clone();
    let lead = alice
        .client
        .data(
            r#"mutation { createLead(input: { professionKey: "photographer", title: "Family photos", description: "secret details" }) { lead { id } } }"#,
            json!({}),
        )
        .await["createLead"]["lead"]["id"]
        .clone();
    alice
        .client
        .data(
            r#"mutation { saveCompanyProfile(input: { companyName: "Alice Media" }) { company { id } } }"#,
            json!({}),
        )
        .await;
    alice
        .client
        .data("mutation { submitCompanyProfile { company { id } } }", json!({}))
        .await;
    let company_approval = alice
        .client
        .data(
            "{ approvalRequests(filter: { entityType: COMPANY }) { nodes { id } } }",
            json!({}),
        )
        .await["approvalRequests"]["nodes"][0]["id"]
        .clone();
    admin
        .client
        .data(
            "mutation($id: ID!) { approveRequest(input: { id: $id }) { request { id } } }",
            json!({"id": company_approval}),
        )
        .await;
    let job = alice
        .client
        .data(
            r#"mutation { createJob(input: { title: "Video editor", description: "secret details" }) { job { id } } }"#,
            json!({}),
        )
        .await["createJob"]["job"]["id"]
        .clone();
    let vars = json!({
        "profile": profile,
        "service": service,
        "item": item,
        "lead": lead,
        "job": job,
        "ticket": ticket["id"],
        "note": note,
        "client": ticket["client"]["id"],
        "spare": spare,
        "bobClient": bob_ticket["client"]["id"],
        "bobTicket": bob_ticket["id"],
        "alice": alice.id,
        "aliceEmail": alice.email,
        "session": mine["viewer"]["sessions"]["nodes"][0]["id"],
        "key": key,
        "notice": mine["viewerNotifications"]["nodes"][0]["id"],
        "request": request,
        "approval": approval,
        "order": bought["order"]["id"],
        "payment": bought["payment"]["id"],
        "billing": billing,
        "outsider": outsider.id,
    });
    for (name, v) in vars.as_object().unwrap() {
        assert!(v.is_string(), "setup: {name} is {v}");
    }

    let db = sea_orm::Database::connect(&server.database_url).await.expect("connect");
    let before = fingerprint(&db).await;
    let mut failures = Vec::new();
    for row in BY_ID {
        let used: serde_json::Map<String, Value> = vars
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| row.op.contains(&format!("${k}:")))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (who, refusals) in row.tries {
            let client = match who {
                Intruder::Customer => &bob.client,
                Intruder::Agent => &outsider.client,
            };
            let reply = client.run(row.op, Value::Object(used.clone())).await;
            let data = &reply.body["data"][row.field];
            let refused = if *refusals == ZERO {
                reply.body.get("errors").is_none() && data["count"] == json!(0) && data["notifications"] == json!([])
            } else {
                reply.error_code().is_some_and(|c| refusals.contains(&c)) && data.is_null()
            };
            if !refused {
                failures.push(format!(
                    "{} as {who:?}: expected {refusals:?}, got {}",
                    row.field, reply.body
                ));
            }
            let text = reply.body.to_string();
            for secret in ["secret details", "her ledger looks odd", "We are looking"] {
                if text.contains(secret) {
                    failures.push(format!("{} as {who:?} leaked {secret:?}: {text}", row.field));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "by id through a mutation:\n{}",
        failures.join("\n")
    );
    let after = fingerprint(&db).await;
    for ((table, b), (_, a)) in before.iter().zip(&after) {
        assert_eq!(b, a, "{table} changed under refused mutations");
    }
    server.stop().await;
}
