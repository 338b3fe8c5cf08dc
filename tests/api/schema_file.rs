//! `schema.graphql` at the root must match the code.

#[test]
fn committed_schema_is_current() {
    let path = crate::support::repo_root().join("schema.graphql");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let current = switchboard::graphql::sdl();
    assert!(
        committed == current,
        "schema.graphql is stale: run `cargo run -- export-schema` and commit it"
    );
}

#[test]
fn readme_documents_every_configuration_key() {
    let readme = std::fs::read_to_string(crate::support::repo_root().join("README.md")).unwrap_or_default();
    for (key, _, _) in switchboard::config::KEYS {
        assert!(
            readme.contains(&format!("`{key}`")),
            "README.md does not document {key}"
        );
    }
}

/// graphql-schema-linter (tests/node/.graphql-schema-linterrc: every
/// description rule, the Relay connection, arguments and page-info rules,
/// the naming rules; ordering rules off) finds nothing in schema.graphql.
#[tokio::test]
async fn schema_passes_graphql_schema_linter() {
    let out = crate::support::run_node("schema-lint.mjs", &[]).await;
    let count = out["count"].as_i64().unwrap_or(-1);
    if count != 0 {
        let problems: Vec<String> = out["problems"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                format!(
                    "schema.graphql:{} {} ({})",
                    p["line"],
                    p["message"].as_str().unwrap_or(""),
                    p["rule"].as_str().unwrap_or("")
                )
            })
            .collect();
        panic!(
            "graphql-schema-linter found {count} problems (by rule: {}; by type: {}):\n{}",
            out["byRule"],
            out["byType"],
            problems.join("\n")
        );
    }
}
