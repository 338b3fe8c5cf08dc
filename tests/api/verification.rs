//! Verification requests (issue 12) through real multipart requests:
//! per-document review, DOCUMENTS_REQUESTED and the upload that returns
//! the request to PENDING, the engine's decision applied to the request
//! and to a role profile, one append-only log row per transition, and
//! nobody but the owner and reviewers seeing a request.
//!
//! Decisions go through the engine's pinned `approveRequest` mutation.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{json, Value};

use crate::storage::{count, db, jpeg, png, upload, FilePart};
use crate::support::personas::Persona;
use crate::support::{scratch_dir, ServerOptions, TestServer};

const REQUEST_FIELDS: &str =
    "id status remarks userRoleProfileId documents { id documentType status mimeType remarks }";

async fn server() -> TestServer {
    TestServer::with(ServerOptions {
        env: vec![(
            "SWITCHBOARD_DATA_DIR",
            scratch_dir("verification").display().to_string(),
        )],
        ..Default::default()
    })
    .await
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF".to_vec()
}

async fn submit(p: &Persona, profile: Option<&str>) -> crate::support::gql::Reply {
    upload(
        &p.client,
        &format!(
            "mutation($input: SubmitVerificationRequestInput!) {{ submitVerificationRequest(input: $input) \
             {{ verificationRequest {{ {REQUEST_FIELDS} }} }} }}"
        ),
        json!({"input": {"verificationType": "BUSINESS", "userRoleProfileId": profile, "documents": [
            {"documentType": "BUSINESS_REGISTRATION", "file": null},
            {"documentType": "TAX_CERTIFICATE", "file": null},
        ]}}),
        vec![
            FilePart::new("input.documents.0.file", "reg.pdf", "application/pdf", pdf()),
            FilePart::new("input.documents.1.file", "tax.png", "image/png", png()),
        ],
    )
    .await
}

async fn approval_of(db: &DatabaseConnection, entity: &str) -> String {
    let row = db
        .query_one_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!("SELECT id::text AS id FROM approval_requests WHERE entity_id = '{entity}' AND status = 'PENDING'"),
        ))
        .await
        .unwrap()
        .expect("a pending approval request");
    row.try_get::<String>("", "id").unwrap()
}

/// Whether `reviewer` approves request `id` through `approveRequest`.
async fn approve(reviewer: &Persona, id: &str) -> bool {
    crate::approvals::review(reviewer, id, true, None)
        .await
        .error_code()
        .is_none()
}

const REVIEW_DOC: &str = "mutation($i: ReviewVerificationDocumentInput!) { reviewVerificationDocument(input: $i) \
     { document { id status remarks } } }";
const ASK: &str = "mutation($i: RequestVerificationDocumentsInput!) { requestVerificationDocuments(input: $i) \
     { verificationRequest { status remarks } } }";
const UPLOAD: &str =
    "mutation($input: UploadVerificationDocumentsInput!) { uploadVerificationDocuments(input: $input) \
     { verificationRequest { status documents { id } } } }";
const READ: &str = "query($id: ID!) { verificationRequest(id: $id) { status remarks documents { id status } } }";

#[tokio::test]
async fn documents_are_reviewed_more_are_requested_and_the_engine_decides() {
    let server = server().await;
    let admin = server.admin().await;
    let compliance = server.with_role(&admin, "compliance", "compliance").await;
    let alice = server.customer("alice").await;
    let bob = server.customer("bob").await;
    let db = db(&server).await;

    let reply = submit(&alice, None).await;
    let vr = reply.data()["submitVerificationRequest"]["verificationRequest"].clone();
    assert_eq!(vr["status"], "PENDING");
    assert_eq!(vr["documents"][0]["mimeType"], "application/pdf");
    assert_eq!(vr["documents"][1]["mimeType"], "image/png");
    let id = vr["id"].as_str().unwrap().to_string();
    let (d0, d1) = (vr["documents"][0]["id"].clone(), vr["documents"][1]["id"].clone());
    let again = submit(&alice, None).await;
    assert_eq!(
        again.error_code(),
        Some("CONFLICT"),
        "one open request per subject and type"
    );

    // Others see nothing; customers review nothing.
    assert_eq!(
        bob.client.data(READ, json!({"id": id})).await["verificationRequest"],
        Value::Null
    );
    let mine = bob
        .client
        .data("{ viewerVerificationRequests { id } }", json!({}))
        .await;
    assert_eq!(mine["viewerVerificationRequests"], json!([]));
    let intrusion = upload(
        &bob.client,
        UPLOAD,
        json!({"input": {"verificationRequestId": id, "documents": [{"documentType": "OTHER", "file": null}]}}),
        vec![FilePart::new("input.documents.0.file", "x.png", "image/png", png())],
    )
    .await;
    assert_eq!(intrusion.error_code(), Some("NOT_FOUND"), "another's request");
    assert_eq!(count(&db, "SELECT count(*) FROM verification_documents").await, 2);
    let refused = alice
        .client
        .run(REVIEW_DOC, json!({"i": {"documentId": d0, "approve": true}}))
        .await;
    assert_eq!(refused.error_code(), Some("FORBIDDEN"));

    // Per-document review; a rejection needs remarks.
    let ok = compliance
        .client
        .data(REVIEW_DOC, json!({"i": {"documentId": d0, "approve": true}}))
        .await;
    assert_eq!(ok["reviewVerificationDocument"]["document"]["status"], "APPROVED");
    let bare = compliance
        .client
        .run(REVIEW_DOC, json!({"i": {"documentId": d1, "approve": false}}))
        .await;
    assert_eq!(bare.error_code(), Some("BAD_USER_INPUT"));
    assert_eq!(bare.body["errors"][0]["extensions"]["fields"], json!(["remarks"]));
    let no = compliance
        .client
        .data(
            REVIEW_DOC,
            json!({"i": {"documentId": d1, "approve": false, "remarks": "unreadable scan"}}),
        )
        .await;
    assert_eq!(no["reviewVerificationDocument"]["document"]["status"], "REJECTED");

    // More documents asked for: the engine cannot approve meanwhile.
    let asked = compliance
        .client
        .data(
            ASK,
            json!({"i": {"verificationRequestId": id, "remarks": "a clearer tax certificate"}}),
        )
        .await;
    assert_eq!(
        asked["requestVerificationDocuments"]["verificationRequest"]["status"],
        "DOCUMENTS_REQUESTED"
    );
    let seen = alice.client.data(READ, json!({"id": id})).await;
    assert_eq!(seen["verificationRequest"]["remarks"], "a clearer tax certificate");
    let approval = approval_of(&db, &id).await;
    assert!(!approve(&compliance, &approval).await);
    assert_eq!(
        count(
            &db,
            &format!("SELECT count(*) FROM approval_requests WHERE id = '{approval}' AND status = 'PENDING'")
        )
        .await,
        1,
        "a failing applier leaves the review pending"
    );

    // The upload returns it to PENDING.
    let up = upload(
        &alice.client,
        UPLOAD,
        json!({"input": {"verificationRequestId": id, "documents": [{"documentType": "TAX_CERTIFICATE", "file": null}]}}),
        vec![FilePart::new("input.documents.0.file", "tax2.jpg", "image/jpeg", jpeg())],
    )
    .await;
    let up = &up.data()["uploadVerificationDocuments"]["verificationRequest"];
    assert_eq!(up["status"], "PENDING");
    assert_eq!(up["documents"].as_array().unwrap().len(), 3);
    assert!(!approve(&alice, &approval).await, "never one's own");
    assert!(approve(&compliance, &approval).await);
    assert_eq!(
        alice.client.data(READ, json!({"id": id})).await["verificationRequest"]["status"],
        "APPROVED"
    );

    // One log row per transition, in order; they refuse UPDATE and DELETE.
    let rows = db
        .query_all_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!(
                "SELECT action || ':' || coalesce(old_status, '-') || '>' || new_status AS t FROM verification_logs \
                 WHERE verification_request_id = '{id}' ORDER BY created_at, id"
            ),
        ))
        .await
        .unwrap();
    let trail: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "t").unwrap()).collect();
    assert_eq!(
        trail,
        [
            "SUBMITTED:->PENDING",
            "COMMENTED:PENDING>PENDING",
            "COMMENTED:PENDING>PENDING",
            "DOCUMENTS_REQUESTED:PENDING>DOCUMENTS_REQUESTED",
            "DOCUMENT_UPLOADED:DOCUMENTS_REQUESTED>PENDING",
            "APPROVED:PENDING>APPROVED",
        ]
    );
    let upd = db
        .execute_unprepared(&format!(
            "UPDATE verification_logs SET remarks = 'x' WHERE verification_request_id = '{id}'"
        ))
        .await;
    assert!(upd.is_err(), "log rows refuse UPDATE");
    let del = db
        .execute_unprepared(&format!(
            "DELETE FROM verification_logs WHERE verification_request_id = '{id}'"
        ))
        .await;
    assert!(del.is_err(), "log rows refuse DELETE");
    let audited = count(
        &db,
        &format!("SELECT count(*) FROM audit_logs WHERE module_key = 'VERIFICATION' AND (entity_id = '{id}' OR entity_id IN ('{}', '{}'))", d0.as_str().unwrap(), d1.as_str().unwrap()),
    )
    .await;
    assert_eq!(audited, 6, "submitted, two documents, requested, uploaded, approved");
}

#[tokio::test]
async fn a_role_profile_is_verified_through_its_own_request() {
    let server = server().await;
    let admin = server.admin().await;
    let alice = server.customer("alice").await;
    let bob = server.customer("bob").await;
    let db = db(&server).await;
    let row = db
        .query_one_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!(
                "INSERT INTO user_role_profiles (user_id, role_key, display_name) \
                 VALUES ('{}', (SELECT key FROM roles WHERE audience = 'EXTERNAL' ORDER BY key LIMIT 1), 'Alice Studio') \
                 RETURNING id::text AS id",
                alice.id
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    let profile: String = row.try_get("", "id").unwrap();
    let theirs = submit(&bob, Some(&profile)).await;
    assert_eq!(theirs.error_code(), Some("NOT_FOUND"), "only one's own profiles");
    assert_eq!(count(&db, "SELECT count(*) FROM verification_requests").await, 0);
    let reply = submit(&alice, Some(&profile)).await;
    let vr = &reply.data()["submitVerificationRequest"]["verificationRequest"];
    assert_eq!(vr["userRoleProfileId"], profile.as_str());
    let id = vr["id"].as_str().unwrap().to_string();
    let approval = approval_of(&db, &id).await;
    assert!(approve(&admin, &approval).await);
    let verified = count(
        &db,
        &format!(
            "SELECT count(*) FROM user_role_profiles WHERE id = '{profile}' AND verification_status = 'VERIFIED' \
             AND verified_at IS NOT NULL"
        ),
    )
    .await;
    assert_eq!(verified, 1);
}
