//! Marketplace (issue 15), companies, jobs and applications through
//! GraphQL: a company approved by a moderator (never by its submitter)
//! before it posts; a job paid for exactly once (tracecoins under five
//! concurrent submits, or an unused JOB_POSTING package; too few coins
//! writing nothing), LIVE for anonymous readers once approved, REJECTED
//! otherwise; one application per applicant (also under concurrency),
//! moved along the table by the poster only, with notifications both
//! ways; the live `jobApplicationReceived` heard by the poster only; a
//! `jobs` page costing the same statements at any size; and no links in
//! free text.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::approvals::review;
use crate::custody::notifications;
use crate::storage::{count, db};
use crate::support::gql::Reply;
use crate::support::personas::Persona;
use crate::support::TestServer;
use crate::websocket::{connect, init, recv, send, Socket};

const SAVE_COMPANY: &str = "mutation($i: SaveCompanyProfileInput!) { saveCompanyProfile(input: $i) { company { id companyName status approvalStatus verificationStatus rating reviewCount } } }";
const SUBMIT_COMPANY: &str = "mutation { submitCompanyProfile { company { id status approvalStatus } } }";
const MY_COMPANY: &str = "{ myCompanyProfile { id companyName status approvalStatus } }";
const CREATE_JOB: &str = "mutation($i: CreateJobInput!) { createJob(input: $i) { job { id title status employmentType modeOfWork budgetInr company { id companyName } } } }";
const UPDATE_JOB: &str =
    "mutation($i: UpdateJobInput!) { updateJob(input: $i) { job { id title description status } } }";
const SUBMIT_JOB: &str =
    "mutation($i: SubmitJobInput!) { submitJob(input: $i) { replayed paidWith job { id status } } }";
const CLOSE_JOB: &str = "mutation($id: ID!) { closeJob(id: $id) { job { id status } } }";
const JOB: &str = "query($id: ID!) { job(id: $id) { id title status approvedAt company { companyName } } }";
const APPLY: &str = "mutation($i: ApplyToJobInput!) { applyToJob(input: $i) { application { id status coverNote applicant { id displayName } job { id title } } } }";
const MOVE: &str =
    "mutation($i: UpdateJobApplicationInput!) { updateJobApplication(input: $i) { application { id status } } }";
const CREDIT: &str = "mutation($i: CreditWalletInput!) { creditWallet(input: $i) { replayed } }";

/// The people of a marketplace test.
pub(crate) struct Cast {
    pub(crate) server: TestServer,
    pub(crate) admin: Persona,
    pub(crate) moderator: Persona,
    pub(crate) finance: Persona,
}

pub(crate) async fn cast() -> Cast {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let moderator = server.with_role(&admin, "moderator", "mod").await;
    let finance = server.with_role(&admin, "finance", "fin").await;
    Cast {
        server,
        admin,
        moderator,
        finance,
    }
}

/// SQL (read): the PENDING approval request about entity `id` of `kind`,
/// if there is one.
pub(crate) async fn pending(server: &TestServer, kind: &str, id: &str) -> Option<String> {
    let row = server
        .ctx
        .db
        .primary
        .query_one_raw(Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT id::text AS id FROM approval_requests WHERE entity_type = $1 AND entity_id = $2::uuid \
             AND status = 'PENDING'",
            [kind.into(), id.into()],
        ))
        .await
        .expect("query");
    row.map(|r| r.try_get::<String>("", "id").expect("an id"))
}

/// The PENDING approval request about entity `id` of `kind`.
async fn pending_request(server: &TestServer, kind: &str, id: &str) -> String {
    pending(server, kind, id).await.expect("a pending request")
}

fn company_input(name: &str) -> Value {
    json!({"companyName": name, "businessType": "Studio", "industry": "Media", "contactPersonName": "Asha",
           "location": "Pune", "bio": "We make short films."})
}

/// `p`'s company, saved, submitted and approved by `moderator`; its id.
pub(crate) async fn approved_company(c: &Cast, p: &Persona, name: &str) -> String {
    let saved = p.client.data(SAVE_COMPANY, json!({"i": company_input(name)})).await;
    let id = saved["saveCompanyProfile"]["company"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    p.client.data(SUBMIT_COMPANY, json!({})).await;
    let request = pending_request(&c.server, "COMPANY", &id).await;
    review(&c.moderator, &request, true, None).await.data();
    id
}

async fn credit(c: &Cast, p: &Persona, amount: &str, key: &str) {
    c.finance
        .client
        .data(
            CREDIT,
            json!({"i": {"userId": p.id, "amount": amount, "referenceType": "BONUS", "idempotencyKey": key}}),
        )
        .await;
}

async fn balance(p: &Persona) -> f64 {
    let d = p.client.data("{ viewerWallet { balance } }", json!({})).await;
    d["viewerWallet"]["balance"].as_str().unwrap().parse().unwrap()
}

async fn create_job(p: &Persona, title: &str) -> String {
    let d = p
        .client
        .data(
            CREATE_JOB,
            json!({"i": {"title": title, "description": "Edit our reels.", "location": "Pune",
                          "employmentType": "CONTRACT", "modeOfWork": "REMOTE", "budgetInr": 2_500_000}}),
        )
        .await;
    d["createJob"]["job"]["id"].as_str().unwrap().to_string()
}

async fn submit_job(p: &Persona, id: &str, key: &str) -> Reply {
    p.client
        .run(SUBMIT_JOB, json!({"i": {"id": id, "idempotencyKey": key}}))
        .await
}

/// A LIVE job of `poster` (whose company is approved), paid with coins.
pub(crate) async fn live_job(c: &Cast, poster: &Persona, title: &str) -> String {
    credit(c, poster, "50", &format!("fund-{title}")).await;
    let id = create_job(poster, title).await;
    submit_job(poster, &id, "k").await.data();
    let request = pending_request(&c.server, "JOB", &id).await;
    review(&c.moderator, &request, true, None).await.data();
    id
}

async fn apply(p: &Persona, job: &str, note: Option<&str>) -> Reply {
    p.client
        .run(APPLY, json!({"i": {"jobId": job, "coverNote": note}}))
        .await
}

async fn move_to(p: &Persona, id: &str, status: &str) -> Reply {
    p.client.run(MOVE, json!({"i": {"id": id, "status": status}})).await
}

fn fields(r: &Reply) -> Vec<String> {
    r.body["errors"][0]["extensions"]["fields"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn marketplace_titles(notes: &[Value]) -> Vec<String> {
    notes
        .iter()
        .filter(|n| n["kind"] == "MARKETPLACE")
        .map(|n| n["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn a_company_is_approved_by_a_moderator_not_its_submitter_before_it_posts() {
    let c = cast().await;
    let acme = c.server.customer("acme").await;
    assert!(acme.client.data(MY_COMPANY, json!({})).await["myCompanyProfile"].is_null());

    let mut bad = company_input("Acme");
    bad["bio"] = json!("reach us at acme [at] mail [dot] com");
    let r = acme.client.run(SAVE_COMPANY, json!({"i": bad})).await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{:?}", r.body);
    assert_eq!(fields(&r), ["bio"]);
    assert!(acme.client.data(MY_COMPANY, json!({})).await["myCompanyProfile"].is_null());

    let saved = acme
        .client
        .data(SAVE_COMPANY, json!({"i": company_input("  Acme Films ")}))
        .await;
    let company = &saved["saveCompanyProfile"]["company"];
    assert_eq!(company["companyName"], "Acme Films");
    assert_eq!(company["status"], "DRAFT");
    assert_eq!(company["verificationStatus"], "PENDING");
    let id = company["id"].as_str().unwrap().to_string();

    let early = acme.client.run(CREATE_JOB, json!({"i": {"title": "Editor"}})).await;
    assert_eq!(early.error_code(), Some("FORBIDDEN"), "{:?}", early.body);

    let sent = acme.client.data(SUBMIT_COMPANY, json!({})).await;
    assert_eq!(sent["submitCompanyProfile"]["company"]["approvalStatus"], "PENDING");
    let again = acme.client.run(SUBMIT_COMPANY, json!({})).await;
    assert_eq!(again.error_code(), Some("CONFLICT"), "{:?}", again.body);
    let edit = acme
        .client
        .run(SAVE_COMPANY, json!({"i": company_input("Acme 2")}))
        .await;
    assert_eq!(edit.error_code(), Some("CONFLICT"), "{:?}", edit.body);

    let request = pending_request(&c.server, "COMPANY", &id).await;
    assert!(review(&acme, &request, true, None).await.error_code().is_some());
    // A moderator's own company is reviewed by someone else.
    let own = c
        .moderator
        .client
        .data(SAVE_COMPANY, json!({"i": company_input("Mod Co")}))
        .await;
    let own_id = own["saveCompanyProfile"]["company"]["id"].as_str().unwrap().to_string();
    c.moderator.client.data(SUBMIT_COMPANY, json!({})).await;
    let own_request = pending_request(&c.server, "COMPANY", &own_id).await;
    let self_review = review(&c.moderator, &own_request, true, None).await;
    assert_eq!(self_review.error_code(), Some("FORBIDDEN"), "{:?}", self_review.body);

    review(&c.moderator, &request, true, None).await.data();
    let mine = acme.client.data(MY_COMPANY, json!({})).await;
    assert_eq!(mine["myCompanyProfile"]["status"], "ACTIVE");
    assert_eq!(mine["myCompanyProfile"]["approvalStatus"], "APPROVED");
    assert_eq!(
        marketplace_titles(&notifications(&acme.client).await),
        ["Your company profile is approved"]
    );

    let job = acme.client.data(CREATE_JOB, json!({"i": {"title": "Editor"}})).await;
    let job = &job["createJob"]["job"];
    assert_eq!(job["status"], "DRAFT");
    assert_eq!(job["employmentType"], "FULL_TIME");
    assert_eq!(job["modeOfWork"], "ONSITE");
    assert_eq!(job["company"]["id"], id.as_str());

    // A rejection leaves the company unable to post.
    let rex = c.server.customer("rex").await;
    let rex_co = rex.client.data(SAVE_COMPANY, json!({"i": company_input("Rex")})).await;
    let rex_id = rex_co["saveCompanyProfile"]["company"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    rex.client.data(SUBMIT_COMPANY, json!({})).await;
    let rex_request = pending_request(&c.server, "COMPANY", &rex_id).await;
    review(&c.moderator, &rex_request, false, Some("not a real business"))
        .await
        .data();
    let rex_mine = rex.client.data(MY_COMPANY, json!({})).await;
    assert_eq!(rex_mine["myCompanyProfile"]["approvalStatus"], "REJECTED");
    assert_eq!(rex_mine["myCompanyProfile"]["status"], "DRAFT");
    let r = rex.client.run(CREATE_JOB, json!({"i": {"title": "Editor"}})).await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_posting_is_paid_once_with_tracecoins_or_a_package() {
    let c = cast().await;
    let db = db(&c.server).await;
    let acme = c.server.customer("acme").await;
    approved_company(&c, &acme, "Acme").await;
    credit(&c, &acme, "120", "fund").await;
    let job = create_job(&acme, "Editor").await;

    let replies = futures::future::join_all((0..5).map(|_| submit_job(&acme, &job, "same-key"))).await;
    let mut replayed = 0;
    for r in &replies {
        let d = r.data()["submitJob"].clone();
        assert_eq!(d["job"]["status"], "PENDING", "{d}");
        assert_eq!(d["paidWith"], "TRACECOINS", "{d}");
        if d["replayed"] == true {
            replayed += 1;
        }
    }
    assert_eq!(replayed, 4);
    assert_eq!(balance(&acme).await, 70.0);
    let debits = format!(
        "SELECT count(*) FROM wallet_ledger l JOIN wallets w ON w.id = l.wallet_id \
         WHERE w.user_id = '{}' AND l.reference_type = 'JOB' AND l.entry_type = 'DEBIT'",
        acme.id
    );
    assert_eq!(count(&db, &debits).await, 1);
    let requests = format!("SELECT count(*) FROM approval_requests WHERE entity_type = 'JOB' AND entity_id = '{job}'");
    assert_eq!(count(&db, &requests).await, 1);
    // Another key later pays nothing either.
    let later = submit_job(&acme, &job, "other-key").await;
    assert_eq!(later.data()["submitJob"]["replayed"], true);
    assert_eq!(balance(&acme).await, 70.0);

    // Too few coins: nothing written.
    let poor = c.server.customer("poor").await;
    approved_company(&c, &poor, "Poor").await;
    credit(&c, &poor, "10", "fund").await;
    let poor_job = create_job(&poor, "Cook").await;
    let r = submit_job(&poor, &poor_job, "k").await;
    assert_eq!(r.error_code(), Some("INSUFFICIENT_FUNDS"), "{:?}", r.body);
    assert_eq!(balance(&poor).await, 10.0);
    let poor_requests =
        format!("SELECT count(*) FROM approval_requests WHERE entity_type = 'JOB' AND entity_id = '{poor_job}'");
    assert_eq!(count(&db, &poor_requests).await, 0);
    let draft = poor.client.data(JOB, json!({"id": poor_job})).await;
    assert_eq!(draft["job"]["status"], "DRAFT");

    // A COMPLETED JOB_POSTING order pays instead of coins, once.
    for sql in [
        "INSERT INTO pricing_packages (id, name, package_type, price_inr, tracecoins_included) \
         VALUES ('00000000-0000-4000-8000-00000000a0b1', 'One job', 'JOB_POSTING', 99900, 0)",
        "INSERT INTO orders (id, user_id, order_type, subtotal_inr, total_inr, status) \
         VALUES ('00000000-0000-4000-8000-00000000c0b1', $1::uuid, 'PACKAGE', 99900, 99900, 'COMPLETED')",
        "INSERT INTO order_items (order_id, item_type, item_id, item_name, unit_price_inr, total_price_inr) \
         VALUES ('00000000-0000-4000-8000-00000000c0b1', 'PACKAGE', '00000000-0000-4000-8000-00000000a0b1', \
                 'One job', 99900, 99900)",
    ] {
        let values: Vec<sea_orm::Value> = if sql.contains("$1") {
            vec![poor.id.clone().into()]
        } else {
            vec![]
        };
        db.execute_raw(Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .expect("seed the package order");
    }
    let paid = submit_job(&poor, &poor_job, "k2").await;
    let paid = paid.data()["submitJob"].clone();
    assert_eq!(paid["paidWith"], "PACKAGE", "{paid}");
    assert_eq!(paid["replayed"], false);
    assert_eq!(balance(&poor).await, 10.0);
    let used = format!(
        "SELECT count(*) FROM jobs WHERE id = '{poor_job}' AND posting_order_id = '00000000-0000-4000-8000-00000000c0b1'"
    );
    assert_eq!(count(&db, &used).await, 1);
    // The order is used up: the next job pays with coins (and has too few).
    let second = create_job(&poor, "Cook 2").await;
    let r = submit_job(&poor, &second, "k").await;
    assert_eq!(r.error_code(), Some("INSUFFICIENT_FUNDS"), "{:?}", r.body);
}

#[tokio::test]
async fn approved_jobs_are_live_for_everyone_and_rejected_ones_are_not() {
    let c = cast().await;
    let acme = c.server.customer("acme").await;
    let company = approved_company(&c, &acme, "Acme").await;
    credit(&c, &acme, "200", "fund").await;

    // No links in free text, disguised or not.
    let r = acme
        .client
        .run(
            CREATE_JOB,
            json!({"i": {"title": "Editor", "description": "Send reels to hxxps://acme-films(dot)com/jobs"}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{:?}", r.body);
    assert_eq!(fields(&r), ["description"]);
    let r = acme
        .client
        .run(CREATE_JOB, json!({"i": {"title": "x".repeat(201)}}))
        .await;
    assert_eq!(fields(&r), ["title"]);

    let live = create_job(&acme, "Video editor").await;
    let rejected = create_job(&acme, "Colourist").await;
    let draft = create_job(&acme, "Draft only").await;
    submit_job(&acme, &live, "a").await.data();
    submit_job(&acme, &rejected, "b").await.data();
    let anon = c.server.anon();
    let listed = |d: &Value| -> Vec<String> {
        d["jobs"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    let q = "{ jobs { totalCount edges { node { id status company { companyName } } } } }";
    assert!(listed(&anon.data(q, json!({})).await).is_empty());
    assert!(anon.data(JOB, json!({"id": live})).await["job"].is_null());

    review(
        &c.moderator,
        &pending_request(&c.server, "JOB", &live).await,
        true,
        None,
    )
    .await
    .data();
    review(
        &c.moderator,
        &pending_request(&c.server, "JOB", &rejected).await,
        false,
        Some("too vague"),
    )
    .await
    .data();

    let seen = anon.data(q, json!({})).await;
    assert_eq!(listed(&seen), std::slice::from_ref(&live));
    assert_eq!(seen["jobs"]["totalCount"], 1);
    assert_eq!(seen["jobs"]["edges"][0]["node"]["company"]["companyName"], "Acme");
    let one = anon.data(JOB, json!({"id": live})).await;
    assert_eq!(one["job"]["status"], "LIVE");
    assert!(one["job"]["approvedAt"].is_string());
    let by_company = anon
        .data(
            "query($c: ID!) { jobs(filter: {companyId: $c, search: \"video\"}) { totalCount } }",
            json!({"c": company}),
        )
        .await;
    assert_eq!(by_company["jobs"]["totalCount"], 1);

    // The poster sees their own in every state.
    let mine = acme
        .client
        .data(
            "{ jobs(filter: {mine: true}) { totalCount edges { node { id status } } } }",
            json!({}),
        )
        .await;
    assert_eq!(mine["jobs"]["totalCount"], 3);
    let status_of = |id: &str| {
        mine["jobs"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"]["id"] == id)
            .map(|e| e["node"]["status"].clone())
            .unwrap()
    };
    assert_eq!(status_of(&rejected), "REJECTED");
    assert_eq!(status_of(&draft), "DRAFT");
    let titles = marketplace_titles(&notifications(&acme.client).await);
    assert!(
        titles.contains(&"Your job Video editor was approved".to_string()),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Your job Colourist was rejected".to_string()),
        "{titles:?}"
    );

    // A LIVE job is not edited; a rejected one is, and goes back for free.
    let r = acme
        .client
        .run(UPDATE_JOB, json!({"i": {"id": live, "title": "New"}}))
        .await;
    assert_eq!(r.error_code(), Some("CONFLICT"), "{:?}", r.body);
    let other = c.server.customer("other").await;
    let r = other
        .client
        .run(UPDATE_JOB, json!({"i": {"id": rejected, "title": "Mine"}}))
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"), "{:?}", r.body);
    let edited = acme
        .client
        .data(
            UPDATE_JOB,
            json!({"i": {"id": rejected, "description": "Grade our films."}}),
        )
        .await;
    assert_eq!(edited["updateJob"]["job"]["title"], "Colourist");
    assert_eq!(edited["updateJob"]["job"]["description"], "Grade our films.");
    let before = balance(&acme).await;
    let again = submit_job(&acme, &rejected, "c").await;
    assert_eq!(again.data()["submitJob"]["job"]["status"], "PENDING");
    assert_eq!(balance(&acme).await, before);

    // Closing: the poster, LIVE only.
    let r = other.client.run(CLOSE_JOB, json!({"id": live})).await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{:?}", r.body);
    let closed = acme.client.data(CLOSE_JOB, json!({"id": live})).await;
    assert_eq!(closed["closeJob"]["job"]["status"], "CLOSED");
    let r = acme.client.run(CLOSE_JOB, json!({"id": live})).await;
    assert_eq!(r.error_code(), Some("CONFLICT"), "{:?}", r.body);
    assert!(listed(&anon.data(q, json!({})).await).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn applications_are_one_per_applicant_and_follow_the_table() {
    let c = cast().await;
    let db = db(&c.server).await;
    let acme = c.server.customer("acme").await;
    approved_company(&c, &acme, "Acme").await;
    let job = live_job(&c, &acme, "Editor").await;
    let draft = create_job(&acme, "Later").await;
    let ana = c.server.customer("ana").await;

    let r = apply(&acme, &job, None).await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{:?}", r.body);
    // A job that is not LIVE: invisible to others, CONFLICT for a moderator
    // who sees it.
    let r = apply(&ana, &draft, None).await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"), "{:?}", r.body);
    let r = apply(&c.moderator, &draft, None).await;
    assert_eq!(r.error_code(), Some("CONFLICT"), "{:?}", r.body);
    let r = apply(&ana, &job, Some("see https://my-reel.example.com")).await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{:?}", r.body);
    let r = apply(&ana, &job, Some("call me on 98765 43210")).await;
    assert_eq!(fields(&r), ["coverNote"]);

    let replies =
        futures::future::join_all((0..5).map(|_| apply(&ana, &job, Some("I cut trailers for a living.")))).await;
    let ok: Vec<&Reply> = replies.iter().filter(|r| r.body.get("errors").is_none()).collect();
    assert_eq!(ok.len(), 1, "{replies:?}");
    for r in replies.iter().filter(|r| r.body.get("errors").is_some()) {
        assert_eq!(r.error_code(), Some("CONFLICT"), "{:?}", r.body);
    }
    let rows = format!("SELECT count(*) FROM job_applications WHERE job_id = '{job}'");
    assert_eq!(count(&db, &rows).await, 1);
    let application = ok[0].data()["applyToJob"]["application"].clone();
    assert_eq!(application["status"], "APPLIED");
    assert_eq!(application["applicant"]["id"], ana.id.as_str());
    assert_eq!(application["applicant"]["displayName"], "ana");
    assert_eq!(application["job"]["title"], "Editor");
    let id = application["id"].as_str().unwrap().to_string();
    let r = apply(&ana, &job, None).await;
    assert_eq!(r.error_code(), Some("CONFLICT"));
    assert_eq!(
        marketplace_titles(&notifications(&acme.client).await)
            .iter()
            .filter(|t| t.starts_with("New application"))
            .count(),
        1
    );

    // Who sees the applications.
    let apps = "query($id: ID!) { job(id: $id) { viewerApplication { id status } applications { totalCount edges { node { id status coverNote applicant { displayName } job { id } } } } } }";
    let seen = acme.client.data(apps, json!({"id": job})).await;
    assert_eq!(seen["job"]["applications"]["totalCount"], 1);
    assert_eq!(seen["job"]["applications"]["edges"][0]["node"]["id"], id.as_str());
    assert_eq!(
        seen["job"]["applications"]["edges"][0]["node"]["coverNote"],
        "I cut trailers for a living."
    );
    assert!(seen["job"]["viewerApplication"].is_null());
    let eve = c.server.customer("eve").await;
    for who in [&eve, &ana] {
        let r = who.client.run(apps, json!({"id": job})).await;
        assert_eq!(r.error_code(), Some("FORBIDDEN"), "{:?}", r.body);
    }
    let own = ana
        .client
        .data(
            "query($id: ID!) { job(id: $id) { viewerApplication { id status } } }",
            json!({"id": job}),
        )
        .await;
    assert_eq!(own["job"]["viewerApplication"]["id"], id.as_str());
    let mine = ana
        .client
        .data(
            "{ myJobApplications { totalCount edges { node { id job { title company { companyName } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(mine["myJobApplications"]["totalCount"], 1);
    assert_eq!(
        mine["myJobApplications"]["edges"][0]["node"]["job"]["company"]["companyName"],
        "Acme"
    );

    // The poster moves it along the table; nobody else may.
    let r = move_to(&ana, &id, "SHORTLISTED").await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{:?}", r.body);
    let r = move_to(&eve, &id, "SHORTLISTED").await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"), "{:?}", r.body);
    let r = move_to(&acme, &id, "INTERVIEW").await;
    assert_eq!(r.error_code(), Some("CONFLICT"), "{:?}", r.body);
    for step in ["SHORTLISTED", "INTERVIEW", "OFFERED"] {
        let d = move_to(&acme, &id, step).await;
        assert_eq!(d.data()["updateJobApplication"]["application"]["status"], step);
    }
    for late in ["REJECTED", "APPLIED", "OFFERED"] {
        let r = move_to(&acme, &id, late).await;
        assert_eq!(r.error_code(), Some("CONFLICT"), "{late}: {:?}", r.body);
    }
    let heard = marketplace_titles(&notifications(&ana.client).await);
    assert_eq!(heard.len(), 3, "{heard:?}");
    assert!(heard.iter().any(|t| t.ends_with("is OFFERED")), "{heard:?}");

    // Any open application may be rejected.
    let bo = c.server.customer("bo").await;
    let bo_app = apply(&bo, &job, None).await.data()["applyToJob"]["application"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let d = move_to(&acme, &bo_app, "REJECTED").await;
    assert_eq!(d.data()["updateJobApplication"]["application"]["status"], "REJECTED");
}

/// Subscribes `p` to `jobApplicationReceived`.
async fn subscribe(server: &TestServer, p: &Persona) -> Socket {
    let mut s = connect(server, Some("graphql-transport-ws")).await;
    init(&mut s, json!({"authorization": format!("Bearer {}", p.access_token)})).await;
    send(
        &mut s,
        json!({"type": "subscribe", "id": "a", "payload": {"query":
            "subscription { jobApplicationReceived { id status applicant { displayName } job { id title } } }"}}),
    )
    .await;
    s
}

/// The next `jobApplicationReceived` event.
async fn next_application(s: &mut Socket) -> Value {
    loop {
        let m = recv(s).await;
        if m["type"] == "next" {
            assert!(m["payload"]["errors"].is_null(), "{m}");
            return m["payload"]["data"]["jobApplicationReceived"].clone();
        }
        assert!(m["type"] == "ping" || m["type"] == "pong", "unexpected {m}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_poster_hears_new_applications() {
    let c = cast().await;
    let acme = c.server.customer("acme").await;
    approved_company(&c, &acme, "Acme").await;
    let job = live_job(&c, &acme, "Editor").await;
    let eve = c.server.customer("eve").await;
    c.server.events_relayed().await;
    let mut poster = subscribe(&c.server, &acme).await;
    let mut stranger = subscribe(&c.server, &eve).await;

    // The subscription joins the bus asynchronously: probe applicants
    // apply until the poster hears one (a barrier, not a timing assumption).
    let mut live = false;
    for k in 0..20 {
        let probe = c.server.customer(&format!("probe{k}")).await;
        let d = apply(&probe, &job, None).await;
        let id = d.data()["applyToJob"]["application"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let heard = tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                if next_application(&mut poster).await["id"] == id.as_str() {
                    return;
                }
            }
        })
        .await;
        if heard.is_ok() {
            live = true;
            break;
        }
    }
    assert!(live, "the poster's subscription never went live");

    let ana = c.server.customer("ana").await;
    let d = apply(&ana, &job, Some("Hello")).await;
    let id = d.data()["applyToJob"]["application"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let event = next_application(&mut poster).await;
    assert_eq!(event["id"], id.as_str());
    assert_eq!(event["status"], "APPLIED");
    assert_eq!(event["applicant"]["displayName"], "ana");
    assert_eq!(event["job"]["title"], "Editor");

    // The stranger's socket carries nothing of it.
    let quiet = tokio::time::timeout(Duration::from_millis(1500), next_application(&mut stranger)).await;
    assert!(quiet.is_err(), "a stranger heard {quiet:?}");
}

#[tokio::test]
async fn a_jobs_page_costs_the_same_statements_at_any_size() {
    let c = cast().await;
    let db = db(&c.server).await;
    let acme = c.server.customer("acme").await;
    let company = approved_company(&c, &acme, "Acme").await;
    db.execute_raw(Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        "INSERT INTO jobs (company_profile_id, posted_by_user_id, title, description, status, approved_at, created_at) \
         SELECT $1::uuid, $2::uuid, 'Job ' || g, 'Work ' || g, 'LIVE', now(), now() - g * interval '1 second' \
         FROM generate_series(1, 45) g",
        [company.into(), acme.id.clone().into()],
    ))
    .await
    .expect("seed jobs");
    let ana = c.server.customer("ana").await;
    let first = acme
        .client
        .data("{ jobs(first: 1) { edges { node { id } } } }", json!({}))
        .await;
    let first_id = first["jobs"]["edges"][0]["node"]["id"].as_str().unwrap().to_string();
    apply(&ana, &first_id, None).await.data();

    let page = |n: usize| {
        format!(
            "{{ jobs(first: {n}) {{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ \
             id title status budgetInr approvedAt company {{ id companyName status rating }} \
             viewerApplication {{ id status job {{ id }} }} }} }} }} }}"
        )
    };
    let measure = |query: String| {
        let (ana, server) = (&ana, &c.server);
        async move {
            let mut fewest = u64::MAX;
            for _ in 0..4 {
                let before = server.ctx.db.statement_count();
                let d = ana.client.data(&query, json!({})).await;
                fewest = fewest.min(server.ctx.db.statement_count() - before);
                assert_eq!(d["jobs"]["totalCount"], 45, "{d}");
                assert!(
                    d["jobs"]["edges"][0]["node"]["viewerApplication"]["id"].is_string(),
                    "{d}"
                );
            }
            fewest
        }
    };
    let (five, forty) = (measure(page(5)).await, measure(page(40)).await);
    assert_eq!(
        five, forty,
        "a page of 5 took {five} statements, a page of 40 took {forty}"
    );
    assert!(five <= 4, "a jobs page took {five} statements");
}
