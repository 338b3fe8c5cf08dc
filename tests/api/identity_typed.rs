//! Identity on the typed core: pages of users and role requests cost the
//! same statements at any size, users can be walked backwards, emails are
//! parsed once (normalised and checked), every permission constant exists
//! in the database, and role requests go through the approval engine.

use std::collections::HashSet;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::support::personas::{unique_email, PASSWORD};
use crate::support::TestServer;

/// Runs SQL setup on the test database.
async fn sql(server: &TestServer, sql: &str) {
    server
        .ctx
        .db
        .primary
        .execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

pub(crate) async fn scalar_i64(server: &TestServer, sql: &str, values: Vec<sea_orm::Value>) -> i64 {
    let row = server
        .ctx
        .db
        .primary
        .query_one_raw(Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// `n` users whose display name starts with `prefix`, each holding the
/// `customer` and `support_agent` roles (approved) and working in the
/// BILLING and SALES-like seeded departments, plus a pending request for
/// `tutor`.
async fn bulk_users(server: &TestServer, prefix: &str, n: i32) {
    sql(
        server,
        &format!(
            "INSERT INTO users (id, email, display_name, account_type, status) \
             SELECT gen_random_uuid(), '{prefix}' || g || '@example.com', '{prefix} ' || g, 'INDIVIDUAL', 'ACTIVE' \
             FROM generate_series(1, {n}) g;
             INSERT INTO user_roles (user_id, role_id, status, approved_at) \
             SELECT u.id, r.id, 'APPROVED', now() FROM users u CROSS JOIN roles r \
             WHERE u.display_name LIKE '{prefix} %' AND r.key IN ('customer', 'support_agent');
             INSERT INTO user_roles (user_id, role_id, status) \
             SELECT u.id, r.id, 'PENDING' FROM users u CROSS JOIN roles r \
             WHERE u.display_name LIKE '{prefix} %' AND r.key = 'tutor';
             INSERT INTO user_departments (user_id, department_id) \
             SELECT u.id, d.id FROM users u CROSS JOIN (SELECT id FROM departments ORDER BY code LIMIT 2) d \
             WHERE u.display_name LIKE '{prefix} %';"
        ),
    )
    .await;
}

/// Statements of `query` at page sizes 10 and 100. A warm-up request
/// first, and then a wait until the counter settles: the first request of
/// a session also marks it active (once a minute, off the request path),
/// and that statement must not land in a measured window.
async fn counts_at_10_and_100(
    server: &TestServer,
    client: &crate::support::gql::Client,
    query: &str,
    check: impl Fn(&Value, usize),
) -> (u64, u64) {
    client.data(query, json!({"n": 10})).await;
    let mut last = server.ctx.db.statement_count();
    let mut stable = 0;
    while stable < 3 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let now = server.ctx.db.statement_count();
        stable = if now == last { stable + 1 } else { 0 };
        last = now;
    }
    let mut counts = Vec::new();
    for n in [10, 100, 10, 100] {
        let before = server.ctx.db.statement_count();
        let d = client.data(query, json!({"n": n})).await;
        let after = server.ctx.db.statement_count();
        check(&d, n as usize);
        counts.push(after - before);
    }
    println!("statements at 10, 100, 10, 100: {counts:?}");
    assert_eq!(
        counts[0], counts[2],
        "the same page costs the same each time: {counts:?}"
    );
    assert_eq!(
        counts[1], counts[3],
        "the same page costs the same each time: {counts:?}"
    );
    (counts[0], counts[1])
}

#[tokio::test]
async fn a_users_page_with_roles_permissions_and_departments_costs_the_same_at_any_size() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    bulk_users(&server, "stmtusers", 120).await;
    const PAGE: &str = "query($n: Int!) { users(first: $n, filter: { search: \"stmtusers\" }) { totalCount \
        edges { cursor node { id email accountType status roles permissions isAdmin departments { id code visibility } } } } }";
    let (ten, hundred) = counts_at_10_and_100(&server, &admin.client, PAGE, |d, n| {
        let edges = d["users"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), n);
        assert_eq!(d["users"]["totalCount"], 120);
        for e in edges {
            let node = &e["node"];
            assert_eq!(node["roles"], json!(["customer", "support_agent"]));
            assert!(node["permissions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p == "tickets.reply"));
            assert_eq!(node["isAdmin"], true);
            assert_eq!(node["accountType"], "INDIVIDUAL");
            assert_eq!(node["departments"].as_array().unwrap().len(), 2);
        }
    })
    .await;
    println!("SQL statements per users page: first 10 -> {ten}, first 100 -> {hundred}");
    assert_eq!(ten, hundred, "statements must not grow with the page size");
    assert!(hundred <= 10, "a page is a handful of statements: {hundred}");
    server.stop().await;
}

#[tokio::test]
async fn a_role_request_page_with_its_roles_costs_the_same_at_any_size() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    bulk_users(&server, "stmtrequests", 120).await;
    const PAGE: &str = "query($n: Int!) { roleRequests(first: $n) { totalCount \
        nodes { id status roleId role { id key audience } userId user { id displayName } } } }";
    let (ten, hundred) = counts_at_10_and_100(&server, &admin.client, PAGE, |d, n| {
        let nodes = d["roleRequests"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), n);
        assert_eq!(d["roleRequests"]["totalCount"], 120);
        for r in nodes {
            assert_eq!(r["status"], "PENDING");
            assert_eq!(r["role"]["key"], "tutor");
            assert_eq!(r["role"]["audience"], "EXTERNAL");
            assert_eq!(r["role"]["id"], r["roleId"]);
            assert_eq!(r["user"]["id"], r["userId"]);
        }
    })
    .await;
    println!("SQL statements per role-request page: first 10 -> {ten}, first 100 -> {hundred}");
    assert_eq!(ten, hundred, "statements must not grow with the page size");
    assert!(hundred <= 10, "a page is a handful of statements: {hundred}");
    server.stop().await;
}

/// Every id of a walk, in the order the pages were read.
async fn walk(client: &crate::support::gql::Client, backward: bool) -> Vec<String> {
    let (query, page_key, cursor_key) = if backward {
        (
            "query($c: String) { users(last: 25, before: $c, filter: { search: \"walkusers\" }) { \
             edges { cursor node { id } } pageInfo { hasPreviousPage hasNextPage startCursor } } }",
            "hasPreviousPage",
            "startCursor",
        )
    } else {
        (
            "query($c: String) { users(first: 25, after: $c, filter: { search: \"walkusers\" }) { \
             edges { cursor node { id } } pageInfo { hasPreviousPage hasNextPage endCursor } } }",
            "hasNextPage",
            "endCursor",
        )
    };
    let mut ids = Vec::new();
    let mut cursor = Value::Null;
    for _ in 0..20 {
        let d = client.data(query, json!({"c": cursor})).await;
        let edges = d["users"]["edges"].as_array().unwrap().clone();
        let mut page: Vec<String> = edges
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_string())
            .collect();
        if backward {
            page.reverse();
        }
        ids.extend(page);
        let info = &d["users"]["pageInfo"];
        if info[page_key] != true {
            return ids;
        }
        cursor = info[cursor_key].clone();
    }
    panic!("the walk did not end");
}

#[tokio::test]
async fn users_can_be_walked_backwards_and_forwards_each_exactly_once() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    bulk_users(&server, "walkusers", 110).await;
    let forward = walk(&admin.client, false).await;
    let mut backward = walk(&admin.client, true).await;
    assert_eq!(forward.len(), 110);
    assert_eq!(forward.iter().collect::<HashSet<_>>().len(), 110, "each user once");
    backward.reverse();
    assert_eq!(backward, forward, "backwards is the same list from the other end");
    // `first` and `last` together are refused; caps are enforced.
    let r = admin
        .client
        .run("{ users(first: 1, last: 1) { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    let r = admin
        .client
        .run("{ users(last: 101) { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    server.stop().await;
}

#[tokio::test]
async fn emails_are_parsed_once_normalised_and_checked() {
    let server = TestServer::start().await;
    const REGISTER: &str = "mutation($i: RegisterInput!) { register(input: $i) { user { email } } }";
    for bad in ["", "alice", "alice@", "@x.io", "a@b", "a b@c.io", "a@@c.io", "a@.c.io"] {
        let r = server
            .anon()
            .run(
                REGISTER,
                json!({"i": {"email": bad, "password": PASSWORD, "displayName": "Bad"}}),
            )
            .await;
        assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{bad}");
        assert_eq!(r.body["errors"][0]["extensions"]["fields"], json!(["email"]), "{bad}");
    }
    let email = unique_email("MixedCase");
    let shouted = format!("  {}  ", email.to_uppercase());
    let d = server
        .anon()
        .data(
            REGISTER,
            json!({"i": {"email": shouted, "password": PASSWORD, "displayName": "Mixed"}}),
        )
        .await;
    assert_eq!(d["register"]["user"]["email"], email.to_lowercase());
    let r = server
        .anon()
        .run(
            REGISTER,
            json!({"i": {"email": email.to_lowercase(), "password": PASSWORD, "displayName": "Again"}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("CONFLICT"));
    assert_eq!(r.body["errors"][0]["extensions"]["fields"], json!(["email"]));
    // Signing in takes the address in any case; a malformed one is just
    // a failed sign-in (no hint whether an account exists).
    let me = server.login(&email.to_uppercase(), PASSWORD).await;
    assert!(!me.id.is_empty());
    let r = server
        .anon()
        .run(
            "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
            json!({"i": {"email": "not an email", "password": PASSWORD}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));
    server.stop().await;
}

#[tokio::test]
async fn every_permission_constant_exists_in_the_permissions_table() {
    use switchboard::service;
    let server = TestServer::start().await;
    let self_service: HashSet<&str> = service::identity::api_keys::SELF_SERVICE_SCOPES
        .iter()
        .map(|p| p.key())
        .collect();
    let all = [
        service::identity::perms::ALL,
        service::support::perms::ALL,
        service::commerce::perms::ALL,
        service::wallet::perms::ALL,
        service::approval::perms::ALL,
        service::exchange::perms::ALL,
        service::custody::perms::ALL,
        service::marketplace::perms::ALL,
    ];
    let mut missing = Vec::new();
    for p in all.iter().flat_map(|a| a.iter()) {
        let n = scalar_i64(
            &server,
            "SELECT count(*) FROM permissions WHERE key = $1",
            vec![p.key().into()],
        )
        .await;
        // Self-service scopes (one's own profile, sessions, ...) need no
        // permission row; every other key must be grantable.
        if n == 0 && !self_service.contains(p.key()) {
            missing.push(p.key());
        }
    }
    assert!(missing.is_empty(), "permission constants with no row: {missing:?}");
    server.stop().await;
}

#[tokio::test]
async fn role_requests_go_through_the_approval_engine() {
    use entity::enums::{ApprovalEntityType, ApprovalType};
    use switchboard::infra::events::Tx;
    use switchboard::service::approval::{self, NewRequest};
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let hank = server.customer("hank").await;
    let req = hank
        .client
        .data(
            "mutation { requestRole(input: { roleKey: \"photographer\" }) { request { id status } } }",
            json!({}),
        )
        .await["requestRole"]["request"]
        .clone();
    let grant: uuid::Uuid = req["id"].as_str().unwrap().parse().unwrap();
    let rows = |status: &'static str| {
        let server = &server;
        async move {
            scalar_i64(
                server,
                "SELECT count(*) FROM approval_requests WHERE entity_type = 'ROLE' AND entity_id = $1 AND status = $2",
                vec![grant.into(), status.into()],
            )
            .await
        }
    };
    assert_eq!(rows("PENDING").await, 1);
    let logs = |action: &'static str| {
        let server = &server;
        async move {
            scalar_i64(
                server,
                "SELECT count(*) FROM approval_logs l JOIN approval_requests r ON r.id = l.approval_request_id \
                 WHERE r.entity_id = $1 AND l.action = $2",
                vec![grant.into(), action.into()],
            )
            .await
        }
    };
    assert_eq!(logs("SUBMITTED").await, 1);

    // One pending request per entity and kind: the engine names the open one.
    let hank_id: uuid::Uuid = hank.id.parse().unwrap();
    let tx = Tx::begin(&server.ctx.db.primary).await.unwrap();
    let err = approval::submit(
        &tx,
        hank_id,
        NewRequest {
            entity_type: ApprovalEntityType::Role,
            entity_id: grant,
            approval_type: ApprovalType::Verification,
            payload: json!({}),
            remarks: None,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code().as_str(), "CONFLICT");
    assert!(err.to_string().contains("already pending"), "{err}");
    tx.rollback().await.unwrap();

    admin
        .client
        .data(
            "mutation($i: ReviewRoleRequestInput!) { reviewRoleRequest(input: $i) { request { status approvedBy { id } } } }",
            json!({"i": {"id": req["id"], "approve": true}}),
        )
        .await;
    assert_eq!(rows("PENDING").await, 0);
    assert_eq!(rows("APPROVED").await, 1);
    assert_eq!(logs("APPROVED").await, 1);
    server.stop().await;
}
