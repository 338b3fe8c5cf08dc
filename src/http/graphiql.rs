//! The GraphiQL IDE at `/graphiql`, with its scripts and styles served by
//! this server (vendored in `assets/graphiql/`), so it works with no
//! internet and no request leaves the server's origin.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "react.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/graphiql/react.production.min.js"),
    },
    Asset {
        name: "react-dom.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    },
    Asset {
        name: "graphiql.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/graphiql/graphiql.min.js"),
    },
    Asset {
        name: "graphiql.min.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/graphiql/graphiql.min.css"),
    },
];

/// Version tag in asset URLs, so browsers may cache them for long.
const ASSET_VERSION: &str = "3.9.0";

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Switchboard GraphiQL</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/graphiql/assets/VERSION/graphiql.min.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading…</div>
  <script src="/graphiql/assets/VERSION/react.production.min.js"></script>
  <script src="/graphiql/assets/VERSION/react-dom.production.min.js"></script>
  <script src="/graphiql/assets/VERSION/graphiql.min.js"></script>
  <script>
    (function () {
      var http = new URL('/graphql', window.location.href).toString();
      var ws = http.replace(/^http/, 'ws');
      // Sign-in for subscriptions: the Authorization header from the
      // headers editor is sent in connection_init.
      var fetcher = GraphiQL.createFetcher({
        url: http,
        subscriptionUrl: ws,
        wsConnectionParams: function () {
          try {
            var raw = localStorage.getItem('graphiql:headers');
            var headers = raw ? JSON.parse(raw) : {};
            var auth = headers.Authorization || headers.authorization;
            return auth ? { authorization: auth } : {};
          } catch (e) { return {}; }
        }
      });
      var root = ReactDOM.createRoot(document.getElementById('graphiql'));
      root.render(React.createElement(GraphiQL, {
        fetcher: fetcher,
        defaultEditorToolsVisibility: true,
        isHeadersEditorEnabled: true,
        shouldPersistHeaders: true
      }));
    })();
  </script>
</body>
</html>
"#;

/// `GET /graphiql`.
pub async fn page() -> Response {
    let mut res = Html(PAGE.replace("VERSION", ASSET_VERSION)).into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Everything the page needs comes from this origin, and no other page
    // may frame it (a framed IDE holding a token invites clickjacking).
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'",
        ),
    );
    // For browsers that predate `frame-ancestors`.
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

/// `GET /graphiql/assets/{version}/{file}`.
pub async fn asset(Path((version, name)): Path<(String, String)>) -> Response {
    if version != ASSET_VERSION {
        return StatusCode::NOT_FOUND.into_response();
    }
    match ASSETS.iter().find(|a| a.name == name) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(a.content_type)),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
            ],
            a.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
