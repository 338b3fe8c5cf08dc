//! What every client tool does first (Apollo, GraphQL Code Generator,
//! graphql-inspector, GraphiQL): fetch the live schema with graphql-js's
//! standard introspection query and build a client schema from it. Its
//! size follows the schema, so it passes the query limits; deep queries
//! outside introspection, and introspection deeper than any schema needs,
//! are still refused.

use serde_json::{json, Value};

use crate::support::gql::{Client, Reply};
use crate::support::{run_node, ServerOptions, TestServer};

/// Every option of `getIntrospectionQuery` graphql 16 has.
const ALL_OPTIONS: &str = r#"{"descriptions":true,"specifiedByUrl":true,"directiveIsRepeatable":true,"schemaDescription":true,"inputValueDeprecation":true,"oneOf":true}"#;

fn reason(r: &Reply) -> Option<&str> {
    r.body["errors"][0]["extensions"]["reason"].as_str()
}

fn assert_client_schema(out: &Value) {
    assert_eq!(out["ok"], true, "{out}");
    assert_eq!(out["status"], 200, "{out}");
    assert!(out["types"].as_u64().unwrap_or(0) > 100, "{out}");
    assert!(out["objects"].as_u64().unwrap_or(0) > 50, "{out}");
    assert!(out["enums"].as_u64().unwrap_or(0) > 10, "{out}");
    assert!(out["inputs"].as_u64().unwrap_or(0) > 20, "{out}");
    assert!(out["queryFields"].as_u64().unwrap_or(0) > 10, "{out}");
    assert!(out["mutationFields"].as_u64().unwrap_or(0) > 20, "{out}");
    assert!(out["subscriptionFields"].as_u64().unwrap_or(0) >= 1, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_js_builds_a_client_schema_from_the_live_schema() {
    // Limits far below what the introspection query itself measures: it
    // passes them all the same.
    let server = TestServer::with(ServerOptions {
        env: vec![
            ("SWITCHBOARD_MAX_DEPTH", "3".into()),
            ("SWITCHBOARD_MAX_COMPLEXITY", "20".into()),
        ],
        ..Default::default()
    })
    .await;
    let url = server.url("/graphql");

    let plain = run_node("introspect.mjs", &[&url]).await;
    println!("getIntrospectionQuery(): {plain}");
    assert_client_schema(&plain);

    let full = run_node("introspect.mjs", &[&url, ALL_OPTIONS]).await;
    println!("getIntrospectionQuery(all options): {full}");
    assert_client_schema(&full);
    assert_eq!(full["types"], plain["types"]);
    // The custom scalars say what they hold and where they are specified.
    for name in ["Money", "Decimal", "DateTime", "NaiveDate", "JSON"] {
        let s = &full["scalars"][name];
        assert!(s["description"].as_str().is_some_and(|d| d.len() > 40), "{name}: {s}");
        assert!(
            s["specifiedByURL"].as_str().is_some_and(|u| u.starts_with("https://")),
            "{name}: {s}"
        );
    }
    let money = full["scalars"]["Money"]["description"].as_str().unwrap_or("");
    assert!(money.contains("decimal string") && money.contains("float"), "{money}");
    assert!(money.contains("rounded"), "{money}");

    // The limits still hold outside introspection.
    let c = Client::new(url);
    let r = c.run("{ tickets { edges { node { id } } } }", json!({})).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.error_message().contains("nested too deep"), "{}", r.body);
    let r = c
        .run(
            &format!(
                "{{ {} }}",
                (0..21)
                    .map(|i| format!("a{i}: apiVersion"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.error_message().contains("too complex"), "{}", r.body);
    server.stop().await;

    // Switched off by configuration, introspection is refused outright.
    let server = TestServer::with(ServerOptions {
        env: vec![("SWITCHBOARD_INTROSPECTION", "false".into())],
        ..Default::default()
    })
    .await;
    let off = run_node("introspect.mjs", &[&server.url("/graphql"), ALL_OPTIONS]).await;
    assert_eq!(off["ok"], false, "{off}");
    assert!(off["errors"].to_string().contains("introspection is disabled"), "{off}");
    server.stop().await;
}

#[tokio::test]
async fn deep_queries_are_still_refused() {
    let server = TestServer::start().await;
    let c = Client::new(server.url("/graphql"));

    // Ordinary fields 13 deep (the default limit is 12), through fragments.
    // Depth is measured before validation, whatever the fields' names.
    let mut q = String::from("{ tickets { ...D0 } }\n");
    for i in 0..5 {
        q.push_str(&format!("fragment D{i} on T {{ a {{ b {{ ...D{} }} }} }}\n", i + 1));
    }
    q.push_str("fragment D5 on T { a { b } }\n");
    let r = c.run(&q, json!({})).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    assert_eq!(reason(&r), Some("TOO_COMPLEX"), "{}", r.body);
    assert!(r.error_message().contains("nested too deep"), "{}", r.body);

    // Beside an introspection selection, they count all the same.
    let r = c
        .run(
            &q.replacen("{ tickets", "{ __schema { queryType { name } } tickets", 1),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.error_message().contains("nested too deep"), "{}", r.body);

    // An `ofType` chain 40 deep: no schema needs it. In brackets the text
    // scan refuses it; through fragments the introspection bound does.
    let bracketed = format!(
        "{{ __type(name: \"Query\") {{ {}name{} }} }}",
        "ofType { ".repeat(40),
        " }".repeat(40)
    );
    let r = c.run(&bracketed, json!({})).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(reason(&r), Some("NESTING_TOO_DEEP"), "{}", r.body);
    let mut chained = String::from("{ __type(name: \"Query\") { ...T0 } }\n");
    for i in 0..10 {
        chained.push_str(&format!(
            "fragment T{i} on __Type {{ ofType {{ ofType {{ ofType {{ ofType {{ ...T{} }} }} }} }} }}\n",
            i + 1
        ));
    }
    chained.push_str("fragment T10 on __Type { name }\n");
    let r = c.run(&chained, json!({})).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(reason(&r), Some("TOO_COMPLEX"), "{}", r.body);
    assert!(
        r.error_message()
            .contains("introspection selection nests fields more than 32"),
        "{}",
        r.body
    );

    // Lists in lists, each multiplying the answer by the schema's size.
    let r = c
        .run(
            "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.error_message().contains("lists"), "{}", r.body);
    server.stop().await;
}
