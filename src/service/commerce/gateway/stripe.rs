//! Stripe: `Stripe-Signature: t=<ts>,v1=<hex>` over `"<ts>.<raw body>"`,
//! with a bounded timestamp age.

use http::HeaderMap;
use serde_json::json;

use super::{
    header, hmac_sha256_hex, parse_json, payment_method, signature_matches, string_at, uuid_at, Checkout, EventKind,
    GatewayKind, Paise, PaymentGateway, PaymentRequest, WebhookError, WebhookEvent, PAYMENT_ID_FIELD,
    STRIPE_SIGNATURE_HEADER,
};

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
            amount: object["amount_received"]
                .as_i64()
                .filter(|a| *a > 0)
                .or_else(|| object["amount"].as_i64())
                .map(Paise),
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
                "amount": r.amount.get(),
                "currency": r.currency.to_ascii_lowercase(),
                "description": r.description,
                "metadata": { PAYMENT_ID_FIELD: r.payment_id, "receipt": r.receipt },
            }),
        }
    }
}
