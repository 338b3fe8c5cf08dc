//! Signature checks and parsing of each provider's webhooks.
use super::*;
use http::HeaderValue;
use serde_json::json;

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
    assert_eq!(ev.amount, Some(Paise(11800)));
    assert_eq!(ev.currency.as_deref(), Some("INR"));
    assert_eq!(ev.method, Some(PaymentMethod::Upi));
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
    assert_eq!(ev.amount, Some(Paise(5000)));
    assert_eq!(ev.currency.as_deref(), Some("INR"));
    assert_eq!(ev.method, Some(PaymentMethod::Card));
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
    let (body, sig) = gw.signed_event(id, Paise(1234), true);
    assert_eq!(sig, hmac_sha256_hex(b"test-secret", body.as_bytes()));
    let ev = gw
        .verify_webhook(body.as_bytes(), &headers(TEST_SIGNATURE_HEADER, &sig), 0)
        .unwrap();
    assert_eq!(ev.kind, EventKind::Succeeded);
    assert_eq!(ev.payment_id, Some(id));
    assert_eq!(ev.amount, Some(Paise(1234)));
    let other = TestGateway { secret: "x".into() };
    assert_eq!(
        other.verify_webhook(body.as_bytes(), &headers(TEST_SIGNATURE_HEADER, &sig), 0),
        Err(WebhookError::BadSignature)
    );
}
