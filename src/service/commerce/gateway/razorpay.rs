//! Razorpay: `X-Razorpay-Signature` over the raw body.

use http::HeaderMap;
use serde_json::json;

use super::{
    hmac_signed_event, payment_method, string_at, uuid_at, Checkout, EventKind, GatewayKind, Paise, PaymentGateway,
    PaymentRequest, WebhookError, WebhookEvent, PAYMENT_ID_FIELD, RAZORPAY_SIGNATURE_HEADER,
};

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
        let (v, event_type) = hmac_signed_event(raw_body, headers, RAZORPAY_SIGNATURE_HEADER, &self.webhook_secret)?;
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
            amount: entity["amount"].as_i64().map(Paise),
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
                "amount": r.amount.get(),
                "currency": r.currency,
                "receipt": r.receipt,
                "description": r.description,
                "notes": { PAYMENT_ID_FIELD: r.payment_id },
            }),
        }
    }
}
