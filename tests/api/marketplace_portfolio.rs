//! Services and portfolios of professionals (issue 15): only a profile's
//! owner changes them; free text is bounded and free of contact details;
//! the profile's `priceFromInr` follows its cheapest active service;
//! images are judged by their bytes, re-encoded without EXIF, thumbnailed
//! to at most 320 px and served by `/media/portfolio/{id}` publicly only
//! for public profiles; reads under a page of professionals are batched.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, RgbImage};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{json, Value};

use crate::storage::{count, db, fetch, upload, FilePart};
use crate::support::gql::Reply;
use crate::support::personas::Persona;
use crate::support::{ServerOptions, TestServer};

const SAVE_SERVICE: &str = "mutation($i: SaveServiceInput!) { saveService(input: $i) { service { \
    id name description priceInr durationMinutes isActive createdAt } } }";
const SAVE_ITEM: &str = "mutation($i: SavePortfolioItemInput!) { savePortfolioItem(input: $i) { item { \
    id title description tags displayOrder createdAt \
    images { id url thumbnailUrl mimeType width height byteSize displayOrder } } } }";
const ADD_IMAGE: &str = "mutation($i: AddPortfolioImageInput!) { addPortfolioImage(input: $i) { image { \
    id url thumbnailUrl mimeType width height byteSize displayOrder } } }";

/// The recognisable text hidden in the test JPEG's EXIF.
const MARKER: &[u8] = b"SWITCHBOARD-SECRET-GPS-MARKER";

/// A listed photographer profile of `p` (a DRAFT until approved).
async fn profile(p: &Persona, name: &str) -> String {
    let d = p
        .client
        .data(
            "mutation($i: SaveProfessionalProfileInput!) { saveProfessionalProfile(input: $i) { profile { id } } }",
            json!({"i": {"roleKey": "photographer", "displayName": name, "bio": "Weddings and portraits",
                "isProfilePublic": true}}),
        )
        .await;
    d["saveProfessionalProfile"]["profile"]["id"]
        .as_str()
        .expect("profile id")
        .to_string()
}

/// Submits the profile for review and has `moderator` approve it: ACTIVE,
/// APPROVED and (listed by its owner) public.
async fn publish(db: &DatabaseConnection, owner: &Persona, moderator: &Persona) {
    let r = crate::marketplace::submit(owner, "photographer").await;
    let id = r.data()["submitProfessionalProfile"]["profile"]["id"]
        .as_str()
        .expect("submitted profile")
        .to_string();
    crate::marketplace::approve(db, moderator, &id).await;
}

async fn price_from(db: &DatabaseConnection, profile: &str) -> Option<i64> {
    db.query_one_raw(Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        "SELECT price_from_inr FROM user_role_profiles WHERE id = $1::uuid",
        [profile.into()],
    ))
    .await
    .expect("query")
    .expect("a row")
    .try_get_by_index::<Option<i64>>(0)
    .expect("price")
}

fn fields(r: &Reply) -> Value {
    r.body["errors"][0]["extensions"]["fields"].clone()
}

/// A `w` × `h` JPEG made by the image crate.
fn plain_jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x * 255 / w.max(1)) as u8,
            (y * 255 / h.max(1)) as u8,
            ((x ^ y) & 0xFF) as u8,
        ])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .expect("encode jpeg");
    out
}

/// An APP1 Exif segment: a little-endian TIFF with an ImageDescription
/// holding [`MARKER`].
fn exif_segment() -> Vec<u8> {
    let mut text = MARKER.to_vec();
    text.push(0);
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    // ImageDescription, ASCII, its length, at offset 8 + 2 + 12 + 4.
    tiff.extend_from_slice(&0x010Eu16.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&(text.len() as u32).to_le_bytes());
    tiff.extend_from_slice(&26u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(&text);
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    seg.extend_from_slice(&payload);
    seg
}

/// A JPEG carrying an Exif segment right after its SOI marker.
fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
    let plain = plain_jpeg(w, h);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&exif_segment());
    out.extend_from_slice(&plain[2..]);
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn add_image(p: &Persona, item: &str, name: &'static str, bytes: Vec<u8>, order: Option<i32>) -> Reply {
    upload(
        &p.client,
        ADD_IMAGE,
        json!({"i": {"itemId": item, "file": null, "displayOrder": order}}),
        vec![FilePart::new("i.file", name, "image/jpeg", bytes)],
    )
    .await
}

async fn new_item(p: &Persona, profile: &str, title: &str) -> String {
    let d = p
        .client
        .data(SAVE_ITEM, json!({"i": {"profileId": profile, "title": title}}))
        .await;
    d["savePortfolioItem"]["item"]["id"]
        .as_str()
        .expect("item id")
        .to_string()
}

#[tokio::test]
async fn services_are_owned_checked_and_drive_price_from() {
    let server = TestServer::start().await;
    let db = db(&server).await;
    let alice = server.customer("alice").await;
    let bob = server.customer("bob").await;
    let prof = profile(&alice, "Alice Studio").await;
    assert_eq!(price_from(&db, &prof).await, None);

    let d = alice
        .client
        .data(
            SAVE_SERVICE,
            json!({"i": {"profileId": prof, "name": "Wedding shoot", "description": "Full day, two cameras",
                "priceInr": 5_000_000, "durationMinutes": 480}}),
        )
        .await;
    let s = &d["saveService"]["service"];
    assert_eq!(
        (&s["name"], &s["priceInr"], &s["durationMinutes"], &s["isActive"]),
        (&json!("Wedding shoot"), &json!(5_000_000), &json!(480), &json!(true))
    );
    let wedding = s["id"].as_str().unwrap().to_string();
    let d = alice
        .client
        .data(
            SAVE_SERVICE,
            json!({"i": {"profileId": prof, "name": "Portrait session", "priceInr": 800_000}}),
        )
        .await;
    let portrait = d["saveService"]["service"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        price_from(&db, &prof).await,
        Some(800_000),
        "the cheapest active service"
    );

    // Deactivating the cheaper one: the price follows; an absent
    // description keeps the stored one.
    let d = alice
        .client
        .data(
            SAVE_SERVICE,
            json!({"i": {"id": portrait, "profileId": prof, "name": "Portrait session (paused)",
                "priceInr": 800_000, "isActive": false}}),
        )
        .await;
    assert_eq!(d["saveService"]["service"]["isActive"], false);
    assert_eq!(price_from(&db, &prof).await, Some(5_000_000));
    let d = alice
        .client
        .data(
            SAVE_SERVICE,
            json!({"i": {"id": wedding, "profileId": prof, "name": "Wedding shoot", "priceInr": 4_500_000}}),
        )
        .await;
    assert_eq!(d["saveService"]["service"]["description"], "Full day, two cameras");
    assert_eq!(price_from(&db, &prof).await, Some(4_500_000));

    // Validation: nothing written, the field named.
    let bad = alice
        .client
        .run(
            SAVE_SERVICE,
            json!({"i": {"profileId": prof, "name": "Cheap", "priceInr": -1}}),
        )
        .await;
    assert_eq!(bad.error_code(), Some("BAD_USER_INPUT"));
    assert_eq!(fields(&bad), json!(["priceInr"]));
    let bad = alice
        .client
        .run(
            SAVE_SERVICE,
            json!({"i": {"profileId": prof, "name": "Reels", "priceInr": 100,
                "description": "book me at www.alice-studio.com"}}),
        )
        .await;
    assert_eq!(bad.error_code(), Some("BAD_USER_INPUT"));
    assert_eq!(fields(&bad), json!(["description"]));
    let bad = alice
        .client
        .run(
            SAVE_SERVICE,
            json!({"i": {"profileId": prof, "name": "x".repeat(201), "priceInr": 100, "durationMinutes": 0}}),
        )
        .await;
    assert_eq!(fields(&bad), json!(["name", "durationMinutes"]));
    assert_eq!(
        count(
            &db,
            &format!("SELECT count(*) FROM services WHERE user_role_profile_id = '{prof}'")
        )
        .await,
        2
    );

    // Someone else's profile or service: FORBIDDEN; unknown ids: NOT_FOUND.
    let r = bob
        .client
        .run(
            SAVE_SERVICE,
            json!({"i": {"profileId": prof, "name": "Hijack", "priceInr": 1}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{:?}", r.body);
    let r = bob
        .client
        .run(
            SAVE_SERVICE,
            json!({"i": {"id": wedding, "profileId": prof, "name": "Hijack", "priceInr": 1}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let r = bob
        .client
        .run(
            "mutation($id: ID!) { deleteService(id: $id) { id } }",
            json!({"id": wedding}),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let unknown = uuid::Uuid::new_v4().to_string();
    let r = alice
        .client
        .run(
            "mutation($id: ID!) { deleteService(id: $id) { id } }",
            json!({"id": unknown}),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    let r = alice
        .client
        .run(
            SAVE_SERVICE,
            json!({"i": {"profileId": unknown, "name": "Ghost", "priceInr": 1}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    let r = server
        .anon()
        .run(
            SAVE_SERVICE,
            json!({"i": {"profileId": prof, "name": "Anon", "priceInr": 1}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));

    // Deleting the last active service clears the price.
    let d = alice
        .client
        .data(
            "mutation($id: ID!) { deleteService(id: $id) { id } }",
            json!({"id": wedding}),
        )
        .await;
    assert_eq!(d["deleteService"]["id"], wedding.as_str());
    assert_eq!(price_from(&db, &prof).await, None);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM audit_logs WHERE entity_type = 'SERVICE' AND module_key = 'MARKETPLACE'"
        )
        .await,
        5,
        "two creations, two edits and a deletion"
    );
    server.stop().await;
}

#[tokio::test]
async fn portfolio_items_are_owned_and_checked() {
    let server = TestServer::start().await;
    let db = db(&server).await;
    let alice = server.customer("alice").await;
    let bob = server.customer("bob").await;
    let prof = profile(&alice, "Alice Studio").await;
    let d = alice
        .client
        .data(
            SAVE_ITEM,
            json!({"i": {"profileId": prof, "title": "Beach wedding", "description": "Goa, 2025",
                "tags": ["Wedding", "wedding", "Beach"]}}),
        )
        .await;
    let item = &d["savePortfolioItem"]["item"];
    assert_eq!(item["tags"], json!(["wedding", "beach"]));
    assert_eq!(item["displayOrder"], 0);
    assert_eq!(item["images"], json!([]));
    let first = item["id"].as_str().unwrap().to_string();
    let second = new_item(&alice, &prof, "Studio portraits").await;
    let d = alice
        .client
        .data(
            SAVE_ITEM,
            json!({"i": {"id": second, "profileId": prof, "title": "Studio portraits", "description": null}}),
        )
        .await;
    assert_eq!(
        d["savePortfolioItem"]["item"]["displayOrder"], 1,
        "a new item comes last"
    );

    let bad = alice
        .client
        .run(
            SAVE_ITEM,
            json!({"i": {"profileId": prof, "title": "Call 98765 43210 for bookings"}}),
        )
        .await;
    assert_eq!(bad.error_code(), Some("BAD_USER_INPUT"));
    assert_eq!(fields(&bad), json!(["title"]));
    let many: Vec<String> = (0..21).map(|i| format!("tag{i}")).collect();
    let bad = alice
        .client
        .run(
            SAVE_ITEM,
            json!({"i": {"profileId": prof, "title": "Tags", "tags": many, "description": "y".repeat(2001)}}),
        )
        .await;
    assert_eq!(fields(&bad), json!(["description", "tags"]));
    let bad = alice
        .client
        .run(
            SAVE_ITEM,
            json!({"i": {"profileId": prof, "title": "Tags", "tags": ["mail me: a.b@example.com"]}}),
        )
        .await;
    assert_eq!(fields(&bad), json!(["tags"]));

    let r = bob
        .client
        .run(
            SAVE_ITEM,
            json!({"i": {"id": first, "profileId": prof, "title": "Mine now"}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let r = bob
        .client
        .run(
            "mutation($id: ID!) { deletePortfolioItem(id: $id) { id } }",
            json!({"id": first}),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let r = alice
        .client
        .run(
            "mutation($id: ID!) { deletePortfolioItem(id: $id) { id } }",
            json!({"id": uuid::Uuid::new_v4().to_string()}),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    let d = alice
        .client
        .data(
            "mutation($id: ID!) { deletePortfolioItem(id: $id) { id } }",
            json!({"id": first}),
        )
        .await;
    assert_eq!(d["deletePortfolioItem"]["id"], first.as_str());
    assert_eq!(
        count(
            &db,
            &format!("SELECT count(*) FROM portfolio_items WHERE user_role_profile_id = '{prof}'")
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM audit_logs WHERE entity_type = 'PORTFOLIO_ITEM'"
        )
        .await,
        4
    );
    server.stop().await;
}

#[tokio::test]
async fn images_are_re_encoded_without_exif_and_served_by_visibility() {
    let server = TestServer::start().await;
    let db = db(&server).await;
    let alice = server.customer("alice").await;
    let bob = server.customer("bob").await;
    let admin = server.admin().await;
    let moderator = server.with_role(&admin, "moderator", "mod").await;
    let prof = profile(&alice, "Alice Studio").await;
    let item = new_item(&alice, &prof, "Beach wedding").await;

    let upload_bytes = jpeg_with_exif(640, 480);
    assert!(contains(&upload_bytes, MARKER) && contains(&upload_bytes, b"Exif\0\0"));
    let r = add_image(&alice, &item, "beach.jpg", upload_bytes, None).await;
    let img = r.data()["addPortfolioImage"]["image"].clone();
    assert_eq!(
        (&img["mimeType"], &img["width"], &img["height"], &img["displayOrder"]),
        (&json!("image/jpeg"), &json!(640), &json!(480), &json!(0))
    );
    let id = img["id"].as_str().unwrap().to_string();
    assert_eq!(img["url"], format!("/media/portfolio/{id}"));
    assert_eq!(img["thumbnailUrl"], format!("/media/portfolio/{id}/thumbnail"));

    // The stored objects carry no EXIF.
    let keys = db
        .query_one_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!("SELECT file_url, thumbnail_url, byte_size, sha256 FROM portfolio_images WHERE id = '{id}'"),
        ))
        .await
        .unwrap()
        .unwrap();
    let (key, thumb_key): (String, String) = (
        keys.try_get("", "file_url").unwrap(),
        keys.try_get("", "thumbnail_url").unwrap(),
    );
    let stored = server.ctx.storage.get(&key).await.expect("stored original");
    let stored_thumb = server.ctx.storage.get(&thumb_key).await.expect("stored thumbnail");
    for bytes in [&stored[..], &stored_thumb[..]] {
        assert!(!contains(bytes, MARKER), "the EXIF text is gone");
        assert!(!contains(bytes, b"Exif"), "no Exif segment at all");
        assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]), "still a JPEG");
    }
    assert_eq!(img["byteSize"], json!(stored.len()));
    assert_eq!(
        keys.try_get::<String>("", "sha256").unwrap(),
        switchboard::infra::storage::sha256_hex(&stored)
    );

    // A non-public profile: the owner and moderators only; 404 for others.
    let path = format!("/media/portfolio/{id}");
    let thumb_path = format!("/media/portfolio/{id}/thumbnail");
    assert_eq!(fetch(&server, &path, None).await.status(), 404);
    assert_eq!(fetch(&server, &thumb_path, None).await.status(), 404);
    assert_eq!(fetch(&server, &path, Some(&bob.access_token)).await.status(), 404);
    assert_eq!(fetch(&server, "/media/portfolio/not-a-uuid", None).await.status(), 404);
    let res = fetch(&server, &path, Some(&alice.access_token)).await;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "image/jpeg");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["cache-control"].to_str().unwrap().contains("no-store"));
    let served = res.bytes().await.unwrap();
    assert_eq!(served, stored, "the route serves the stored original");
    let decoded = image::ImageReader::new(Cursor::new(&served[..]))
        .with_guessed_format()
        .unwrap()
        .decode()
        .unwrap();
    assert_eq!((decoded.width(), decoded.height()), (640, 480));
    let res = fetch(&server, &thumb_path, Some(&moderator.access_token)).await;
    assert_eq!(res.status(), 200, "moderators read any profile's images");
    let thumb = res.bytes().await.unwrap();
    assert!(!contains(&thumb, MARKER));
    let t = image::load_from_memory(&thumb).unwrap();
    assert!(t.width().max(t.height()) <= 320, "{}x{}", t.width(), t.height());
    assert_eq!((t.width(), t.height()), (320, 240));

    // Public once ACTIVE, APPROVED and public: anyone, cacheable.
    publish(&db, &alice, &moderator).await;
    let res = fetch(&server, &path, None).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["cache-control"].to_str().unwrap().starts_with("public"));
    assert_eq!(res.bytes().await.unwrap(), stored);

    // Deleting: someone else cannot; the owner's deletion removes the objects.
    let del = "mutation($id: ID!) { deletePortfolioImage(id: $id) { id } }";
    let r = bob.client.run(del, json!({"id": id})).await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    alice.client.data(del, json!({"id": id})).await;
    assert!(!server.ctx.storage.exists(&key).await.unwrap());
    assert!(!server.ctx.storage.exists(&thumb_key).await.unwrap());
    assert_eq!(fetch(&server, &path, None).await.status(), 404);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM audit_logs WHERE entity_type = 'PORTFOLIO_IMAGE'"
        )
        .await,
        2
    );
    server.stop().await;
}

#[tokio::test]
async fn images_are_listed_by_display_order_and_only_the_owner_adds_them() {
    let server = TestServer::start().await;
    let alice = server.customer("alice").await;
    let bob = server.customer("bob").await;
    let prof = profile(&alice, "Alice Studio").await;
    let item = new_item(&alice, &prof, "Portraits").await;
    let mut ids = Vec::new();
    for (order, (w, h)) in [(2, (30, 20)), (0, (40, 20)), (1, (50, 20))] {
        let r = add_image(&alice, &item, "p.jpg", plain_jpeg(w, h), Some(order)).await;
        ids.push((
            order,
            r.data()["addPortfolioImage"]["image"]["id"]
                .as_str()
                .unwrap()
                .to_string(),
        ));
    }
    let r = add_image(&bob, &item, "p.jpg", plain_jpeg(10, 10), None).await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let r = add_image(
        &alice,
        &uuid::Uuid::new_v4().to_string(),
        "p.jpg",
        plain_jpeg(10, 10),
        None,
    )
    .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    let d = alice
        .client
        .data(
            SAVE_ITEM,
            json!({"i": {"id": item, "profileId": prof, "title": "Portraits"}}),
        )
        .await;
    let images = d["savePortfolioItem"]["item"]["images"].as_array().unwrap().clone();
    let got: Vec<(i64, String)> = images
        .iter()
        .map(|i| {
            (
                i["displayOrder"].as_i64().unwrap(),
                i["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    ids.sort();
    let want: Vec<(i64, String)> = ids.into_iter().map(|(o, id)| (o as i64, id)).collect();
    assert_eq!(got, want);
    assert_eq!(images[0]["width"], 40);
    // An image without an order comes last.
    let r = add_image(&alice, &item, "p.jpg", plain_jpeg(12, 12), None).await;
    assert_eq!(r.data()["addPortfolioImage"]["image"]["displayOrder"], 3);
    server.stop().await;
}

#[tokio::test]
async fn non_images_and_oversized_files_are_refused_with_nothing_stored() {
    let server = TestServer::with(ServerOptions {
        env: vec![("SWITCHBOARD_UPLOAD_MAX_FILE_BYTES", "20000".into())],
        ..Default::default()
    })
    .await;
    let db = db(&server).await;
    let alice = server.customer("alice").await;
    let prof = profile(&alice, "Alice Studio").await;
    let item = new_item(&alice, &prof, "Portraits").await;

    // No file at all (a plain JSON request): the field is named.
    let no_file = json!({"i": {"itemId": item, "file": null}});
    let r = alice.client.run(ADD_IMAGE, no_file.clone()).await;
    assert_eq!(fields(&r), json!(["file"]), "{:?}", r.body);
    let r = server.anon().run(ADD_IMAGE, no_file).await;
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));
    let r = add_image(
        &alice,
        &item,
        "notes.png",
        b"just some notes, not a picture".to_vec(),
        None,
    )
    .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{:?}", r.body);
    assert_eq!(fields(&r), json!(["file"]));
    // A PDF is a file the documents accept, but no image.
    let r = add_image(&alice, &item, "x.jpg", b"%PDF-1.7 a document".to_vec(), None).await;
    assert_eq!(fields(&r), json!(["file"]));
    // A PNG signature with garbage after it.
    let mut fake = b"\x89PNG\r\n\x1a\n".to_vec();
    fake.extend_from_slice(b"garbage that is no image at all");
    let r = add_image(&alice, &item, "x.png", fake, None).await;
    assert_eq!(fields(&r), json!(["file"]));
    // Larger than 8000 pixels a side (a small file all the same).
    let mut wide = Vec::new();
    image::codecs::png::PngEncoder::new(&mut wide)
        .write_image(&vec![0u8; 8001 * 2], 8001, 2, image::ExtendedColorType::L8)
        .unwrap();
    assert!(wide.len() < 20000);
    let r = add_image(&alice, &item, "wide.png", wide, None).await;
    assert_eq!(fields(&r), json!(["file"]));
    assert!(r.error_message().contains("too large"), "{}", r.error_message());
    // Over the upload size limit: refused before anything runs.
    let noise = RgbImage::from_fn(200, 200, |x, y| {
        let v = x.wrapping_mul(2654435761).wrapping_add(y.wrapping_mul(40503)) ^ (x * y);
        image::Rgb([v as u8, (v >> 8) as u8, (v >> 16) as u8])
    });
    let mut big = Vec::new();
    JpegEncoder::new_with_quality(&mut big, 100)
        .write_image(noise.as_raw(), 200, 200, image::ExtendedColorType::Rgb8)
        .unwrap();
    assert!(big.len() > 20000, "{}", big.len());
    let r = add_image(&alice, &item, "big.jpg", big, None).await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{:?}", r.body);
    assert_eq!(count(&db, "SELECT count(*) FROM portfolio_images").await, 0);
    let r = add_image(&alice, &item, "ok.jpg", plain_jpeg(64, 48), None).await;
    assert_eq!(r.data()["addPortfolioImage"]["image"]["width"], 64);
    assert_eq!(count(&db, "SELECT count(*) FROM portfolio_images").await, 1);
    server.stop().await;
}

const PHOTOGRAPHER: &str = "... on PhotographerProfile { priceFromInr services { name isActive } \
    portfolio { title displayOrder images { id displayOrder } } coverImage { id } }";

#[tokio::test]
async fn professionals_see_active_services_and_owners_all_of_them() {
    let server = TestServer::start().await;
    let db = db(&server).await;
    let admin = server.admin().await;
    let moderator = server.with_role(&admin, "moderator", "mod").await;
    let alice = server.customer("alice").await;
    let prof = profile(&alice, "Alice Studio").await;
    for (name, price, active) in [("Day", 900_000, true), ("Paused", 100, false)] {
        alice
            .client
            .data(
                SAVE_SERVICE,
                json!({"i": {"profileId": prof, "name": name, "priceInr": price, "isActive": active}}),
            )
            .await;
    }
    let item = new_item(&alice, &prof, "Beach wedding").await;
    let first = add_image(&alice, &item, "a.jpg", plain_jpeg(20, 10), None).await;
    let first = first.data()["addPortfolioImage"]["image"]["id"].clone();
    add_image(&alice, &item, "b.jpg", plain_jpeg(20, 10), None).await.data();
    let q = format!("query($id: ID!) {{ professional(id: $id) {{ id {PHOTOGRAPHER} }} }}");
    let own = alice.client.data(&q, json!({"id": prof})).await;
    let p = &own["professional"];
    assert_eq!(p["priceFromInr"], 900_000);
    assert_eq!(
        p["services"],
        json!([{"name": "Paused", "isActive": false}, {"name": "Day", "isActive": true}]),
        "the owner sees every service, cheapest first"
    );
    assert_eq!(p["coverImage"]["id"], first);
    assert_eq!(p["portfolio"][0]["images"].as_array().map(Vec::len), Some(2));
    publish(&db, &alice, &moderator).await;
    let public = server.anon().data(&q, json!({"id": prof})).await;
    assert_eq!(
        public["professional"]["services"],
        json!([{"name": "Day", "isActive": true}]),
        "the public sees active services only"
    );
    server.stop().await;
}

/// `n` public photographers (each with an active and an inactive service,
/// two items of two images each), written in one statement per table.
async fn seed_professionals(db: &DatabaseConnection, n: i32) {
    let statements = [
        "INSERT INTO users (id, email, display_name) SELECT md5('u' || g)::uuid, \
         'batch-' || g || '@example.test', 'Batch ' || g FROM generate_series(1, $1::int) g",
        "INSERT INTO user_role_profiles (id, user_id, role_key, display_name, status, approval_status, \
         is_profile_public) SELECT md5('p' || g)::uuid, md5('u' || g)::uuid, 'photographer', \
         'Batch studio ' || g, 'ACTIVE', 'APPROVED', true FROM generate_series(1, $1::int) g",
        "INSERT INTO services (user_role_profile_id, name, price_inr, is_active) \
         SELECT md5('p' || g)::uuid, s.name, s.price, s.active FROM generate_series(1, $1::int) g, \
         (VALUES ('Day', 1000::bigint, true), ('Paused', 10::bigint, false)) s(name, price, active)",
        "INSERT INTO portfolio_items (id, user_role_profile_id, title, display_order) \
         SELECT md5('i' || g || '-' || k)::uuid, md5('p' || g)::uuid, 'Item ' || k, k \
         FROM generate_series(1, $1::int) g, generate_series(0, 1) k",
        "INSERT INTO portfolio_images (id, portfolio_item_id, file_url, display_order) \
         SELECT md5('m' || g || '-' || k || '-' || j)::uuid, md5('i' || g || '-' || k)::uuid, \
         'portfolio/none/original', j FROM generate_series(1, $1::int) g, generate_series(0, 1) k, \
         generate_series(0, 1) j",
    ];
    for sql in statements {
        db.execute_raw(Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            sql,
            [n.into()],
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

#[tokio::test]
async fn a_page_of_professionals_reads_services_and_portfolios_in_batches() {
    let server = TestServer::start().await;
    let db = db(&server).await;
    seed_professionals(&db, 40).await;
    let q = format!(
        "query($n: Int!) {{ professionals(first: $n, filter: {{roleKey: \"photographer\"}}) \
         {{ edges {{ node {{ id {PHOTOGRAPHER} }} }} }} }}"
    );
    let anon = server.anon();
    let mut counts = Vec::new();
    for n in [5, 40, 5, 40, 5, 40] {
        let before = server.ctx.db.statement_count();
        let d = anon.data(&q, json!({"n": n})).await;
        let after = server.ctx.db.statement_count();
        let edges = d["professionals"]["edges"].as_array().expect("edges").clone();
        assert_eq!(edges.len(), n as usize);
        for e in &edges {
            let p = &e["node"];
            assert_eq!(p["priceFromInr"], 1000);
            assert_eq!(p["services"], json!([{"name": "Day", "isActive": true}]));
            let items = p["portfolio"].as_array().expect("portfolio");
            assert_eq!(items.len(), 2);
            assert_eq!(
                (&items[0]["displayOrder"], &items[1]["displayOrder"]),
                (&json!(0), &json!(1))
            );
            let imgs = items[0]["images"].as_array().expect("images");
            assert_eq!(imgs.len(), 2);
            assert_eq!(
                p["coverImage"]["id"], imgs[0]["id"],
                "the first image of the first item"
            );
        }
        counts.push(after - before);
    }
    // The server's background jobs share the counter: the fewer of two.
    let (five, forty) = (counts[2].min(counts[4]), counts[3].min(counts[5]));
    println!("SQL statements per page of professionals: first 5 -> {five}, first 40 -> {forty}");
    assert_eq!(five, forty, "statements must not grow with the page: {counts:?}");
    assert!(forty <= 8, "the page and one statement per relation: {counts:?}");
    server.stop().await;
}
