//! Uploads and downloads (issue 12), through real multipart requests on
//! `/graphql` and signed links on `/files/{id}`: files judged by their
//! bytes, over-limit requests refused with nothing stored, no orphan
//! objects after a failed transaction, and nobody but the owner (and
//! reviewers) can read a document. The same suite runs against the local
//! file system and an S3-compatible server started in-process (s3s-fs).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{json, Value};

use crate::support::gql::{Client, Reply};
use crate::support::{scratch_dir, ServerOptions, TestServer};

/// A PNG's signature and a little body.
pub fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&[0u8, 0, 0, 13, b'I', b'H', b'D', b'R', 1, 2, 3, 4, 5, 6, 7, 8]);
    v
}

pub fn jpeg() -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.extend_from_slice(b"\0\x10JFIF\0 jpeg body");
    v
}

pub fn webp() -> Vec<u8> {
    let mut v = b"RIFF\x20\0\0\0WEBPVP8 ".to_vec();
    v.extend_from_slice(b"webp body bytes");
    v
}

/// One file part of a multipart request, bound to a variable path.
pub struct FilePart {
    pub path: &'static str,
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

impl FilePart {
    pub fn new(path: &'static str, name: &'static str, content_type: &'static str, bytes: Vec<u8>) -> Self {
        FilePart {
            path,
            name,
            content_type,
            bytes,
        }
    }
}

/// Sends `query` as a GraphQL multipart request (operations, map, files).
pub async fn upload(client: &Client, query: &str, variables: Value, files: Vec<FilePart>) -> Reply {
    let mut map = serde_json::Map::new();
    for (i, f) in files.iter().enumerate() {
        map.insert(i.to_string(), json!([format!("variables.{}", f.path)]));
    }
    let mut form = reqwest::multipart::Form::new()
        .text(
            "operations",
            json!({"query": query, "variables": variables}).to_string(),
        )
        .text("map", Value::Object(map).to_string());
    for (i, f) in files.into_iter().enumerate() {
        let part = reqwest::multipart::Part::bytes(f.bytes)
            .file_name(f.name)
            .mime_str(f.content_type)
            .expect("mime");
        form = form.part(i.to_string(), part);
    }
    let mut req = client
        .raw()
        .post(&client.endpoint)
        .header("accept", "application/json")
        .multipart(form);
    if let Some(t) = &client.bearer {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("upload sent");
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

pub const SUBMIT_KYC: &str = "mutation($input: SubmitKycInput!) { submitKyc(input: $input) { kyc { id status \
     maskedDocumentNumber documents { id documentType mimeType sizeBytes sha256 fileName downloadUrl } } } }";

/// The KYC input without its files (they go in as parts).
pub fn kyc_input(id_number: &str) -> Value {
    json!({"input": {
        "fullName": "Ada Lovelace", "dateOfBirth": "1990-12-10", "country": "GB",
        "addressLine": "12 St James's Square, London", "idDocumentType": "PASSPORT",
        "documentNumber": id_number, "front": null, "back": null, "selfie": null,
    }})
}

/// Submits KYC with a PNG front sent as `x.pdf` / `application/pdf`.
pub async fn submit_kyc(client: &Client, id_number: &str) -> Reply {
    upload(
        client,
        SUBMIT_KYC,
        kyc_input(id_number),
        vec![
            FilePart::new("input.front", "x.pdf", "application/pdf", png()),
            FilePart::new("input.back", "back.jpg", "image/jpeg", jpeg()),
            FilePart::new("input.selfie", "me.webp", "image/webp", webp()),
        ],
    )
    .await
}

/// GETs a server path with an optional bearer.
pub async fn fetch(server: &TestServer, path: &str, bearer: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(server.url(path));
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("download sent")
}

pub async fn db(server: &TestServer) -> DatabaseConnection {
    Database::connect(&server.database_url).await.expect("connect")
}

pub async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(sea_orm::DbBackend::Postgres, sql))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("an i64")
}

/// Files under `dir`, recursively (objects of the store).
fn files_under(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                files_under(&p)
            } else {
                usize::from(!p.to_string_lossy().contains(".s3s"))
            }
        })
        .sum()
}

/// A server over one store, with where its objects land on disk.
struct Setup {
    server: TestServer,
    objects: PathBuf,
}

async fn local(extra: Vec<(&'static str, String)>) -> Setup {
    crate::support::test_log();
    let data = scratch_dir("storage-local");
    let mut env = vec![("SWITCHBOARD_DATA_DIR", data.display().to_string())];
    env.extend(extra);
    let server = TestServer::with(ServerOptions {
        env,
        ..Default::default()
    })
    .await;
    Setup {
        server,
        objects: data.join("files"),
    }
}

/// Starts an in-process S3-compatible server (s3s-fs) on 127.0.0.1:0 with
/// one bucket, and returns its address and root directory.
async fn s3_server() -> (SocketAddr, PathBuf) {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto::Builder;

    let root = scratch_dir("s3s");
    std::fs::create_dir_all(root.join("docs")).expect("bucket dir");
    let fs = s3s_fs::FileSystem::new(&root).expect("s3s-fs");
    let mut b = s3s::service::S3ServiceBuilder::new(fs);
    b.set_auth(s3s::auth::SimpleAuth::from_single("test-access", "test-secret-key"));
    let service = b.build().into_shared();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind s3");
    let addr = listener.local_addr().expect("s3 addr");
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let service = service.clone();
            tokio::spawn(async move {
                let _ = Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
        }
    });
    (addr, root)
}

async fn s3(extra: Vec<(&'static str, String)>) -> Setup {
    let (addr, root) = s3_server().await;
    let mut env = vec![
        ("SWITCHBOARD_STORAGE_URL", "s3://docs".to_string()),
        ("SWITCHBOARD_S3_ENDPOINT", format!("http://{addr}")),
        ("SWITCHBOARD_S3_REGION", "us-east-1".to_string()),
        ("SWITCHBOARD_S3_ACCESS_KEY_ID", "test-access".to_string()),
        ("SWITCHBOARD_S3_SECRET_ACCESS_KEY", "test-secret-key".to_string()),
    ];
    env.extend(extra);
    let server = TestServer::with(ServerOptions {
        env,
        ..Default::default()
    })
    .await;
    Setup {
        server,
        objects: root.join("docs"),
    }
}

/// A PNG sent as `application/pdf` named `x.pdf` is stored as image/png
/// with its SHA-256, and its owner downloads the same bytes with safe
/// headers.
async fn judged_by_bytes(s: &Setup) {
    let alice = s.server.customer("alice").await;
    let reply = submit_kyc(&alice.client, "P1234567").await;
    let kyc = &reply.data()["submitKyc"]["kyc"];
    assert_eq!(kyc["status"], "PENDING");
    let front = &kyc["documents"][0];
    assert_eq!(front["documentType"], "ID_FRONT");
    assert_eq!(
        front["mimeType"], "image/png",
        "judged by the bytes, not the name or type"
    );
    assert_eq!(front["fileName"], "x.pdf");
    assert_eq!(front["sizeBytes"], png().len());
    let sha = switchboard::infra::storage::sha256_hex(&png());
    assert_eq!(front["sha256"], sha.as_str());
    assert_eq!(kyc["documents"][1]["mimeType"], "image/jpeg");
    assert_eq!(kyc["documents"][2]["mimeType"], "image/webp");
    assert_eq!(files_under(&s.objects), 3, "three objects in the store");
    let link = front["downloadUrl"].as_str().expect("a link");
    let res = fetch(&s.server, link, Some(&alice.access_token)).await;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert!(h["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "private, no-store");
    assert_eq!(res.bytes().await.unwrap().to_vec(), png());
}

/// Over the size or count limit: HTTP 413 with BAD_USER_INPUT, and no row
/// and no object. A file that is no accepted kind is BAD_USER_INPUT on its
/// field, with nothing stored either; a failed transaction (a second
/// pending submission) leaves no orphan object.
async fn refusals_store_nothing(s: &Setup) {
    let db = db(&s.server).await;
    // Without credentials nothing is read past the headers.
    let anon = submit_kyc(&s.server.anon(), "P0000001").await;
    assert_eq!(anon.status, 401, "{:?}", anon.body);
    assert_eq!(anon.error_code(), Some("UNAUTHENTICATED"));
    let bob = s.server.customer("bob").await;
    let big = {
        let mut v = png();
        v.resize(4096, 7);
        v
    };
    let reply = upload(
        &bob.client,
        SUBMIT_KYC,
        kyc_input("P7654321"),
        vec![
            FilePart::new("input.front", "big.png", "image/png", big),
            FilePart::new("input.back", "b.jpg", "image/jpeg", jpeg()),
            FilePart::new("input.selfie", "s.webp", "image/webp", webp()),
        ],
    )
    .await;
    assert_eq!(reply.status, 413, "{:?}", reply.body);
    assert_eq!(reply.error_code(), Some("BAD_USER_INPUT"));
    assert!(
        reply.error_message().contains("larger than"),
        "{}",
        reply.error_message()
    );
    let too_many: Vec<FilePart> = (0..5)
        .map(|_| FilePart::new("input.front", "p.png", "image/png", png()))
        .collect();
    let reply = upload(&bob.client, SUBMIT_KYC, kyc_input("P7654321"), too_many).await;
    assert_eq!(reply.status, 413, "{:?}", reply.body);
    assert_eq!(reply.error_code(), Some("BAD_USER_INPUT"));
    let reply = upload(
        &bob.client,
        SUBMIT_KYC,
        kyc_input("P7654321"),
        vec![
            FilePart::new(
                "input.front",
                "f.png",
                "image/png",
                b"<html>not an image</html>".to_vec(),
            ),
            FilePart::new("input.back", "b.jpg", "image/jpeg", jpeg()),
            FilePart::new("input.selfie", "s.webp", "image/webp", webp()),
        ],
    )
    .await;
    assert_eq!(reply.error_code(), Some("BAD_USER_INPUT"));
    assert_eq!(reply.body["errors"][0]["extensions"]["fields"], json!(["front"]));
    assert_eq!(count(&db, "SELECT count(*) FROM verification_documents").await, 0);
    assert_eq!(count(&db, "SELECT count(*) FROM user_kyc").await, 0);
    assert_eq!(files_under(&s.objects), 0, "no object was written");
    // A second submission fails inside its transaction: its objects go.
    submit_kyc(&bob.client, "P7654321").await.data();
    assert_eq!(files_under(&s.objects), 3);
    let again = submit_kyc(&bob.client, "P7654321").await;
    assert_eq!(again.error_code(), Some("CONFLICT"), "{:?}", again.body);
    assert_eq!(files_under(&s.objects), 3, "no orphan after the failed transaction");
    assert_eq!(count(&db, "SELECT count(*) FROM verification_documents").await, 3);
}

/// Nobody else reads a document: not by id, not with the owner's link,
/// not with a tampered or expired link; a reviewer can, with their own.
async fn only_owner_and_reviewers_read(s: &Setup) {
    let server = &s.server;
    let alice = server.customer("carol").await;
    let mallory = server.customer("mallory").await;
    let reply = submit_kyc(&alice.client, "P1112223").await;
    let front = reply.data()["submitKyc"]["kyc"]["documents"][0].clone();
    let doc_id = front["id"].as_str().unwrap().to_string();
    let link = front["downloadUrl"].as_str().unwrap().to_string();
    let q = "query($id: ID!) { verificationDocument(id: $id) { id downloadUrl } }";
    let by_id = mallory.client.data(q, json!({"id": doc_id})).await;
    assert_eq!(
        by_id["verificationDocument"],
        Value::Null,
        "another's document is invisible"
    );
    let theirs = fetch(server, &link, Some(&mallory.access_token)).await;
    assert_eq!(theirs.status(), 403, "another user's link");
    let body: Value = theirs.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    assert_eq!(
        fetch(server, &link, None).await.status(),
        401,
        "the link alone is not enough"
    );
    let tampered = link.replace(&doc_id[..8], "00000000");
    assert_ne!(tampered, link);
    assert_eq!(fetch(server, &tampered, Some(&alice.access_token)).await.status(), 403);
    let mut bad_sig = link.clone();
    let last = bad_sig.pop().unwrap();
    bad_sig.push(if last == '0' { '1' } else { '0' });
    assert_eq!(fetch(server, &bad_sig, Some(&alice.access_token)).await.status(), 403);
    let alice_id: uuid::Uuid = alice.id.parse().unwrap();
    let file: uuid::Uuid = doc_id.parse().unwrap();
    let past = chrono::Utc::now().timestamp() - 5;
    let sig = server.ctx.keys.file_links.sign(file, alice_id, past);
    let expired = format!("/files/{doc_id}?expires={past}&sig={sig}");
    let res = fetch(server, &expired, Some(&alice.access_token)).await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("expired"));
    // Mallory signs nothing: a link for her to Alice's file is refused by
    // the access check all the same (as if she had obtained one).
    let mallory_id: uuid::Uuid = mallory.id.parse().unwrap();
    let future = chrono::Utc::now().timestamp() + 60;
    let forged = format!(
        "/files/{doc_id}?expires={future}&sig={}",
        server.ctx.keys.file_links.sign(file, mallory_id, future)
    );
    assert_eq!(fetch(server, &forged, Some(&mallory.access_token)).await.status(), 404);
    let admin = server.admin().await;
    let own = admin.client.data(q, json!({"id": doc_id})).await;
    let admin_link = own["verificationDocument"]["downloadUrl"].as_str().unwrap().to_string();
    let res = fetch(server, &admin_link, Some(&admin.access_token)).await;
    assert_eq!(res.status(), 200, "reviewers read documents with their own link");
    assert_eq!(res.bytes().await.unwrap().to_vec(), png());
}

fn small_limits() -> Vec<(&'static str, String)> {
    vec![
        ("SWITCHBOARD_UPLOAD_MAX_FILE_BYTES", "1024".into()),
        ("SWITCHBOARD_UPLOAD_MAX_FILES", "3".into()),
    ]
}

#[tokio::test]
async fn local_files_are_judged_by_their_bytes() {
    let s = local(vec![]).await;
    judged_by_bytes(&s).await;
}

#[tokio::test]
async fn local_refusals_store_nothing() {
    let s = local(small_limits()).await;
    refusals_store_nothing(&s).await;
}

#[tokio::test]
async fn local_documents_are_read_only_by_owner_and_reviewers() {
    let s = local(vec![]).await;
    only_owner_and_reviewers_read(&s).await;
}

#[tokio::test]
async fn s3_files_are_judged_by_their_bytes() {
    let s = s3(vec![]).await;
    judged_by_bytes(&s).await;
}

#[tokio::test]
async fn s3_refusals_store_nothing() {
    let s = s3(small_limits()).await;
    refusals_store_nothing(&s).await;
}

#[tokio::test]
async fn s3_documents_are_read_only_by_owner_and_reviewers() {
    let s = s3(vec![]).await;
    only_owner_and_reviewers_read(&s).await;
}
