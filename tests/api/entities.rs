//! `entity/src/generated/` is what sea-orm-cli's generator makes of the
//! migrated schema, never hand-edited. This test runs that generator
//! in-process (the `sea-schema` discovery and `sea-orm-codegen` writer that
//! `sea-orm-cli generate entity` uses, pinned in Cargo.toml to the release
//! that made the committed files) against a fresh database and fails on any
//! difference, so nothing outside the workspace is needed.
//! `scripts/generate-entities` runs it with `SWITCHBOARD_BLESS_ENTITIES=1`
//! to rewrite the folder instead.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use sea_orm::sqlx::postgres::PgPoolOptions;
use sea_orm_codegen::{
    BannerVersion, BigIntegerType, DateTimeCrate, EntityFormat, EntityTransformer, EntityWriterContext, WithPrelude,
    WithSerde,
};
use sea_schema::postgres::discovery::SchemaDiscovery;

use crate::support::{fresh_database, repo_root, scratch_dir};

/// The sea-orm-cli release whose generator (`sea-orm-codegen`, same
/// version) made the committed entities; Cargo.toml pins it.
pub const SEA_ORM_CODEGEN_VERSION: &str = "2.0.4";

/// Tables `sea-orm-cli` skips by default (`--ignore-tables`).
const IGNORED_TABLES: &[&str] = &["seaql_migrations"];

/// The PostgreSQL schema the entities describe.
const SCHEMA: &str = "public";

fn read_dir_files(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().to_string(),
                        std::fs::read_to_string(e.path()).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What `sea-orm-cli generate entity --with-serde none --date-time-crate
/// chrono --banner-version off --ignore-tables seaql_migrations` writes for
/// the database at `url`, before rustfmt: file name to text.
async fn generate(url: &str) -> BTreeMap<String, String> {
    // As the CLI connects: one connection with the schema on the search path.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .after_connect(|conn, _| {
            Box::pin(async move {
                sea_orm::sqlx::Executor::execute(conn, "SET search_path = 'public'")
                    .await
                    .map(|_| ())
            })
        })
        .connect(url)
        .await
        .expect("connect for schema discovery");
    let schema = SchemaDiscovery::new(pool.clone(), SCHEMA)
        .discover()
        .await
        .expect("discover the schema");
    pool.close().await;
    let tables = schema
        .tables
        .into_iter()
        .filter(|t| !t.info.name.starts_with('_'))
        .filter(|t| !IGNORED_TABLES.contains(&t.info.name.as_str()))
        .map(|mut t| {
            // As the CLI does: generated columns and partial unique
            // indexes are left out.
            t.columns.retain(|c| c.generated.is_none());
            t.unique_constraints.retain(|c| !c.is_partial);
            t.write()
        })
        .collect();
    // The CLI's defaults, except the options scripts/generate-entities has
    // always passed (serde none, chrono, banner off).
    let context = EntityWriterContext::new(
        EntityFormat::default(),
        WithPrelude::All,
        WithSerde::None,
        false,
        DateTimeCrate::Chrono,
        BigIntegerType::I64,
        None,
        false,
        false,
        false,
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        false,
        true,
        BannerVersion::Off,
    );
    EntityTransformer::transform(tables)
        .expect("transform the discovered tables")
        .generate(&context)
        .files
        .into_iter()
        .map(|f| (f.name, f.content))
        .collect()
}

#[tokio::test]
async fn generated_entities_match_the_migrated_schema() {
    let url = fresh_database().await;
    let generated = generate(&url).await;
    assert!(generated.contains_key("mod.rs"), "the generator wrote no mod.rs");

    // rustfmt (a rustup component, as `cargo fmt` needs) with the
    // workspace's settings, as the committed files are formatted.
    let out = scratch_dir("entities");
    for (name, text) in &generated {
        std::fs::write(out.join(name), text).expect("write a generated file");
    }
    let files: Vec<_> = generated.keys().map(|n| out.join(n)).collect();
    let fmt = Command::new("rustfmt")
        .args(["--edition", "2021", "--config-path"])
        .arg(repo_root().join("rustfmt.toml"))
        .args(&files)
        .output()
        .expect("run rustfmt (rustup component add rustfmt)");
    assert!(
        fmt.status.success(),
        "rustfmt failed: {}",
        String::from_utf8_lossy(&fmt.stderr)
    );

    let committed_dir = repo_root().join("entity/src/generated");
    let fresh = read_dir_files(&out);
    let _ = std::fs::remove_dir_all(&out);
    if std::env::var_os("SWITCHBOARD_BLESS_ENTITIES").is_some() {
        let _ = std::fs::remove_dir_all(&committed_dir);
        std::fs::create_dir_all(&committed_dir).expect("create entity/src/generated");
        for (name, text) in &fresh {
            std::fs::write(committed_dir.join(name), text).expect("write an entity file");
        }
        println!(
            "wrote {} files to {} (sea-orm-codegen {SEA_ORM_CODEGEN_VERSION})",
            fresh.len(),
            committed_dir.display()
        );
        return;
    }
    let committed = read_dir_files(&committed_dir);
    let missing: Vec<_> = fresh.keys().filter(|k| !committed.contains_key(*k)).collect();
    let extra: Vec<_> = committed.keys().filter(|k| !fresh.contains_key(*k)).collect();
    let changed: Vec<_> = fresh
        .iter()
        .filter(|(k, v)| committed.get(*k).is_some_and(|c| c != *v))
        .map(|(k, _)| k)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && changed.is_empty(),
        "entity/src/generated is stale (missing {missing:?}, extra {extra:?}, changed {changed:?}); \
         run scripts/generate-entities and commit the result"
    );
}
