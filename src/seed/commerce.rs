//! Commerce rows of the benchmark dataset: packages, one gateway, and
//! orders with their items, invoices, payments and payment transactions.
//!
//! Written set-based (`INSERT ... SELECT` over `generate_series`) inside the
//! scale load's transaction, so they commit or vanish with the rest. Every
//! choice is a function of the order's index, so a load is reproducible:
//! - 70 % of orders are COMPLETED (invoice PAID, a SUCCESS payment; every
//!   fourth of those first had a FAILED attempt), 20 % PENDING (invoice
//!   ISSUED, a PENDING payment), 10 % CANCELLED (invoice VOID, a FAILED
//!   payment);
//! - every third order has two items, the others one;
//! - a SUCCESS payment has INITIATED, WEBHOOK and COMPLETED transactions, a
//!   FAILED one INITIATED and FAILED, a PENDING one INITIATED.
//!
//! Amounts satisfy the tables' CHECKs: item totals are unit price times
//! quantity, an order's subtotal is the sum of its items, tax is 18 % GST
//! rounded to the paisa, total = subtotal - discount + tax.

use anyhow::{Context, Result};
use sea_orm::sqlx::{self, postgres::PgConnection};
use uuid::Uuid;

/// The statements of a load, in foreign-key order: (table, SQL). `$1` is
/// the run id, `$2` the buyers (`uuid[]`), `$3` the number of orders, `$4`
/// the newest order's time as Unix seconds.
const STEPS: &[(&str, &str)] = &[
    (
        "pricing_packages",
        "INSERT INTO pricing_packages (id, name, description, package_type, price_inr, tracecoins_included, validity_days)
         SELECT gen_random_uuid(), 'Scale ' || p.name || ' ' || $1, p.name || ' package of a benchmark load',
                p.kind, p.price, p.coins, p.days
           FROM (VALUES ('Starter', 'TRACECOIN_BUNDLE', 49900::bigint, 500::bigint, NULL::int),
                        ('Pro', 'CONTACT_VIEWS', 149900, 0, 30),
                        ('Hiring', 'JOB_POSTING', 299900, 0, 60)) AS p(name, kind, price, coins, days)",
    ),
    (
        "payment_gateway_configs",
        "INSERT INTO payment_gateway_configs (id, gateway_key, display_name, config_json, is_active)
         VALUES (gen_random_uuid(), 'RAZORPAY', 'Razorpay (scale ' || $1 || ')', '{}'::jsonb, false)",
    ),
    (
        "orders",
        "INSERT INTO scale_orders_plan (g, id, user_id, status, created_at, p1, p2)
         SELECT g, gen_random_uuid(), ($2::uuid[])[1 + (g * 7919) % cardinality($2::uuid[])],
                CASE WHEN g % 10 < 7 THEN 'COMPLETED' WHEN g % 10 < 9 THEN 'PENDING' ELSE 'CANCELLED' END,
                to_timestamp($4 - ((g * 104729) % 31536000)),
                1 + g % 3, CASE WHEN g % 3 = 0 THEN 1 + (g + 1) % 3 END
           FROM generate_series(1, $3::bigint) AS g",
    ),
    (
        "orders",
        "INSERT INTO orders (id, user_id, order_type, subtotal_inr, discount_inr, tax_inr, total_inr, status, created_at, updated_at)
         SELECT o.id, o.user_id, 'PACKAGE', s.subtotal, 0, round(s.subtotal * 0.18)::bigint,
                s.subtotal + round(s.subtotal * 0.18)::bigint, o.status, o.created_at, o.created_at
           FROM scale_orders_plan o
           CROSS JOIN LATERAL (
               SELECT sum(pk.price_inr)::bigint AS subtotal FROM scale_packages pk WHERE pk.n IN (o.p1, o.p2)
           ) s",
    ),
    (
        "order_items",
        "INSERT INTO order_items (id, order_id, item_type, item_id, item_name, quantity, unit_price_inr, total_price_inr, created_at)
         SELECT gen_random_uuid(), o.id, 'PACKAGE', pk.id, pk.name, 1, pk.price_inr, pk.price_inr, o.created_at
           FROM scale_orders_plan o JOIN scale_packages pk ON pk.n IN (o.p1, o.p2)",
    ),
    (
        "invoices",
        "INSERT INTO invoices (id, order_id, user_id, invoice_number, subtotal_inr, discount_inr, tax_inr, total_inr,
                               status, issued_at, due_at, paid_at, created_at, updated_at)
         SELECT gen_random_uuid(), o.id, o.user_id, 'SCALE-' || $1 || '-' || lpad(p.g::text, 7, '0'),
                o.subtotal_inr, o.discount_inr, o.tax_inr, o.total_inr,
                CASE o.status WHEN 'COMPLETED' THEN 'PAID' WHEN 'PENDING' THEN 'ISSUED' ELSE 'VOID' END,
                o.created_at, o.created_at + interval '7 days',
                CASE WHEN o.status = 'COMPLETED' THEN o.created_at + interval '2 minutes' END,
                o.created_at, o.created_at
           FROM scale_orders_plan p JOIN orders o ON o.id = p.id",
    ),
    (
        "payments",
        "INSERT INTO scale_payments_plan (id, order_id, invoice_id, user_id, amount, status, attempt, created_at, ref)
         SELECT gen_random_uuid(), o.id, i.id, o.user_id, o.total_inr, a.status, a.attempt,
                o.created_at + (a.attempt || ' minutes')::interval, 'pay_scale_' || $1 || '_' || p.g || '_' || a.attempt
           FROM scale_orders_plan p
           JOIN orders o ON o.id = p.id
           JOIN invoices i ON i.order_id = o.id
           CROSS JOIN LATERAL (
               SELECT * FROM (VALUES
                   (1, CASE o.status WHEN 'COMPLETED' THEN CASE WHEN p.g % 4 = 0 THEN 'FAILED' ELSE 'SUCCESS' END
                                     WHEN 'PENDING' THEN 'PENDING' ELSE 'FAILED' END),
                   (2, CASE WHEN o.status = 'COMPLETED' AND p.g % 4 = 0 THEN 'SUCCESS' END)
               ) AS t(attempt, status) WHERE t.status IS NOT NULL
           ) a",
    ),
    (
        "payments",
        "INSERT INTO payments (id, order_id, invoice_id, user_id, payment_gateway_config_id, payment_method,
                               provider_payment_ref, amount_inr, currency_code, status, initiated_at, completed_at,
                               created_at, updated_at)
         SELECT pp.id, pp.order_id, pp.invoice_id, pp.user_id, gw.id,
                (ARRAY['CARD','UPI','NETBANKING','WALLET'])[1 + abs(hashtext(pp.ref)) % 4],
                pp.ref, pp.amount, 'INR', pp.status, pp.created_at,
                CASE WHEN pp.status <> 'PENDING' THEN pp.created_at + interval '30 seconds' END,
                pp.created_at, pp.created_at
           FROM scale_payments_plan pp, scale_gateway gw",
    ),
    (
        "payment_transactions",
        "INSERT INTO payment_transactions (id, payment_id, transaction_type, provider_reference, request_payload_json,
                                           response_payload_json, status, created_at)
         SELECT gen_random_uuid(), pp.id, t.kind, pp.ref, t.request, t.response, t.status,
                pp.created_at + (t.step || ' seconds')::interval
           FROM scale_payments_plan pp
           CROSS JOIN LATERAL (
               SELECT * FROM (VALUES
                   (0, 'INITIATED', 'PENDING', jsonb_build_object('amount', pp.amount, 'currency', 'INR'), NULL::jsonb),
                   (20, CASE pp.status WHEN 'SUCCESS' THEN 'WEBHOOK' WHEN 'FAILED' THEN 'FAILED' END,
                        CASE pp.status WHEN 'SUCCESS' THEN 'SUCCESS' WHEN 'FAILED' THEN 'FAILED' END,
                        NULL, jsonb_build_object('event', lower(pp.status))),
                   (30, CASE WHEN pp.status = 'SUCCESS' THEN 'COMPLETED' END, 'SUCCESS', NULL,
                        jsonb_build_object('captured', true))
               ) AS x(step, kind, status, request, response) WHERE x.kind IS NOT NULL
           ) t",
    ),
];

/// Writes `orders` orders (and what hangs off them) for `buyers`; returns
/// rows per table, summed where a table takes two steps.
pub async fn load(
    conn: &mut PgConnection,
    run: &str,
    buyers: &[Uuid],
    orders: u64,
    now: i64,
) -> Result<Vec<(&'static str, u64)>> {
    if orders == 0 || buyers.is_empty() {
        return Ok(Vec::new());
    }
    // Scratch tables of this transaction: the plan the steps share.
    for sql in [
        "CREATE TEMP TABLE scale_orders_plan (g bigint, id uuid, user_id uuid, status text, created_at timestamptz, p1 int, p2 int) ON COMMIT DROP",
        "CREATE TEMP TABLE scale_payments_plan (id uuid, order_id uuid, invoice_id uuid, user_id uuid, amount bigint, status text, attempt int, created_at timestamptz, ref text) ON COMMIT DROP",
    ] {
        sqlx::query(sql).execute(&mut *conn).await.context("creating the commerce plan")?;
    }
    let mut per_table: Vec<(&'static str, u64)> = Vec::new();
    for (i, (table, sql)) in STEPS.iter().enumerate() {
        // PostgreSQL refuses a parameter a statement does not use (it
        // cannot infer its type), so each statement gets only its own,
        // renumbered in order.
        let used: Vec<usize> = (1..=4).filter(|k| sql.contains(&format!("${k}"))).collect();
        let mut text = sql.to_string();
        for (j, k) in used.iter().enumerate() {
            text = text.replace(&format!("${k}"), &format!("$#{}", j + 1));
        }
        let text = text.replace("$#", "$");
        // Only placeholders were renumbered: the text is still the constant above.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(text));
        for k in &used {
            q = match k {
                1 => q.bind(run),
                2 => q.bind(buyers),
                3 => q.bind(orders as i64),
                _ => q.bind(now as f64),
            };
        }
        let done = q
            .execute(&mut *conn)
            .await
            .with_context(|| format!("seeding {table} (step {})", i + 1))?;
        match *table {
            // Plan rows are not table rows.
            _ if sql.trim_start().starts_with("INSERT INTO scale_") => {}
            _ => match per_table.iter_mut().find(|(t, _)| t == table) {
                Some((_, n)) => *n += done.rows_affected(),
                None => per_table.push((table, done.rows_affected())),
            },
        }
        if *table == "pricing_packages" {
            sqlx::query(
                "CREATE TEMP TABLE scale_packages ON COMMIT DROP AS
                 SELECT row_number() OVER (ORDER BY price_inr) AS n, id, name, price_inr
                   FROM pricing_packages WHERE name LIKE 'Scale % ' || $1",
            )
            .bind(run)
            .execute(&mut *conn)
            .await
            .context("listing the benchmark packages")?;
        }
        if *table == "payment_gateway_configs" {
            sqlx::query(
                "CREATE TEMP TABLE scale_gateway ON COMMIT DROP AS
                 SELECT id FROM payment_gateway_configs WHERE display_name = 'Razorpay (scale ' || $1 || ')'",
            )
            .bind(run)
            .execute(&mut *conn)
            .await
            .context("finding the benchmark gateway")?;
        }
    }
    Ok(per_table)
}
