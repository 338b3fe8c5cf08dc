//! GraphiQL is served with its own assets and works with no internet.

use crate::support::{run_node, TestServer};

#[tokio::test]
async fn page_references_only_its_own_origin() {
    let server = TestServer::start().await;
    let html = reqwest::get(server.url("/graphiql"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut assets = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for piece in html.split(attr).skip(1) {
            let target = piece.split('"').next().unwrap_or("");
            assert!(
                target.starts_with('/') || target.starts_with("data:"),
                "GraphiQL references {target}, outside this server"
            );
            if target.starts_with("/graphiql/assets/") {
                assets.push(target.to_string());
            }
        }
    }
    assert_eq!(assets.len(), 4, "{assets:?}");
    for path in assets {
        let r = reqwest::get(server.url(&path)).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.bytes().await.unwrap().len() > 1000, "{path} has content");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_runs_a_query_in_headless_chromium_without_leaving_loopback() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("Chromium is needed for this test: apt-get install chromium");
    let server = TestServer::start().await;
    let out = run_node("graphiql-offline.mjs", &[&server.url("/graphiql"), chromium]).await;
    let requests: Vec<&str> = out["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(requests.len() >= 5, "the page loaded its assets: {requests:?}");
    let origin = format!("http://{}/", server.addr);
    for url in &requests {
        assert!(
            url.starts_with(&origin) || url.starts_with("data:"),
            "a request left the server: {url}"
        );
    }
    assert_eq!(
        out["failed"].as_array().map(Vec::len),
        Some(0),
        "failed requests: {}",
        out["failed"]
    );
    assert_eq!(out["response"]["data"]["apiVersion"], env!("CARGO_PKG_VERSION"));
    assert!(out["shown"].as_str().unwrap_or("").contains(env!("CARGO_PKG_VERSION")));
    server.stop().await;
}
