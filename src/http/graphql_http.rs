//! GraphQL over HTTP, as the GraphQL-over-HTTP specification has it:
//! content negotiation between `application/json` and
//! `application/graphql-response+json`, 4xx for requests that fail before
//! execution (with the latter), mutations refused over GET, capped batches,
//! bounded bodies. Replaces async-graphql-axum's handler, which answers
//! every request the same way.

use std::time::Instant;

use async_graphql::{BatchRequest, BatchResponse, ErrorExtensionValues, Response as GqlResponse, ServerError, Value};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value as Json};

use super::auth;
use super::AppState;
use crate::graphql::extensions::RequestMeta;
use crate::infra::telemetry::Outcome;
use crate::service::identity::Viewer;

pub use super::media::{negotiate, MediaType};
use super::media::{prefers_html, APPLICATION_JSON};

/// A request refused before execution: status, message, media type.
pub(super) fn refuse(status: StatusCode, media: MediaType, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code_for_status(status) } }]
    });
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, media.header());
    res
}

fn code_for_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "UNAUTHENTICATED",
        StatusCode::FORBIDDEN => "FORBIDDEN",
        StatusCode::TOO_MANY_REQUESTS => "RATE_LIMITED",
        s if s.is_server_error() => "INTERNAL",
        _ => "BAD_USER_INPUT",
    }
}

/// serde_json refuses JSON nested more than 128 levels deep (its own
/// recursion limit, which keeps it and every later walk of the value off
/// the end of the stack); the request guard bounds variables further.
const TOO_DEEP_JSON: &str = "the request JSON nests lists or objects more than 128 levels deep";

fn is_too_deep(e: &serde_json::Error) -> bool {
    e.is_syntax() && e.to_string().starts_with("recursion limit exceeded")
}

/// One operation's parameters, checked for type before anything runs.
struct Params {
    query: String,
    operation_name: Option<String>,
    variables: Option<Map<String, Json>>,
    extensions: Option<Map<String, Json>>,
}

fn params_from_json(value: Json) -> Result<Params, String> {
    let Json::Object(mut obj) = value else {
        return Err("a request must be a JSON object".into());
    };
    let extensions = match obj.remove("extensions") {
        None | Some(Json::Null) => None,
        Some(Json::Object(m)) => Some(m),
        Some(_) => return Err("`extensions` must be an object".into()),
    };
    let persisted = extensions.as_ref().is_some_and(|e| e.contains_key("persistedQuery"));
    let query = match obj.remove("query") {
        Some(Json::String(q)) => q,
        None | Some(Json::Null) if persisted => String::new(),
        None | Some(Json::Null) => return Err("`query` is missing".into()),
        Some(_) => return Err("`query` must be a string".into()),
    };
    let operation_name = match obj.remove("operationName") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(s),
        Some(_) => return Err("`operationName` must be a string".into()),
    };
    let variables = match obj.remove("variables") {
        None | Some(Json::Null) => None,
        Some(Json::Object(m)) => Some(m),
        Some(_) => return Err("`variables` must be an object".into()),
    };
    Ok(Params {
        query,
        operation_name,
        variables,
        extensions,
    })
}

/// Builds GET parameters from the URL query (`variables` and `extensions`
/// are JSON text there).
fn params_from_url(raw: Option<&str>) -> Result<Params, String> {
    let mut obj = Map::new();
    for (k, v) in form_urlencoded(raw.unwrap_or("")) {
        let value = match k.as_str() {
            "variables" | "extensions" => serde_json::from_str::<Json>(&v).map_err(|e| {
                if is_too_deep(&e) {
                    format!("`{k}`: {TOO_DEEP_JSON}")
                } else {
                    format!("`{k}` must be URL-encoded JSON")
                }
            })?,
            _ => Json::String(v),
        };
        obj.insert(k, value);
    }
    params_from_json(Json::Object(obj))
}

fn form_urlencoded(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
                match hex.and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Params {
    fn into_request(
        self,
        state: &AppState,
        viewer: &Viewer,
        meta: std::sync::Arc<RequestMeta>,
    ) -> async_graphql::Request {
        let mut req = async_graphql::Request::new(self.query);
        if let Some(name) = self.operation_name {
            req = req.operation_name(name);
        }
        if let Some(vars) = self.variables {
            req = req.variables(async_graphql::Variables::from_json(Json::Object(vars)));
        }
        if let Some(ext) = self.extensions {
            for (k, v) in ext {
                if let Ok(value) = Value::from_json(v) {
                    req.extensions.insert(k, value);
                }
            }
        }
        with_data(state, viewer, meta, req)
    }
}

/// What every request's resolvers read: the viewer, the request's meta
/// and fresh loaders.
pub(super) fn with_data(
    state: &AppState,
    viewer: &Viewer,
    meta: std::sync::Arc<RequestMeta>,
    req: async_graphql::Request,
) -> async_graphql::Request {
    req.data(viewer.clone())
        .data(meta)
        .data(crate::graphql::loaders::Loaders::new(state.ctx.db.primary.clone()))
}

/// A response whose errors all arose before execution: no data, no paths.
pub fn is_request_error(res: &GqlResponse) -> bool {
    !res.errors.is_empty() && res.data == Value::Null && res.errors.iter().all(|e| e.path.is_empty())
}

/// Gives every error a code from the closed set (request and coercion
/// errors that carry none are the client's: `BAD_USER_INPUT`).
pub fn ensure_codes(errors: &mut [ServerError]) {
    for e in errors {
        let has_code = e.extensions.as_ref().is_some_and(|x| x.get("code").is_some());
        if !has_code {
            let ext = e.extensions.get_or_insert_with(ErrorExtensionValues::default);
            ext.set("code", "BAD_USER_INPUT");
        }
    }
}

/// A response failed before execution: its errors and extensions, no
/// `data` key (the GraphQL-over-HTTP specification's request error).
#[derive(serde::Serialize)]
struct RequestErrors<'a> {
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, Value>,
}

/// The response body, serialised straight from async-graphql's values
/// (no intermediate JSON tree).
fn response_body(mut res: GqlResponse) -> Vec<u8> {
    ensure_codes(&mut res.errors);
    let written = if is_request_error(&res) {
        serde_json::to_vec(&RequestErrors {
            errors: &res.errors,
            extensions: &res.extensions,
        })
    } else {
        serde_json::to_vec(&res)
    };
    written.unwrap_or_else(|e| {
        tracing::error!(error = %e, "a response could not be serialised");
        br#"{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}"#.to_vec()
    })
}

fn outcome(res: &GqlResponse) -> Outcome {
    if is_request_error(res) {
        Outcome::RequestError
    } else if res.errors.is_empty() {
        Outcome::Ok
    } else {
        Outcome::FieldError
    }
}

/// `POST /graphql`.
pub async fn post(State(state): State<AppState>, client: auth::ClientInfo, headers: HeaderMap, body: Body) -> Response {
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    match headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        Some(ct) if is_json_content_type(ct) => {}
        Some(ct) if super::uploads::is_multipart(ct) => {
            let ct = ct.to_string();
            return super::uploads::post(&state, media, client, &headers, &ct, body).await;
        }
        Some(_) => {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                media,
                "send the request as application/json (or multipart/form-data with files)",
            )
        }
        None => {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                media,
                "Content-Type is missing; send application/json",
            )
        }
    }
    let limit = state.ctx.config.limits.max_body_bytes;
    let bytes: Bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                media,
                &format!("the request body is larger than {limit} bytes"),
            )
        }
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return refuse(StatusCode::BAD_REQUEST, media, "the request body is empty");
    }
    let json: Json = match serde_json::from_slice(&bytes) {
        Ok(j) => j,
        Err(e) if is_too_deep(&e) => return refuse(StatusCode::BAD_REQUEST, media, TOO_DEEP_JSON),
        Err(_) => return refuse(StatusCode::BAD_REQUEST, media, "the request body is not valid JSON"),
    };
    let viewer = match auth::viewer_from_headers(&state.ctx, &headers, client).await {
        Ok(v) => v,
        Err(e) => return refuse_viewer(e, media),
    };
    match json {
        Json::Array(items) => {
            let max = state.ctx.config.limits.max_batch;
            if items.is_empty() {
                return refuse(StatusCode::BAD_REQUEST, media, "the batch is empty");
            }
            if items.len() > max {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    media,
                    &format!("a batch may hold at most {max} operations"),
                );
            }
            let mut params = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                match params_from_json(item) {
                    Ok(p) => params.push(p),
                    Err(msg) => return refuse(StatusCode::BAD_REQUEST, media, &format!("operation {i}: {msg}")),
                }
            }
            execute_batch(&state, media, &viewer, params).await
        }
        other => match params_from_json(other) {
            Ok(p) => execute_one(&state, media, &viewer, p, false).await,
            Err(msg) => refuse(StatusCode::BAD_REQUEST, media, &msg),
        },
    }
}

/// `GET /graphql`: a query in the URL, a WebSocket upgrade, or (for a
/// browser) a pointer to GraphiQL.
pub async fn get(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    if super::ws::is_upgrade(req.headers()) {
        return super::ws::upgrade(state, req).await;
    }
    let headers = req.headers().clone();
    let client = auth::ClientInfo::from_parts(req.headers(), req.extensions());
    let raw_query = req.uri().query().map(str::to_string);
    if raw_query
        .as_deref()
        .is_none_or(|q| !q.contains("query=") && !q.contains("extensions="))
        && prefers_html(&headers)
    {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, "/graphiql")]).into_response();
    }
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let params = match params_from_url(raw_query.as_deref()) {
        Ok(p) => p,
        Err(msg) => return refuse(StatusCode::BAD_REQUEST, media, &msg),
    };
    let viewer = match auth::viewer_from_headers(&state.ctx, &headers, client).await {
        Ok(v) => v,
        Err(e) => return refuse_viewer(e, media),
    };
    execute_one(&state, media, &viewer, params, true).await
}

fn is_json_content_type(ct: &str) -> bool {
    let mut parts = ct.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    if essence != APPLICATION_JSON {
        return false;
    }
    parts.all(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        !k.trim().eq_ignore_ascii_case("charset")
            || matches!(
                v.trim().trim_matches('"').to_ascii_lowercase().as_str(),
                "utf-8" | "utf8"
            )
    })
}

fn not_acceptable() -> Response {
    let mut res = refuse(
        StatusCode::NOT_ACCEPTABLE,
        MediaType::Json,
        "accept application/graphql-response+json or application/json",
    );
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    res
}

async fn execute_one(state: &AppState, media: MediaType, viewer: &Viewer, params: Params, get: bool) -> Response {
    let meta = RequestMeta::new(get, params.operation_name.clone());
    let request = params.into_request(state, viewer, meta.clone());
    execute_built(state, media, meta, request).await
}

/// Runs one request that already carries its data (see [`with_data`]):
/// the JSON path and multipart uploads share it.
pub(super) async fn execute_built(
    state: &AppState,
    media: MediaType,
    meta: std::sync::Arc<RequestMeta>,
    request: async_graphql::Request,
) -> Response {
    let started = Instant::now();
    let res = state.schema.execute(request).await;
    state.ctx.metrics.record(
        "http",
        meta.operation_name().as_deref(),
        outcome(&res),
        started.elapsed().as_secs_f64(),
    );
    let status = if meta.refused_non_query() {
        StatusCode::METHOD_NOT_ALLOWED
    } else if media == MediaType::GraphqlResponse && is_request_error(&res) {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let status = if nothing_ran_unavailable(&res) {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        status
    };
    let mut response = write_bytes(status, media, response_body(res));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        set_retry_after(&mut response);
    }
    if status == StatusCode::METHOD_NOT_ALLOWED {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    response
}

async fn execute_batch(state: &AppState, media: MediaType, viewer: &Viewer, params: Vec<Params>) -> Response {
    let started = Instant::now();
    let metas: Vec<_> = params
        .iter()
        .map(|p| RequestMeta::new(false, p.operation_name.clone()))
        .collect();
    let requests = params
        .into_iter()
        .zip(&metas)
        .map(|(p, m)| p.into_request(state, viewer, m.clone()))
        .collect();
    let responses = match state.schema.execute_batch(BatchRequest::Batch(requests)).await {
        BatchResponse::Batch(r) => r,
        BatchResponse::Single(r) => vec![r],
    };
    let elapsed = started.elapsed().as_secs_f64() / responses.len().max(1) as f64;
    let mut out = Vec::with_capacity(responses.len());
    for (res, meta) in responses.into_iter().zip(&metas) {
        state
            .ctx
            .metrics
            .record("http", meta.operation_name().as_deref(), outcome(&res), elapsed);
        out.push(response_body(res));
    }
    // `[a,b,…]` from the already serialised responses.
    let mut body = Vec::with_capacity(out.iter().map(|b| b.len() + 1).sum::<usize>() + 2);
    body.push(b'[');
    for (i, item) in out.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(item);
    }
    body.push(b']');
    write_bytes(StatusCode::OK, media, body)
}

/// True when the database could not be reached and nothing was answered:
/// every error is `UNAVAILABLE` and there is no data (none at all, or only
/// nulls at the root). Such a response is a 503 with `Retry-After`, so
/// clients and proxies back off and retry; partial data stays a 200.
fn nothing_ran_unavailable(res: &GqlResponse) -> bool {
    let unavailable = crate::error::ErrorCode::Unavailable.as_str();
    let all_unavailable = !res.errors.is_empty()
        && res.errors.iter().all(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .is_some_and(|c| matches!(c, Value::String(s) if s == unavailable))
        });
    let no_data = match &res.data {
        Value::Null => true,
        Value::Object(fields) => fields.values().all(|v| *v == Value::Null),
        _ => false,
    };
    all_unavailable && no_data
}

fn set_retry_after(res: &mut Response) {
    res.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(crate::error::UNAVAILABLE_RETRY_AFTER_SECS),
    );
}

/// Refuses a request whose credentials could not be checked: 503 with
/// `Retry-After` when the database is unreachable, else as
/// [`auth::refuse_credentials`] says.
pub(super) fn refuse_viewer(err: crate::error::AppError, media: MediaType) -> Response {
    if err.code() != crate::error::ErrorCode::Unavailable {
        return auth::refuse_credentials(err, media.header());
    }
    let body = serde_json::json!({
        "errors": [{
            "message": err.to_string(),
            "extensions": {
                "code": err.code().as_str(),
                "retryAfterSeconds": crate::error::UNAVAILABLE_RETRY_AFTER_SECS,
            }
        }]
    });
    let mut res = write(StatusCode::SERVICE_UNAVAILABLE, media, &body);
    set_retry_after(&mut res);
    res
}

fn write(status: StatusCode, media: MediaType, body: &Json) -> Response {
    write_bytes(status, media, body.to_string().into_bytes())
}

fn write_bytes(status: StatusCode, media: MediaType, body: Vec<u8>) -> Response {
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, media.header());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::VARY, HeaderValue::from_static("accept, authorization"));
    res
}

/// Methods other than GET and POST.
pub async fn other_method(method: Method) -> Response {
    let mut res = refuse(
        StatusCode::METHOD_NOT_ALLOWED,
        MediaType::Json,
        &format!("{method} is not supported on /graphql; use GET for queries or POST"),
    );
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parameters_decode() {
        let p = params_from_url(Some("query=%7B%20__typename%20%7D&variables=%7B%22a%22%3A1%7D")).unwrap();
        assert_eq!(p.query, "{ __typename }");
        assert_eq!(p.variables.unwrap()["a"], 1);
        assert!(params_from_url(Some("variables=nope&query=x")).is_err());
        assert_eq!(percent_decode("a+b%2"), "a b%2");
    }
}
