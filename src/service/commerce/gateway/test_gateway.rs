//! The development gateway: `X-Test-Gateway-Signature` over the raw body.

use http::HeaderMap;
use serde_json::json;
use uuid::Uuid;

use super::{
    hmac_sha256_hex, hmac_signed_event, payment_method, string_at, uuid_at, Checkout, EventKind, GatewayKind, Paise,
    PaymentGateway, PaymentRequest, WebhookError, WebhookEvent, TEST_SIGNATURE_HEADER,
};

/// The development gateway (see the module docs). Its webhook body:
/// `{"event": "payment.succeeded" | "payment.failed", "paymentId",
/// "providerRef", "amountInr", "currency", "method"}`.
pub struct TestGateway {
    pub secret: String,
}

impl TestGateway {
    /// A signed webhook body for `payment`: `(body, signature)`; send the
    /// signature in `X-Test-Gateway-Signature`.
    pub fn signed_event(&self, payment_id: Uuid, amount: Paise, succeeded: bool) -> (String, String) {
        let body = json!({
            "event": if succeeded { "payment.succeeded" } else { "payment.failed" },
            "paymentId": payment_id,
            "providerRef": format!("test_pay_{}", payment_id.simple()),
            "amountInr": amount.get(),
            "currency": crate::service::money::CurrencyCode::INR.as_str(),
            "method": sea_orm::ActiveEnum::to_value(&entity::enums::PaymentMethod::Upi),
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
        let (v, event_type) = hmac_signed_event(raw_body, headers, TEST_SIGNATURE_HEADER, &self.secret)?;
        let kind = match event_type.as_str() {
            "payment.succeeded" => EventKind::Succeeded,
            "payment.failed" => EventKind::Failed,
            other => EventKind::Other(other.to_string()),
        };
        Ok(WebhookEvent {
            kind,
            payment_id: uuid_at(&v["paymentId"]),
            provider_ref: string_at(&v["providerRef"]),
            amount: v["amountInr"].as_i64().map(Paise),
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
                "amount": r.amount.get(),
                "currency": r.currency,
                "receipt": r.receipt,
                "webhookPath": "/webhooks/payments/test",
            }),
        }
    }
}
