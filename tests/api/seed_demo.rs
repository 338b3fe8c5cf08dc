//! `seed --demo`: a consistent dataset across every domain, loaded once.

use sea_orm::{ConnectionTrait, Database, Statement};
use switchboard::seed::demo::{self, DemoOutcome};

use crate::support::TestServer;

async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn demo_seed_is_complete_consistent_and_idempotent() {
    // The seed is a command run beside no server: the server (a fresh
    // database and its keys) is stopped first, so no background job (the
    // address pool refill, every minute) adds rows between the counts.
    let server = TestServer::start().await;
    let (ctx, database_url) = (server.ctx.clone(), server.database_url.clone());
    server.stop().await;
    let db = Database::connect(&database_url).await.unwrap();
    assert!(demo::database_is_empty(&db).await.unwrap());
    let keys = &ctx.keys;
    let first = demo::load(&db, &keys.passwords, &keys.cipher).await.unwrap();
    let DemoOutcome::Loaded(accounts) = first else {
        panic!("the first load loads")
    };
    assert!(!demo::database_is_empty(&db).await.unwrap());

    let tables = [
        "users",
        "user_roles",
        "user_departments",
        "employees",
        "clients",
        "client_external_ids",
        "support_tickets",
        "support_ticket_messages",
        "ticket_assignments",
        "ticket_tags",
        "exchange_orders",
        "rotating_addresses",
        "wallets",
        "wallet_ledger",
        "pricing_packages",
        "orders",
        "order_items",
        "invoices",
        "approval_requests",
        "approval_logs",
        "user_role_profiles",
        "company_profiles",
        "jobs",
        "leads",
        "kb_articles",
        "notifications",
        "user_kyc",
    ];
    let mut before = Vec::new();
    for t in tables {
        let n = count(&db, &format!("SELECT count(*) FROM {t}")).await;
        assert!(n > 0, "the demo dataset fills {t}");
        before.push(n);
    }
    assert_eq!(
        count(&db, "SELECT count(*) FROM users WHERE email LIKE '%@demo.switchboard.test' OR email LIKE '%.demo.switchboard.test'").await,
        accounts.len() as i64
    );
    // Every password verifies with the printed demo password.
    let hash: String = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT password_hash FROM users WHERE email = 'admin@demo.switchboard.test'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    assert!(keys.passwords.verify(demo::DEMO_PASSWORD, Some(&hash)).await);
    // One profile per profession, each with its extension row.
    assert_eq!(
        count(&db, "SELECT count(DISTINCT role_key) FROM user_role_profiles").await,
        10
    );
    for ext in [
        "photographer_profiles",
        "tutor_profiles",
        "makeup_artist_profiles",
        "developer_profiles",
        "video_editor_profiles",
        "graphic_designer_profiles",
        "social_media_manager_profiles",
        "fitness_trainer_profiles",
        "catering_service_profiles",
        "ugc_content_creator_profiles",
    ] {
        assert_eq!(count(&db, &format!("SELECT count(*) FROM {ext}")).await, 1, "{ext}");
    }
    // Conversations carry internal notes, only from staff.
    assert!(count(&db, "SELECT count(*) FROM support_ticket_messages WHERE is_internal").await > 0);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM support_ticket_messages WHERE is_internal AND sender_client_id IS NOT NULL"
        )
        .await,
        0
    );
    // Wallet balances are the sums of their ledgers and the last balance_after.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM wallets w WHERE w.balance <> \
             (SELECT coalesce(sum(CASE entry_type WHEN 'CREDIT' THEN amount ELSE -amount END), 0) FROM wallet_ledger l WHERE l.wallet_id = w.id) \
             OR w.balance <> (SELECT balance_after FROM wallet_ledger l WHERE l.wallet_id = w.id ORDER BY created_at DESC, id DESC LIMIT 1)"
        )
        .await,
        0
    );
    // Private keys are sealed with the server's key, never stored in the clear.
    let sealed: Vec<u8> = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT private_key_encrypted FROM rotating_addresses LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    assert!(keys.cipher.open(&sealed).is_ok());

    // A second load changes nothing.
    assert!(matches!(
        demo::load(&db, &keys.passwords, &keys.cipher).await.unwrap(),
        DemoOutcome::AlreadyLoaded(_)
    ));
    for (t, n) in tables.iter().zip(before) {
        assert_eq!(
            count(&db, &format!("SELECT count(*) FROM {t}")).await,
            n,
            "{t} after a rerun"
        );
    }
    db.close().await.unwrap();
}
