//! The approval engine through GraphQL: four eyes (in the service and in
//! the database), one pending request per entity and type, races between
//! reviewers, remarks (required to reject, internal ones hidden from the
//! submitter), appliers (a role request granted, a failing applier
//! leaving the request pending), the queue and its filters, expiry, the
//! append-only log and the live `approvalRequestChanged`.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::identity_typed::scalar_i64;
use crate::support::personas::Persona;
use crate::support::{ServerOptions, TestServer};
use crate::websocket::{connect, init, recv, send};

const REQUEST_ROLE: &str = "mutation($k: String!) { requestRole(input: { roleKey: $k }) { request { id status } } }";
const APPROVE: &str = "mutation($i: ReviewApprovalRequestInput!) { approveRequest(input: $i) { request { id status reviewedBy { id } remarks } } }";
const REJECT: &str = "mutation($i: ReviewApprovalRequestInput!) { rejectRequest(input: $i) { request { id status remarks remarksInternal } } }";
const ONE: &str = "query($id: ID!) { approvalRequest(id: $id) { id status entityType approvalType payload remarks \
    remarksInternal ageSeconds overdue expiresAt submittedBy { id } logs { action oldStatus newStatus remarks isInternal } } }";

/// `who` approves (or, with remarks, rejects) request `id` through the
/// pinned mutations; the reply, whatever it says.
pub(crate) async fn review(
    who: &Persona,
    id: &str,
    approve: bool,
    remarks: Option<&str>,
) -> crate::support::gql::Reply {
    let (query, input) = if approve {
        (APPROVE, json!({"id": id, "remarks": remarks}))
    } else {
        (REJECT, json!({"id": id, "remarks": remarks}))
    };
    who.client.run(query, json!({"i": input})).await
}

async fn sql_exec(server: &TestServer, sql: &str, values: Vec<sea_orm::Value>) -> Result<u64, sea_orm::DbErr> {
    server
        .ctx
        .db
        .primary
        .execute_raw(Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .map(|r| r.rows_affected())
}

/// `who` asks for `role`; returns (the grant's id, the approval request's id).
async fn role_request(who: &Persona, role: &str) -> (String, String) {
    let grant = who.client.data(REQUEST_ROLE, json!({"k": role})).await["requestRole"]["request"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let q =
        "query($u: ID!) { approvalRequests(filter: { submittedBy: $u, status: PENDING }) { nodes { id entityId } } }";
    let list = who.client.data(q, json!({"u": who.id})).await;
    let id = list["approvalRequests"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["entityId"] == grant.as_str())
        .map(|n| n["id"].as_str().unwrap().to_string())
        .expect("the submitter sees their request");
    (grant, id)
}

async fn holds_role(who: &Persona, role: &str) -> bool {
    let v = who.client.data("{ viewer { roles } }", json!({})).await;
    v["viewer"]["roles"].as_array().unwrap().iter().any(|r| r == role)
}

#[tokio::test]
async fn four_eyes_remarks_and_the_role_applier() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let officer = server.with_role(&admin, "compliance", "officer").await;
    let hank = server.customer("hank").await;

    let (grant, id) = role_request(&hank, "photographer").await;
    let one = hank.client.data(ONE, json!({"id": id})).await["approvalRequest"].clone();
    assert_eq!(one["status"], "PENDING");
    assert_eq!(one["entityType"], "ROLE");
    assert_eq!(one["approvalType"], "VERIFICATION");
    assert_eq!(one["payload"]["roleKey"], "photographer");
    assert_eq!(one["overdue"], false);
    assert!(one["expiresAt"].is_string());
    assert_eq!(one["logs"][0]["action"], "SUBMITTED");

    // A second pending request for the same entity and type names the first.
    let again = hank
        .client
        .run(
            "mutation($g: ID!) { submitApprovalRequest(input: { entityType: ROLE, entityId: $g, approvalType: VERIFICATION }) { request { id } } }",
            json!({"g": grant}),
        )
        .await;
    assert_eq!(again.error_code(), Some("CONFLICT"));
    assert!(again.error_message().contains(&id), "{}", again.error_message());

    // A customer may not review; the submitter learns only FORBIDDEN.
    let r = hank.client.run(APPROVE, json!({"i": {"id": id}})).await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    // Another customer does not even learn that it exists.
    let eve = server.customer("eve").await;
    let r = eve.client.run(APPROVE, json!({"i": {"id": id}})).await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    assert_eq!(
        eve.client.data(ONE, json!({"id": id})).await["approvalRequest"],
        Value::Null
    );

    // Rejecting needs remarks.
    let r = officer
        .client
        .run(REJECT, json!({"i": {"id": id, "remarks": "  "}}))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    assert_eq!(
        r.body["errors"][0]["extensions"]["fields"],
        json!(["remarks"]),
        "{:?}",
        r.body
    );

    // Internal remarks reach reviewers only.
    let rejected = officer
        .client
        .data(
            REJECT,
            json!({"i": {"id": id, "remarks": "portfolio looks copied", "internal": true}}),
        )
        .await;
    assert_eq!(rejected["rejectRequest"]["request"]["status"], "REJECTED");
    assert_eq!(rejected["rejectRequest"]["request"]["remarksInternal"], true);
    let seen = hank.client.data(ONE, json!({"id": id})).await["approvalRequest"].clone();
    assert_eq!(seen["remarks"], Value::Null);
    assert_eq!(seen["remarksInternal"], Value::Null);
    let last = seen["logs"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "REJECTED");
    assert_eq!(last["remarks"], Value::Null);
    assert!(!hank
        .client
        .run(ONE, json!({"id": id}))
        .await
        .body
        .to_string()
        .contains("copied"));
    let by_officer = officer.client.data(ONE, json!({"id": id})).await["approvalRequest"].clone();
    assert_eq!(by_officer["remarks"], "portfolio looks copied");
    assert!(!holds_role(&hank, "photographer").await);

    // Asking again reopens the grant; approving it through the engine grants the role.
    let again = hank
        .client
        .data(
            "mutation($g: ID!) { submitApprovalRequest(input: { entityType: ROLE, entityId: $g, approvalType: VERIFICATION }) { request { id status } } }",
            json!({"g": grant}),
        )
        .await;
    let id2 = again["submitApprovalRequest"]["request"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(id2, id);
    let approved = officer
        .client
        .data(APPROVE, json!({"i": {"id": id2, "remarks": "ok"}}))
        .await;
    assert_eq!(approved["approveRequest"]["request"]["status"], "APPROVED");
    assert_eq!(
        approved["approveRequest"]["request"]["reviewedBy"]["id"],
        officer.id.as_str()
    );
    assert!(holds_role(&hank, "photographer").await);
    // Closed stays closed.
    let r = officer
        .client
        .run(REJECT, json!({"i": {"id": id2, "remarks": "changed my mind"}}))
        .await;
    assert_eq!(r.error_code(), Some("CONFLICT"));

    // Nobody reviews their own request: the officer asks for a role herself.
    let (_, own) = role_request(&officer, "tutor").await;
    let r = officer.client.run(APPROVE, json!({"i": {"id": own}})).await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    assert!(r.error_message().contains("own request"), "{}", r.error_message());
    // ... and the database refuses it when forced with SQL.
    let forced = sql_exec(
        &server,
        "UPDATE approval_requests SET status = 'APPROVED', reviewed_by_user_id = submitted_by_user_id, \
         reviewed_at = now() WHERE id = $1::uuid",
        vec![own.clone().into()],
    )
    .await;
    assert!(forced.is_err(), "the database let a submitter review: {forced:?}");
    // A closed request cannot be reopened behind the engine's back either.
    let reopened = sql_exec(
        &server,
        "UPDATE approval_requests SET status = 'PENDING' WHERE id = $1::uuid",
        vec![id2.clone().into()],
    )
    .await;
    assert!(reopened.is_err(), "a closed request was reopened: {reopened:?}");

    // Log rows refuse UPDATE and DELETE.
    for sql in [
        "UPDATE approval_logs SET remarks = 'edited' WHERE approval_request_id = $1::uuid",
        "DELETE FROM approval_logs WHERE approval_request_id = $1::uuid",
    ] {
        assert!(sql_exec(&server, sql, vec![id.clone().into()]).await.is_err(), "{sql}");
    }
    // Every transition has its audit row.
    let audited = scalar_i64(
        &server,
        "SELECT count(*) FROM audit_logs WHERE entity_type = 'APPROVAL_REQUEST' AND entity_id = ANY($1::uuid[])",
        vec![vec![id.clone(), id2.clone()]
            .into_iter()
            .map(|s| s.parse::<uuid::Uuid>().unwrap())
            .collect::<Vec<_>>()
            .into()],
    )
    .await;
    assert_eq!(audited, 4, "submitted, rejected, submitted, approved");
    server.stop().await;
}

#[tokio::test]
async fn a_failing_applier_leaves_the_request_pending() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let officer = server.with_role(&admin, "compliance", "officer").await;
    let ann = server.customer("ann").await;
    let (grant, id) = role_request(&ann, "catering_service").await;
    // The role is withdrawn while the request waits: its applier refuses.
    sql_exec(
        &server,
        "UPDATE roles SET is_active = false WHERE key = 'catering_service'",
        vec![],
    )
    .await
    .unwrap();
    let r = officer.client.run(APPROVE, json!({"i": {"id": id}})).await;
    assert_eq!(r.error_code(), Some("CONFLICT"), "{:?}", r.body);
    let one = officer.client.data(ONE, json!({"id": id})).await["approvalRequest"].clone();
    assert_eq!(one["status"], "PENDING");
    assert_eq!(
        one["logs"].as_array().unwrap().len(),
        1,
        "only the submission is logged"
    );
    let grant_status = scalar_i64(
        &server,
        "SELECT count(*) FROM user_roles WHERE id = $1::uuid AND status = 'PENDING'",
        vec![grant.into()],
    )
    .await;
    assert_eq!(grant_status, 1);
    let audits = scalar_i64(
        &server,
        "SELECT count(*) FROM audit_logs WHERE entity_id = $1::uuid AND action = 'APPROVE'",
        vec![id.clone().into()],
    )
    .await;
    assert_eq!(audits, 0, "nothing of the failed review was kept");
    // Once the role is back, the same request is approved.
    sql_exec(
        &server,
        "UPDATE roles SET is_active = true WHERE key = 'catering_service'",
        vec![],
    )
    .await
    .unwrap();
    let ok = officer.client.data(APPROVE, json!({"i": {"id": id}})).await;
    assert_eq!(ok["approveRequest"]["request"]["status"], "APPROVED");
    assert!(holds_role(&ann, "catering_service").await);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_reviews_have_one_winner() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let officer = server.with_role(&admin, "compliance", "officer").await;
    let joe = server.customer("joe").await;
    let (_, id) = role_request(&joe, "tutor").await;
    let calls = (0..20).map(|n| {
        let (who, query, input) = if n % 2 == 0 {
            (&officer, APPROVE, json!({"id": id}))
        } else {
            (&admin, REJECT, json!({"id": id, "remarks": format!("no {n}")}))
        };
        async move { who.client.run(query, json!({"i": input})).await }
    });
    let replies = futures::future::join_all(calls).await;
    let won: Vec<_> = replies.iter().filter(|r| r.error_code().is_none()).collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        replies.iter().map(|r| r.body.clone()).collect::<Vec<_>>()
    );
    for r in replies.iter().filter(|r| r.error_code().is_some()) {
        assert_eq!(r.error_code(), Some("CONFLICT"), "{:?}", r.body);
    }
    let logs = scalar_i64(
        &server,
        "SELECT count(*) FROM approval_logs WHERE approval_request_id = $1::uuid",
        vec![id.clone().into()],
    )
    .await;
    assert_eq!(logs, 2, "submitted and one decision");
    server.stop().await;
}

const QUEUE: &str = "query($f: ApprovalRequestFilter, $o: ApprovalRequestOrder, $first: Int, $after: String, $last: Int, $before: String) { \
    approvalRequests(filter: $f, orderBy: $o, first: $first, after: $after, last: $last, before: $before) { \
      totalCount nodes { id submittedBy { id } overdue ageSeconds } \
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

fn ids(page: &Value) -> Vec<String> {
    page["approvalRequests"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_queue_filters_pages_both_ways_and_shows_each_reviewer_their_types() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let officer = server.with_role(&admin, "compliance", "officer").await;
    let finance = server.with_role(&admin, "finance", "finance").await;
    let mut submitted = Vec::new();
    let mut people = Vec::new();
    for (n, role) in ["photographer", "tutor", "developer", "video_editor", "graphic_designer"]
        .iter()
        .enumerate()
    {
        let p = server.customer(&format!("q{n}")).await;
        submitted.push(role_request(&p, role).await.1);
        people.push(p);
    }
    // One of them has waited three days: past the 48-hour SLA of its type.
    sql_exec(
        &server,
        "UPDATE approval_requests SET submitted_at = now() - interval '3 days' WHERE id = $1::uuid",
        vec![submitted[2].clone().into()],
    )
    .await
    .unwrap();
    let all = officer.client.data(QUEUE, json!({"f": {"entityType": "ROLE"}})).await;
    assert_eq!(all["approvalRequests"]["totalCount"], 5);
    // Oldest first by default: the overdue one leads.
    let order = ids(&all);
    assert_eq!(order[0], submitted[2]);
    assert_eq!(all["approvalRequests"]["nodes"][0]["overdue"], true);
    assert!(all["approvalRequests"]["nodes"][0]["ageSeconds"].as_i64().unwrap() >= 3 * 86_400 - 5);
    let overdue = officer.client.data(QUEUE, json!({"f": {"overdue": true}})).await;
    assert_eq!(ids(&overdue), vec![submitted[2].clone()]);
    let within = officer
        .client
        .data(QUEUE, json!({"f": {"overdue": false, "entityType": "ROLE"}}))
        .await;
    assert_eq!(within["approvalRequests"]["totalCount"], 4);
    let newest = officer
        .client
        .data(QUEUE, json!({"o": {"direction": "DESC"}, "f": {"entityType": "ROLE"}}))
        .await;
    let mut reversed = order.clone();
    reversed.reverse();
    assert_eq!(ids(&newest), reversed);

    // Forward two at a time, then backward two at a time: each once, in order.
    let mut forward = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let p = officer
            .client
            .data(QUEUE, json!({"f": {"entityType": "ROLE"}, "first": 2, "after": after}))
            .await;
        forward.extend(ids(&p));
        let info = &p["approvalRequests"]["pageInfo"];
        if info["hasNextPage"] != true {
            break;
        }
        after = info["endCursor"].as_str().map(str::to_string);
    }
    assert_eq!(forward, order);
    let mut backward = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let p = officer
            .client
            .data(QUEUE, json!({"f": {"entityType": "ROLE"}, "last": 2, "before": before}))
            .await;
        let mut chunk = ids(&p);
        chunk.append(&mut backward);
        backward = chunk;
        let info = &p["approvalRequests"]["pageInfo"];
        if info["hasPreviousPage"] != true {
            break;
        }
        before = info["startCursor"].as_str().map(str::to_string);
    }
    assert_eq!(backward, order);

    // Submitters see their own; a reviewer of other types sees none of these.
    let mine = people[1].client.data(QUEUE, json!({})).await;
    assert_eq!(ids(&mine), vec![submitted[1].clone()]);
    let theirs = people[1]
        .client
        .data(QUEUE, json!({"f": {"submittedBy": people[0].id}}))
        .await;
    assert_eq!(theirs["approvalRequests"]["totalCount"], 0);
    let fin = finance.client.data(QUEUE, json!({"f": {"entityType": "ROLE"}})).await;
    assert_eq!(fin["approvalRequests"]["totalCount"], 0);
    let anon = server.anon().run(QUEUE, json!({})).await;
    assert_eq!(anon.error_code(), Some("UNAUTHENTICATED"));
    server.stop().await;
}

#[tokio::test]
async fn pending_requests_expire_and_the_applier_refuses_the_grant() {
    let server = TestServer::with(ServerOptions {
        env: vec![("SWITCHBOARD_EXPIRY_EVERY_MS", "100".into())],
        ..Default::default()
    })
    .await;
    let admin = server.admin().await;
    let kim = server.customer("kim").await;
    let (grant, id) = role_request(&kim, "fitness_trainer").await;
    sql_exec(
        &server,
        "UPDATE approval_requests SET expires_at = now() - interval '1 second' WHERE id = $1::uuid",
        vec![id.clone().into()],
    )
    .await
    .unwrap();
    // A barrier on the outcome, with a generous deadline for a loaded machine.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let one = loop {
        let one = admin.client.data(ONE, json!({"id": id})).await["approvalRequest"].clone();
        if one["status"] != "PENDING" {
            break one;
        }
        assert!(std::time::Instant::now() < deadline, "the request never expired");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(one["status"], "EXPIRED");
    let last = one["logs"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "EXPIRED");
    let refused = scalar_i64(
        &server,
        "SELECT count(*) FROM user_roles WHERE id = $1::uuid AND status = 'REJECTED'",
        vec![grant.into()],
    )
    .await;
    assert_eq!(refused, 1);
    server.stop().await;
}

#[tokio::test]
async fn two_instances_expiring_at_once_expire_each_request_once() {
    let fast = || vec![("SWITCHBOARD_EXPIRY_EVERY_MS", "50".to_string())];
    let a = TestServer::with(ServerOptions {
        env: fast(),
        ..Default::default()
    })
    .await;
    let b = TestServer::with(ServerOptions {
        env: fast(),
        database_url: Some(a.database_url.clone()),
        ..Default::default()
    })
    .await;
    let admin = a.admin().await;
    let mut ids = Vec::new();
    for n in 0..6 {
        let p = a.customer(&format!("exp{n}")).await;
        ids.push(role_request(&p, "tutor").await.1);
    }
    sql_exec(
        &a,
        "UPDATE approval_requests SET expires_at = now() - interval '1 second' WHERE status = 'PENDING'",
        vec![],
    )
    .await
    .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while scalar_i64(
        &a,
        "SELECT count(*) FROM approval_requests WHERE status = 'PENDING'",
        vec![],
    )
    .await
        > 0
    {
        assert!(std::time::Instant::now() < deadline, "the requests never expired");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for id in &ids {
        let one = admin.client.data(ONE, json!({"id": id})).await["approvalRequest"].clone();
        assert_eq!(one["status"], "EXPIRED");
        let expired = one["logs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["action"] == "EXPIRED")
            .count();
        assert_eq!(expired, 1, "{id}: {one}");
    }
    b.stop().await;
    a.stop().await;
}

/// The next data message on `s`, skipping pings.
async fn next_change(s: &mut crate::websocket::Socket) -> Value {
    loop {
        let m = recv(s).await;
        if m["type"] == "next" {
            return m["payload"]["data"]["approvalRequestChanged"].clone();
        }
        assert!(m["type"] == "ping" || m["type"] == "pong", "unexpected {m}");
    }
}

async fn subscribed(server: &TestServer, who: &Persona) -> crate::websocket::Socket {
    let mut s = connect(server, Some("graphql-transport-ws")).await;
    init(&mut s, json!({"authorization": format!("Bearer {}", who.access_token)})).await;
    send(
        &mut s,
        json!({"type": "subscribe", "id": "a", "payload": {"query": "subscription { approvalRequestChanged { id status entityId submittedBy { id } } }"}}),
    )
    .await;
    s
}

#[tokio::test]
async fn the_live_queue_reaches_reviewers_of_the_type_and_the_submitter_only() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let officer = server.with_role(&admin, "compliance", "officer").await;
    let finance = server.with_role(&admin, "finance", "finance").await;
    let cal = server.customer("cal").await;
    let dee = server.customer("dee").await;
    let mut to_officer = subscribed(&server, &officer).await;
    let mut to_finance = subscribed(&server, &finance).await;
    let mut to_dee = subscribed(&server, &dee).await;
    // The sockets are acknowledged; give the three subscriptions a moment
    // to start listening (as the wallet's live test does).
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (cal_grant, cal_req) = role_request(&cal, "photographer").await;
    let got = next_change(&mut to_officer).await;
    assert_eq!(got["id"], cal_req.as_str());
    assert_eq!(got["status"], "PENDING");
    assert_eq!(got["entityId"], cal_grant.as_str());

    // Dee's first event is her own request: Cal's never reached her.
    let (_, dee_req) = role_request(&dee, "tutor").await;
    let got = next_change(&mut to_dee).await;
    assert_eq!(got["id"], dee_req.as_str());
    assert_eq!(next_change(&mut to_officer).await["id"], dee_req.as_str());

    // Finance reviews FINANCIAL requests only: its first event is its own.
    let (_, fin_req) = role_request(&finance, "developer").await;
    assert_eq!(next_change(&mut to_finance).await["id"], fin_req.as_str());

    // A decision reaches the submitter and the reviewers of the type.
    officer.client.data(APPROVE, json!({"i": {"id": dee_req}})).await;
    let got = next_change(&mut to_dee).await;
    assert_eq!(
        (got["id"].as_str(), got["status"].as_str()),
        (Some(dee_req.as_str()), Some("APPROVED"))
    );
    server.stop().await;
}
