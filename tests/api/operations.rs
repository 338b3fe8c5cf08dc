//! Health, readiness, metrics, query limits and persisted queries.

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::support::gql::Client;
use crate::support::{ServerOptions, TestServer};

#[tokio::test]
async fn health_and_readiness() {
    let server = TestServer::with(ServerOptions {
        redis: true,
        ..Default::default()
    })
    .await;
    let http = reqwest::Client::new();
    let r = http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    assert_eq!(body["redis"], "ok");
    server.stop().await;

    let server = TestServer::start().await;
    let body: serde_json::Value = http
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["redis"], "not configured");
    // With the database gone, readiness fails so a load balancer stops sending traffic.
    server.ctx.db.primary.clone().close().await.unwrap();
    let r = http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    server.stop().await;
}

#[tokio::test]
async fn metrics_count_operations_by_name_and_outcome() {
    let server = TestServer::start().await;
    let c = Client::new(server.url("/graphql"));
    c.data("query Version { apiVersion }", json!({})).await;
    c.data("query Version { apiVersion }", json!({})).await;
    let r = c.run("query Broken { nope }", json!({})).await;
    assert_eq!(r.status, 400);
    let text = reqwest::get(server.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(r#"graphql_requests_total{operation="Version",outcome="ok"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"graphql_requests_total{operation="Broken",outcome="request_error"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("graphql_request_duration_seconds_bucket{transport=\"http\""),
        "{text}"
    );
    assert!(text.contains("graphql_subscriptions_open 0"), "{text}");
    assert!(text.contains("db_pool_connections{state=\"max\"} 10"), "{text}");
    server.stop().await;
}

#[tokio::test]
async fn depth_complexity_and_introspection_limits() {
    let server = TestServer::with(ServerOptions {
        env: vec![
            ("SWITCHBOARD_MAX_DEPTH", "4".into()),
            ("SWITCHBOARD_INTROSPECTION", "false".into()),
        ],
        ..Default::default()
    })
    .await;
    let c = Client::new(server.url("/graphql"));
    assert_eq!(
        c.data("{ apiVersion }", json!({})).await["apiVersion"],
        env!("CARGO_PKG_VERSION")
    );
    let r = c.run("{ __schema { types { name } } }", json!({})).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    server.stop().await;

    let server = TestServer::with(ServerOptions {
        env: vec![("SWITCHBOARD_MAX_DEPTH", "4".into())],
        ..Default::default()
    })
    .await;
    let c = Client::new(server.url("/graphql"));
    // Fields nested five deep: refused before validation.
    let deep = "{ tickets { edges { node { department { name } } } } }";
    let r = c.run(deep, json!({})).await;
    assert_eq!(r.status, 400);
    assert!(
        r.error_message().to_lowercase().contains("nested too deep"),
        "{}",
        r.body
    );
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    // Introspection is bounded by the schema, not by the query limit.
    let introspection = "{ __schema { types { fields { type { ofType { name } } } } } }";
    let r = c.run(introspection, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.data()["__schema"]["types"].as_array().is_some_and(|t| !t.is_empty()));
    server.stop().await;

    let server = TestServer::with(ServerOptions {
        env: vec![("SWITCHBOARD_MAX_COMPLEXITY", "3".into())],
        ..Default::default()
    })
    .await;
    let c = Client::new(server.url("/graphql"));
    let r = c
        .run("{ a: apiVersion b: apiVersion c: apiVersion d: apiVersion }", json!({}))
        .await;
    assert_eq!(r.status, 400);
    assert!(r.error_message().to_lowercase().contains("complex"), "{}", r.body);
    server.stop().await;
}

fn apq(hash: &str) -> serde_json::Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

#[tokio::test]
async fn persisted_queries_are_shared_through_redis() {
    let (a, b) = TestServer::pair_with_redis().await;
    // Unique text so earlier runs sharing this Redis cannot have cached it.
    let query = format!("query Persisted{} {{ apiVersion }}", uuid::Uuid::new_v4().simple());
    let hash = format!("{:x}", Sha256::digest(query.as_bytes()));
    let ca = Client::new(a.url("/graphql"));
    let cb = Client::new(b.url("/graphql"));

    let miss = cb.post_json(&json!({ "extensions": apq(&hash) })).await;
    assert_eq!(miss.error_code(), Some("PERSISTED_QUERY_NOT_FOUND"), "{}", miss.body);
    let wrong = ca
        .post_json(&json!({ "query": "{ apiVersion }", "extensions": apq(&hash) }))
        .await;
    assert_eq!(wrong.error_code(), Some("BAD_USER_INPUT"));

    let register = ca.post_json(&json!({ "query": query, "extensions": apq(&hash) })).await;
    assert_eq!(register.data()["apiVersion"], env!("CARGO_PKG_VERSION"));
    // Instance B knows it now, over POST and over GET.
    let hit = cb.post_json(&json!({ "extensions": apq(&hash) })).await;
    assert_eq!(hit.data()["apiVersion"], env!("CARGO_PKG_VERSION"));
    let ext = apq(&hash).to_string();
    let hit = cb.get(&[("extensions", ext.as_str())]).await;
    assert_eq!(hit.status, 200, "{}", hit.body);
    assert_eq!(hit.data()["apiVersion"], env!("CARGO_PKG_VERSION"));
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn persisted_queries_work_in_process_without_redis() {
    let server = TestServer::start().await;
    let c = Client::new(server.url("/graphql"));
    let query = "query Local { apiVersion }";
    let hash = format!("{:x}", Sha256::digest(query.as_bytes()));
    let miss = c.post_json(&json!({ "extensions": apq(&hash) })).await;
    assert_eq!(miss.error_code(), Some("PERSISTED_QUERY_NOT_FOUND"));
    c.post_json(&json!({ "query": query, "extensions": apq(&hash) }))
        .await
        .data();
    let hit = c.post_json(&json!({ "extensions": apq(&hash) })).await;
    assert_eq!(hit.data()["apiVersion"], env!("CARGO_PKG_VERSION"));
    server.stop().await;
}

#[tokio::test]
async fn internal_errors_reach_clients_only_as_internal() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    // Break the database under the running server.
    server.ctx.db.primary.clone().close().await.unwrap();
    let r = admin.client.run("{ departments { id } }", json!({})).await;
    assert_eq!(r.status, 500, "{}", r.body);
    assert_eq!(r.error_code(), Some("INTERNAL"));
    assert_eq!(r.error_message(), "internal error");
    let text = r.body.to_string().to_lowercase();
    for leak in ["pool", "sqlx", "connection", "closed", "postgres"] {
        assert!(!text.contains(leak), "the error leaks {leak}: {text}");
    }
    server.stop().await;
}
