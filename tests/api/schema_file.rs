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
