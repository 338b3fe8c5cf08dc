//! The marketplace (issue 15), professionals and reviews, through GraphQL
//! as /work/mk_api.md pins it: a DRAFT profile per profession with its own
//! fields, one profile per profession, the content approval by a moderator
//! (never the submitter), who sees a profile in which state, and reviews
//! that only a lead owner with an accepted request may write, whose
//! PUBLISHED ones keep the rating. Leads are in `marketplace_leads.rs`,
//! search and the link filter in `marketplace_search.rs`.

use sea_orm::DatabaseConnection;
use serde_json::{json, Value};

use crate::storage::{count, db};
use crate::support::gql::Reply;
use crate::support::personas::Persona;
use crate::support::{scratch_dir, ServerOptions, TestServer};

/// Fields every profession's type has besides the interface.
const COMMON: &str = "status approvalStatus rejectionReason isProfilePublic tags priceFromInr createdAt updatedAt";

/// (roleKey, GraphQL type, sample profession fields) of the ten professions.
pub(crate) fn professions() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "photographer",
            "PhotographerProfile",
            json!({"specialties": ["weddings", "candid"], "cameraBrands": ["canon"], "studioAvailable": true,
                   "outdoorShoots": false, "travelRadiusKm": 40, "startingPriceInr": 1_500_000}),
        ),
        (
            "tutor",
            "TutorProfile",
            json!({"subjects": ["physics", "maths"], "boardTypes": ["cbse"], "qualification": "MSc Physics",
                   "teachesOnline": true, "teachesOffline": false, "experienceYears": 6, "hourlyRateInr": 80_000}),
        ),
        (
            "makeup_artist",
            "MakeupArtistProfile",
            json!({"specializations": ["bridal"], "kitBrands": ["mac"], "homeService": true,
                   "studioAvailable": false, "startingPriceInr": 900_000}),
        ),
        (
            "developer",
            "DeveloperProfile",
            json!({"techStack": ["rust", "postgres"], "experienceYears": 9, "availability": "FREELANCE",
                   "hourlyRateInr": 250_000, "remoteOk": true}),
        ),
        (
            "video_editor",
            "VideoEditorProfile",
            json!({"softwareSkills": ["premiere pro"], "styleTags": ["cinematic"], "turnaroundDays": 3,
                   "startingPriceInr": 500_000}),
        ),
        (
            "graphic_designer",
            "GraphicDesignerProfile",
            json!({"designTools": ["figma"], "styleTags": ["minimal"], "brandExperience": true,
                   "startingPriceInr": 300_000}),
        ),
        (
            "social_media_manager",
            "SocialMediaManagerProfile",
            json!({"platforms": ["instagram"], "industries": ["fashion"], "contentTypes": ["reels"],
                   "avgFollowerGrowthPct": 12, "startingPriceInr": 2_000_000}),
        ),
        (
            "fitness_trainer",
            "FitnessTrainerProfile",
            json!({"disciplines": ["yoga"], "certifications": ["ace"], "onlineSessions": true, "homeVisits": true,
                   "gymBased": false, "perSessionRateInr": 120_000}),
        ),
        (
            "catering_service",
            "CateringServiceProfile",
            json!({"businessName": "Annapurna Caterers", "cuisineTypes": ["south indian"], "eventTypes": ["weddings"],
                   "minGuests": 50, "maxGuests": 800, "hasSetupTeam": true, "hasServingStaff": true,
                   "pricePerHeadInr": 45_000}),
        ),
        (
            "ugc_content_creator",
            "UgcContentCreatorProfile",
            json!({"nicheTags": ["beauty"], "contentFormats": ["unboxing"], "platforms": ["youtube"],
                   "turnaroundDays": 5, "startingPriceInr": 700_000}),
        ),
    ]
}

/// The selection of a `Professional`: the interface, then every type's own
/// fields through inline fragments; with `catalog` also services, cover
/// image and portfolio.
pub(crate) fn selection(catalog: bool) -> String {
    selection_with(if catalog {
        " services { id name priceInr isActive } coverImage { id url thumbnailUrl } \
         portfolio { id title images { id url thumbnailUrl } }"
    } else {
        ""
    })
}

/// [`selection`] with `extra` in every profession's fragment.
pub(crate) fn selection_with(extra: &str) -> String {
    let mut s = String::from("__typename id roleKey displayName bio location rating reviewCount verificationStatus");
    for (_, ty, fields) in professions() {
        let own: Vec<&str> = fields.as_object().unwrap().keys().map(String::as_str).collect();
        s.push_str(&format!(" ... on {ty} {{ {COMMON} {}{extra} }}", own.join(" ")));
    }
    s
}

/// A test server with a data folder (uploads, portfolio images).
pub(crate) async fn server() -> TestServer {
    TestServer::with(ServerOptions {
        env: vec![("SWITCHBOARD_DATA_DIR", scratch_dir("marketplace").display().to_string())],
        ..Default::default()
    })
    .await
}

/// A number of the API (a float, an integer or a decimal string).
pub(crate) fn num(v: &Value) -> f64 {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("a number, got {v}"))
}

/// `extensions.fields` of the first error.
pub(crate) fn bad_fields(r: &Reply) -> Value {
    r.body["errors"][0]["extensions"]["fields"].clone()
}

/// `saveProfessionalProfile`, whatever it answers.
pub(crate) async fn save(p: &Persona, input: Value) -> Reply {
    p.client
        .run(
            &format!(
                "mutation($i: SaveProfessionalProfileInput!) {{ saveProfessionalProfile(input: $i) \
                 {{ profile {{ {} }} }} }}",
                selection(false)
            ),
            json!({ "i": input }),
        )
        .await
}

/// A saved profile; fails on any error.
pub(crate) async fn saved(p: &Persona, input: Value) -> Value {
    let r = save(p, input).await;
    assert_eq!(r.error_code(), None, "{}", r.body);
    r.data()["saveProfessionalProfile"]["profile"].clone()
}

/// `submitProfessionalProfile(roleKey)`, whatever it answers.
pub(crate) async fn submit(p: &Persona, role: &str) -> Reply {
    p.client
        .run(
            &format!(
                "mutation($r: String!) {{ submitProfessionalProfile(roleKey: $r) {{ profile {{ {} }} }} }}",
                selection(false)
            ),
            json!({ "r": role }),
        )
        .await
}

/// `professional(id)` as `p` (or anonymous) sees it.
pub(crate) async fn professional(server: &TestServer, p: Option<&Persona>, id: &str) -> Value {
    let client = p.map(|p| p.client.clone()).unwrap_or_else(|| server.anon());
    client
        .data(
            &format!("query($id: ID!) {{ professional(id: $id) {{ {} }} }}", selection(false)),
            json!({ "id": id }),
        )
        .await["professional"]
        .clone()
}

/// SQL (read): the pending approval request about `entity`.
pub(crate) async fn pending_approval(db: &DatabaseConnection, entity: &str) -> String {
    use sea_orm::{ConnectionTrait, Statement};
    let row = db
        .query_one_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!("SELECT id::text AS id FROM approval_requests WHERE entity_id = '{entity}' AND status = 'PENDING'"),
        ))
        .await
        .expect("query approval_requests")
        .unwrap_or_else(|| panic!("no pending approval request about {entity}"));
    row.try_get::<String>("", "id").unwrap()
}

/// `moderator` approves the pending request about `entity`.
pub(crate) async fn approve(db: &DatabaseConnection, moderator: &Persona, entity: &str) {
    let id = pending_approval(db, entity).await;
    let r = crate::approvals::review(moderator, &id, true, None).await;
    assert_eq!(r.error_code(), None, "approving {entity}: {}", r.body);
}

/// A new user with an ACTIVE + APPROVED profile of `role` (`input` adds
/// or overrides fields); returns the user and the profile's id.
pub(crate) async fn approved(
    server: &TestServer,
    db: &DatabaseConnection,
    moderator: &Persona,
    prefix: &str,
    role: &str,
    input: Value,
) -> (Persona, String) {
    let p = server.customer(prefix).await;
    let id = approved_for(db, moderator, &p, role, input).await;
    (p, id)
}

/// Gives `p` an ACTIVE + APPROVED profile of `role`; returns its id.
pub(crate) async fn approved_for(
    db: &DatabaseConnection,
    moderator: &Persona,
    p: &Persona,
    role: &str,
    input: Value,
) -> String {
    let mut i = json!({"roleKey": role, "displayName": format!("{role} pro"), "isProfilePublic": true});
    for (k, v) in input.as_object().cloned().unwrap_or_default() {
        i[k] = v;
    }
    let id = saved(p, i).await["id"].as_str().unwrap().to_string();
    let r = submit(p, role).await;
    assert_eq!(r.error_code(), None, "{}", r.body);
    approve(db, moderator, &id).await;
    id
}

/// `createLead`, whatever it answers.
pub(crate) async fn create_lead(p: &Persona, input: Value) -> Reply {
    p.client
        .run(
            "mutation($i: CreateLeadInput!) { createLead(input: $i) { lead { id title professionKey status \
             contact { name email phone } } } }",
            json!({ "i": input }),
        )
        .await
}

/// A lead of `profession` by `poster`, approved by `moderator`: OPEN.
pub(crate) async fn open_lead(
    db: &DatabaseConnection,
    moderator: &Persona,
    poster: &Persona,
    profession: &str,
    title: &str,
) -> String {
    let r = create_lead(
        poster,
        json!({"professionKey": profession, "title": title, "description": "Two hours, evening",
               "location": "Pune", "budgetInr": 2_500_000, "requiredDate": "2027-03-14"}),
    )
    .await;
    assert_eq!(r.error_code(), None, "{}", r.body);
    let id = r.data()["createLead"]["lead"]["id"].as_str().unwrap().to_string();
    approve(db, moderator, &id).await;
    id
}

/// Ids of the `professionals` page for `filter`.
pub(crate) async fn search_ids(server: &TestServer, filter: Value, order: &str) -> Vec<String> {
    let d = server
        .anon()
        .data(
            "query($f: ProfessionalFilter, $o: ProfessionalOrder) { professionals(filter: $f, orderBy: $o, first: 100) \
             { totalCount edges { node { id } } } }",
            json!({"f": filter, "o": order}),
        )
        .await;
    d["professionals"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn each_profession_saves_its_own_fields_as_one_draft_and_refuses_anothers() {
    let server = server().await;
    let ana = server.customer("ana").await;
    let db = db(&server).await;
    let mut ids = Vec::new();
    for (role, ty, fields) in professions() {
        let mut input = fields.clone();
        input["roleKey"] = json!(role);
        input["displayName"] = json!(format!("Ana the {role}"));
        input["bio"] = json!("Ten years of work");
        input["location"] = json!("Pune");
        input["tags"] = json!(["reliable"]);
        let p = saved(&ana, input).await;
        assert_eq!(p["__typename"], ty, "{p}");
        assert_eq!(p["roleKey"], role);
        assert_eq!(p["status"], "DRAFT", "{p}");
        assert_eq!(p["displayName"], format!("Ana the {role}"));
        assert_eq!(p["tags"], json!(["reliable"]));
        assert_eq!(p["isProfilePublic"], false, "not public unless asked");
        for (k, v) in fields.as_object().unwrap() {
            assert_eq!(&p[k], v, "{role}.{k}: {p}");
        }
        // Read back through the owner's list and by id.
        let id = p["id"].as_str().unwrap().to_string();
        let again = professional(&server, Some(&ana), &id).await;
        for (k, v) in fields.as_object().unwrap() {
            assert_eq!(&again[k], v, "{role}.{k} read back: {again}");
        }
        ids.push(id);
    }
    let mine = ana
        .client
        .data(
            &format!("{{ myProfessionalProfiles {{ {} }} }}", selection(false)),
            json!({}),
        )
        .await;
    let mut listed: Vec<String> = mine["myProfessionalProfiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    listed.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(listed, expected, "ten profiles, one per profession");

    // A field of another profession names that field and writes nothing.
    let bob = server.customer("bob").await;
    let r = save(
        &bob,
        json!({"roleKey": "photographer", "displayName": "Bob", "techStack": ["rust"]}),
    )
    .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", r.body);
    assert_eq!(bad_fields(&r), json!(["techStack"]), "{}", r.body);
    let r = save(
        &bob,
        json!({"roleKey": "tutor", "displayName": "Bob", "specialties": ["x"]}),
    )
    .await;
    assert_eq!(bad_fields(&r), json!(["specialties"]), "{}", r.body);
    let bobs = format!("SELECT count(*) FROM user_role_profiles WHERE user_id = '{}'", bob.id);
    assert_eq!(count(&db, &bobs).await, 0);

    // A second save edits the same profile.
    let first = &ids[0];
    let edited = saved(
        &ana,
        json!({"roleKey": "photographer", "displayName": "Ana Frames", "specialties": ["portraits"]}),
    )
    .await;
    assert_eq!(edited["id"], first.as_str());
    assert_eq!(edited["displayName"], "Ana Frames");
    assert_eq!(edited["specialties"], json!(["portraits"]));
    let anas = format!(
        "SELECT count(*) FROM user_role_profiles WHERE user_id = '{}' AND role_key = 'photographer'",
        ana.id
    );
    assert_eq!(count(&db, &anas).await, 1);
    server.stop().await;
}

#[tokio::test]
async fn a_moderator_approves_or_rejects_a_submitted_profile_and_only_public_ones_are_listed() {
    let server = server().await;
    let admin = server.admin().await;
    let moderator = server.with_role(&admin, "moderator", "m").await;
    let ana = server.customer("ana").await;
    let eve = server.customer("eve").await;
    let db = db(&server).await;

    let draft = saved(
        &ana,
        json!({"roleKey": "photographer", "displayName": "Ana Frames", "isProfilePublic": false}),
    )
    .await;
    let id = draft["id"].as_str().unwrap().to_string();
    // A draft: the owner and moderators see it, nobody else.
    assert_eq!(professional(&server, Some(&eve), &id).await, Value::Null);
    assert_eq!(professional(&server, None, &id).await, Value::Null);
    assert_eq!(professional(&server, Some(&ana), &id).await["status"], "DRAFT");
    assert_eq!(professional(&server, Some(&moderator), &id).await["id"], id.as_str());

    let r = submit(&ana, "photographer").await;
    assert_eq!(r.error_code(), None, "{}", r.body);
    assert_eq!(
        r.data()["submitProfessionalProfile"]["profile"]["approvalStatus"],
        "PENDING"
    );
    let again = submit(&ana, "photographer").await;
    assert_eq!(again.error_code(), Some("CONFLICT"), "{}", again.body);
    let request = pending_approval(&db, &id).await;
    assert_eq!(
        count(&db, &format!("SELECT count(*) FROM approval_requests WHERE entity_id = '{id}' AND entity_type = 'PROFILE' AND approval_type = 'CONTENT'")).await,
        1
    );
    // Never the submitter.
    let own = crate::approvals::review(&ana, &request, true, None).await;
    assert_eq!(own.error_code(), Some("FORBIDDEN"), "{}", own.body);
    let r = crate::approvals::review(&moderator, &request, true, None).await;
    assert_eq!(r.error_code(), None, "{}", r.body);
    let p = professional(&server, Some(&ana), &id).await;
    assert_eq!(
        (p["status"].as_str(), p["approvalStatus"].as_str()),
        (Some("ACTIVE"), Some("APPROVED")),
        "{p}"
    );
    // Approved but not public: not listed, not visible to others.
    assert!(!search_ids(&server, json!({"roleKey": "photographer"}), "NEWEST")
        .await
        .contains(&id));
    assert_eq!(professional(&server, Some(&eve), &id).await, Value::Null);
    let public = saved(
        &ana,
        json!({"roleKey": "photographer", "displayName": "Ana Frames", "isProfilePublic": true}),
    )
    .await;
    assert_eq!(
        public["status"], "ACTIVE",
        "making it public keeps it approved: {public}"
    );
    assert!(search_ids(&server, json!({"roleKey": "photographer"}), "NEWEST")
        .await
        .contains(&id));
    assert_eq!(professional(&server, None, &id).await["id"], id.as_str());

    // A moderator's own profile: they cannot approve it either.
    saved(&moderator, json!({"roleKey": "tutor", "displayName": "Mo Tutor"})).await;
    let r = submit(&moderator, "tutor").await;
    let mo_id = r.data()["submitProfessionalProfile"]["profile"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mo_request = pending_approval(&db, &mo_id).await;
    let own = crate::approvals::review(&moderator, &mo_request, true, None).await;
    assert!(
        own.error_code().is_some(),
        "a moderator approved their own profile: {}",
        own.body
    );

    // A rejection keeps the reason.
    let bob = server.customer("bob").await;
    let bob_id = saved(
        &bob,
        json!({"roleKey": "developer", "displayName": "Bob Dev", "isProfilePublic": true}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    submit(&bob, "developer").await.data();
    let bob_request = pending_approval(&db, &bob_id).await;
    let r = crate::approvals::review(&moderator, &bob_request, false, Some("no sample work")).await;
    assert_eq!(r.error_code(), None, "{}", r.body);
    let p = professional(&server, Some(&bob), &bob_id).await;
    assert_eq!(p["approvalStatus"], "REJECTED", "{p}");
    assert_eq!(p["rejectionReason"], "no sample work", "{p}");
    assert!(!search_ids(&server, json!({}), "NEWEST").await.contains(&bob_id));
    server.stop().await;
}

const REVIEW: &str = "mutation($i: SubmitReviewInput!) { submitReview(input: $i) { review { id entityType entityId rating text status reviewer { id } } } }";
const MODERATE: &str = "mutation($i: ModerateReviewInput!) { moderateReview(input: $i) { review { id status } } }";

async fn review(p: &Persona, entity: &str, rating: i64) -> Reply {
    p.client
        .run(
            REVIEW,
            json!({"i": {"entityType": "PROFESSIONAL", "entityId": entity, "rating": rating, "text": "Lovely work"}}),
        )
        .await
}

/// `owner`'s lead accepted a request from `pro`'s profile.
pub(crate) async fn accepted_request(db: &DatabaseConnection, moderator: &Persona, owner: &Persona, pro: &Persona) {
    let lead = open_lead(db, moderator, owner, "photographer", "Birthday shoot").await;
    let r = pro
        .client
        .run(
            "mutation($i: RequestLeadInput!) { requestLead(input: $i) { request { id status } } }",
            json!({"i": {"leadId": lead}}),
        )
        .await;
    let req = r.data()["requestLead"]["request"]["id"].clone();
    let r = owner
        .client
        .run(
            "mutation($i: RespondToLeadRequestInput!) { respondToLeadRequest(input: $i) { request { id status } } }",
            json!({"i": {"id": req, "accept": true}}),
        )
        .await;
    assert_eq!(r.data()["respondToLeadRequest"]["request"]["status"], "ACCEPTED");
}

async fn rating(server: &TestServer, id: &str) -> (f64, i64) {
    let p = professional(server, None, id).await;
    (num(&p["rating"]), p["reviewCount"].as_i64().unwrap())
}

async fn visible_reviews(p: &Persona, entity: &str) -> Vec<(i64, String)> {
    let d = p
        .client
        .data(
            "query($e: ID!) { reviews(filter: { entityType: PROFESSIONAL, entityId: $e }, first: 50) \
             { totalCount edges { node { rating status } } } }",
            json!({"e": entity}),
        )
        .await;
    d["reviews"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["rating"].as_i64().unwrap(),
                e["node"]["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn reviews_need_an_accepted_lead_request_and_published_ones_keep_the_rating() {
    let server = server().await;
    let admin = server.admin().await;
    let moderator = server.with_role(&admin, "moderator", "m").await;
    let db = db(&server).await;
    let (pro, id) = approved(&server, &db, &moderator, "pro", "photographer", json!({})).await;
    let (kim, lee, eve) = (
        server.customer("kim").await,
        server.customer("lee").await,
        server.customer("eve").await,
    );

    // Without an accepted request: FORBIDDEN, nothing written.
    let r = review(&kim, &id, 4).await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{}", r.body);
    assert_eq!(count(&db, "SELECT count(*) FROM reviews").await, 0);
    accepted_request(&db, &moderator, &kim, &pro).await;
    accepted_request(&db, &moderator, &lee, &pro).await;
    for bad in [0, 6] {
        let r = review(&kim, &id, bad).await;
        assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "rating {bad}: {}", r.body);
        assert_eq!(bad_fields(&r), json!(["rating"]), "{}", r.body);
    }
    let four = review(&kim, &id, 4).await;
    let four = four.data()["submitReview"]["review"].clone();
    assert_eq!(
        (four["status"].as_str(), four["rating"].as_i64()),
        (Some("PENDING"), Some(4)),
        "{four}"
    );
    assert_eq!(four["reviewer"]["id"], kim.id.as_str());
    let again = review(&kim, &id, 5).await;
    assert_eq!(again.error_code(), Some("CONFLICT"), "{}", again.body);
    let five = review(&lee, &id, 5).await.data()["submitReview"]["review"]["id"].clone();
    assert_eq!(rating(&server, &id).await, (0.0, 0), "pending reviews do not count");
    // The public sees none yet; the reviewer sees their own.
    assert!(visible_reviews(&eve, &id).await.is_empty());
    assert_eq!(visible_reviews(&kim, &id).await, vec![(4, "PENDING".to_string())]);

    // Only moderators publish.
    let r = kim
        .client
        .run(MODERATE, json!({"i": {"id": four["id"], "status": "PUBLISHED"}}))
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{}", r.body);
    for rid in [&four["id"], &five] {
        let r = moderator
            .client
            .run(MODERATE, json!({"i": {"id": rid, "status": "PUBLISHED"}}))
            .await;
        assert_eq!(r.data()["moderateReview"]["review"]["status"], "PUBLISHED");
    }
    assert_eq!(rating(&server, &id).await, (4.5, 2));
    let mut public = visible_reviews(&eve, &id).await;
    public.sort();
    assert_eq!(public, vec![(4, "PUBLISHED".to_string()), (5, "PUBLISHED".to_string())]);

    // Hidden: out of the rating and of the public list.
    let r = moderator
        .client
        .run(MODERATE, json!({"i": {"id": four["id"], "status": "HIDDEN"}}))
        .await;
    assert_eq!(r.data()["moderateReview"]["review"]["status"], "HIDDEN");
    assert_eq!(rating(&server, &id).await, (5.0, 1));
    assert_eq!(visible_reviews(&eve, &id).await, vec![(5, "PUBLISHED".to_string())]);
    let all = visible_reviews(&moderator, &id).await;
    assert_eq!(all.len(), 2, "moderators see every status: {all:?}");
    server.stop().await;
}
