//! Demo dataset (`switchboard seed --demo`): a small, realistic world
//! across every domain, so a newcomer signing in to GraphiQL finds tickets
//! with conversations and internal notes, exchange orders, wallets with
//! ledgers, invoices, approval requests, profiles and articles.
//!
//! Idempotent: the whole set is written in one transaction with fixed
//! (UUIDv5) ids, and a marker in `runtime_configs` makes a rerun a no-op.

use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use uuid::Uuid;

use crate::infra::crypto::Cipher;
use crate::service::identity::password::PasswordHasher;

/// Password of every demo account. Printed by `serve` on an empty
/// embedded database; never used outside development.
pub const DEMO_PASSWORD: &str = "switchboard-demo";

/// One demo sign-in.
#[derive(Clone, Debug)]
pub struct DemoAccount {
    pub email: &'static str,
    pub role: &'static str,
    pub name: &'static str,
}

/// What `load` did.
#[derive(Debug)]
pub enum DemoOutcome {
    Loaded(Vec<DemoAccount>),
    AlreadyLoaded(Vec<DemoAccount>),
}

const NAMESPACE: Uuid = Uuid::from_u128(0x5b0a_3d1e_77c2_4f7e_9a51_2c0d_8e6f_1a42);

/// The fixed id of demo object `name`.
pub fn demo_id(name: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, name.as_bytes())
}

/// Staff and customers; professionals are listed in `PROFESSIONALS`.
const ACCOUNTS: &[(&str, &str, &str, &[&str])] = &[
    ("admin", "admin@demo.switchboard.test", "Ada Admin", &["super_admin"]),
    (
        "agent_sam",
        "sam.support@demo.switchboard.test",
        "Sam Support",
        &["support_agent"],
    ),
    (
        "agent_bea",
        "bea.billing@demo.switchboard.test",
        "Bea Billing",
        &["support_agent", "finance"],
    ),
    (
        "compliance",
        "cole.compliance@demo.switchboard.test",
        "Cole Compliance",
        &["compliance"],
    ),
    ("alice", "alice@demo.switchboard.test", "Alice Customer", &["customer"]),
    ("bob", "bob@demo.switchboard.test", "Bob Customer", &["customer"]),
    ("acme", "hiring@acme.demo.switchboard.test", "Acme Events", &["company"]),
];

/// One professional per profession: (key, role, name, extension insert).
const PROFESSIONALS: &[(&str, &str, &str)] = &[
    ("photographer", "Priya Photographer", "INSERT INTO photographer_profiles (id, user_role_profile_id, specialties, camera_brands, studio_available, outdoor_shoots, travel_radius_km, starting_price_inr) VALUES ({ext}, {urp}, ARRAY['weddings','portraits'], ARRAY['Canon','Sony'], true, true, 50, 1500000)"),
    ("tutor", "Tom Tutor", "INSERT INTO tutor_profiles (id, user_role_profile_id, subjects, board_types, qualification, teaches_online, teaches_offline, experience_years, hourly_rate_inr) VALUES ({ext}, {urp}, ARRAY['mathematics','physics'], ARRAY['CBSE','ICSE'], 'M.Sc. Physics', true, false, 6, 80000)"),
    ("makeup_artist", "Maya Makeup", "INSERT INTO makeup_artist_profiles (id, user_role_profile_id, specializations, kit_brands, home_service, studio_available, starting_price_inr) VALUES ({ext}, {urp}, ARRAY['bridal','editorial'], ARRAY['MAC','Huda'], true, false, 900000)"),
    ("developer", "Dev Developer", "INSERT INTO developer_profiles (id, user_role_profile_id, tech_stack, experience_years, availability, hourly_rate_inr, remote_ok) VALUES ({ext}, {urp}, ARRAY['rust','postgresql','react'], 8, 'FREELANCE', 250000, true)"),
    ("video_editor", "Vik Video", "INSERT INTO video_editor_profiles (id, user_role_profile_id, software_skills, style_tags, turnaround_days, starting_price_inr) VALUES ({ext}, {urp}, ARRAY['Premiere Pro','DaVinci Resolve'], ARRAY['documentary','reels'], 5, 600000)"),
    ("graphic_designer", "Gia Graphics", "INSERT INTO graphic_designer_profiles (id, user_role_profile_id, design_tools, style_tags, brand_experience, starting_price_inr) VALUES ({ext}, {urp}, ARRAY['Figma','Illustrator'], ARRAY['minimal','branding'], true, 400000)"),
    ("social_media_manager", "Sia Social", "INSERT INTO social_media_manager_profiles (id, user_role_profile_id, platforms, industries, content_types, avg_follower_growth_pct, starting_price_inr) VALUES ({ext}, {urp}, ARRAY['instagram','linkedin'], ARRAY['food','fashion'], ARRAY['reels','carousels'], 18, 1200000)"),
    ("fitness_trainer", "Fia Fitness", "INSERT INTO fitness_trainer_profiles (id, user_role_profile_id, disciplines, certifications, online_sessions, home_visits, gym_based, per_session_rate_inr) VALUES ({ext}, {urp}, ARRAY['strength','yoga'], ARRAY['ACE CPT'], true, true, false, 120000)"),
    ("catering_service", "Kiran Kitchens", "INSERT INTO catering_service_profiles (id, user_role_profile_id, business_name, cuisine_types, event_types, min_guests, max_guests, has_setup_team, has_serving_staff, price_per_head_inr) VALUES ({ext}, {urp}, 'Kiran Kitchens', ARRAY['north indian','continental'], ARRAY['weddings','corporate'], 50, 800, true, true, 65000)"),
    ("ugc_content_creator", "Uma Creates", "INSERT INTO ugc_content_creator_profiles (id, user_role_profile_id, niche_tags, content_formats, platforms, turnaround_days, starting_price_inr) VALUES ({ext}, {urp}, ARRAY['beauty','tech'], ARRAY['unboxing','review'], ARRAY['instagram','youtube'], 4, 350000)"),
];

/// Every demo sign-in, staff and customers first.
pub fn accounts() -> Vec<DemoAccount> {
    let mut out: Vec<DemoAccount> = ACCOUNTS
        .iter()
        .map(|(_, email, name, roles)| DemoAccount {
            email,
            role: roles[0],
            name,
        })
        .collect();
    for (key, name, _) in PROFESSIONALS {
        out.push(DemoAccount {
            email: professional_email(key),
            role: key,
            name,
        });
    }
    out
}

fn professional_email(key: &str) -> &'static str {
    match key {
        "photographer" => "priya.photographer@demo.switchboard.test",
        "tutor" => "tom.tutor@demo.switchboard.test",
        "makeup_artist" => "maya.makeup@demo.switchboard.test",
        "developer" => "dev.developer@demo.switchboard.test",
        "video_editor" => "vik.video@demo.switchboard.test",
        "graphic_designer" => "gia.graphics@demo.switchboard.test",
        "social_media_manager" => "sia.social@demo.switchboard.test",
        "fitness_trainer" => "fia.fitness@demo.switchboard.test",
        "catering_service" => "kiran.kitchens@demo.switchboard.test",
        _ => "uma.creates@demo.switchboard.test",
    }
}

/// (key, subject, description, client, creator, department, category,
/// priority, status, age in days, tags, assignee)
type TicketSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i32,
    &'static [&'static str],
    Option<&'static str>,
);
/// (ticket, sequence, sender user, sender client, body, internal, system)
type MessageSpec = (
    &'static str,
    i32,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    bool,
    bool,
);
/// (key, user, from, to, from amount, to amount, rate, fee, status)
type OrderSpec = (
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);
/// (kind, amount, reference type, remarks)
type LedgerSpec = (&'static str, i64, &'static str, &'static str);
/// (wallet owner, ledger entries in order)
type WalletSpec = (&'static str, &'static [LedgerSpec]);

/// SQL string literal.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// SQL uuid literal of demo object `name`.
fn id(name: &str) -> String {
    format!("'{}'::uuid", demo_id(name))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// True when the database holds no user yet (a fresh install).
pub async fn database_is_empty(db: &DatabaseConnection) -> Result<bool, sea_orm::DbErr> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT EXISTS (SELECT 1 FROM users) AS any",
        ))
        .await?;
    Ok(!row
        .map(|r| r.try_get::<bool>("", "any").unwrap_or(true))
        .unwrap_or(true))
}

/// Loads the demo dataset unless it is already there.
pub async fn load(db: &DatabaseConnection, passwords: &PasswordHasher, cipher: &Cipher) -> anyhow::Result<DemoOutcome> {
    let txn = db.begin().await?;
    let backend = txn.get_database_backend();
    // Serialize concurrent seeders on the marker row.
    txn.execute_unprepared("SELECT pg_advisory_xact_lock(5351425443)")
        .await?;
    let marker = txn
        .query_one_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT 1 AS one FROM runtime_configs WHERE config_group = 'seed' AND config_key = 'demo'",
        ))
        .await?;
    if marker.is_some() {
        txn.rollback().await?;
        return Ok(DemoOutcome::AlreadyLoaded(accounts()));
    }
    let hash = passwords
        .hash(DEMO_PASSWORD)
        .await
        .map_err(|e| anyhow::anyhow!("hashing the demo password: {e}"))?;
    for statement in statements(&hash, cipher) {
        txn.execute_unprepared(&statement).await.map_err(|e| {
            anyhow::anyhow!(
                "demo seed failed at `{}`: {e}",
                statement.chars().take(120).collect::<String>()
            )
        })?;
    }
    txn.commit().await?;
    Ok(DemoOutcome::Loaded(accounts()))
}

fn statements(password_hash: &str, cipher: &Cipher) -> Vec<String> {
    let mut sql = Vec::new();
    let role = |key: &str| format!("(SELECT id FROM roles WHERE key = {})", q(key));

    // Identity: staff, customers, a company, employees, departments.
    for (key, email, name, roles) in ACCOUNTS {
        sql.push(format!(
            "INSERT INTO users (id, email, display_name, password_hash, account_type, status, created_at) \
             VALUES ({}, {}, {}, {}, {}, 'ACTIVE', now() - interval '90 days')",
            id(key),
            q(email),
            q(name),
            q(password_hash),
            if *key == "acme" { "'COMPANY'" } else { "'INDIVIDUAL'" }
        ));
        for r in *roles {
            sql.push(format!(
                "INSERT INTO user_roles (user_id, role_id, status, approved_at, approved_by_user_id) \
                 VALUES ({}, {}, 'APPROVED', now() - interval '89 days', {})",
                id(key),
                role(r),
                if *key == "admin" {
                    "NULL".to_string()
                } else {
                    id("admin")
                }
            ));
        }
        sql.push(format!(
            "INSERT INTO user_settings (user_id, theme, language) VALUES ({}, 'AUTO', 'en')",
            id(key)
        ));
    }
    sql.push(format!(
        "INSERT INTO user_departments (user_id, department_id) \
         SELECT {sam}, id FROM departments WHERE code IN ('GENERAL', 'TECHNICAL') \
         UNION SELECT {bea}, id FROM departments WHERE code = 'BILLING' \
         UNION SELECT {cole}, id FROM departments WHERE code = 'COMPLIANCE'",
        sam = id("agent_sam"),
        bea = id("agent_bea"),
        cole = id("compliance"),
    ));
    sql.push(format!(
        "INSERT INTO designations (id, name, code, department_id, level, can_manage_team, can_approve) \
         VALUES ({}, 'Support Engineer', 'DEMO-SE', (SELECT id FROM departments ORDER BY name LIMIT 1), 'L2', false, false), \
                ({}, 'Head of Operations', 'DEMO-HO', NULL, 'L5', true, true)",
        id("designation:se"),
        id("designation:ho")
    ));
    sql.push(format!(
        "INSERT INTO employees (id, user_id, employee_code, designation_id, joining_date, employment_status) VALUES \
         ({}, {}, 'DEMO-0001', {}, current_date - 900, 'ACTIVE'), \
         ({}, {}, 'DEMO-0002', {}, current_date - 400, 'ACTIVE'), \
         ({}, {}, 'DEMO-0003', {}, current_date - 300, 'ACTIVE')",
        id("employee:admin"),
        id("admin"),
        id("designation:ho"),
        id("employee:sam"),
        id("agent_sam"),
        id("designation:se"),
        id("employee:bea"),
        id("agent_bea"),
        id("designation:se"),
    ));
    sql.push(format!(
        "UPDATE employees SET manager_employee_id = {} WHERE id IN ({}, {})",
        id("employee:admin"),
        id("employee:sam"),
        id("employee:bea")
    ));

    // Marketplace: a profile of each profession, a company, a job, a lead.
    for (key, name, insert) in PROFESSIONALS {
        let user = format!("pro:{key}");
        let urp = format!("urp:{key}");
        sql.push(format!(
            "INSERT INTO users (id, email, display_name, password_hash, created_at) VALUES ({}, {}, {}, {}, now() - interval '60 days')",
            id(&user),
            q(professional_email(key)),
            q(name),
            q(password_hash)
        ));
        sql.push(format!(
            "INSERT INTO user_roles (user_id, role_id, status, approved_at, approved_by_user_id) VALUES ({}, {}, 'APPROVED', now() - interval '59 days', {})",
            id(&user),
            role(key),
            id("admin")
        ));
        let approved = *key != "photographer";
        sql.push(format!(
            "INSERT INTO user_role_profiles (id, user_id, role_key, display_name, bio, location, email, status, verification_status, approval_status, approved_at, verified_at, is_profile_public) \
             VALUES ({}, {}, {}, {}, {}, 'Bengaluru', {}, {}, {}, {}, {}, {}, {})",
            id(&urp),
            id(&user),
            q(key),
            q(name),
            q(&format!("{name}: ten years of happy clients.")),
            q(professional_email(key)),
            if approved { "'ACTIVE'" } else { "'DRAFT'" },
            if approved { "'VERIFIED'" } else { "'PENDING'" },
            if approved { "'APPROVED'" } else { "'PENDING'" },
            if approved { "now() - interval '50 days'" } else { "NULL" },
            if approved { "now() - interval '50 days'" } else { "NULL" },
            approved
        ));
        sql.push(
            insert
                .replace("{ext}", &id(&format!("ext:{key}")))
                .replace("{urp}", &id(&urp)),
        );
    }
    sql.push(format!(
        "INSERT INTO portfolio_items (id, user_role_profile_id, title, description, tags, display_order) VALUES \
         ({}, {}, 'Monsoon wedding, Udaipur', 'Two days, 2,400 frames, one very happy family.', ARRAY['wedding','outdoor'], 1)",
        id("portfolio:1"),
        id("urp:photographer")
    ));
    sql.push(format!(
        "INSERT INTO portfolio_images (id, portfolio_item_id, file_url, display_order) VALUES \
         ({}, {}, '/files/demo/udaipur-1.jpg', 1), ({}, {}, '/files/demo/udaipur-2.jpg', 2)",
        id("portfolio-image:1"),
        id("portfolio:1"),
        id("portfolio-image:2"),
        id("portfolio:1")
    ));
    sql.push(format!(
        "INSERT INTO company_profiles (id, user_id, company_name, business_type, industry, contact_person_name, email, location, bio, status, verification_status, approval_status) \
         VALUES ({}, {}, 'Acme Events', 'PRIVATE_LIMITED', 'Events', 'Riya Rao', 'hiring@acme.demo.switchboard.test', 'Mumbai', 'Weddings and conferences across India.', 'ACTIVE', 'VERIFIED', 'APPROVED')",
        id("company:acme"),
        id("acme")
    ));
    sql.push(format!(
        "INSERT INTO customer_profiles (id, user_id, display_name, email, location, status) VALUES \
         ({}, {}, 'Alice Customer', 'alice@demo.switchboard.test', 'Pune', 'ACTIVE'), \
         ({}, {}, 'Bob Customer', 'bob@demo.switchboard.test', 'Delhi', 'ACTIVE')",
        id("customer-profile:alice"),
        id("alice"),
        id("customer-profile:bob"),
        id("bob")
    ));
    sql.push(format!(
        "INSERT INTO jobs (id, company_profile_id, posted_by_user_id, title, description, location, employment_type, mode_of_work, budget_inr, status) VALUES \
         ({}, {}, {}, 'Event photographer for a 3-day conference', 'Candid and stage coverage, edited within a week.', 'Mumbai', 'CONTRACT', 'ONSITE', 4500000, 'PENDING'), \
         ({}, {}, {}, 'Social media manager (part time)', 'Run our Instagram and LinkedIn.', 'Remote', 'PART_TIME', 'REMOTE', 3000000, 'LIVE')",
        id("job:photographer"),
        id("company:acme"),
        id("acme"),
        id("job:social"),
        id("company:acme"),
        id("acme")
    ));
    sql.push(format!(
        "INSERT INTO leads (id, created_by_user_id, profession_key, title, description, location, budget_inr, required_date, status, approved_at) VALUES \
         ({}, {}, 'photographer', 'Pre-wedding shoot in Goa', 'Two people, one day, sunset light.', 'Goa', 6000000, current_date + 45, 'OPEN', now() - interval '3 days')",
        id("lead:goa"),
        id("alice")
    ));
    // The lead's contact is the poster's, as `createLead` snapshots it.
    sql.push(format!(
        "UPDATE leads l SET contact_name = u.display_name, contact_email = u.email, contact_phone = u.phone \
         FROM users u WHERE u.id = l.created_by_user_id AND l.id = {}",
        id("lead:goa")
    ));
    sql.push(format!(
        "INSERT INTO reviews (id, reviewer_user_id, entity_type, entity_id, rating, review_text, status) VALUES \
         ({}, {}, 'PROFESSIONAL', {}, 5, 'Patient, punctual and the photos were stunning.', 'PUBLISHED')",
        id("review:1"),
        id("bob"),
        id("urp:tutor")
    ));

    // Approvals: a profile, a job and a KB article waiting for review.
    sql.push(format!(
        "INSERT INTO approval_requests (id, entity_type, entity_id, approval_type, status, submitted_by_user_id, submitted_at) VALUES \
         ({}, 'PROFILE', {}, 'VERIFICATION', 'PENDING', {}, now() - interval '2 days'), \
         ({}, 'JOB', {}, 'CONTENT', 'PENDING', {}, now() - interval '1 day')",
        id("approval:profile"),
        id("urp:photographer"),
        id("pro:photographer"),
        id("approval:job"),
        id("job:photographer"),
        id("acme")
    ));
    sql.push(format!(
        "INSERT INTO approval_logs (approval_request_id, action, old_status, new_status, acted_by_user_id, remarks) VALUES \
         ({}, 'SUBMITTED', NULL, 'PENDING', {}, 'Please verify my studio documents.'), \
         ({}, 'SUBMITTED', NULL, 'PENDING', {}, NULL)",
        id("approval:profile"),
        id("pro:photographer"),
        id("approval:job"),
        id("acme")
    ));
    sql.push(format!(
        "INSERT INTO verification_requests (id, user_id, user_role_profile_id, verification_type, status, submitted_at) VALUES \
         ({}, {}, {}, 'BUSINESS', 'PENDING', now() - interval '2 days')",
        id("verification:photographer"),
        id("pro:photographer"),
        id("urp:photographer")
    ));
    sql.push(format!(
        "INSERT INTO verification_documents (id, verification_request_id, document_type, file_url, file_name, mime_type, status) VALUES \
         ({}, {}, 'TAX_CERTIFICATE', '/files/demo/gst.pdf', 'gst.pdf', 'application/pdf', 'PENDING')",
        id("verification-doc:1"),
        id("verification:photographer")
    ));

    // Support desk: clients reachable on several channels, tickets with
    // conversations, internal notes, assignments and tags.
    sql.push(format!(
        "INSERT INTO clients (id, display_name, user_id, data) VALUES \
         ({}, 'Alice Customer', {}, '{{\"plan\": \"pro\"}}'), \
         ({}, 'Bob Customer', {}, '{{}}'), \
         ({}, 'Carlos Mendes', NULL, '{{\"source\": \"whatsapp\"}}'), \
         ({}, 'Dana Lee', NULL, '{{\"source\": \"slack\", \"company\": \"Lee & Co\"}}')",
        id("client:alice"),
        id("alice"),
        id("client:bob"),
        id("bob"),
        id("client:carlos"),
        id("client:dana")
    ));
    sql.push(format!(
        "INSERT INTO client_external_ids (client_id, kind, value) VALUES \
         ({a}, 'EMAIL', 'alice@demo.switchboard.test'), ({a}, 'PHONE', '+919800000001'), \
         ({b}, 'EMAIL', 'bob@demo.switchboard.test'), \
         ({c}, 'WHATSAPP', '+5511987650000'), ({c}, 'EMAIL', 'carlos@example.com'), \
         ({d}, 'SLACK', 'T024BE7LD/U0G9QF9C6')",
        a = id("client:alice"),
        b = id("client:bob"),
        c = id("client:carlos"),
        d = id("client:dana")
    ));
    for tag in [
        "billing",
        "bug",
        "kyc",
        "exchange",
        "urgent-customer",
        "feature-request",
    ] {
        sql.push(format!(
            "INSERT INTO tags (id, name) VALUES ({}, {})",
            id(&format!("tag:{tag}")),
            q(tag)
        ));
    }
    // (key, subject, description, client, creator, dept code, category, priority, status, age days, tags, assignee)
    let tickets: &[TicketSpec] = &[
        (
            "t1",
            "Charged twice for the Pro package",
            "My card shows two charges of 1,999 for one order.",
            "client:alice",
            Some("alice"),
            "Billing",
            "BILLING",
            "HIGH",
            "IN_PROGRESS",
            3,
            &["billing"],
            Some("agent_bea"),
        ),
        (
            "t2",
            "Exchange order stuck in CONFIRMING",
            "I sent 0.05 BTC two hours ago and the order still says confirming.",
            "client:bob",
            Some("bob"),
            "Technical",
            "TECHNICAL",
            "URGENT",
            "WAITING_FOR_CUSTOMER",
            1,
            &["exchange", "urgent-customer"],
            Some("agent_sam"),
        ),
        (
            "t3",
            "How do I verify my identity?",
            "Which documents do you accept for KYC?",
            "client:carlos",
            None,
            "Compliance",
            "ACCOUNT",
            "NORMAL",
            "OPEN",
            0,
            &["kyc"],
            None,
        ),
        (
            "t4",
            "Feature request: dark mode for invoices",
            "Could invoices follow the app theme?",
            "client:dana",
            None,
            "General Support",
            "GENERAL",
            "LOW",
            "RESOLVED",
            12,
            &["feature-request"],
            Some("agent_sam"),
        ),
        (
            "t5",
            "Cannot reset my password",
            "The reset link says it expired.",
            "client:alice",
            Some("alice"),
            "Technical",
            "ACCOUNT",
            "NORMAL",
            "CLOSED",
            30,
            &["bug"],
            Some("agent_sam"),
        ),
    ];
    for (key, subject, description, client, creator, dept_name, category, priority, status, age, tags, assignee) in
        tickets
    {
        let resolved = matches!(*status, "RESOLVED" | "CLOSED");
        sql.push(format!(
            "INSERT INTO support_tickets (id, subject, description, client_id, created_by_user_id, department_id, category, priority, status, \
             first_response_at, resolved_at, closed_at, created_at, updated_at) VALUES \
             ({}, {}, {}, {}, {}, (SELECT id FROM departments WHERE name = {} LIMIT 1), {}, {}, {}, {}, {}, {}, now() - interval '{} days', now() - interval '{} hours')",
            id(&format!("ticket:{key}")),
            q(subject),
            q(description),
            id(client),
            creator.map(id).unwrap_or_else(|| "NULL".into()),
            q(dept_name),
            q(category),
            q(priority),
            q(status),
            if assignee.is_some() { format!("now() - interval '{} days' + interval '2 hours'", age) } else { "NULL".into() },
            if resolved { format!("now() - interval '{} days' + interval '1 day'", age) } else { "NULL".into() },
            if *status == "CLOSED" { format!("now() - interval '{} days' + interval '3 days'", age) } else { "NULL".into() },
            age,
            (*age).max(1) * 2,
        ));
        for tag in *tags {
            sql.push(format!(
                "INSERT INTO ticket_tags (ticket_id, tag_id) VALUES ({}, {})",
                id(&format!("ticket:{key}")),
                id(&format!("tag:{tag}"))
            ));
        }
        if let Some(agent) = assignee {
            sql.push(format!(
                "INSERT INTO ticket_assignments (ticket_id, user_id, assigned_by_user_id, assigned_at) VALUES ({}, {}, {}, now() - interval '{} days' + interval '1 hour')",
                id(&format!("ticket:{key}")),
                id(agent),
                id("admin"),
                age
            ));
        }
    }
    // (ticket, seq, sender user, sender client, body, internal, system)
    let messages: &[MessageSpec] = &[
        ("t1", 1, None, Some("client:alice"), "My card shows two charges of 1,999 for one order. Order ref is on the invoice.", false, false),
        ("t1", 2, Some("agent_bea"), None, "Thanks Alice, I can see both authorisations. One should drop off within 5 working days; I'm confirming with the gateway.", false, false),
        ("t1", 3, Some("agent_bea"), None, "Gateway shows a retry after a timeout: second capture is real. Refund it and credit 20 TRC as goodwill.", true, false),
        ("t1", 4, None, None, "Status changed from OPEN to IN_PROGRESS by Bea Billing.", false, true),
        ("t2", 1, None, Some("client:bob"), "I sent 0.05 BTC two hours ago and the order still says confirming.", false, false),
        ("t2", 2, Some("agent_sam"), None, "Your deposit has 1 of 2 confirmations. Could you share the transaction hash so we can track it?", false, false),
        ("t2", 3, Some("agent_sam"), None, "Mempool is congested; fee was low. Keep an eye on it, escalate if >6h.", true, false),
        ("t3", 1, None, Some("client:carlos"), "Olá! Which documents do you accept for KYC?", false, false),
        ("t4", 1, None, Some("client:dana"), "Could invoices follow the app theme? Our finance team works at night.", false, false),
        ("t4", 2, Some("agent_sam"), None, "Great idea, Dana. I've passed it to the product team and will mark this resolved for now.", false, false),
        ("t5", 1, None, Some("client:alice"), "The reset link says it expired, even when I click it right away.", false, false),
        ("t5", 2, Some("agent_sam"), None, "We fixed a clock skew on the mail server; please request a new link.", false, false),
        ("t5", 3, Some("alice"), None, "Works now, thank you!", false, false),
    ];
    for (ticket, seq, user, client, body, internal, system) in messages {
        sql.push(format!(
            "INSERT INTO support_ticket_messages (id, ticket_id, sender_user_id, sender_client_id, body, is_internal, is_system, created_at) \
             VALUES ({}, {}, {}, {}, {}, {}, {}, (SELECT created_at FROM support_tickets WHERE id = {}) + interval '{} minutes')",
            id(&format!("message:{ticket}:{seq}")),
            id(&format!("ticket:{ticket}")),
            user.map(id).unwrap_or_else(|| "NULL".into()),
            client.map(id).unwrap_or_else(|| "NULL".into()),
            q(body),
            internal,
            system,
            id(&format!("ticket:{ticket}")),
            seq * 37
        ));
    }

    // Exchange: orders in several states, a pool of rotating addresses with
    // sealed private keys, a deposit address, KYC.
    let orders: &[OrderSpec] = &[
        (
            "o1",
            Some("alice"),
            "BTC",
            "USDT",
            "0.050000000000000000",
            "3402.500000000000000000",
            "68050.000000000000000000",
            "3.402500000000000000",
            "COMPLETED",
        ),
        (
            "o2",
            Some("bob"),
            "BTC",
            "ETH",
            "0.050000000000000000",
            "0.951000000000000000",
            "19.020000000000000000",
            "0.000951000000000000",
            "CONFIRMING",
        ),
        (
            "o3",
            Some("alice"),
            "ETH",
            "USDT",
            "1.200000000000000000",
            "4308.000000000000000000",
            "3590.000000000000000000",
            "4.308000000000000000",
            "PENDING",
        ),
        (
            "o4",
            None,
            "USDT",
            "BTC",
            "500.000000000000000000",
            "0.007340000000000000",
            "0.000014680000000000",
            "0.000007340000000000",
            "EXPIRED",
        ),
        (
            "o5",
            Some("bob"),
            "ETH",
            "BTC",
            "25.000000000000000000",
            "0.920000000000000000",
            "0.036800000000000000",
            "0.000920000000000000",
            "HOLD",
        ),
    ];
    for (key, user, from, to, from_amount, to_amount, rate, fee, status) in orders {
        sql.push(format!(
            "INSERT INTO exchange_orders (id, user_id, from_currency, to_currency, from_amount, to_amount, rate, fee_amount, rate_type, status, \
             deposit_address, receiving_address, refund_address, transaction_hash, expires_at, hold_reason) VALUES \
             ({}, {}, {}, {}, {}, {}, {}, {}, 'FLOAT', {}, {}, {}, {}, {}, now() + interval '30 minutes', {})",
            id(&format!("exchange:{key}")),
            user.map(id).unwrap_or_else(|| "NULL".into()),
            q(from),
            q(to),
            from_amount,
            to_amount,
            rate,
            fee,
            q(status),
            q(&format!("demo-deposit-{key}-{}", &demo_id(key).simple().to_string()[..12])),
            q(&format!("demo-receive-{key}")),
            q(&format!("demo-refund-{key}")),
            if *status == "COMPLETED" { q(&format!("0xdemo{}", demo_id(key).simple())) } else { "NULL".into() },
            if *status == "HOLD" { q("MANUAL") } else { "NULL".into() },
        ));
    }
    for (n, currency, order) in [
        (1, "BTC", Some("o3")),
        (2, "BTC", None),
        (3, "ETH", None),
        (4, "USDT", None),
    ] {
        let sealed = cipher.seal(crate::infra::crypto::random_token(32).as_bytes());
        sql.push(format!(
            "INSERT INTO rotating_addresses (id, currency, address, private_key_encrypted, order_id, used_at) VALUES ({}, {}, {}, '\\x{}', {}, {})",
            id(&format!("rotating:{n}")),
            q(currency),
            q(&format!("demo-rotating-{currency}-{n}")),
            hex(&sealed),
            order.map(|o| id(&format!("exchange:{o}"))).unwrap_or_else(|| "NULL".into()),
            if order.is_some() { "now() - interval '10 minutes'" } else { "NULL" }
        ));
    }
    sql.push(format!(
        "INSERT INTO deposit_addresses (id, user_id, currency, address, balance, total_received, last_activity_at) VALUES \
         ({}, {}, 'BTC', 'demo-deposit-alice-btc', 0.010000000000000000, 0.060000000000000000, now() - interval '5 days')",
        id("deposit:alice:btc"),
        id("alice")
    ));
    sql.push(format!(
        "INSERT INTO user_kyc (id, user_id, status, full_name, date_of_birth, country, address_line, id_document_type, id_number_encrypted, submitted_at, verified_at, reviewed_by_user_id) VALUES \
         ({}, {}, 'VERIFIED', 'Alice Customer', '1991-04-12', 'IN', '12 MG Road, Pune', 'PASSPORT', '\\x{}', now() - interval '40 days', now() - interval '39 days', {})",
        id("kyc:alice"),
        id("alice"),
        hex(&cipher.seal(b"P1234567")),
        id("compliance")
    ));
    sql.push(
        "INSERT INTO exchange_rates (base_currency, quote_currency, rate, source, fetched_at) VALUES \
         ('BTC', 'USDT', 68050, 'demo', now() - interval '5 minutes'), ('ETH', 'USDT', 3590, 'demo', now() - interval '5 minutes'), \
         ('BTC', 'ETH', 19.02, 'demo', now() - interval '5 minutes')"
            .to_string(),
    );
    sql.push(
        "INSERT INTO price_history (currency, price_usd, market_cap_usd, volume_24h_usd, change_24h_pct, recorded_at) \
         SELECT c, p * (1 + 0.01 * sin(g)), p * 19000000, p * 400000, 1.5 * sin(g), now() - make_interval(hours => g) \
         FROM (VALUES ('BTC', 68050.0), ('ETH', 3590.0)) AS v(c, p), generate_series(0, 47) AS g"
            .to_string(),
    );
    sql.push("UPDATE reserves SET amount = 12.5 WHERE id = 'BTC'".into());
    sql.push("UPDATE reserves SET amount = 240 WHERE id = 'ETH'".into());
    sql.push("UPDATE reserves SET amount = 850000 WHERE id = 'USDT'".into());

    // Commerce and wallets: packages, a paid order with its invoice, and
    // wallets whose balances are the sums of their ledgers.
    sql.push(format!(
        "INSERT INTO pricing_packages (id, name, description, package_type, price_inr, tracecoins_included, validity_days) VALUES \
         ({}, 'Starter', '100 tracecoins to unlock leads', 'TRACECOIN_BUNDLE', 49900, 100, 365), \
         ({}, 'Pro', '500 tracecoins, best value', 'TRACECOIN_BUNDLE', 199900, 500, 365), \
         ({}, 'Job posting pack', 'Post 5 jobs for 30 days', 'JOB_POSTING', 299900, 0, 30)",
        id("package:starter"),
        id("package:pro"),
        id("package:jobs")
    ));
    sql.push(format!(
        "INSERT INTO orders (id, user_id, order_type, subtotal_inr, discount_inr, tax_inr, total_inr, status, created_at) VALUES \
         ({}, {}, 'PACKAGE', 199900, 0, 35982, 235882, 'COMPLETED', now() - interval '20 days')",
        id("order:alice:pro"),
        id("alice")
    ));
    sql.push(format!(
        "INSERT INTO order_items (id, order_id, item_type, item_id, item_name, quantity, unit_price_inr, total_price_inr) VALUES \
         ({}, {}, 'PACKAGE', {}, 'Pro', 1, 199900, 199900)",
        id("order-item:alice:pro"),
        id("order:alice:pro"),
        id("package:pro")
    ));
    sql.push(
        "INSERT INTO invoice_number_counters (year, last_number) VALUES (EXTRACT(YEAR FROM now() - interval '20 days')::int, 1) \
         ON CONFLICT (year) DO UPDATE SET last_number = invoice_number_counters.last_number + 1"
            .to_string(),
    );
    sql.push(format!(
        "INSERT INTO invoices (id, order_id, user_id, invoice_number, subtotal_inr, discount_inr, tax_inr, total_inr, status, issued_at, paid_at) \
         SELECT {}, {}, {}, 'INV-' || year || '-' || lpad(last_number::text, 6, '0'), 199900, 0, 35982, 235882, 'PAID', now() - interval '20 days', now() - interval '20 days' \
         FROM invoice_number_counters WHERE year = EXTRACT(YEAR FROM now() - interval '20 days')::int",
        id("invoice:alice:pro"),
        id("order:alice:pro"),
        id("alice")
    ));
    // (wallet owner, entries: (kind, amount, reference, remarks))
    let wallets: &[WalletSpec] = &[
        (
            "alice",
            &[
                ("CREDIT", 500, "PURCHASE", "Pro package"),
                ("DEBIT", 20, "LEAD", "Unlocked a photographer's contact"),
                ("DEBIT", 50, "JOB", "Posted a job"),
            ],
        ),
        ("bob", &[("CREDIT", 100, "BONUS", "Welcome bonus")]),
        (
            "pro:photographer",
            &[
                ("CREDIT", 200, "PURCHASE", "Starter x2"),
                ("DEBIT", 25, "LEAD", "Goa pre-wedding lead"),
            ],
        ),
        (
            "acme",
            &[
                ("CREDIT", 1000, "ADJUSTMENT", "Launch credit"),
                ("DEBIT", 50, "JOB", "Conference photographer job"),
            ],
        ),
    ];
    for (owner, entries) in wallets {
        let balance: i64 = entries
            .iter()
            .map(|(k, a, _, _)| if *k == "CREDIT" { *a } else { -*a })
            .sum();
        sql.push(format!(
            "INSERT INTO wallets (id, user_id, currency, balance) VALUES ({}, {}, 'TRC', {balance})",
            id(&format!("wallet:{owner}")),
            id(owner)
        ));
        let mut running = 0i64;
        for (i, (kind, amount, reference, remarks)) in entries.iter().enumerate() {
            running += if *kind == "CREDIT" { *amount } else { -*amount };
            sql.push(format!(
                "INSERT INTO wallet_ledger (id, wallet_id, entry_type, amount, balance_after, reference_type, idempotency_key, remarks, created_by_user_id, created_at) \
                 VALUES ({}, {}, {}, {amount}, {running}, {}, {}, {}, {}, now() - interval '{} days')",
                id(&format!("ledger:{owner}:{i}")),
                id(&format!("wallet:{owner}")),
                q(kind),
                q(reference),
                q(&format!("demo-{owner}-{i}")),
                q(remarks),
                if *kind == "CREDIT" { id("admin") } else { id(owner) },
                20 - i as i32 * 3
            ));
        }
    }

    // Knowledge base.
    sql.push(format!(
        "INSERT INTO kb_categories (id, name, slug, description, display_order) VALUES \
         ({}, 'Getting started', 'getting-started', 'Accounts, sign-in and security', 1), \
         ({}, 'Exchange', 'exchange', 'Orders, deposits and fees', 2)",
        id("kb-cat:start"),
        id("kb-cat:exchange")
    ));
    sql.push(format!(
        "INSERT INTO kb_sections (id, category_id, name, slug, display_order) VALUES \
         ({}, {}, 'Your account', 'your-account', 1), ({}, {}, 'Orders', 'orders', 1)",
        id("kb-sec:account"),
        id("kb-cat:start"),
        id("kb-sec:orders"),
        id("kb-cat:exchange")
    ));
    let articles: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
        ("a1", "kb-sec:account", "Turn on two-factor sign-in", "turn-on-two-factor", "HOW_TO", "PUBLISHED", "Open **Settings → Security**, choose *Authenticator app*, scan the QR code and enter the 6-digit code. Keep your recovery codes somewhere safe."),
        ("a2", "kb-sec:account", "Which documents are accepted for KYC?", "kyc-documents", "FAQ", "PUBLISHED", "A passport, national ID card or driving licence, plus a selfie. Documents must be valid and readable."),
        ("a3", "kb-sec:orders", "Why is my order still confirming?", "order-confirming", "TROUBLESHOOTING", "PUBLISHED", "Deposits need 2 network confirmations. When the network is busy this can take longer; your rate is kept for fixed-rate orders."),
        ("a4", "kb-sec:orders", "Exchange fees explained", "exchange-fees", "POLICY", "PUBLISHED", "Trading costs 0.1 %, withdrawals 0.5 %, deposits are free."),
        ("a5", "kb-sec:orders", "Refund address: when is it used?", "refund-address", "FAQ", "DRAFT", "Draft: explain refunds for expired and failed orders."),
    ];
    for (key, section, title, slug, kind, status, body) in articles {
        let category = if section.ends_with("orders") {
            "kb-cat:exchange"
        } else {
            "kb-cat:start"
        };
        sql.push(format!(
            "INSERT INTO kb_articles (id, category_id, section_id, title, slug, summary, content_markdown, article_type, status, audience_type, tags, author_user_id, published_at) \
             VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, 'ALL', ARRAY['demo'], {}, {})",
            id(&format!("kb:{key}")),
            id(category),
            id(section),
            q(title),
            q(slug),
            q(&body.chars().take(80).collect::<String>()),
            q(body),
            q(kind),
            q(status),
            id("agent_sam"),
            if *status == "PUBLISHED" { "now() - interval '15 days'" } else { "NULL" }
        ));
    }
    sql.push(format!(
        "INSERT INTO kb_article_feedback (article_id, user_id, is_helpful, feedback_text) VALUES ({}, {}, true, 'Clear, thanks!')",
        id("kb:a1"),
        id("bob")
    ));

    // Notifications and configuration.
    sql.push(format!(
        "INSERT INTO notifications (user_id, channel, kind, title, body, status, related_entity_type, related_entity_id) VALUES \
         ({}, 'IN_APP', 'TICKET', 'Bea replied to your ticket', 'Thanks Alice, I can see both authorisations…', 'SENT', 'SUPPORT_TICKET', {}), \
         ({}, 'IN_APP', 'APPROVAL', 'New profile to review', 'Priya Photographer submitted a profile.', 'PENDING', 'APPROVAL_REQUEST', {})",
        id("alice"),
        id("ticket:t1"),
        id("compliance"),
        id("approval:profile")
    ));
    sql.push(
        "INSERT INTO runtime_configs (config_group, config_key, config_value_json, description) VALUES \
         ('seed', 'demo', '{\"version\": 1}', 'The demo dataset is loaded (switchboard seed --demo)')"
            .to_string(),
    );
    sql
}
