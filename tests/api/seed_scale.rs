//! `seed --scale`: a reduced load (1/20 of N = 1) into a fresh database,
//! then the dataset's invariants checked with SQL; a second, smaller load
//! into the same database must not collide with the first.

use sea_orm::sqlx::{self, Connection, PgConnection};
use switchboard::seed::scale::{self, ScaleSpec};

use crate::support::fresh_database;

const TABLES: [&str; 20] = [
    "users",
    "user_roles",
    "user_departments",
    "clients",
    "client_external_ids",
    "wallets",
    "wallet_ledger",
    "exchange_orders",
    "tags",
    "support_tickets",
    "ticket_tags",
    "ticket_assignments",
    "support_ticket_messages",
    "pricing_packages",
    "payment_gateway_configs",
    "orders",
    "order_items",
    "invoices",
    "payments",
    "payment_transactions",
];

/// Agents: users holding the approved `support_agent` role.
const AGENTS: &str = "SELECT ur.user_id FROM user_roles ur JOIN roles r ON r.id = ur.role_id \
                      WHERE r.key = 'support_agent' AND ur.status = 'APPROVED'";

async fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Asserts that `sql` (a `SELECT count(*) ...` of violations) finds none.
async fn none(conn: &mut PgConnection, what: &str, sql: &str) {
    let n = count(conn, sql).await;
    assert_eq!(n, 0, "{what}: {n} violations ({sql})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_seed_loads_a_consistent_dataset() {
    let url = fresh_database().await;
    let spec = ScaleSpec::units(0.05);
    assert_eq!(spec.tickets, 500);
    assert_eq!(spec.messages, 5_000);
    assert_eq!(spec.wallets, 500);
    assert_eq!(spec.ledger_entries, 10_000);

    // Counts before, so rows other code put into the template do not matter.
    let mut conn = PgConnection::connect(&url).await.expect("connect");
    let mut before = std::collections::HashMap::new();
    for table in TABLES {
        before.insert(table, count(&mut conn, &format!("SELECT count(*) FROM {table}")).await);
    }
    let agents_before = count(&mut conn, &format!("SELECT count(*) FROM ({AGENTS}) a")).await;

    let report = scale::load_spec(&url, &spec, false).await.expect("scale load");

    // Row counts: exact where the spec fixes them, in proportion elsewhere,
    // and the report agrees with the database.
    let mut added = std::collections::HashMap::new();
    for table in TABLES {
        let n = count(&mut conn, &format!("SELECT count(*) FROM {table}")).await - before[table];
        assert_eq!(n, report.rows_of(table) as i64, "report of {table}");
        added.insert(table, n);
    }
    let users = spec.users() as i64;
    for (table, expected) in [
        ("users", users),
        ("user_roles", users),
        ("clients", spec.customers as i64),
        ("client_external_ids", spec.customers as i64),
        ("support_tickets", spec.tickets as i64),
        ("support_ticket_messages", spec.messages as i64),
        ("wallets", spec.wallets as i64),
        ("wallet_ledger", spec.ledger_entries as i64),
        ("exchange_orders", spec.exchange_orders as i64),
        ("orders", spec.commerce_orders as i64),
        ("invoices", spec.commerce_orders as i64),
        ("pricing_packages", 3),
        ("payment_gateway_configs", 1),
    ] {
        assert_eq!(added[table], expected, "rows added to {table}");
    }
    assert_eq!(spec.messages, spec.tickets * 10, "10 messages per ticket");
    assert_eq!(spec.ledger_entries, spec.wallets * 20, "20 ledger rows per wallet");
    assert_eq!(
        count(&mut conn, &format!("SELECT count(*) FROM ({AGENTS}) a")).await - agents_before,
        spec.agents as i64
    );
    assert_eq!(report.rows, report.per_table.iter().map(|(_, n)| n).sum::<u64>());
    assert!(report.rows_of("tags") <= 10);
    assert!(count(&mut conn, "SELECT count(*) FROM tags").await >= 10);
    let assignments = added["ticket_assignments"];
    assert!(
        assignments >= spec.tickets as i64 * 4 / 5 && assignments <= spec.tickets as i64,
        "assignments for most tickets: {assignments}"
    );
    let ticket_tags = added["ticket_tags"];
    assert!(
        ticket_tags >= spec.tickets as i64 / 2 && ticket_tags <= spec.tickets as i64 * 2,
        "ticket_tags: {ticket_tags}"
    );

    // Commerce: every order has items summing to its subtotal, one invoice
    // with the same amounts, payments of its total whose status fits the
    // order's, and each payment its transactions.
    let orders = spec.commerce_orders as i64;
    let items = added["order_items"];
    assert!(
        items > orders && items < orders * 2,
        "one or two items per order: {items}"
    );
    let payments = added["payments"];
    assert!(payments >= orders && payments < orders * 2, "payments: {payments}");
    assert!(added["payment_transactions"] > payments * 2, "transactions per payment");
    for (what, sql) in [
        (
            "orders whose subtotal is not the sum of their items",
            "SELECT count(*) FROM orders o WHERE o.subtotal_inr <> \
             (SELECT coalesce(sum(i.total_price_inr), -1) FROM order_items i WHERE i.order_id = o.id)",
        ),
        (
            "orders without exactly one invoice of the same total",
            "SELECT count(*) FROM orders o WHERE (SELECT count(*) FROM invoices v \
             WHERE v.order_id = o.id AND v.total_inr = o.total_inr AND v.user_id = o.user_id) <> 1",
        ),
        (
            "completed orders without a successful payment",
            "SELECT count(*) FROM orders o WHERE o.status = 'COMPLETED' AND NOT EXISTS \
             (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'SUCCESS' AND p.amount_inr = o.total_inr)",
        ),
        (
            "payments without an INITIATED transaction",
            "SELECT count(*) FROM payments p WHERE NOT EXISTS \
             (SELECT 1 FROM payment_transactions t WHERE t.payment_id = p.id AND t.transaction_type = 'INITIATED')",
        ),
        (
            "orders of users without a client (buyers are customers)",
            "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM clients c WHERE c.user_id = o.user_id)",
        ),
    ] {
        none(&mut conn, what, sql).await;
    }

    // Users: emails unique per run, no password, 180-day spread.
    none(
        &mut conn,
        "users with a password",
        "SELECT count(*) FROM users WHERE password_hash IS NOT NULL",
    )
    .await;
    none(
        &mut conn,
        "created_at outside the last ~180 days",
        "SELECT count(*) FROM users WHERE created_at > now() OR created_at < now() - interval '200 days'",
    )
    .await;
    none(
        &mut conn,
        "clients without their user's email as EMAIL id",
        "SELECT count(*) FROM clients c JOIN users u ON u.id = c.user_id \
         LEFT JOIN client_external_ids x ON x.client_id = c.id AND x.kind = 'EMAIL' AND x.value = u.email \
         WHERE x.id IS NULL",
    )
    .await;
    none(
        &mut conn,
        "agents without a department",
        &format!(
            "SELECT count(*) FROM ({AGENTS}) a WHERE NOT EXISTS \
             (SELECT 1 FROM user_departments d WHERE d.user_id = a.user_id)"
        ),
    )
    .await;
    assert_eq!(
        count(&mut conn, "SELECT count(DISTINCT department_id) FROM user_departments").await,
        count(&mut conn, "SELECT count(*) FROM departments").await,
        "agents spread over every department"
    );

    // Wallets: every chain link is balance_after = previous ± amount, and the
    // balance is credits - debits and the last balance_after.
    none(
        &mut conn,
        "broken ledger chain links",
        "SELECT count(*) FROM (
            SELECT entry_type, amount, balance_after,
                   lag(balance_after, 1, 0::bigint) OVER (PARTITION BY wallet_id ORDER BY created_at, id) AS prev
            FROM wallet_ledger) l
         WHERE l.balance_after <> l.prev + CASE l.entry_type WHEN 'CREDIT' THEN l.amount ELSE -l.amount END
            OR l.balance_after < 0 OR l.amount <= 0",
    )
    .await;
    none(
        &mut conn,
        "wallets whose balance is not credits - debits and the last balance_after",
        "SELECT count(*) FROM wallets w
         LEFT JOIN (SELECT wallet_id,
                           sum(CASE entry_type WHEN 'CREDIT' THEN amount ELSE -amount END) AS net
                    FROM wallet_ledger GROUP BY wallet_id) s ON s.wallet_id = w.id
         LEFT JOIN LATERAL (SELECT balance_after FROM wallet_ledger l WHERE l.wallet_id = w.id
                            ORDER BY created_at DESC, id DESC LIMIT 1) last ON true
         WHERE s.net IS DISTINCT FROM w.balance OR last.balance_after IS DISTINCT FROM w.balance",
    )
    .await;
    none(
        &mut conn,
        "ledger times out of order or outside the wallet's life",
        "SELECT count(*) FROM (
            SELECT l.created_at, w.created_at AS wallet_created, w.updated_at AS wallet_updated,
                   lag(l.created_at) OVER (PARTITION BY l.wallet_id ORDER BY l.created_at, l.id) AS prev
            FROM wallet_ledger l JOIN wallets w ON w.id = l.wallet_id) x
         WHERE x.created_at <= x.prev OR x.created_at < x.wallet_created
            OR x.created_at > x.wallet_updated OR x.created_at > now()",
    )
    .await;
    none(
        &mut conn,
        "users with two TRC wallets",
        "SELECT count(*) FROM (SELECT user_id FROM wallets GROUP BY user_id, currency HAVING count(*) > 1) d",
    )
    .await;

    // Messages: ticket exists; senders follow the rule (system: no sender;
    // customer: the ticket's client or its user; agent: an agent); internal
    // notes only from agents; every kind present; inside the ticket's life.
    none(
        &mut conn,
        "messages without a ticket",
        "SELECT count(*) FROM support_ticket_messages m
         WHERE NOT EXISTS (SELECT 1 FROM support_tickets t WHERE t.id = m.ticket_id)",
    )
    .await;
    none(
        &mut conn,
        "messages breaking the sender rule",
        &format!(
            "SELECT count(*) FROM support_ticket_messages m
             JOIN support_tickets t ON t.id = m.ticket_id
             JOIN clients c ON c.id = t.client_id
             WHERE NOT (
                (m.is_system AND NOT m.is_internal AND m.sender_user_id IS NULL AND m.sender_client_id IS NULL)
                OR (NOT m.is_system AND NOT m.is_internal AND m.sender_user_id IS NULL
                    AND m.sender_client_id = t.client_id)
                OR (NOT m.is_system AND NOT m.is_internal AND m.sender_client_id IS NULL
                    AND m.sender_user_id = c.user_id)
                OR (NOT m.is_system AND m.sender_client_id IS NULL AND m.sender_user_id IN ({AGENTS})))"
        ),
    )
    .await;
    none(
        &mut conn,
        "internal notes not from an agent",
        &format!(
            "SELECT count(*) FROM support_ticket_messages
             WHERE is_internal AND (sender_user_id IS NULL OR sender_user_id NOT IN ({AGENTS}))"
        ),
    )
    .await;
    for (what, sql) in [
        (
            "internal notes",
            "SELECT count(*) FROM support_ticket_messages WHERE is_internal",
        ),
        (
            "system messages",
            "SELECT count(*) FROM support_ticket_messages WHERE is_system",
        ),
        (
            "customer messages by client",
            "SELECT count(*) FROM support_ticket_messages WHERE sender_client_id IS NOT NULL",
        ),
        (
            "customer messages by user",
            "SELECT count(*) FROM support_ticket_messages m JOIN clients c ON c.user_id = m.sender_user_id",
        ),
    ] {
        assert!(count(&mut conn, sql).await > 0, "no {what}");
    }
    let system = count(
        &mut conn,
        "SELECT count(*) FROM support_ticket_messages WHERE is_system",
    )
    .await;
    assert!(
        system < spec.messages as i64 / 10,
        "only a few system messages: {system}"
    );
    none(
        &mut conn,
        "messages outside their ticket's life",
        "SELECT count(*) FROM support_ticket_messages m JOIN support_tickets t ON t.id = m.ticket_id
         WHERE m.created_at < t.created_at OR m.created_at > t.updated_at OR m.created_at > now()",
    )
    .await;
    // COPY escaping: backslashes, tabs, newlines and carriage returns survive.
    assert!(
        count(
            &mut conn,
            "SELECT count(*) FROM support_tickets
             WHERE strpos(description, chr(92) || 'Users' || chr(92)) > 0 AND strpos(description, chr(9)) > 0
               AND strpos(description, chr(10)) > 0",
        )
        .await
            > 0,
        "descriptions with backslashes, tabs and newlines"
    );
    assert!(
        count(
            &mut conn,
            "SELECT count(*) FROM support_ticket_messages WHERE strpos(body, chr(13)) > 0"
        )
        .await
            > 0,
        "messages with carriage returns"
    );

    // Tickets: statuses against timestamps.
    assert_eq!(
        count(&mut conn, "SELECT count(DISTINCT status) FROM support_tickets").await,
        7,
        "a mix of every status"
    );
    assert!(count(&mut conn, "SELECT count(DISTINCT priority) FROM support_tickets").await >= 4);
    assert!(count(&mut conn, "SELECT count(DISTINCT category) FROM support_tickets").await >= 4);
    none(
        &mut conn,
        "resolved_at/closed_at against status",
        "SELECT count(*) FROM support_tickets
         WHERE (resolved_at IS NOT NULL) <> (status IN ('RESOLVED', 'CLOSED'))
            OR (closed_at IS NOT NULL) <> (status = 'CLOSED')
            OR closed_at < resolved_at OR resolved_at < created_at
            OR updated_at < created_at OR updated_at > now()
            OR created_at < now() - interval '200 days'",
    )
    .await;
    none(
        &mut conn,
        "first_response_at not the first agent reply",
        &format!(
            "SELECT count(*) FROM support_tickets t
             LEFT JOIN LATERAL (SELECT min(m.created_at) AS first FROM support_ticket_messages m
                                WHERE m.ticket_id = t.id AND NOT m.is_internal AND NOT m.is_system
                                  AND m.sender_user_id IN ({AGENTS})) r ON true
             WHERE t.first_response_at IS DISTINCT FROM r.first
                OR (t.status = 'OPEN') <> (t.first_response_at IS NULL)"
        ),
    )
    .await;
    none(
        &mut conn,
        "waiting statuses against the last public message",
        &format!(
            "SELECT count(*) FROM support_tickets t
             JOIN LATERAL (SELECT m.sender_user_id IN ({AGENTS}) AS by_agent FROM support_ticket_messages m
                           WHERE m.ticket_id = t.id AND NOT m.is_internal AND NOT m.is_system
                           ORDER BY m.created_at DESC, m.id DESC LIMIT 1) last ON true
             WHERE (t.status = 'WAITING_FOR_CUSTOMER' AND NOT coalesce(last.by_agent, false))
                OR (t.status = 'WAITING_FOR_AGENT' AND coalesce(last.by_agent, false))"
        ),
    )
    .await;
    none(
        &mut conn,
        "assignments to non-agents or of unworked tickets missing",
        &format!(
            "SELECT count(*) FROM support_tickets t
             LEFT JOIN ticket_assignments a ON a.ticket_id = t.id
             WHERE (a.user_id IS NOT NULL AND a.user_id NOT IN ({AGENTS}))
                OR (t.status <> 'OPEN' AND a.user_id IS NULL)
                OR a.assigned_at < t.created_at"
        ),
    )
    .await;

    // Exchange orders across the seeded currencies.
    assert!(count(&mut conn, "SELECT count(DISTINCT from_currency) FROM exchange_orders").await >= 4);
    assert!(count(&mut conn, "SELECT count(DISTINCT status) FROM exchange_orders").await >= 6);
    none(
        &mut conn,
        "orders with bad amounts or times",
        "SELECT count(*) FROM exchange_orders
         WHERE from_amount <= 0 OR to_amount < 0 OR rate <= 0 OR fee_amount < 0
            OR updated_at < created_at OR created_at > now()",
    )
    .await;

    // ANALYZE ran.
    assert!(
        count(
            &mut conn,
            "SELECT reltuples::bigint FROM pg_class WHERE relname = 'support_ticket_messages'"
        )
        .await
            > 0
    );
    conn.close().await.expect("close");

    // A second run on the same database: new users, same tag catalogue.
    let again = scale::load_spec(&url, &ScaleSpec::units(0.01), false)
        .await
        .expect("second scale load on the same database");
    assert_eq!(again.rows_of("tags"), 0, "tags are shared between runs");
    assert_eq!(again.rows_of("users"), ScaleSpec::units(0.01).users());
    let mut conn = PgConnection::connect(&url).await.expect("connect");
    assert_eq!(
        count(&mut conn, "SELECT count(*) FROM users").await,
        before["users"] + users + ScaleSpec::units(0.01).users() as i64
    );
    conn.close().await.expect("close");
}
