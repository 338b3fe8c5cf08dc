//! The layout rules of the code base, checked cheaply so they stay true:
//! the service layer knows nothing of its transports, and no source file
//! outside `src/seed/` grows past 600 lines.

use std::path::{Path, PathBuf};

/// The longest a source file may be (generated seed data aside).
const MAX_LINES: usize = 600;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn relative(path: &Path) -> String {
    let root = crate::support::repo_root();
    path.strip_prefix(&root).unwrap_or(path).display().to_string()
}

/// `src/service` is called by GraphQL resolvers, HTTP handlers, jobs and
/// the CLI alike; it must not reach back into `crate::http` or
/// `crate::graphql` (move what both need into the service layer).
#[test]
fn the_service_layer_imports_nothing_from_http_or_graphql() {
    let mut files = Vec::new();
    rust_files(&crate::support::repo_root().join("src/service"), &mut files);
    assert!(!files.is_empty(), "no files under src/service");
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.contains("crate::http") || code.contains("crate::graphql") {
                found.push(format!("{}:{}: {}", relative(file), i + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "src/service must not use the transports:\n{}",
        found.join("\n")
    );
}

/// Big files are split along their seams; `src/seed/` (generated demo
/// data) is exempt.
#[test]
fn no_source_file_exceeds_600_lines() {
    let root = crate::support::repo_root();
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let seed = root.join("src/seed");
    let mut long: Vec<(usize, String)> = files
        .iter()
        .filter(|f| !f.starts_with(&seed))
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).ok()?.lines().count();
            (lines > MAX_LINES).then(|| (lines, relative(f)))
        })
        .collect();
    long.sort_by(|a, b| b.cmp(a));
    assert!(
        long.is_empty(),
        "files above {MAX_LINES} lines (split them along their seams):\n{}",
        long.iter()
            .map(|(n, f)| format!("{n:>5} {f}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
