//! A small GraphQL-over-HTTP client for tests.

use serde_json::{json, Value};

/// One HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// `data` of a successful response; panics with the errors otherwise.
    pub fn data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors (HTTP {}): {}",
            self.status,
            self.body
        );
        &self.body["data"]
    }

    /// `extensions.code` of the first error.
    pub fn error_code(&self) -> Option<&str> {
        self.body["errors"][0]["extensions"]["code"].as_str()
    }

    pub fn error_message(&self) -> &str {
        self.body["errors"][0]["message"].as_str().unwrap_or("")
    }
}

/// Client bound to one server, optionally signed in.
#[derive(Clone)]
pub struct Client {
    pub endpoint: String,
    http: reqwest::Client,
    pub bearer: Option<String>,
    pub api_key: Option<String>,
    pub accept: String,
}

impl Client {
    pub fn new(endpoint: impl Into<String>) -> Self {
        Client {
            endpoint: endpoint.into(),
            http: reqwest::Client::new(),
            bearer: None,
            api_key: None,
            accept: "application/graphql-response+json, application/json;q=0.9".into(),
        }
    }

    pub fn with_token(&self, token: &str) -> Self {
        Client {
            bearer: Some(token.to_string()),
            ..self.clone()
        }
    }

    pub fn with_api_key(&self, key: &str) -> Self {
        Client {
            api_key: Some(key.to_string()),
            bearer: None,
            ..self.clone()
        }
    }

    pub fn accepting(&self, accept: &str) -> Self {
        Client {
            accept: accept.to_string(),
            ..self.clone()
        }
    }

    fn decorate(&self, mut req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        req = req.header("accept", &self.accept);
        if let Some(t) = &self.bearer {
            req = req.bearer_auth(t);
        }
        if let Some(k) = &self.api_key {
            req = req.header("x-api-key", k);
        }
        req
    }

    /// POSTs a JSON body as is.
    pub async fn post_json(&self, body: &Value) -> Reply {
        let req = self
            .decorate(self.http.post(&self.endpoint))
            .header("content-type", "application/json")
            .body(body.to_string());
        into_reply(req.send().await.expect("request sent")).await
    }

    /// Runs an operation with variables.
    pub async fn run(&self, query: &str, variables: Value) -> Reply {
        self.post_json(&json!({ "query": query, "variables": variables })).await
    }

    /// Runs an operation and returns its data, failing on any error.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        self.run(query, variables).await.data().clone()
    }

    /// GET with URL parameters.
    pub async fn get(&self, params: &[(&str, &str)]) -> Reply {
        let req = self.decorate(self.http.get(&self.endpoint)).query(params);
        into_reply(req.send().await.expect("request sent")).await
    }

    /// A raw request for transport-level checks.
    pub fn raw(&self) -> &reqwest::Client {
        &self.http
    }
}

async fn into_reply(res: reqwest::Response) -> Reply {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = res.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply {
        status,
        content_type,
        headers,
        body,
    }
}
