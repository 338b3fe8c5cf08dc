//! Marketplace (issue 15), candidate profiles through GraphQL: saved as a
//! DRAFT, submitted to the approval engine (never reviewed by the
//! submitter), ACTIVE and APPROVED once a moderator approves, REJECTED
//! with the reviewer's reason; an edit while pending is refused and an
//! edit after approval waits for review while the approved text stays
//! shown (approval writes it, rejection keeps the old). Employers see an
//! applicant's candidate profile on an application only once approved
//! (the applicant always), and a page of applications with candidates
//! costs the same statements at any size and pages both ways. The owner
//! is told in-app of every decision, with the reviewer's remarks.

use serde_json::{json, Value};

use crate::approvals::review;
use crate::marketplace_jobs::{approved_company, cast, live_job, pending, Cast};
use crate::marketplace_review::told;
use crate::support::gql::Reply;
use crate::support::personas::Persona;

const FIELDS: &str = "id displayName bio location experienceYears preferredRoles expectedSalaryInr status \
    approvalStatus rejectionReason approvedAt";
const APPLY: &str = "mutation($i: ApplyToJobInput!) { applyToJob(input: $i) { application { id \
    candidate { id status approvalStatus } } } }";
/// A job's applications with their candidates, as its poster reads them.
const APPLICATIONS: &str = "query($id: ID!) { job(id: $id) { applications(first: 50) { totalCount edges { node { \
    id applicant { id } candidate { id displayName status approvalStatus } } } } } }";

async fn save(p: &Persona, input: Value) -> Reply {
    p.client
        .run(
            &format!(
                "mutation($i: SaveCandidateProfileInput!) {{ saveCandidateProfile(input: $i) {{ profile {{ {FIELDS} }} \
                 pendingReview {{ id status entityType payload }} }} }}"
            ),
            json!({ "i": input }),
        )
        .await
}

async fn saved(p: &Persona, input: Value) -> Value {
    let r = save(p, input).await;
    assert_eq!(r.error_code(), None, "{}", r.body);
    r.data()["saveCandidateProfile"]["profile"].clone()
}

async fn submit(p: &Persona) -> Reply {
    p.client
        .run(
            &format!("mutation {{ submitCandidateProfile {{ profile {{ {FIELDS} }} }} }}"),
            json!({}),
        )
        .await
}

async fn mine(p: &Persona) -> Value {
    p.client
        .data(&format!("{{ myCandidateProfile {{ {FIELDS} }} }}"), json!({}))
        .await["myCandidateProfile"]
        .clone()
}

fn candidate_input(name: &str) -> Value {
    json!({"displayName": name, "bio": "I cut trailers and reels.", "location": "Pune", "experienceYears": 4,
           "preferredRoles": ["Video editor"], "expectedSalaryInr": 90_000_000})
}

/// `p`'s candidate profile, saved, submitted and approved by the moderator.
async fn approved_candidate(c: &Cast, p: &Persona) -> String {
    let id = saved(p, candidate_input("Reel editor")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = submit(p).await;
    assert_eq!(r.error_code(), None, "{}", r.body);
    let request = pending(&c.server, "CANDIDATE", &id).await.expect("a pending request");
    review(&c.moderator, &request, true, None).await.data();
    id
}

async fn apply(p: &Persona, job: &str) -> Value {
    p.client.data(APPLY, json!({"i": {"jobId": job}})).await["applyToJob"]["application"].clone()
}

/// The candidate shown to `p` on each application to `job`, by applicant id.
async fn candidates_seen(p: &Persona, job: &str) -> Vec<(String, Value)> {
    let d = p.client.data(APPLICATIONS, json!({"id": job})).await;
    d["job"]["applications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            (
                n["applicant"]["id"].as_str().unwrap().to_string(),
                n["candidate"].clone(),
            )
        })
        .collect()
}

/// Application ids of `job` as its poster pages them five at a time:
/// forward from the start, or backward from the end (then put back in
/// list order), each page's flags checked against where it stands.
async fn walk_applications(p: &Persona, job: &str, backward: bool) -> Vec<String> {
    const PAGE: &str = "query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) { job(id: $id) { \
        applications(first: $first, after: $after, last: $last, before: $before) { totalCount \
        edges { node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }";
    let (mut ids, mut cursor) = (Vec::new(), Value::Null);
    loop {
        let vars = if backward {
            json!({"id": job, "last": 5, "before": cursor})
        } else {
            json!({"id": job, "first": 5, "after": cursor})
        };
        let page = p.client.data(PAGE, vars).await["job"]["applications"].clone();
        let got: Vec<String> = page["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_string())
            .collect();
        let info = &page["pageInfo"];
        let (more, cursor_key, earlier) = if backward {
            (
                info["hasPreviousPage"].as_bool(),
                "startCursor",
                info["hasNextPage"].as_bool(),
            )
        } else {
            (
                info["hasNextPage"].as_bool(),
                "endCursor",
                info["hasPreviousPage"].as_bool(),
            )
        };
        assert_eq!(earlier, Some(!cursor.is_null()), "{page}");
        if backward {
            ids.splice(0..0, got);
        } else {
            ids.extend(got);
        }
        if more != Some(true) {
            return ids;
        }
        cursor = info[cursor_key].clone();
    }
}

fn seen_for<'a>(seen: &'a [(String, Value)], who: &Persona) -> &'a Value {
    &seen.iter().find(|(id, _)| *id == who.id).expect("an application").1
}

#[tokio::test]
async fn a_candidate_profile_is_approved_by_a_moderator_and_its_edits_are_reviewed_before_they_show() {
    let c = cast().await;
    let ana = c.server.customer("ana").await;
    assert!(mine(&ana).await.is_null());
    let r = submit(&ana).await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"), "{}", r.body);

    let r = save(
        &ana,
        json!({"displayName": "Ana", "bio": "mail me at ana [at] mail [dot] com"}),
    )
    .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", r.body);
    assert!(mine(&ana).await.is_null());

    let draft = saved(&ana, candidate_input("Ana")).await;
    assert_eq!(draft["status"], "DRAFT");
    assert_eq!(draft["approvalStatus"], "PENDING");
    assert!(draft["approvedAt"].is_null());
    let id = draft["id"].as_str().unwrap().to_string();
    assert!(pending(&c.server, "CANDIDATE", &id).await.is_none());

    let sent = submit(&ana).await;
    assert_eq!(sent.error_code(), None, "{}", sent.body);
    let sent = &sent.data()["submitCandidateProfile"]["profile"];
    assert_eq!(sent["status"], "DRAFT");
    assert_eq!(sent["approvalStatus"], "PENDING");
    let request = pending(&c.server, "CANDIDATE", &id).await.expect("a pending request");
    let again = submit(&ana).await;
    assert_eq!(again.error_code(), Some("CONFLICT"), "{}", again.body);
    let edit = save(&ana, candidate_input("Ana 2")).await;
    assert_eq!(edit.error_code(), Some("CONFLICT"), "{}", edit.body);
    assert_eq!(mine(&ana).await["displayName"], "Ana");

    // The submitter cannot review it, not even a moderator their own.
    assert!(review(&ana, &request, true, None).await.error_code().is_some());
    let own = saved(&c.moderator, candidate_input("Mod")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    submit(&c.moderator).await.data();
    let own_request = pending(&c.server, "CANDIDATE", &own).await.expect("a pending request");
    let self_review = review(&c.moderator, &own_request, true, None).await;
    assert_eq!(self_review.error_code(), Some("FORBIDDEN"), "{}", self_review.body);
    let one = c
        .moderator
        .client
        .data(
            "query($id: ID!) { approvalRequest(id: $id) { entityType approvalType payload } }",
            json!({"id": request}),
        )
        .await;
    assert_eq!(one["approvalRequest"]["entityType"], "CANDIDATE");
    assert_eq!(one["approvalRequest"]["approvalType"], "CONTENT");

    review(&c.moderator, &request, true, None).await.data();
    let live = mine(&ana).await;
    assert_eq!(live["status"], "ACTIVE");
    assert_eq!(live["approvalStatus"], "APPROVED");
    assert!(live["approvedAt"].is_string(), "{live}");
    assert!(live["rejectionReason"].is_null());
    let notice = told(&ana, &id).await[0].clone();
    assert_eq!(
        (notice["title"].as_str(), notice["relatedEntityType"].as_str()),
        (Some("Your candidate profile is approved"), Some("CANDIDATE")),
        "{notice}"
    );
    let r = submit(&ana).await;
    assert_eq!(r.error_code(), Some("CONFLICT"), "{}", r.body);

    // A save that changes nothing is written at once; an edit waits for
    // review while the approved text stays.
    let same = save(&ana, candidate_input("Ana")).await;
    assert_eq!(
        same.data()["saveCandidateProfile"]["pendingReview"],
        Value::Null,
        "{}",
        same.body
    );
    let edit = save(&ana, candidate_input("Ana Rao")).await;
    let d = edit.data()["saveCandidateProfile"].clone();
    assert_eq!(d["profile"]["displayName"], "Ana", "{d}");
    assert_eq!(d["profile"]["approvalStatus"], "APPROVED", "{d}");
    assert_eq!(d["pendingReview"]["entityType"], "CANDIDATE", "{d}");
    assert_eq!(d["pendingReview"]["payload"]["new"]["displayName"], "Ana Rao", "{d}");
    let edit_request = d["pendingReview"]["id"].as_str().unwrap().to_string();
    review(&c.moderator, &edit_request, false, Some("keep your legal name"))
        .await
        .data();
    let kept = mine(&ana).await;
    assert_eq!(
        (
            kept["displayName"].as_str(),
            kept["approvalStatus"].as_str(),
            kept["status"].as_str()
        ),
        (Some("Ana"), Some("APPROVED"), Some("ACTIVE")),
        "a rejected edit keeps the approved profile: {kept}"
    );
    let notice = told(&ana, &id).await[0].clone();
    assert_eq!(
        notice["title"], "Your candidate profile changes were not accepted",
        "{notice}"
    );
    assert!(
        notice["body"].as_str().unwrap_or("").contains("keep your legal name"),
        "{notice}"
    );
    let edit = save(&ana, candidate_input("Ana Rao")).await;
    let edit_request = edit.data()["saveCandidateProfile"]["pendingReview"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    review(&c.moderator, &edit_request, true, None).await.data();
    let written = mine(&ana).await;
    assert_eq!(
        (written["displayName"].as_str(), written["approvalStatus"].as_str()),
        (Some("Ana Rao"), Some("APPROVED")),
        "{written}"
    );
    assert_eq!(
        told(&ana, &id).await[0]["title"],
        "Your candidate profile changes are live"
    );

    // A first submission rejected with the reviewer's reason stays a draft.
    let bo = c.server.customer("bo").await;
    let bo_id = saved(&bo, candidate_input("Bo")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    submit(&bo).await.data();
    let request = pending(&c.server, "CANDIDATE", &bo_id)
        .await
        .expect("a pending request");
    let r = review(&c.moderator, &request, false, None).await;
    assert!(r.error_code().is_some(), "a rejection needs remarks: {}", r.body);
    review(&c.moderator, &request, false, Some("the salary is not plausible"))
        .await
        .data();
    let rejected = mine(&bo).await;
    assert_eq!(rejected["approvalStatus"], "REJECTED");
    assert_eq!(rejected["status"], "DRAFT");
    assert_eq!(rejected["rejectionReason"], "the salary is not plausible");
    let notice = told(&bo, &bo_id).await[0].clone();
    assert_eq!(
        (notice["title"].as_str(), notice["body"].as_str()),
        (
            Some("Your candidate profile was not approved"),
            Some("the salary is not plausible")
        ),
        "{notice}"
    );
    // Submitting again clears the reason.
    let again = submit(&bo).await;
    assert_eq!(
        again.data()["submitCandidateProfile"]["profile"]["approvalStatus"],
        "PENDING"
    );
    assert!(again.data()["submitCandidateProfile"]["profile"]["rejectionReason"].is_null());
}

#[tokio::test]
async fn employers_see_an_applicants_candidate_profile_only_once_it_is_approved() {
    let c = cast().await;
    let acme = c.server.customer("acme").await;
    approved_company(&c, &acme, "Acme").await;
    let job = live_job(&c, &acme, "Editor").await;
    let ana = c.server.customer("ana").await;
    let bo = c.server.customer("bo").await;
    saved(&ana, candidate_input("Ana")).await;

    // The applicant sees her own draft; the poster sees none of it yet.
    let own = apply(&ana, &job).await;
    assert_eq!(own["candidate"]["status"], "DRAFT");
    let application = own["id"].as_str().unwrap().to_string();
    apply(&bo, &job).await;
    let seen = candidates_seen(&acme, &job).await;
    assert_eq!(seen.len(), 2);
    assert!(seen_for(&seen, &ana).is_null(), "{seen:?}");
    assert!(seen_for(&seen, &bo).is_null(), "{seen:?}");

    submit(&ana).await.data();
    let seen = candidates_seen(&acme, &job).await;
    assert!(seen_for(&seen, &ana).is_null(), "a pending profile leaked: {seen:?}");
    let id = mine(&ana).await["id"].as_str().unwrap().to_string();
    let request = pending(&c.server, "CANDIDATE", &id).await.expect("a pending request");
    review(&c.moderator, &request, true, None).await.data();

    // Approved: the poster and job moderators see it.
    for employer in [&acme, &c.admin] {
        let seen = candidates_seen(employer, &job).await;
        let shown = seen_for(&seen, &ana);
        assert_eq!(shown["id"], id.as_str(), "{seen:?}");
        assert_eq!(shown["displayName"], "Ana");
        assert_eq!(shown["approvalStatus"], "APPROVED");
        assert!(seen_for(&seen, &bo).is_null());
    }
    // Also on an application the poster moves (the job read on demand).
    let moved = acme
        .client
        .data(
            "mutation($i: UpdateJobApplicationInput!) { updateJobApplication(input: $i) { application { \
             status candidate { id } } } }",
            json!({"i": {"id": application, "status": "SHORTLISTED"}}),
        )
        .await;
    assert_eq!(
        moved["updateJobApplication"]["application"]["candidate"]["id"],
        id.as_str()
    );
    // Another employer sees no application at all.
    let eve = c.server.customer("eve").await;
    approved_company(&c, &eve, "Eve Co").await;
    live_job(&c, &eve, "Grader").await;
    let r = eve.client.run(APPLICATIONS, json!({"id": job})).await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{}", r.body);
    assert!(!r.body.to_string().contains(&id), "{}", r.body);

    // An edit waits for review: employers keep seeing the approved text.
    let edit = save(&ana, candidate_input("Ana Rao")).await;
    assert_eq!(
        edit.data()["saveCandidateProfile"]["pendingReview"]["status"],
        "PENDING",
        "{}",
        edit.body
    );
    let seen = candidates_seen(&acme, &job).await;
    assert_eq!(seen_for(&seen, &ana)["displayName"], "Ana", "{seen:?}");
    let own = ana
        .client
        .data(
            "{ myJobApplications { edges { node { id candidate { displayName status approvalStatus } } } } }",
            json!({}),
        )
        .await;
    let node = &own["myJobApplications"]["edges"][0]["node"];
    assert_eq!(node["candidate"]["displayName"], "Ana");
    assert_eq!(node["candidate"]["status"], "ACTIVE");
}

#[tokio::test]
async fn applications_with_candidates_cost_the_same_statements_at_any_size() {
    let c = cast().await;
    let acme = c.server.customer("acme").await;
    approved_company(&c, &acme, "Acme").await;
    let small = live_job(&c, &acme, "Small").await;
    let large = live_job(&c, &acme, "Large").await;
    for k in 0..12 {
        let p = c.server.customer(&format!("cand{k}")).await;
        approved_candidate(&c, &p).await;
        apply(&p, &large).await;
        if k < 3 {
            apply(&p, &small).await;
        }
    }
    let measure = |job: String, n: usize| {
        let (acme, server) = (&acme, &c.server);
        async move {
            let mut fewest = u64::MAX;
            for _ in 0..3 {
                let before = server.ctx.db.statement_count();
                let seen = candidates_seen(acme, &job).await;
                fewest = fewest.min(server.ctx.db.statement_count() - before);
                assert_eq!(seen.len(), n);
                assert!(
                    seen.iter().all(|(_, cand)| cand["approvalStatus"] == "APPROVED"),
                    "{seen:?}"
                );
            }
            fewest
        }
    };
    let (three, twelve) = (measure(small, 3).await, measure(large.clone(), 12).await);
    assert_eq!(
        three, twelve,
        "3 applications took {three} statements, 12 took {twelve}"
    );
    assert!(three <= 4, "a page of applications took {three} statements");

    // The keyset pages both ways: five at a time, forward and backward,
    // the same twelve in the same order as one page of all of them.
    let one_page = acme.client.data(APPLICATIONS, json!({"id": large})).await;
    let all: Vec<String> = one_page["job"]["applications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(all.len(), 12);
    assert_eq!(walk_applications(&acme, &large, false).await, all);
    assert_eq!(walk_applications(&acme, &large, true).await, all);
}
