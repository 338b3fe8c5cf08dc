//! GraphQL over HTTP: the graphql-http audit and the refusals it does not
//! cover (GET mutations, batches, bodies, media types, credentials).

use serde_json::json;

use crate::support::gql::Client;
use crate::support::{run_node, ServerOptions, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_http_audit_has_no_error_or_warning() {
    let server = TestServer::start().await;
    let report = run_node("audit.mjs", &[&server.url("/graphql")]).await;
    let counts = &report["counts"];
    println!("graphql-http audit: {} audits, counts {counts}", report["total"]);
    assert_eq!(counts["error"], 0, "audit errors: {}", report["failures"]);
    assert_eq!(counts["warn"], 0, "audit warnings: {}", report["failures"]);
    assert_eq!(counts["notice"], 0, "audit notices: {}", report["failures"]);
    assert!(report["total"].as_u64().unwrap_or(0) > 50, "the audit ran: {report}");
    server.stop().await;
}

#[tokio::test]
async fn mutation_over_get_is_405() {
    let server = TestServer::start().await;
    let c = Client::new(server.url("/graphql"));
    let r = c.get(&[("query", "mutation { __typename }")]).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.headers.get("allow").and_then(|v| v.to_str().ok()), Some("POST"));
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    // Naming the mutation among several operations is refused too.
    let r = c
        .get(&[
            ("query", "query A { __typename } mutation B { __typename }"),
            ("operationName", "B"),
        ])
        .await;
    assert_eq!(r.status, 405);
    let r = c
        .get(&[
            ("query", "query A { apiVersion } query B { __typename }"),
            ("operationName", "A"),
        ])
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.data()["apiVersion"], env!("CARGO_PKG_VERSION"));
    server.stop().await;
}

#[tokio::test]
async fn batches_are_capped() {
    let server = TestServer::with(ServerOptions {
        env: vec![("SWITCHBOARD_MAX_BATCH", "3".into())],
        ..Default::default()
    })
    .await;
    let c = Client::new(server.url("/graphql"));
    let two = json!([{ "query": "{ apiVersion }" }, { "query": "{ __typename }" }]);
    let r = c.post_json(&two).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body[0]["data"]["apiVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(r.body[1]["data"]["__typename"], "Query");
    let four = json!([{ "query": "{ __typename }" }, { "query": "{ __typename }" }, { "query": "{ __typename }" }, { "query": "{ __typename }" }]);
    let r = c.post_json(&four).await;
    assert_eq!(r.status, 400);
    assert!(r.error_message().contains("at most 3"), "{}", r.body);
    let r = c.post_json(&json!([])).await;
    assert_eq!(r.status, 400);
    server.stop().await;
}

#[tokio::test]
async fn bodies_media_types_and_credentials_are_checked_before_execution() {
    let server = TestServer::with(ServerOptions {
        env: vec![("SWITCHBOARD_MAX_BODY_BYTES", "2048".into())],
        ..Default::default()
    })
    .await;
    let endpoint = server.url("/graphql");
    let c = Client::new(&endpoint);
    let http = c.raw();

    let big = json!({ "query": format!("{{ __typename }} # {}", "x".repeat(4096)) });
    let r = c.post_json(&big).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));

    let r = http
        .post(&endpoint)
        .header("content-type", "text/plain")
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);

    let r = http
        .post(&endpoint)
        .header("content-type", "application/json")
        .header("accept", "text/html")
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 406);

    let r = http.delete(&endpoint).send().await.unwrap();
    assert_eq!(r.status(), 405);

    let r = c.with_token("not-a-token").run("{ __typename }", json!({})).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));
    assert!(r.headers.contains_key("www-authenticate"));

    // A browser opening the endpoint is sent to GraphiQL.
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirect
        .get(&endpoint)
        .header("accept", "text/html,*/*")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/graphiql");
    server.stop().await;
}

#[tokio::test]
async fn every_error_carries_a_code_and_request_errors_have_no_data() {
    let server = TestServer::start().await;
    let c = Client::new(server.url("/graphql"));
    let r = c.run("{ nope }", json!({})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    assert!(r.body.get("data").is_none(), "{}", r.body);
    let r = c.accepting("application/json").run("{ nope }", json!({})).await;
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("application/json"));
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    // Argument validation inside execution is a field error with a code.
    let r = c
        .run(
            "query($s: Int!) { __type(name: \"Heartbeat\") { name } }",
            json!({ "s": "x" }),
        )
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", r.body);
    server.stop().await;
}
