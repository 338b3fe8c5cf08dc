//! Edits of an approved professional or company profile (issue 15)
//! through GraphQL:
//! the approved text stays live while the edit waits for a moderator as a
//! `{old, new}` request; approval writes it (search sees it), rejection
//! leaves the profile as it was; either way the owner is told. Only being
//! listed changes at once, and the link filter still refuses first.

use serde_json::{json, Value};

use crate::custody::notifications;
use crate::marketplace::{approved, bad_fields, pending_approval, search_ids, server};
use crate::storage::{count, db};
use crate::support::gql::Reply;
use crate::support::personas::Persona;
use crate::support::TestServer;

const SAVE: &str = "mutation($i: SaveProfessionalProfileInput!) { saveProfessionalProfile(input: $i) { \
    profile { id displayName bio \
      ... on PhotographerProfile { tags status approvalStatus isProfilePublic travelRadiusKm } } \
    pendingReview { id status entityType payload } } }";

async fn edit(p: &Persona, changes: Value) -> Reply {
    let mut i = json!({"roleKey": "photographer", "displayName": "Lena Lens", "bio": "Weddings",
                       "tags": ["wedding"], "travelRadiusKm": 40});
    for (k, v) in changes.as_object().cloned().unwrap_or_default() {
        i[k] = v;
    }
    p.client.run(SAVE, json!({"i": i})).await
}

/// The profile as anyone (anonymous) sees it.
async fn public_view(server: &TestServer, id: &str) -> Value {
    server
        .anon()
        .data(
            "query($id: ID!) { professional(id: $id) { id displayName bio \
             ... on PhotographerProfile { tags travelRadiusKm } } }",
            json!({"id": id}),
        )
        .await["professional"]
        .clone()
}

/// `p`'s MARKETPLACE notifications about `entity`, newest first.
pub(crate) async fn told(p: &Persona, entity: &str) -> Vec<Value> {
    notifications(&p.client)
        .await
        .into_iter()
        .filter(|n| n["kind"] == "MARKETPLACE" && n["relatedEntityId"] == entity)
        .collect()
}

#[tokio::test]
async fn an_edit_of_an_approved_profile_waits_for_review_while_the_approved_text_stays_live() {
    let server = server().await;
    let db = db(&server).await;
    let admin = server.admin().await;
    let moderator = server.with_role(&admin, "moderator", "m").await;
    let (lena, id) = approved(
        &server,
        &db,
        &moderator,
        "lena",
        "photographer",
        json!({"displayName": "Lena Lens", "bio": "Weddings", "tags": ["wedding"], "travelRadiusKm": 40}),
    )
    .await;
    assert_eq!(
        told(&lena, &id).await[0]["title"],
        "Your photographer profile is approved"
    );
    assert_eq!(public_view(&server, &id).await["displayName"], "Lena Lens");

    // The edit: nothing shown changes; a PROFILE request holds old and new.
    let r = edit(
        &lena,
        json!({"displayName": "Lena Lens Studio", "bio": "Weddings and portraits",
               "tags": ["wedding", "portrait"], "travelRadiusKm": 80}),
    )
    .await;
    let saved = r.data()["saveProfessionalProfile"].clone();
    let review = &saved["pendingReview"];
    assert_eq!(
        (review["status"].as_str(), review["entityType"].as_str()),
        (Some("PENDING"), Some("PROFILE")),
        "{saved}"
    );
    assert_eq!(review["payload"]["old"]["displayName"], "Lena Lens", "{review}");
    assert_eq!(review["payload"]["new"]["displayName"], "Lena Lens Studio", "{review}");
    assert_eq!(review["payload"]["new"]["fields"]["travelRadiusKm"], 80, "{review}");
    assert_eq!(review["payload"]["old"]["fields"]["travelRadiusKm"], 40, "{review}");
    let profile = &saved["profile"];
    assert_eq!(
        (
            profile["displayName"].as_str(),
            profile["approvalStatus"].as_str(),
            profile["status"].as_str()
        ),
        (Some("Lena Lens"), Some("APPROVED"), Some("ACTIVE")),
        "the approved profile stays live: {profile}"
    );
    let shown = public_view(&server, &id).await;
    assert_eq!(
        (shown["displayName"].as_str(), shown["travelRadiusKm"].as_i64()),
        (Some("Lena Lens"), Some(40))
    );
    assert_eq!(
        search_ids(&server, json!({"tags": ["portrait"]}), "NEWEST").await,
        Vec::<String>::new()
    );
    assert_eq!(
        search_ids(&server, json!({"tags": ["wedding"]}), "NEWEST").await,
        vec![id.clone()]
    );

    // One edit at a time; the owner cannot review it.
    let again = edit(&lena, json!({"bio": "Anything"})).await;
    assert_eq!(again.error_code(), Some("CONFLICT"), "{}", again.body);
    let request = pending_approval(&db, &id).await;
    assert_eq!(review["id"], request.as_str());
    let own = crate::approvals::review(&lena, &request, true, None).await;
    assert_eq!(own.error_code(), Some("FORBIDDEN"), "{}", own.body);

    // Approved: written, searchable, told.
    let ok = crate::approvals::review(&moderator, &request, true, None).await;
    assert_eq!(ok.error_code(), None, "{}", ok.body);
    let shown = public_view(&server, &id).await;
    assert_eq!(
        (
            shown["displayName"].as_str(),
            shown["bio"].as_str(),
            shown["travelRadiusKm"].as_i64()
        ),
        (Some("Lena Lens Studio"), Some("Weddings and portraits"), Some(80)),
        "{shown}"
    );
    assert_eq!(shown["tags"], json!(["wedding", "portrait"]));
    assert_eq!(
        search_ids(&server, json!({"tags": ["portrait"]}), "NEWEST").await,
        vec![id.clone()]
    );
    assert_eq!(
        told(&lena, &id).await[0]["title"],
        "Your photographer profile changes are live"
    );

    // The link filter refuses before any review opens.
    let linked = edit(
        &lena,
        json!({"displayName": "Lena Lens Studio", "bio": "Book me at lena.example.com"}),
    )
    .await;
    assert_eq!(linked.error_code(), Some("BAD_USER_INPUT"), "{}", linked.body);
    assert_eq!(bad_fields(&linked), json!(["bio"]), "{}", linked.body);
    let open = format!("SELECT count(*) FROM approval_requests WHERE entity_id = '{id}' AND status = 'PENDING'");
    assert_eq!(count(&db, &open).await, 0);

    // Rejected: the profile stays as approved, and the owner reads why.
    let r = edit(
        &lena,
        json!({"displayName": "Lena Lens Studio", "bio": "Weddings only", "tags": ["wedding", "portrait"],
               "travelRadiusKm": 80}),
    )
    .await;
    let request = r.data()["saveProfessionalProfile"]["pendingReview"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let no = crate::approvals::review(&moderator, &request, false, Some("Keep the portraits in your bio.")).await;
    assert_eq!(no.error_code(), None, "{}", no.body);
    let shown = public_view(&server, &id).await;
    assert_eq!(shown["bio"], "Weddings and portraits", "{shown}");
    let mine = lena
        .client
        .data(
            "{ myProfessionalProfiles { id ... on PhotographerProfile { approvalStatus status rejectionReason } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mine["myProfessionalProfiles"][0]["approvalStatus"], "APPROVED",
        "{mine}"
    );
    let notice = told(&lena, &id).await[0].clone();
    assert_eq!(
        notice["title"], "Your photographer profile changes were not accepted",
        "{notice}"
    );
    assert!(
        notice["body"].as_str().unwrap().contains("Keep the portraits"),
        "{notice}"
    );

    // Being listed is not reviewed: it applies at once.
    let r = edit(
        &lena,
        json!({"displayName": "Lena Lens Studio", "bio": "Weddings and portraits", "tags": ["wedding", "portrait"],
               "travelRadiusKm": 80, "isProfilePublic": false}),
    )
    .await;
    let saved = r.data()["saveProfessionalProfile"].clone();
    assert_eq!(saved["pendingReview"], Value::Null, "{saved}");
    assert_eq!(saved["profile"]["isProfilePublic"], false);
    assert_eq!(public_view(&server, &id).await, Value::Null);
    server.stop().await;
}

const SAVE_COMPANY: &str = "mutation($i: SaveCompanyProfileInput!) { saveCompanyProfile(input: $i) { \
    company { id companyName bio status approvalStatus } pendingReview { id status entityType payload } } }";

fn company(name: &str, bio: &str) -> Value {
    json!({"i": {"companyName": name, "businessType": "Studio", "industry": "Media", "location": "Pune", "bio": bio}})
}

#[tokio::test]
async fn an_edit_of_an_approved_company_waits_for_review_and_a_rejection_keeps_it() {
    let server = server().await;
    let db = db(&server).await;
    let admin = server.admin().await;
    let moderator = server.with_role(&admin, "moderator", "m").await;
    let owner = server.customer("acme").await;
    let saved = owner.client.data(SAVE_COMPANY, company("Acme", "Short films.")).await;
    let id = saved["saveCompanyProfile"]["company"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        saved["saveCompanyProfile"]["pendingReview"],
        Value::Null,
        "a draft is written at once"
    );
    owner
        .client
        .data("mutation { submitCompanyProfile { company { id } } }", json!({}))
        .await;
    let ok = crate::approvals::review(&moderator, &pending_approval(&db, &id).await, true, None).await;
    assert_eq!(ok.error_code(), None, "{}", ok.body);
    let mine = "{ myCompanyProfile { companyName bio status approvalStatus } }";

    // The edit waits; the approved text stays.
    let edited = owner
        .client
        .data(SAVE_COMPANY, company("Acme Films", "Short films and ads."))
        .await;
    let review = &edited["saveCompanyProfile"]["pendingReview"];
    assert_eq!(
        (review["status"].as_str(), review["entityType"].as_str()),
        (Some("PENDING"), Some("COMPANY"))
    );
    assert_eq!(review["payload"]["old"]["companyName"], "Acme", "{review}");
    assert_eq!(review["payload"]["new"]["companyName"], "Acme Films", "{review}");
    let now = owner.client.data(mine, json!({})).await["myCompanyProfile"].clone();
    assert_eq!(
        (
            now["companyName"].as_str(),
            now["approvalStatus"].as_str(),
            now["status"].as_str()
        ),
        (Some("Acme"), Some("APPROVED"), Some("ACTIVE")),
        "{now}"
    );
    let again = owner.client.run(SAVE_COMPANY, company("Acme 2", "x")).await;
    assert_eq!(again.error_code(), Some("CONFLICT"), "{}", again.body);

    // Rejected: as it was, and the owner is told.
    let request = review["id"].as_str().unwrap().to_string();
    let no = crate::approvals::review(&moderator, &request, false, Some("Use your registered name.")).await;
    assert_eq!(no.error_code(), None, "{}", no.body);
    let now = owner.client.data(mine, json!({})).await["myCompanyProfile"].clone();
    assert_eq!(
        (now["companyName"].as_str(), now["approvalStatus"].as_str()),
        (Some("Acme"), Some("APPROVED"))
    );
    let notice = told(&owner, &id).await[0].clone();
    assert_eq!(
        notice["title"], "Your company profile changes were not accepted",
        "{notice}"
    );

    // Approved: written.
    let edited = owner
        .client
        .data(SAVE_COMPANY, company("Acme Films", "Short films and ads."))
        .await;
    let request = edited["saveCompanyProfile"]["pendingReview"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ok = crate::approvals::review(&moderator, &request, true, None).await;
    assert_eq!(ok.error_code(), None, "{}", ok.body);
    let now = owner.client.data(mine, json!({})).await["myCompanyProfile"].clone();
    assert_eq!(
        (
            now["companyName"].as_str(),
            now["bio"].as_str(),
            now["approvalStatus"].as_str()
        ),
        (Some("Acme Films"), Some("Short films and ads."), Some("APPROVED")),
        "{now}"
    );
    assert_eq!(
        told(&owner, &id).await[0]["title"],
        "Your company profile changes are live"
    );
    // Saving the same text again opens nothing.
    let same = owner
        .client
        .data(SAVE_COMPANY, company("Acme Films", "Short films and ads."))
        .await;
    assert_eq!(same["saveCompanyProfile"]["pendingReview"], Value::Null, "{same}");
    server.stop().await;
}
