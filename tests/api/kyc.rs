//! KYC end to end (issue 12): submitted through a real multipart request,
//! reviewed through the approval engine (KycApplier), read back by the
//! user (`viewer { kyc }`) and by reviewers (masked ID number, document
//! links), expired by the background pass exactly once. The ID number
//! never comes back in the clear, and is absent from the logs, the stored
//! row and the SDL.
//!
//! Decisions go through the engine's pinned `approveRequest` and
//! `rejectRequest` mutations.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::storage::{count, db, submit_kyc};
use crate::support::personas::Persona;
use crate::support::{scratch_dir, ServerOptions, TestServer};

const ID_NUMBER: &str = "Z9Q8-7766-5544";

/// Everything the server logs while a test runs on this thread.
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

async fn server() -> TestServer {
    TestServer::with(ServerOptions {
        env: vec![("SWITCHBOARD_DATA_DIR", scratch_dir("kyc").display().to_string())],
        ..Default::default()
    })
    .await
}

/// `reviewer` approves (or rejects, with `remarks`) through GraphQL.
async fn decide(reviewer: &Persona, request: &str, approve: bool, remarks: Option<&str>) {
    let r = crate::approvals::review(reviewer, request, approve, remarks).await;
    assert_eq!(r.error_code(), None, "{:?}", r.body);
}

const VIEWER_KYC: &str =
    "{ viewer { kyc { status expiresAt verifiedAt rejectionReason maskedDocumentNumber approvalRequestId } } }";

#[tokio::test]
async fn kyc_is_submitted_reviewed_and_verified_without_leaking_the_id_number() {
    let logs = Captured::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = server().await;
    let admin = server.admin().await;
    let compliance = server.with_role(&admin, "compliance", "compliance").await;
    let alice = server.customer("alice").await;
    let mut bodies = Vec::new();
    // Callsites that other tests' threads registered while this
    // subscriber was being set can keep a stale "never" interest.
    tracing::callsite::rebuild_interest_cache();

    let reply = submit_kyc(&alice.client, ID_NUMBER).await;
    bodies.push(reply.body.to_string());
    let kyc = reply.data()["submitKyc"]["kyc"].clone();
    assert_eq!(kyc["status"], "PENDING");
    assert_eq!(kyc["maskedDocumentNumber"], "****5544");

    let again = submit_kyc(&alice.client, ID_NUMBER).await;
    bodies.push(again.body.to_string());
    assert_eq!(again.error_code(), Some("CONFLICT"), "one pending submission");

    let mine = alice.client.data(VIEWER_KYC, json!({})).await;
    bodies.push(mine.to_string());
    assert_eq!(mine["viewer"]["kyc"]["status"], "PENDING");
    let request = mine["viewer"]["kyc"]["approvalRequestId"].as_str().unwrap().to_string();

    // Reviewers read it masked, with links to the images.
    let q = "query($u: ID!) { kycSubmission(userId: $u) { status fullName maskedDocumentNumber \
             documents { documentType downloadUrl } } }";
    let seen = compliance.client.data(q, json!({"u": alice.id})).await;
    bodies.push(seen.to_string());
    assert_eq!(seen["kycSubmission"]["maskedDocumentNumber"], "****5544");
    assert_eq!(seen["kycSubmission"]["documents"].as_array().unwrap().len(), 3);
    let link = seen["kycSubmission"]["documents"][2]["downloadUrl"].as_str().unwrap();
    let res = crate::storage::fetch(&server, link, Some(&compliance.access_token)).await;
    assert_eq!(res.status(), 200);
    // A customer is no reviewer; nor sees another's KYC on a user.
    let other = server.customer("other").await;
    assert_eq!(
        other.client.run(q, json!({"u": alice.id})).await.error_code(),
        Some("FORBIDDEN")
    );

    // Nobody reviews their own; the compliance officer approves.
    let own = crate::approvals::review(&alice, &request, true, None).await;
    assert_eq!(
        own.error_code(),
        Some("FORBIDDEN"),
        "self-review refused: {:?}",
        own.body
    );
    decide(&compliance, &request, true, None).await;

    let mine = alice.client.data(VIEWER_KYC, json!({})).await;
    bodies.push(mine.to_string());
    let k = &mine["viewer"]["kyc"];
    assert_eq!(k["status"], "VERIFIED");
    let expires: chrono::DateTime<chrono::Utc> = k["expiresAt"].as_str().unwrap().parse().unwrap();
    let days = (expires - chrono::Utc::now()).num_days();
    assert!((364..=365).contains(&days), "valid for kyc.validity (365 days): {days}");

    // What the server logged, before this test's own SQL (which names
    // the number) is logged too.
    let captured = logs.text();
    let db = db(&server).await;
    let leaked = count(
        &db,
        &format!(
            "SELECT count(*) FROM user_kyc WHERE position(convert_to('{ID_NUMBER}', 'UTF8') in id_number_encrypted) > 0"
        ),
    )
    .await;
    assert_eq!(leaked, 0, "stored sealed");
    let audit = count(
        &db,
        &format!("SELECT count(*) FROM audit_logs WHERE concat(before_json::text, after_json::text, metadata_json::text) LIKE '%{ID_NUMBER}%'"),
    )
    .await;
    assert_eq!(audit, 0, "not in the audit trail");
    let logs_of_vr = count(&db, "SELECT count(*) FROM verification_logs").await;
    assert_eq!(logs_of_vr, 2, "submitted, approved");
    for b in &bodies {
        assert!(!b.contains(ID_NUMBER), "returned in the clear: {b}");
    }
    assert!(!switchboard::graphql::sdl().contains(ID_NUMBER));
    assert!(
        captured.contains("path=/graphql") && captured.contains("user_kyc"),
        "the server's logs were captured"
    );
    let leaks: Vec<&str> = captured.lines().filter(|l| l.contains(ID_NUMBER)).collect();
    assert!(leaks.is_empty(), "the ID number is in the logs: {leaks:#?}");
}

#[tokio::test]
async fn a_rejected_kyc_says_why_and_can_be_submitted_again() {
    let server = server().await;
    let admin = server.admin().await;
    let alice = server.customer("alice").await;
    submit_kyc(&alice.client, ID_NUMBER).await.data();
    let mine = alice.client.data(VIEWER_KYC, json!({})).await;
    let request = mine["viewer"]["kyc"]["approvalRequestId"].as_str().unwrap().to_string();
    decide(&admin, &request, false, Some("the selfie is blurred")).await;
    let mine = alice.client.data(VIEWER_KYC, json!({})).await;
    assert_eq!(mine["viewer"]["kyc"]["status"], "REJECTED");
    assert_eq!(mine["viewer"]["kyc"]["rejectionReason"], "the selfie is blurred");
    let again = submit_kyc(&alice.client, ID_NUMBER).await;
    assert_eq!(again.data()["submitKyc"]["kyc"]["status"], "PENDING");
    let mine = alice.client.data(VIEWER_KYC, json!({})).await;
    assert_eq!(mine["viewer"]["kyc"]["rejectionReason"], Value::Null);
    assert_ne!(mine["viewer"]["kyc"]["approvalRequestId"].as_str().unwrap(), request);
}

#[tokio::test]
async fn verified_kyc_expires_once_even_with_concurrent_passes() {
    let server = server().await;
    let admin = server.admin().await;
    let alice = server.customer("alice").await;
    submit_kyc(&alice.client, ID_NUMBER).await.data();
    let mine = alice.client.data(VIEWER_KYC, json!({})).await;
    let request = mine["viewer"]["kyc"]["approvalRequestId"].as_str().unwrap().to_string();
    decide(&admin, &request, true, None).await;
    let db = db(&server).await;
    sea_orm::ConnectionTrait::execute_unprepared(
        &db,
        &format!(
            "UPDATE user_kyc SET expires_at = now() - interval '1 minute' WHERE user_id = '{}'",
            alice.id
        ),
    )
    .await
    .unwrap();
    use switchboard::service::verification::kyc::expire_due;
    let (a, b) = tokio::join!(
        expire_due(&server.ctx.background_db, &server.ctx.bus),
        expire_due(&server.ctx.db.primary, &server.ctx.bus)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1, "expired exactly once");
    let mine = alice.client.data(VIEWER_KYC, json!({})).await;
    assert_eq!(mine["viewer"]["kyc"]["status"], "EXPIRED");
    let audited = count(
        &db,
        "SELECT count(*) FROM audit_logs WHERE entity_type = 'USER_KYC' AND summary = 'KYC expired'",
    )
    .await;
    assert_eq!(audited, 1);
    // Expired: a new submission is allowed.
    assert_eq!(
        submit_kyc(&alice.client, ID_NUMBER).await.data()["submitKyc"]["kyc"]["status"],
        "PENDING"
    );
}
