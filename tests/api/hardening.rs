//! The request edge under abuse (issue 9): no request crashes or freezes
//! the server, NUL characters and odd money strings are the client's
//! error, error lists stay bounded, and the security headers are sent.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::gql::{Client, Reply};
use crate::support::{ServerOptions, TestServer};
use crate::websocket::{connect, init, recv, send};

fn client(server: &TestServer) -> Client {
    Client::new(server.url("/graphql"))
}

/// Bounds a wait, so that a frozen server fails the test instead of
/// hanging it (a bound, not a timing assertion).
async fn bounded<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(120), f)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer in 120 s"))
}

fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errs| {
            errs.iter()
                .map(|e| e["extensions"]["code"].as_str().unwrap_or("<none>").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The answer is either data or errors that are all `BAD_USER_INPUT`.
fn assert_answered(what: &str, r: &Reply) {
    assert!(
        r.status == 200 || r.status == 400,
        "{what}: HTTP {} {}",
        r.status,
        short(&r.body)
    );
    let codes = codes(&r.body);
    if codes.is_empty() {
        assert!(
            !r.body["data"].is_null(),
            "{what}: neither data nor errors: {}",
            short(&r.body)
        );
    } else {
        assert!(
            codes.iter().all(|c| c == "BAD_USER_INPUT"),
            "{what}: codes {codes:?}: {}",
            short(&r.body)
        );
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    s.chars().take(600).collect()
}

fn reason(r: &Reply) -> Option<&str> {
    r.body["errors"][0]["extensions"]["reason"].as_str()
}

async fn healthz(server: &TestServer) -> u16 {
    reqwest::Client::new()
        .get(server.url("/healthz"))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("/healthz answers")
        .status()
        .as_u16()
}

/// One nesting shape: the query text and variables for a depth.
#[derive(Clone, Copy, Debug)]
enum Shape {
    ListLiteral,
    ObjectLiteral,
    Selections,
    VariablesJson,
}

impl Shape {
    const ALL: [Shape; 4] = [
        Shape::ListLiteral,
        Shape::ObjectLiteral,
        Shape::Selections,
        Shape::VariablesJson,
    ];

    /// Bytes each level adds to a URL (percent-encoded).
    fn url_bytes_per_level(self) -> usize {
        match self {
            Shape::ListLiteral | Shape::VariablesJson => 6,
            Shape::ObjectLiteral => 10,
            Shape::Selections => 7,
        }
    }

    /// Bytes each level adds to the request (in JSON, unencoded).
    fn bytes_per_level(self) -> usize {
        match self {
            Shape::ListLiteral | Shape::VariablesJson => 2,
            Shape::ObjectLiteral => 4,
            Shape::Selections => 3,
        }
    }

    fn request(self, depth: usize) -> (String, Value) {
        match self {
            Shape::ListLiteral => (
                format!(
                    "{{ __type(name: {}\"x\"{}) {{ name }} }}",
                    "[".repeat(depth),
                    "]".repeat(depth)
                ),
                json!({}),
            ),
            Shape::ObjectLiteral => (
                format!(
                    "{{ __type(name: {}1{}) {{ name }} }}",
                    "{a:".repeat(depth),
                    "}".repeat(depth)
                ),
                json!({}),
            ),
            Shape::Selections => (
                format!("{}{}", "{a".repeat(depth), "}".repeat(depth)).replacen("{a", "{__typename ", 1),
                json!({}),
            ),
            Shape::VariablesJson => {
                let text = format!("{}\"x\"{}", "[".repeat(depth), "]".repeat(depth));
                (
                    "query($v: String!) { __type(name: $v) { name } }".to_string(),
                    Value::String(text),
                )
            }
        }
    }
}

/// The JSON body for `shape` at `depth`, written by hand (serde_json
/// itself refuses to build values nested this deep).
fn body(shape: Shape, depth: usize) -> String {
    let (query, vars) = shape.request(depth);
    match vars {
        Value::String(raw) => format!(r#"{{"query":{},"variables":{{"v":{raw}}}}}"#, Value::String(query)),
        _ => format!(r#"{{"query":{}}}"#, Value::String(query)),
    }
}

async fn post_raw(server: &TestServer, body: String) -> Reply {
    let res = reqwest::Client::new()
        .post(server.url("/graphql"))
        .header("content-type", "application/json")
        .header("accept", "application/graphql-response+json")
        .timeout(Duration::from_secs(60))
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("the server does not answer: {}", short(&Value::String(e.to_string()))));
    reply(res).await
}

async fn get_raw(server: &TestServer, shape: Shape, depth: usize) -> Reply {
    let (query, vars) = shape.request(depth);
    let mut params = vec![("query", query)];
    if let Value::String(raw) = vars {
        params.push(("variables", format!(r#"{{"v":{raw}}}"#)));
    }
    let res = reqwest::Client::new()
        .get(server.url("/graphql"))
        .query(&params)
        .header("accept", "application/graphql-response+json")
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .unwrap_or_else(|e| panic!("the server does not answer: {}", short(&Value::String(e.to_string()))));
    reply(res).await
}

async fn reply(res: reqwest::Response) -> Reply {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = res.text().await.unwrap_or_default();
    Reply {
        status,
        content_type,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

#[tokio::test]
async fn nesting_sweep_up_to_the_body_limit_never_crashes_the_server() {
    let server = TestServer::start().await;
    let limit = server.ctx.config.limits.max_body_bytes;
    let max_nesting = server.ctx.config.limits.max_nesting;
    for shape in Shape::ALL {
        // The deepest request that still fits in the body limit.
        let fits = (limit - 100) / shape.bytes_per_level();
        let mut depths = vec![1, 10, 100, 1_000, 10_000, 100_000, fits];
        depths.retain(|&d| d <= fits);
        for depth in depths {
            let b = body(shape, depth);
            assert!(b.len() <= limit, "{shape:?} {depth}: {} bytes", b.len());
            let r = post_raw(&server, b).await;
            assert_answered(&format!("POST {shape:?} depth {depth}"), &r);
            if depth > max_nesting && depth <= 128 {
                assert_eq!(
                    reason(&r),
                    Some("NESTING_TOO_DEEP"),
                    "POST {shape:?} {depth}: {}",
                    short(&r.body)
                );
            }
            if depth > 128 {
                let message = r.body["errors"][0]["message"].as_str().unwrap_or("");
                assert!(message.contains("levels deep"), "POST {shape:?} {depth}: {message}");
            }
        }
        // A URL holds less than a body (the client caps it at 64 KiB).
        let fits = 60_000 / shape.url_bytes_per_level();
        let mut depths = vec![1, 10, 100, 1_000, 10_000, fits];
        depths.retain(|&d| d <= fits);
        for depth in depths {
            let r = get_raw(&server, shape, depth).await;
            assert_answered(&format!("GET {shape:?} depth {depth}"), &r);
            if depth > max_nesting {
                let message = r.body["errors"][0]["message"].as_str().unwrap_or("");
                assert!(message.contains("levels deep"), "GET {shape:?} {depth}: {message}");
            }
        }
    }
    // Shallow shapes are still answered normally.
    let ok = client(&server)
        .run("{ __type(name: \"Query\") { name } }", json!({}))
        .await;
    assert_eq!(ok.data()["__type"]["name"], "Query");
    assert_eq!(healthz(&server).await, 200, "the server is still up");
    server.stop().await;
}

#[tokio::test]
async fn websocket_operations_go_through_the_same_guard() {
    let server = TestServer::start().await;
    let mut socket = connect(&server, Some("graphql-transport-ws")).await;
    init(&mut socket, json!({})).await;
    let deep = format!(
        "{{ __type(name: {}\"x\"{}) {{ name }} }}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    send(
        &mut socket,
        json!({"id": "deep", "type": "subscribe", "payload": {"query": deep}}),
    )
    .await;
    let msg = recv(&mut socket).await;
    assert_eq!(msg["type"], "error", "{}", short(&msg));
    assert_eq!(msg["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(msg["payload"][0]["extensions"]["reason"], "NESTING_TOO_DEEP");

    let nul = "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }";
    send(
        &mut socket,
        json!({"id": "nul", "type": "subscribe", "payload": {"query": nul, "variables": {
            "i": {"email": "ws\u{0}@example.test", "password": "correct horse battery staple", "displayName": "ws"}
        }}}),
    )
    .await;
    let msg = recv(&mut socket).await;
    assert_eq!(msg["type"], "error", "{}", short(&msg));
    assert_eq!(msg["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(msg["payload"][0]["extensions"]["fields"][0], "$i.email");

    let literal = r#"{ __type(name: "Qu\u0000ery") { name } }"#;
    send(
        &mut socket,
        json!({"id": "lit", "type": "subscribe", "payload": {"query": literal}}),
    )
    .await;
    let msg = recv(&mut socket).await;
    assert_eq!(msg["type"], "error", "{}", short(&msg));
    assert_eq!(msg["payload"][0]["extensions"]["reason"], "NUL_CHARACTER");
    assert_eq!(msg["payload"][0]["extensions"]["fields"][0], "name");

    // The socket still works.
    send(
        &mut socket,
        json!({"id": "ok", "type": "subscribe", "payload": {"query": "{ apiVersion }"}}),
    )
    .await;
    let msg = recv(&mut socket).await;
    assert_eq!(msg["type"], "next", "{}", short(&msg));
    assert_eq!(msg["payload"]["data"]["apiVersion"], env!("CARGO_PKG_VERSION"));
    server.stop().await;
}

/// `query { ...F0 }` where each of `levels` fragments spreads the next
/// twice: 2^levels leaves once expanded.
fn fan_out(levels: usize) -> String {
    let mut q = String::from("query { ...F0 }\n");
    for i in 0..levels {
        q.push_str(&format!("fragment F{i} on Query {{ ...F{n} ...F{n} }}\n", n = i + 1));
    }
    q.push_str(&format!("fragment F{levels} on Query {{ __typename }}\n"));
    q
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragment_fan_out_is_refused_while_healthz_keeps_answering() {
    let server = TestServer::start().await;
    let client = client(&server);
    // 2^40 leaves: validation alone would run for hours.
    let heavy = {
        let c = client.clone();
        tokio::spawn(async move { c.run(&fan_out(40), json!({})).await })
    };
    // A legal fan-out (2^11 leaves) big enough to be validated off the
    // runtime threads.
    let legal = {
        let c = client.clone();
        tokio::spawn(async move { c.run(&fan_out(11), json!({})).await })
    };
    assert_eq!(healthz(&server).await, 200);
    let r = bounded("the fan-out", heavy).await.expect("the request task ran");
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", short(&r.body));
    assert_eq!(reason(&r), Some("TOO_COMPLEX"), "{}", short(&r.body));
    assert!(r.error_message().contains("too complex"), "{}", r.error_message());
    let r = bounded("the legal fan-out", legal).await.expect("the request task ran");
    assert_eq!(r.data()["__typename"], "Query");

    // A cycle with fan-out is refused too, not expanded.
    let r = client
        .run(
            "{ ...A } fragment A on Query { ...B ...B } fragment B on Query { ...A ...A }",
            json!({}),
        )
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    assert_eq!(reason(&r), Some("FRAGMENT_CYCLE"), "{}", short(&r.body));
    // So is a chain of fragments deeper than the recursion bound.
    let mut chain = String::from("{ ...C0 }\n");
    for i in 0..5_000 {
        chain.push_str(&format!("fragment C{i} on Query {{ ...C{} }}\n", i + 1));
    }
    chain.push_str("fragment C5000 on Query { __typename }\n");
    let r = client.run(&chain, json!({})).await;
    assert_eq!(reason(&r), Some("TOO_COMPLEX"), "{}", short(&r.body));
    assert_eq!(healthz(&server).await, 200);
    server.stop().await;
}

#[tokio::test]
async fn thousands_of_unknown_arguments_give_a_bounded_error_list() {
    let server = TestServer::start().await;
    let max = server.ctx.config.limits.max_errors;
    let args: Vec<String> = (0..60).map(|i| format!("x{i}: 1")).collect();
    let field = format!("apiVersion({})", args.join(", "));
    let query = format!("{{ {} }}", vec![field; 50].join(" "));
    let r = client(&server).run(&query, json!({})).await;
    let errors = r.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("errors: {}", short(&r.body)));
    assert_eq!(errors.len(), max + 1, "{}", short(&r.body));
    assert!(codes(&r.body).iter().all(|c| c == "BAD_USER_INPUT"));
    let last = &errors[max];
    let dropped = last["extensions"]["droppedErrors"].as_u64().unwrap_or(0) as usize;
    assert!(dropped >= 60 * 50 - max, "{last}");
    assert!(last["message"].as_str().unwrap_or("").contains("left out"), "{last}");
    let size = r.body.to_string().len();
    assert!(size < 64 * 1024, "the error response is {size} bytes");

    // One unknown argument whose name is most of the body is not echoed whole.
    let name = format!("a{}", "b".repeat(500_000));
    let r = client(&server)
        .run(&format!("{{ apiVersion({name}: 1) }}"), json!({}))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    let size = r.body.to_string().len();
    assert!(size < 8 * 1024, "the error response is {size} bytes");
    server.stop().await;
}

#[tokio::test]
async fn too_many_aliases_are_refused() {
    let server = TestServer::with(ServerOptions {
        env: vec![("SWITCHBOARD_MAX_ALIASES", "5".into())],
        ..Default::default()
    })
    .await;
    let client = client(&server);
    let aliases = |n: usize| {
        (0..n)
            .map(|i| format!("a{i}: __typename"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let r = client.run(&format!("{{ {} }}", aliases(5)), json!({})).await;
    assert_eq!(r.data()["a4"], "Query");
    let r = client.run(&format!("{{ {} }}", aliases(6)), json!({})).await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    assert_eq!(reason(&r), Some("TOO_MANY_ALIASES"), "{}", short(&r.body));
    // Aliases in a fragment count once per spread.
    let r = client
        .run(
            &format!(
                "{{ ...F ...G }} fragment F on Query {{ {} }} fragment G on Query {{ ...F }}",
                aliases(3)
            ),
            json!({}),
        )
        .await;
    assert_eq!(reason(&r), Some("TOO_MANY_ALIASES"), "{}", short(&r.body));
    server.stop().await;
}

/// Asserts a NUL refusal naming `field`.
fn assert_nul(what: &str, r: &Reply, field: &str) {
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{what}: {}", short(&r.body));
    assert_eq!(reason(r), Some("NUL_CHARACTER"), "{what}: {}", short(&r.body));
    assert_eq!(
        r.body["errors"][0]["extensions"]["fields"][0],
        field,
        "{what}: {}",
        short(&r.body)
    );
    assert!(r.error_message().contains(field), "{what}: {}", r.error_message());
}

#[tokio::test]
async fn nul_characters_are_bad_user_input_on_every_input_kind() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let alice = server.customer("alice").await;
    let anon = server.anon();

    // A variable string (the email of a sign-up).
    let register = "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }";
    let r = anon
        .run(
            register,
            json!({"i": {"email": "nul\u{0}@example.test", "password": "correct horse battery staple", "displayName": "n"}}),
        )
        .await;
    assert_nul("variable", &r, "$i.email");
    let r = anon
        .run(
            register,
            json!({"i": {"email": "nul@example.test", "password": "correct horse battery staple", "displayName": "a\u{0}b"}}),
        )
        .await;
    assert_nul("display name", &r, "$i.displayName");

    // An inline string literal (a ticket subject).
    let r = alice
        .client
        .run(
            r#"mutation { createTicket(input: { subject: "Hi\u0000", description: "d" }) { ticket { id } } }"#,
            json!({}),
        )
        .await;
    assert_nul("inline literal", &r, "input.subject");

    // A nested input-object field, inside a list.
    let create = "mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }";
    let r = alice
        .client
        .run(
            create,
            json!({"i": {"subject": "s", "description": "d",
                "attachments": [{"fileName": "a\u{0}.pdf", "url": "https://files.example.test/a.pdf"}]}}),
        )
        .await;
    assert_nul("nested field", &r, "$i.attachments[0].fileName");

    // A JSON scalar value, and a JSON object key.
    let r = alice
        .client
        .run(
            create,
            json!({"i": {"subject": "s", "description": "d", "customFields": {"note": ["x", "y\u{0}"]}}}),
        )
        .await;
    assert_nul("JSON scalar", &r, "$i.customFields.note[1]");
    let r = alice
        .client
        .run(
            r#"mutation { createTicket(input: { subject: "s", description: "d", customFields: { k: { deep: "\u0000" } } }) { ticket { id } } }"#,
            json!({}),
        )
        .await;
    assert_nul("inline JSON scalar", &r, "input.customFields.k.deep");

    // A list element (tags on a real ticket).
    let ticket = alice
        .client
        .data(create, json!({"i": {"subject": "s", "description": "d"}}))
        .await["createTicket"]["ticket"]["id"]
        .clone();
    let r = admin
        .client
        .run(
            "mutation($i: TagTicketInput!) { tagTicket(input: $i) { ticket { id } } }",
            json!({"i": {"ticketId": ticket, "add": ["fine", "b\u{0}d"]}}),
        )
        .await;
    assert_nul("list element", &r, "$i.add[1]");

    // A search string and an idempotency key.
    let r = admin
        .client
        .run(
            "query($s: String) { tickets(filter: { search: $s }) { totalCount } }",
            json!({"s": "\u{0}"}),
        )
        .await;
    assert_nul("search", &r, "$s");
    let r = alice
        .client
        .run(
            "mutation($i: DebitWalletInput!) { debitWallet(input: $i) { replayed } }",
            json!({"i": {"amount": "1", "referenceType": "LEAD", "idempotencyKey": "k\u{0}"}}),
        )
        .await;
    assert_nul("idempotency key", &r, "$i.idempotencyKey");

    // A default value of a variable.
    let r = alice
        .client
        .run(
            r#"query($s: String = "a\u0000") { tickets(filter: { search: $s }) { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_nul("default value", &r, "$s");

    // The same inputs without the NUL work, so the refusals were the NUL's.
    let ok = alice
        .client
        .data(
            create,
            json!({"i": {"subject": "s", "description": "d", "customFields": {"note": ["x", "y"]}}}),
        )
        .await;
    assert!(ok["createTicket"]["ticket"]["id"].is_string());
    server.stop().await;
}

#[tokio::test]
async fn money_strings_are_plain_decimals_and_out_of_range_says_so() {
    let server = TestServer::start().await;
    let alice = server.customer("alice").await;
    let debit = "mutation($i: DebitWalletInput!) { debitWallet(input: $i) { replayed } }";
    for (n, amount) in ["1E2", "1e-5", " 1", "+1", "0x10", "NaN"].into_iter().enumerate() {
        let r = alice
            .client
            .run(
                debit,
                json!({"i": {"amount": amount, "referenceType": "LEAD", "idempotencyKey": format!("m-{n}")}}),
            )
            .await;
        assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{amount:?}: {}", short(&r.body));
        assert!(
            r.error_message().contains("plain decimal"),
            "{amount:?}: {}",
            r.error_message()
        );
    }
    // 10^28 minor units is past what a wallet holds (`wallets_balance_max_check`).
    for (n, amount) in ["1".repeat(40), format!("1{}", "0".repeat(28))].into_iter().enumerate() {
        let r = alice
            .client
            .run(
                debit,
                json!({"i": {"amount": amount, "referenceType": "LEAD", "idempotencyKey": format!("r-{n}")}}),
            )
            .await;
        assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{amount}: {}", short(&r.body));
        assert!(
            r.error_message().contains("out of range"),
            "{amount}: {}",
            r.error_message()
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn responses_say_nosniff_and_graphiql_cannot_be_framed() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let nosniff = |r: &reqwest::Response| {
        r.headers()
            .get("x-content-type-options")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    for path in [
        "/healthz",
        "/graphiql",
        "/no-such-page",
        "/graphql?query=%7B__typename%7D",
    ] {
        let r = http.get(server.url(path)).send().await.unwrap();
        assert_eq!(nosniff(&r).as_deref(), Some("nosniff"), "{path}");
    }
    let r = http
        .post(server.url("/graphql"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(nosniff(&r).as_deref(), Some("nosniff"), "a refused POST");

    let r = http.get(server.url("/graphiql")).send().await.unwrap();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(header("x-frame-options"), "DENY");
    assert!(
        header("content-security-policy").contains("frame-ancestors 'none'"),
        "{}",
        header("content-security-policy")
    );
    server.stop().await;
}
