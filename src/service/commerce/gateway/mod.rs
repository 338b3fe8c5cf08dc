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

mod razorpay;
mod stripe;
mod test_gateway;
#[cfg(test)]
mod tests;

pub use razorpay::Razorpay;
pub use stripe::Stripe;
pub use test_gateway::TestGateway;

use entity::enums::{PaymentGateway as GatewayKey, PaymentMethod};
use hmac::{Hmac, Mac};
use http::HeaderMap;
use serde_json::Value as Json;
use sha2::Sha256;
use uuid::Uuid;

use super::money::Paise;
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
    pub fn db_key(self) -> GatewayKey {
        match self {
            GatewayKind::Razorpay => GatewayKey::Razorpay,
            GatewayKind::Stripe => GatewayKey::Stripe,
            // The schema knows only the real providers; the test gateway's
            // one configuration row borrows Razorpay's key (see
            // `gateways::TEST_GATEWAY_CONFIG_ID`).
            GatewayKind::Test => GatewayKey::Razorpay,
        }
    }

    /// The implementation of a real provider's key.
    pub fn of_key(key: GatewayKey) -> Self {
        match key {
            GatewayKey::Razorpay => GatewayKind::Razorpay,
            GatewayKey::Stripe => GatewayKind::Stripe,
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
    /// The amount the provider reports.
    pub amount: Option<Paise>,
    /// ISO currency code, upper-cased.
    pub currency: Option<String>,
    /// How the buyer paid, when the provider said.
    pub method: Option<PaymentMethod>,
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
    pub amount: Paise,
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
pub(crate) fn signature_matches(expected_hex: &str, given: &str) -> bool {
    let given = given.trim().to_ascii_lowercase();
    !expected_hex.is_empty() && constant_time_eq(expected_hex.as_bytes(), given.as_bytes())
}

pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub(crate) fn parse_json(raw: &[u8]) -> Result<Json, WebhookError> {
    let v: Json = serde_json::from_slice(raw).map_err(|e| WebhookError::Malformed(format!("not JSON: {e}")))?;
    if !v.is_object() {
        return Err(WebhookError::Malformed("expected a JSON object".into()));
    }
    Ok(v)
}

pub(crate) fn uuid_at(v: &Json) -> Option<Uuid> {
    v.as_str().and_then(|s| Uuid::parse_str(s.trim()).ok())
}

pub(crate) fn string_at(v: &Json) -> Option<String> {
    v.as_str()
        .map(str::to_string)
        .filter(|s| !s.is_empty() && s.len() <= 200)
}

/// Maps a provider's method name to how the buyer paid.
pub fn payment_method(provider_method: &str) -> PaymentMethod {
    match provider_method.to_ascii_lowercase().as_str() {
        "card" => PaymentMethod::Card,
        "upi" => PaymentMethod::Upi,
        "netbanking" => PaymentMethod::Netbanking,
        "wallet" => PaymentMethod::Wallet,
        "bank_transfer" | "emandate" | "nach" => PaymentMethod::BankTransfer,
        _ => PaymentMethod::Other,
    }
}

/// The body of a call signed with a hex HMAC-SHA256 of the raw body in
/// header `name` (Razorpay and the test gateway), parsed, with its
/// `"event"` name; the signature is checked before anything is parsed.
pub(crate) fn hmac_signed_event(
    raw_body: &[u8],
    headers: &HeaderMap,
    name: &str,
    secret: &str,
) -> Result<(Json, String), WebhookError> {
    let given = header(headers, name).ok_or(WebhookError::BadSignature)?;
    let expected = hmac_sha256_hex(secret.as_bytes(), raw_body);
    if !signature_matches(&expected, given) {
        return Err(WebhookError::BadSignature);
    }
    let v = parse_json(raw_body)?;
    let event_type = v["event"]
        .as_str()
        .ok_or_else(|| WebhookError::Malformed("no event name".into()))?
        .to_string();
    Ok((v, event_type))
}
