//! The payment gateway abstraction: how a payment is handed to a provider
//! ([`PaymentGateway::create_payment`]) and how the provider's webhook calls
//! are authenticated and read ([`PaymentGateway::verify_webhook`]).
//!
//! Three implementations, all offline (no network calls):
//!
//! - [`Razorpay`]: header `X-Razorpay-Signature` = hex HMAC-SHA256 of the raw
//!   body under the webhook secret. Events `payment.captured` and
//!   `order.paid` succeed a payment, `payment.failed` fails it.
//! - [`Stripe`]: header `Stripe-Signature: t=<unix ts>,v1=<hex>` where the
//!   hex is HMAC-SHA256 of `"<ts>.<raw body>"` under the endpoint secret;
//!   the timestamp must be within the configured tolerance of now (replay
//!   protection). Events `payment_intent.succeeded` and
//!   `payment_intent.payment_failed`.
//! - [`TestGateway`]: development and tests only (enabled by
//!   `SWITCHBOARD_PAYMENTS_TEST_GATEWAY`); header
//!   `X-Test-Gateway-Signature` = hex HMAC-SHA256 of the raw body under
//!   `SWITCHBOARD_PAYMENTS_TEST_SECRET`. [`TestGateway::signed_event`]
//!   produces signed bodies.
//!
//! Signatures are checked before the body is parsed, and compared in
//! constant time. Our payment id travels in the provider's metadata
//! (`notes` for Razorpay, `metadata` for Stripe) under
//! [`PAYMENT_ID_FIELD`].

use hmac::{Hmac, Mac};
use http::HeaderMap;
use serde_json::{json, Value as Json};
use sha2::Sha256;
use uuid::Uuid;

use crate::infra::crypto::constant_time_eq;

/// Metadata key carrying our payment id through the provider.
pub const PAYMENT_ID_FIELD: &str = "switchboard_payment_id";

/// The Razorpay signature header.
pub const RAZORPAY_SIGNATURE_HEADER: &str = "x-razorpay-signature";
/// The Stripe signature header.
pub const STRIPE_SIGNATURE_HEADER: &str = "stripe-signature";
/// The test gateway's signature header.
pub const TEST_SIGNATURE_HEADER: &str = "x-test-gateway-signature";

/// Which implementation handles a payment (the URL segment of the webhook
/// endpoint, lower-cased).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GatewayKind {
    /// Razorpay (see [`Razorpay`]).
    Razorpay,
    /// Stripe (see [`Stripe`]).
    Stripe,
    /// The development gateway; see the module docs.
    Test,
}

impl GatewayKind {
    /// From the webhook URL segment (`razorpay`, `stripe`, `test`).
    pub fn from_path(segment: &str) -> Option<Self> {
        match segment.to_ascii_lowercase().as_str() {
            "razorpay" => Some(GatewayKind::Razorpay),
            "stripe" => Some(GatewayKind::Stripe),
            "test" => Some(GatewayKind::Test),
            _ => None,
        }
    }

    /// The `payment_gateway_configs.gateway_key` of the real providers.
    pub fn db_key(self) -> &'static str {
        match self {
            GatewayKind::Razorpay => "RAZORPAY",
            GatewayKind::Stripe => "STRIPE",
            // The schema knows only the real providers; the test gateway's
            // one configuration row borrows Razorpay's key (see
            // `gateways::TEST_GATEWAY_CONFIG_ID`).
            GatewayKind::Test => "RAZORPAY",
        }
    }

    /// The webhook URL segment.
    pub fn path(self) -> &'static str {
        match self {
            GatewayKind::Razorpay => "razorpay",
            GatewayKind::Stripe => "stripe",
            GatewayKind::Test => "test",
        }
    }
}

/// What a verified webhook says happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// The money was captured.
    Succeeded,
    /// The attempt failed.
    Failed,
    /// Anything else (recorded, changes nothing).
    Other(String),
}

/// A verified, parsed webhook call.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookEvent {
    pub kind: EventKind,
    /// The provider's event name (`payment.captured`).
    pub event_type: String,
    /// Our payment id, from the provider's metadata.
    pub payment_id: Option<Uuid>,
    /// The provider's id of the payment (`pay_...`, `pi_...`).
    pub provider_ref: Option<String>,
    /// Amount in paise.
    pub amount_inr: Option<i64>,
    /// ISO currency code, upper-cased.
    pub currency: Option<String>,
    /// One of `payments.payment_method`'s values, when the provider said.
    pub method: Option<String>,
    /// The whole body as JSON, for the transaction log.
    pub payload: Json,
}

/// Why a webhook call was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// Missing or wrong signature (or a Stripe timestamp out of tolerance).
    #[error("bad or missing signature")]
    BadSignature,
    /// Signed correctly but not a body we understand.
    #[error("malformed webhook body: {0}")]
    Malformed(String),
}

/// What the client needs to pay through the provider's checkout.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkout {
    /// A reference for the checkout (recorded on the INITIATED transaction).
    pub reference: String,
    /// Parameters for the provider's client-side checkout (no secrets).
    pub params: Json,
}

/// A payment about to be handed to a provider.
#[derive(Clone, Debug)]
pub struct PaymentRequest {
    pub payment_id: Uuid,
    pub amount_inr: i64,
    pub currency: String,
    /// Shown as the receipt (the invoice number).
    pub receipt: String,
    pub description: String,
}

/// A payment provider. Implementations hold one configuration's public
/// settings and secrets.
pub trait PaymentGateway: Send + Sync {
    /// Which provider this is.
    fn kind(&self) -> GatewayKind;

    /// Checks the signature over `raw_body` (as received, before any
    /// parsing) and reads the event. `now` is the current Unix time.
    fn verify_webhook(&self, raw_body: &[u8], headers: &HeaderMap, now: i64) -> Result<WebhookEvent, WebhookError>;

    /// Prepares a payment. No network call is made: a production
    /// deployment would create the provider's order / payment intent here;
    /// the parameters returned are what the provider's client checkout takes.
    fn create_payment(&self, request: &PaymentRequest) -> Checkout;
}

/// Hex HMAC-SHA256 of `message` under `secret`.
pub fn hmac_sha256_hex(secret: &[u8], message: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(message);
    let bytes = mac.finalize().into_bytes();
    let mut out = String::with_capacity(64);
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Constant-time check of a hex signature (case-insensitive).
fn signature_matches(expected_hex: &str, given: &str) -> bool {
    let given = given.trim().to_ascii_lowercase();
    !expected_hex.is_empty() && constant_time_eq(expected_hex.as_bytes(), given.as_bytes())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn parse_json(raw: &[u8]) -> Result<Json, WebhookError> {
    let v: Json = serde_json::from_slice(raw).map_err(|e| WebhookError::Malformed(format!("not JSON: {e}")))?;
    if !v.is_object() {
        return Err(WebhookError::Malformed("expected a JSON object".into()));
    }
    Ok(v)
}

fn uuid_at(v: &Json) -> Option<Uuid> {
    v.as_str().and_then(|s| Uuid::parse_str(s.trim()).ok())
}

fn string_at(v: &Json) -> Option<String> {
    v.as_str()
        .map(str::to_string)
        .filter(|s| !s.is_empty() && s.len() <= 200)
}

/// Maps a provider's method name to `payments.payment_method`.
pub fn payment_method(provider_method: &str) -> String {
    match provider_method.to_ascii_lowercase().as_str() {
        "card" => "CARD",
        "upi" => "UPI",
        "netbanking" => "NETBANKING",
        "wallet" => "WALLET",
        "bank_transfer" | "emandate" | "nach" => "BANK_TRANSFER",
        _ => "OTHER",
    }
    .to_string()
}

/// Razorpay (see the module docs).
pub struct Razorpay {
    /// The public key id (`rzp_live_...`), given to the checkout.
    pub key_id: Option<String>,
    pub webhook_secret: String,
}

impl PaymentGateway for Razorpay {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Razorpay
    }

    fn verify_webhook(&self, raw_body: &[u8], headers: &HeaderMap, _now: i64) -> Result<WebhookEvent, WebhookError> {
        let given = header(headers, RAZORPAY_SIGNATURE_HEADER).ok_or(WebhookError::BadSignature)?;
        let expected = hmac_sha256_hex(self.webhook_secret.as_bytes(), raw_body);
        if !signature_matches(&expected, given) {
            return Err(WebhookError::BadSignature);
        }
        let v = parse_json(raw_body)?;
        let event_type = v["event"]
            .as_str()
            .ok_or_else(|| WebhookError::Malformed("no event name".into()))?
            .to_string();
        let entity = &v["payload"]["payment"]["entity"];
        let kind = match event_type.as_str() {
            "payment.captured" | "order.paid" => EventKind::Succeeded,
            "payment.failed" => EventKind::Failed,
            other => EventKind::Other(other.to_string()),
        };
        let order_notes = &v["payload"]["order"]["entity"]["notes"][PAYMENT_ID_FIELD];
        Ok(WebhookEvent {
            kind,
            payment_id: uuid_at(&entity["notes"][PAYMENT_ID_FIELD]).or_else(|| uuid_at(order_notes)),
            provider_ref: string_at(&entity["id"]),
            amount_inr: entity["amount"].as_i64(),
            currency: entity["currency"].as_str().map(str::to_ascii_uppercase),
            method: entity["method"].as_str().map(payment_method),
            event_type,
            payload: v,
        })
    }

    fn create_payment(&self, r: &PaymentRequest) -> Checkout {
        Checkout {
            reference: format!("rzp_{}", r.payment_id.simple()),
            params: json!({
                "key": self.key_id,
                "amount": r.amount_inr,
                "currency": r.currency,
                "receipt": r.receipt,
                "description": r.description,
                "notes": { PAYMENT_ID_FIELD: r.payment_id },
            }),
        }
    }
}

/// Stripe (see the module docs).
pub struct Stripe {
    /// The publishable key (`pk_live_...`), given to the checkout.
    pub publishable_key: Option<String>,
    /// The endpoint's signing secret (`whsec_...`).
    pub webhook_secret: String,
    /// Largest accepted age (and clock skew) of the signed timestamp.
    pub tolerance_secs: i64,
}

impl Stripe {
    /// The `Stripe-Signature` header value for `body` at `timestamp`.
    pub fn signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
        let mut signed = format!("{timestamp}.").into_bytes();
        signed.extend_from_slice(body);
        format!("t={timestamp},v1={}", hmac_sha256_hex(secret.as_bytes(), &signed))
    }
}

impl PaymentGateway for Stripe {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Stripe
    }

    fn verify_webhook(&self, raw_body: &[u8], headers: &HeaderMap, now: i64) -> Result<WebhookEvent, WebhookError> {
        let given = header(headers, STRIPE_SIGNATURE_HEADER).ok_or(WebhookError::BadSignature)?;
        let mut timestamp: Option<i64> = None;
        let mut candidates = Vec::new();
        for part in given.split(',') {
            match part.trim().split_once('=') {
                Some(("t", t)) => timestamp = t.trim().parse().ok(),
                Some(("v1", sig)) => candidates.push(sig.trim()),
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or(WebhookError::BadSignature)?;
        let mut signed = format!("{timestamp}.").into_bytes();
        signed.extend_from_slice(raw_body);
        let expected = hmac_sha256_hex(self.webhook_secret.as_bytes(), &signed);
        // Check every candidate so the time taken does not depend on which matched.
        let matched = candidates
            .iter()
            .fold(false, |ok, c| signature_matches(&expected, c) | ok);
        if !matched || (now - timestamp).abs() > self.tolerance_secs {
            return Err(WebhookError::BadSignature);
        }
        let v = parse_json(raw_body)?;
        let event_type = v["type"]
            .as_str()
            .ok_or_else(|| WebhookError::Malformed("no event type".into()))?
            .to_string();
        let object = &v["data"]["object"];
        let kind = match event_type.as_str() {
            "payment_intent.succeeded" => EventKind::Succeeded,
            "payment_intent.payment_failed" => EventKind::Failed,
            other => EventKind::Other(other.to_string()),
        };
        Ok(WebhookEvent {
            kind,
            payment_id: uuid_at(&object["metadata"][PAYMENT_ID_FIELD]),
            provider_ref: string_at(&object["id"]),
            amount_inr: object["amount_received"]
                .as_i64()
                .filter(|a| *a > 0)
                .or_else(|| object["amount"].as_i64()),
            currency: object["currency"].as_str().map(str::to_ascii_uppercase),
            method: object["payment_method_types"][0].as_str().map(payment_method),
            event_type,
            payload: v,
        })
    }

    fn create_payment(&self, r: &PaymentRequest) -> Checkout {
        Checkout {
            reference: format!("stripe_{}", r.payment_id.simple()),
            params: json!({
                "publishableKey": self.publishable_key,
                "amount": r.amount_inr,
                "currency": r.currency.to_ascii_lowercase(),
                "description": r.description,
                "metadata": { PAYMENT_ID_FIELD: r.payment_id, "receipt": r.receipt },
            }),
        }
    }
}

/// The development gateway (see the module docs). Its webhook body:
/// `{"event": "payment.succeeded" | "payment.failed", "paymentId",
/// "providerRef", "amountInr", "currency", "method"}`.
pub struct TestGateway {
    pub secret: String,
}

impl TestGateway {
    /// A signed webhook body for `payment`: `(body, signature)`; send the
    /// signature in `X-Test-Gateway-Signature`.
    pub fn signed_event(&self, payment_id: Uuid, amount_inr: i64, succeeded: bool) -> (String, String) {
        let body = json!({
            "event": if succeeded { "payment.succeeded" } else { "payment.failed" },
            "paymentId": payment_id,
            "providerRef": format!("test_pay_{}", payment_id.simple()),
            "amountInr": amount_inr,
            "currency": "INR",
            "method": "UPI",
        })
        .to_string();
        let signature = hmac_sha256_hex(self.secret.as_bytes(), body.as_bytes());
        (body, signature)
    }
}

impl PaymentGateway for TestGateway {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Test
    }

    fn verify_webhook(&self, raw_body: &[u8], headers: &HeaderMap, _now: i64) -> Result<WebhookEvent, WebhookError> {
        let given = header(headers, TEST_SIGNATURE_HEADER).ok_or(WebhookError::BadSignature)?;
        let expected = hmac_sha256_hex(self.secret.as_bytes(), raw_body);
        if !signature_matches(&expected, given) {
            return Err(WebhookError::BadSignature);
        }
        let v = parse_json(raw_body)?;
        let event_type = v["event"]
            .as_str()
            .ok_or_else(|| WebhookError::Malformed("no event name".into()))?
            .to_string();
        let kind = match event_type.as_str() {
            "payment.succeeded" => EventKind::Succeeded,
            "payment.failed" => EventKind::Failed,
            other => EventKind::Other(other.to_string()),
        };
        Ok(WebhookEvent {
            kind,
            payment_id: uuid_at(&v["paymentId"]),
            provider_ref: string_at(&v["providerRef"]),
            amount_inr: v["amountInr"].as_i64(),
            currency: v["currency"].as_str().map(str::to_ascii_uppercase),
            method: v["method"].as_str().map(payment_method),
            event_type,
            payload: v,
        })
    }

    fn create_payment(&self, r: &PaymentRequest) -> Checkout {
        Checkout {
            reference: format!("test_{}", r.payment_id.simple()),
            params: json!({
                "testGateway": true,
                "paymentId": r.payment_id,
                "amount": r.amount_inr,
                "currency": r.currency,
                "receipt": r.receipt,
                "webhookPath": "/webhooks/payments/test",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(name: &'static str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn razorpay_signature_is_hex_hmac_of_the_raw_body() {
        let id = Uuid::new_v4();
        let body = json!({
            "event": "payment.captured",
            "payload": {"payment": {"entity": {
                "id": "pay_ABC", "amount": 11800, "currency": "INR", "method": "upi",
                "notes": {PAYMENT_ID_FIELD: id.to_string()}
            }}}
        })
        .to_string();
        let gw = Razorpay {
            key_id: Some("rzp_test_1".into()),
            webhook_secret: "whs_razor".into(),
        };
        // The known vector, computed independently of the gateway.
        let sig = hmac_sha256_hex(b"whs_razor", body.as_bytes());
        let ev = gw
            .verify_webhook(body.as_bytes(), &headers(RAZORPAY_SIGNATURE_HEADER, &sig), 0)
            .expect("valid signature");
        assert_eq!(ev.kind, EventKind::Succeeded);
        assert_eq!(ev.payment_id, Some(id));
        assert_eq!(ev.provider_ref.as_deref(), Some("pay_ABC"));
        assert_eq!(ev.amount_inr, Some(11800));
        assert_eq!(ev.currency.as_deref(), Some("INR"));
        assert_eq!(ev.method.as_deref(), Some("UPI"));
        // Upper-case hex is the same signature.
        assert!(gw
            .verify_webhook(
                body.as_bytes(),
                &headers(RAZORPAY_SIGNATURE_HEADER, &sig.to_uppercase()),
                0
            )
            .is_ok());
        // A changed body, a wrong secret, no header: refused before parsing.
        let tampered = body.replace("11800", "11801");
        assert_eq!(
            gw.verify_webhook(tampered.as_bytes(), &headers(RAZORPAY_SIGNATURE_HEADER, &sig), 0),
            Err(WebhookError::BadSignature)
        );
        let other = hmac_sha256_hex(b"other", body.as_bytes());
        assert_eq!(
            gw.verify_webhook(body.as_bytes(), &headers(RAZORPAY_SIGNATURE_HEADER, &other), 0),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            gw.verify_webhook(body.as_bytes(), &HeaderMap::new(), 0),
            Err(WebhookError::BadSignature)
        );
        // Signed garbage is malformed, not a bad signature.
        let sig = hmac_sha256_hex(b"whs_razor", b"not json");
        assert!(matches!(
            gw.verify_webhook(b"not json", &headers(RAZORPAY_SIGNATURE_HEADER, &sig), 0),
            Err(WebhookError::Malformed(_))
        ));
    }

    #[test]
    fn razorpay_known_vector() {
        // Fixed inputs and the digest computed with `openssl dgst -sha256 -hmac`.
        let body = br#"{"event":"payment.failed"}"#;
        let sig = "3c407f8afb89abced11ee28b31d706526d8a3276feb7a3bd57c76ac3c9b03959";
        assert_eq!(hmac_sha256_hex(b"secret", body), sig);
        let gw = Razorpay {
            key_id: None,
            webhook_secret: "secret".into(),
        };
        let ev = gw
            .verify_webhook(body, &headers(RAZORPAY_SIGNATURE_HEADER, sig), 0)
            .unwrap();
        assert_eq!(ev.kind, EventKind::Failed);
        assert_eq!(ev.payment_id, None);
    }

    #[test]
    fn stripe_known_vector() {
        // Digest computed with `openssl dgst -sha256 -hmac whsec_test` over "<t>.<body>".
        let body = br#"{"type":"payment_intent.succeeded"}"#;
        let header_value = "t=1700000000,v1=a918da27442ada23a81bf0ac2f31111d9586acba6c887ff758d43930c445ea41";
        assert_eq!(
            Stripe::signature_header("whsec_test", 1_700_000_000, body),
            header_value
        );
        let gw = Stripe {
            publishable_key: None,
            webhook_secret: "whsec_test".into(),
            tolerance_secs: 300,
        };
        let ev = gw
            .verify_webhook(body, &headers(STRIPE_SIGNATURE_HEADER, header_value), 1_700_000_100)
            .unwrap();
        assert_eq!(ev.kind, EventKind::Succeeded);
    }

    #[test]
    fn stripe_signature_covers_timestamp_and_body_within_tolerance() {
        let id = Uuid::new_v4();
        let body = json!({
            "id": "evt_1", "type": "payment_intent.succeeded",
            "data": {"object": {"id": "pi_1", "amount": 5000, "amount_received": 5000, "currency": "inr",
                "payment_method_types": ["card"], "metadata": {PAYMENT_ID_FIELD: id.to_string()}}}
        })
        .to_string();
        let gw = Stripe {
            publishable_key: Some("pk_test_1".into()),
            webhook_secret: "whsec_test".into(),
            tolerance_secs: 300,
        };
        let t = 1_700_000_000;
        // The known vector: HMAC over "<t>.<body>", computed by hand here.
        let v1 = hmac_sha256_hex(b"whsec_test", format!("{t}.{body}").as_bytes());
        let header_value = format!("t={t},v1={v1}");
        assert_eq!(header_value, Stripe::signature_header("whsec_test", t, body.as_bytes()));
        let ev = gw
            .verify_webhook(
                body.as_bytes(),
                &headers(STRIPE_SIGNATURE_HEADER, &header_value),
                t + 10,
            )
            .expect("valid");
        assert_eq!(ev.kind, EventKind::Succeeded);
        assert_eq!(ev.payment_id, Some(id));
        assert_eq!(ev.amount_inr, Some(5000));
        assert_eq!(ev.currency.as_deref(), Some("INR"));
        assert_eq!(ev.method.as_deref(), Some("CARD"));
        // Several v1 values (secret rotation): any one may match.
        let rotated = format!("t={t},v1={},v1={v1}", "0".repeat(64));
        assert!(gw
            .verify_webhook(body.as_bytes(), &headers(STRIPE_SIGNATURE_HEADER, &rotated), t)
            .is_ok());
        // Too old, or from the future beyond the tolerance.
        assert_eq!(
            gw.verify_webhook(
                body.as_bytes(),
                &headers(STRIPE_SIGNATURE_HEADER, &header_value),
                t + 301
            ),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            gw.verify_webhook(
                body.as_bytes(),
                &headers(STRIPE_SIGNATURE_HEADER, &header_value),
                t - 301
            ),
            Err(WebhookError::BadSignature)
        );
        // The timestamp is signed: changing it breaks the signature.
        let moved = format!("t={},v1={v1}", t + 1);
        assert_eq!(
            gw.verify_webhook(body.as_bytes(), &headers(STRIPE_SIGNATURE_HEADER, &moved), t),
            Err(WebhookError::BadSignature)
        );
        // Only v1 counts (v0 is Stripe's test-mode legacy scheme).
        let v0_only = format!("t={t},v0={v1}");
        assert_eq!(
            gw.verify_webhook(body.as_bytes(), &headers(STRIPE_SIGNATURE_HEADER, &v0_only), t),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn test_gateway_signs_what_it_verifies() {
        let gw = TestGateway {
            secret: "test-secret".into(),
        };
        let id = Uuid::new_v4();
        let (body, sig) = gw.signed_event(id, 1234, true);
        assert_eq!(sig, hmac_sha256_hex(b"test-secret", body.as_bytes()));
        let ev = gw
            .verify_webhook(body.as_bytes(), &headers(TEST_SIGNATURE_HEADER, &sig), 0)
            .unwrap();
        assert_eq!(ev.kind, EventKind::Succeeded);
        assert_eq!(ev.payment_id, Some(id));
        assert_eq!(ev.amount_inr, Some(1234));
        let other = TestGateway { secret: "x".into() };
        assert_eq!(
            other.verify_webhook(body.as_bytes(), &headers(TEST_SIGNATURE_HEADER, &sig), 0),
            Err(WebhookError::BadSignature)
        );
    }
}
