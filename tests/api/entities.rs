//! `entity/src/generated/` is what sea-orm-cli makes of the migrated
//! schema, never hand-edited. This test regenerates it from a fresh
//! database and fails on any difference; `scripts/generate-entities` runs it
//! with `SWITCHBOARD_WRITE_ENTITIES=1` to rewrite the folder instead.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::support::{fresh_database, repo_root, scratch_dir};

/// The sea-orm-cli version the committed entities were made with.
pub const SEA_ORM_CLI_VERSION: &str = "2.0.4";

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

#[tokio::test]
async fn generated_entities_match_the_migrated_schema() {
    let version = Command::new("sea-orm-cli")
        .arg("--version")
        .output()
        .unwrap_or_else(|_| {
            panic!("sea-orm-cli is needed: cargo install sea-orm-cli --version {SEA_ORM_CLI_VERSION} --locked")
        });
    let version = String::from_utf8_lossy(&version.stdout).to_string();
    assert!(
        version.contains(SEA_ORM_CLI_VERSION),
        "sea-orm-cli {SEA_ORM_CLI_VERSION} is needed, found {version}"
    );
    let url = fresh_database().await;
    let out = scratch_dir("entities");
    let gen = Command::new("sea-orm-cli")
        .args(["generate", "entity", "--database-url", &url, "--output-dir"])
        .arg(&out)
        .args([
            "--with-serde",
            "none",
            "--date-time-crate",
            "chrono",
            "--banner-version",
            "off",
            "--ignore-tables",
            "seaql_migrations",
        ])
        .output()
        .expect("run sea-orm-cli");
    assert!(
        gen.status.success(),
        "sea-orm-cli failed: {}",
        String::from_utf8_lossy(&gen.stderr)
    );
    let files: Vec<_> = std::fs::read_dir(&out).unwrap().flatten().map(|e| e.path()).collect();
    let fmt = Command::new("rustfmt")
        .args(["--edition", "2021", "--config-path"])
        .arg(repo_root().join("rustfmt.toml"))
        .args(&files)
        .output()
        .expect("run rustfmt");
    assert!(
        fmt.status.success(),
        "rustfmt failed: {}",
        String::from_utf8_lossy(&fmt.stderr)
    );

    let committed_dir = repo_root().join("entity/src/generated");
    let fresh = read_dir_files(&out);
    if std::env::var_os("SWITCHBOARD_WRITE_ENTITIES").is_some() {
        let _ = std::fs::remove_dir_all(&committed_dir);
        std::fs::create_dir_all(&committed_dir).unwrap();
        for (name, text) in &fresh {
            std::fs::write(committed_dir.join(name), text).unwrap();
        }
        println!("wrote {} files to {}", fresh.len(), committed_dir.display());
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
    let _ = std::fs::remove_dir_all(&out);
}
