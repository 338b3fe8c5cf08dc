//! Benchmark dataset (`switchboard seed --scale N`).
//!
//! One unit (N = 1) is about 10,000 users (2,000 customers with a client and
//! an EMAIL external id each, 20 support agents spread over the departments,
//! the rest wallet holders), 10,000 support tickets with 100,000 messages,
//! tags and assignments, 10,000 TRC wallets with 200,000 ledger rows and
//! 10,000 exchange orders. Everything scales linearly with N.
//!
//! How it loads:
//! - a plan is drawn first (users, tickets, wallets: a few dozen bytes per
//!   row, with a per-row seed), so every table's row count is known up front
//!   and the rows that depend on each other agree: a ticket's
//!   `first_response_at`/`resolved_at`/`closed_at` are replayed from the
//!   same seeded conversation its messages are written from, a wallet's
//!   `balance` from the same seeded ledger chain its ledger rows are;
//! - rows are then generated in chunks and streamed with
//!   `COPY ... FROM STDIN` (text format) in foreign-key order, all in one
//!   transaction, so a failed load leaves nothing behind;
//! - the tables are analysed at the end.
//!
//! Only INSERTs happen (COPY fires no UPDATE/DELETE triggers): the
//! `set_updated_at` and append-only triggers are never involved. User emails
//! carry a random run id, so the loader can run again on the same database;
//! the small tag catalogue is shared between runs (`ON CONFLICT DO NOTHING`).
//! Benchmark users have no password (`password_hash` NULL: they cannot sign
//! in).

use std::io::{IsTerminal, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use chrono::{Datelike, Timelike};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use rand::{Rng, RngCore, SeedableRng};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use sea_orm::sqlx::postgres::PgConnection;
use sea_orm::sqlx::{self, Connection};
use uuid::Uuid;

/// What a load wrote.
#[derive(Clone, Debug)]
pub struct ScaleReport {
    /// Rows written, all tables together.
    pub rows: u64,
    /// Wall-clock time of the whole load (connect to ANALYZE).
    pub elapsed: Duration,
    /// Rows written per table, in load order.
    pub per_table: Vec<(&'static str, u64)>,
}

impl ScaleReport {
    /// Rows written per second of `elapsed`.
    pub fn rows_per_second(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Rows written into `table` (0 if it is not in the report).
    pub fn rows_of(&self, table: &str) -> u64 {
        self.per_table.iter().find(|(t, _)| *t == table).map_or(0, |(_, n)| *n)
    }
}

/// Row counts of a load. [`ScaleSpec::UNIT`] is N = 1; [`ScaleSpec::units`]
/// scales it (fractions too, for tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScaleSpec {
    /// Users with a client (and an EMAIL external id) who raise tickets.
    pub customers: u64,
    /// Users with the approved `support_agent` role.
    pub agents: u64,
    /// Further users (wallet holders, exchange customers).
    pub other_users: u64,
    pub tickets: u64,
    /// Ticket messages; at least 3 per ticket.
    pub messages: u64,
    /// TRC wallets, one per user (so at most as many as users).
    pub wallets: u64,
    /// Wallet ledger rows; at least one per wallet.
    pub ledger_entries: u64,
    pub exchange_orders: u64,
    /// Commerce orders of customers, each with items, an invoice, payments
    /// and their transactions.
    pub commerce_orders: u64,
}

impl ScaleSpec {
    /// N = 1.
    pub const UNIT: ScaleSpec = ScaleSpec {
        customers: 2_000,
        agents: 20,
        other_users: 7_980,
        tickets: 10_000,
        messages: 100_000,
        wallets: 10_000,
        ledger_entries: 200_000,
        exchange_orders: 10_000,
        commerce_orders: 10_000,
    };

    /// `units` times [`ScaleSpec::UNIT`], rounded, with small minimums
    /// (at least 5 agents, one per seeded department). Not positive: all 0
    /// (which [`load_spec`] rejects).
    pub fn units(units: f64) -> ScaleSpec {
        let scaled = |base: u64, min: u64| -> u64 {
            let v = (base as f64 * units).round();
            if units > 0.0 && v.is_finite() {
                (v as u64).max(min)
            } else {
                0
            }
        };
        let u = ScaleSpec::UNIT;
        let customers = scaled(u.customers, 1);
        let agents = scaled(u.agents, 5);
        let tickets = scaled(u.tickets, 1);
        let messages = scaled(u.messages, 10).max(tickets * 3);
        let wallets = scaled(u.wallets, 1);
        let ledger_entries = scaled(u.ledger_entries, 1).max(wallets);
        ScaleSpec {
            customers,
            agents,
            other_users: wallets.saturating_sub(customers + agents),
            tickets,
            messages,
            wallets,
            ledger_entries,
            exchange_orders: scaled(u.exchange_orders, 1),
            commerce_orders: scaled(u.commerce_orders, 1),
        }
    }

    /// All users of the load.
    pub fn users(&self) -> u64 {
        self.customers + self.agents + self.other_users
    }

    fn validate(&self) -> Result<()> {
        if self.agents == 0 || self.customers == 0 {
            bail!("a scale load needs at least one agent and one customer (got {self:?})");
        }
        if self.messages < self.tickets.saturating_mul(3) {
            bail!("a scale load needs at least 3 messages per ticket (got {self:?})");
        }
        if self.wallets > self.users() {
            bail!(
                "one TRC wallet per user: {} wallets need as many users (got {self:?})",
                self.wallets
            );
        }
        if self.ledger_entries < self.wallets || (self.wallets == 0 && self.ledger_entries > 0) {
            bail!("every wallet opens with a ledger row: ledger_entries must be >= wallets (got {self:?})");
        }
        let limit = u64::from(u32::MAX / 2);
        if self.users() > limit || self.tickets > limit || self.wallets > limit {
            bail!("scale too large (got {self:?})");
        }
        Ok(())
    }
}

/// Loads scale `n` (n >= 1) into the database at `database_url` (already
/// migrated). With `progress`, shows a progress bar on a terminal, else logs
/// a line per table to stderr.
pub async fn load(database_url: &str, n: u32, progress: bool) -> anyhow::Result<ScaleReport> {
    if n == 0 {
        bail!("--scale must be at least 1");
    }
    load_spec(database_url, &ScaleSpec::units(f64::from(n)), progress).await
}

/// Loads the rows of `spec` (see [`ScaleSpec::units`] for fractions of N = 1).
pub async fn load_spec(database_url: &str, spec: &ScaleSpec, progress: bool) -> anyhow::Result<ScaleReport> {
    spec.validate()?;
    let started = Instant::now();
    let mut conn = PgConnection::connect(database_url)
        .await
        .context("connecting to the database for the scale seed")?;
    let refs = read_reference_rows(&mut conn).await?;

    let now = chrono::Utc::now().timestamp_micros();
    let mut rng = Fast::seed_from_u64(rand::random());
    let run = format!("{:08x}", rng.next_u32());
    let ids = Ids::new(now, &mut rng);
    let plan_spec = spec.clone();
    let plan_seed = rng.gen();
    let plan = tokio::task::spawn_blocking(move || {
        Plan::build(&plan_spec, refs, run, now, &mut Fast::seed_from_u64(plan_seed), ids)
    })
    .await
    .context("planning the scale dataset")??;
    let plan = Arc::new(plan);

    let mut meter = Meter::new(progress, plan.total_rows());
    meter.log(format!(
        "loading scale dataset (run {}): {} rows into 13 tables",
        plan.run,
        plan.total_rows()
    ));

    let mut per_table: Vec<(&'static str, u64)> = Vec::with_capacity(13);
    let mut tx = conn.begin().await.context("starting the scale seed transaction")?;
    sqlx::query("SET LOCAL statement_timeout = 0")
        .execute(&mut *tx)
        .await
        .context("setting statement_timeout")?;

    per_table.push(("users", copy_users(&mut tx, &mut meter, &plan).await?));
    per_table.push(("user_roles", copy_user_roles(&mut tx, &mut meter, &plan).await?));
    per_table.push((
        "user_departments",
        copy_user_departments(&mut tx, &mut meter, &plan).await?,
    ));
    per_table.push(("clients", copy_clients(&mut tx, &mut meter, &plan).await?));
    per_table.push((
        "client_external_ids",
        copy_client_external_ids(&mut tx, &mut meter, &plan).await?,
    ));
    per_table.push(("wallets", copy_wallets(&mut tx, &mut meter, &plan).await?));
    per_table.push((
        "wallet_ledger",
        copy_wallet_ledger(&mut tx, &mut meter, &plan, rng.gen()).await?,
    ));
    per_table.push((
        "exchange_orders",
        copy_exchange_orders(&mut tx, &mut meter, &plan, rng.gen()).await?,
    ));
    let (tag_ids, tags_inserted) = insert_tags(&mut tx, &mut meter).await?;
    per_table.push(("tags", tags_inserted));
    per_table.push((
        "support_tickets",
        copy_tickets(&mut tx, &mut meter, &plan, rng.gen()).await?,
    ));
    per_table.push((
        "ticket_tags",
        copy_ticket_tags(&mut tx, &mut meter, &plan, tag_ids).await?,
    ));
    per_table.push((
        "ticket_assignments",
        copy_ticket_assignments(&mut tx, &mut meter, &plan).await?,
    ));
    per_table.push((
        "support_ticket_messages",
        copy_messages(&mut tx, &mut meter, &plan, rng.gen()).await?,
    ));

    let buyers: Vec<Uuid> = plan
        .users
        .iter()
        .filter(|u| u.kind == UserKind::Customer)
        .map(|u| u.id)
        .collect();
    meter.begin("orders", plan.spec.commerce_orders);
    let commerce_started = Instant::now();
    for (table, rows) in super::commerce::load(
        &mut tx,
        &plan.run,
        &buyers,
        plan.spec.commerce_orders,
        plan.now / 1_000_000,
    )
    .await?
    {
        meter.end(table, rows, commerce_started.elapsed());
        per_table.push((table, rows));
    }

    let commit_started = Instant::now();
    tx.commit().await.context("committing the scale seed")?;
    let commit_took = commit_started.elapsed();

    let analyze_started = Instant::now();
    meter.set_message("ANALYZE");
    sqlx::query(
        "ANALYZE users, user_roles, user_departments, clients, client_external_ids, wallets, wallet_ledger, \
         exchange_orders, tags, support_tickets, ticket_tags, ticket_assignments, support_ticket_messages, \
         pricing_packages, payment_gateway_configs, orders, order_items, invoices, payments, payment_transactions",
    )
    .execute(&mut conn)
    .await
    .context("analysing the loaded tables")?;
    let _ = conn.close().await;

    let rows: u64 = per_table.iter().map(|(_, n)| n).sum();
    let report = ScaleReport {
        rows,
        elapsed: started.elapsed(),
        per_table,
    };
    meter.finish(format!(
        "loaded {} rows in {:.1}s ({:.0} rows/s; commit {:.1}s, ANALYZE {:.1}s), run {}",
        report.rows,
        report.elapsed.as_secs_f64(),
        report.rows_per_second(),
        commit_took.as_secs_f64(),
        analyze_started.elapsed().as_secs_f64(),
        plan.run
    ));
    Ok(report)
}

// ---------------------------------------------------------------------------
// Reference rows

struct Department {
    id: Uuid,
    code: String,
    name: String,
    external: bool,
}

struct Currency {
    code: String,
    fiat: bool,
    decimals: u32,
}

struct Refs {
    departments: Vec<Department>,
    agent_role: Uuid,
    customer_role: Option<Uuid>,
    currencies: Vec<Currency>,
}

async fn read_reference_rows(conn: &mut PgConnection) -> Result<Refs> {
    let departments: Vec<(Uuid, String, String, bool)> = sqlx::query_as(
        "SELECT id, code, name, visibility = 'EXTERNAL' FROM departments WHERE is_active ORDER BY code, id",
    )
    .fetch_all(&mut *conn)
    .await
    .context("reading departments (is the database migrated?)")?;
    let roles: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, key FROM roles WHERE key IN ('support_agent', 'customer')")
            .fetch_all(&mut *conn)
            .await
            .context("reading roles")?;
    let agent_role = roles
        .iter()
        .find(|(_, k)| k == "support_agent")
        .map(|(id, _)| *id)
        .context("the support_agent role is missing (is the database migrated?)")?;
    let customer_role = roles.iter().find(|(_, k)| k == "customer").map(|(id, _)| *id);
    let currencies: Vec<(String, String, i16)> =
        sqlx::query_as("SELECT code, kind, decimals FROM currencies WHERE is_active ORDER BY code")
            .fetch_all(&mut *conn)
            .await
            .context("reading currencies")?;
    if !currencies.iter().any(|(c, _, _)| c == "TRC") {
        bail!("currency TRC is missing or inactive: the wallets of the scale seed are TRC wallets");
    }
    Ok(Refs {
        departments: departments
            .into_iter()
            .map(|(id, code, name, external)| Department {
                id,
                code,
                name,
                external,
            })
            .collect(),
        agent_role,
        customer_role,
        currencies: currencies
            .into_iter()
            .map(|(code, kind, decimals)| Currency {
                code,
                fiat: kind == "FIAT",
                decimals: u32::try_from(decimals.clamp(0, 18)).unwrap_or(0),
            })
            .collect(),
    })
}

// ---------------------------------------------------------------------------
// Randomness and ids

/// SplitMix64: tiny and fast (also in debug builds, where ChaCha dominates
/// the load), good enough for synthetic data; never for secrets.
struct Fast(u64);

impl RngCore for Fast {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl SeedableRng for Fast {
    type Seed = [u8; 8];

    fn from_seed(seed: [u8; 8]) -> Self {
        Fast(u64::from_le_bytes(seed))
    }

    fn seed_from_u64(state: u64) -> Self {
        Fast(state)
    }
}

/// Version 7 UUIDs of one load: the load's start (ms), 36 random bits fixed
/// per load and a counter, so ids rise in generation order (append-only
/// B-tree inserts) without a system call per id.
struct Ids {
    millis: u64,
    salt_a: u16,
    salt_b: u64,
    counter: AtomicU64,
}

impl Ids {
    fn new(now_micros: i64, rng: &mut Fast) -> Ids {
        Ids {
            millis: u64::try_from(now_micros / 1_000).unwrap_or(0),
            salt_a: rng.gen::<u16>() & 0x0fff,
            salt_b: rng.gen::<u64>() & 0x00ff_ffff,
            counter: AtomicU64::new(0),
        }
    }

    fn next(&self) -> Uuid {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let mut b = [0u8; 16];
        b[..6].copy_from_slice(&self.millis.to_be_bytes()[2..]);
        b[6..8].copy_from_slice(&(0x7000 | self.salt_a).to_be_bytes());
        // Variant bits 10, then a 38-bit counter, then 24 salt bits.
        let low = (0b10 << 62) | ((n & ((1 << 38) - 1)) << 24) | self.salt_b;
        b[8..].copy_from_slice(&low.to_be_bytes());
        Uuid::from_bytes(b)
    }
}

fn random_uuid(rng: &mut Fast) -> Uuid {
    uuid::Builder::from_random_bytes(rng.gen()).into_uuid()
}

// ---------------------------------------------------------------------------
// The plan

const SECOND: i64 = 1_000_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const WINDOW: i64 = 180 * DAY;

#[derive(Clone, Copy, PartialEq, Eq)]
enum UserKind {
    Agent,
    Customer,
    Member,
}

struct User {
    id: Uuid,
    kind: UserKind,
    created: i64,
    first: u16,
    last: u16,
    company: bool,
    status: &'static str,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Status {
    Open,
    InProgress,
    WaitingForCustomer,
    WaitingForAgent,
    Resolved,
    Closed,
    Unresolved,
}

impl Status {
    const WEIGHTED: [(Status, u32); 7] = [
        (Status::Open, 12),
        (Status::InProgress, 14),
        (Status::WaitingForCustomer, 10),
        (Status::WaitingForAgent, 8),
        (Status::Resolved, 26),
        (Status::Closed, 26),
        (Status::Unresolved, 4),
    ];

    fn as_str(self) -> &'static str {
        match self {
            Status::Open => "OPEN",
            Status::InProgress => "IN_PROGRESS",
            Status::WaitingForCustomer => "WAITING_FOR_CUSTOMER",
            Status::WaitingForAgent => "WAITING_FOR_AGENT",
            Status::Resolved => "RESOLVED",
            Status::Closed => "CLOSED",
            Status::Unresolved => "UNRESOLVED",
        }
    }

    /// Messages a conversation in this status needs at least: the
    /// customer's first message, an agent reply unless OPEN, a customer
    /// reply after it when WAITING_FOR_AGENT, a system close message when
    /// CLOSED.
    fn min_messages(self) -> u32 {
        match self {
            Status::Open => 1,
            Status::WaitingForAgent | Status::Closed => 3,
            _ => 2,
        }
    }

    fn is_active(self) -> bool {
        matches!(
            self,
            Status::Open | Status::InProgress | Status::WaitingForCustomer | Status::WaitingForAgent
        )
    }
}

const PRIORITIES: [(&str, u32); 4] = [("LOW", 20), ("NORMAL", 50), ("HIGH", 22), ("URGENT", 8)];
const CATEGORIES: [(&str, u32); 4] = [("GENERAL", 30), ("BILLING", 30), ("TECHNICAL", 28), ("ACCOUNT", 12)];
const TAGS: [&str; 10] = [
    "refund",
    "bug",
    "vip",
    "duplicate",
    "feature-request",
    "login",
    "payment",
    "mobile",
    "follow-up",
    "kyc",
];

struct Ticket {
    id: Uuid,
    /// Index into the customers (`Plan::customer`).
    customer: u32,
    /// Indexes into the agents (users `0..agents`).
    agent: u32,
    colleague: u32,
    assigned_by: Option<u32>,
    department: Option<u16>,
    status: Status,
    priority: &'static str,
    category: &'static str,
    web: bool,
    assigned: bool,
    messages: u32,
    seed: u64,
    factor: f64,
    tags: u16,
    created: i64,
    assigned_at: i64,
    first_response: Option<i64>,
    resolved: Option<i64>,
    closed: Option<i64>,
    updated: i64,
}

struct Wallet {
    id: Uuid,
    user: u32,
    created: i64,
    entries: u32,
    seed: u64,
    balance: i64,
    updated: i64,
}

struct Plan {
    ids: Ids,
    run: String,
    now: i64,
    refs: Refs,
    spec: ScaleSpec,
    users: Vec<User>,
    client_ids: Vec<Uuid>,
    user_departments: Vec<(u32, u16)>,
    tickets: Vec<Ticket>,
    wallets: Vec<Wallet>,
}

impl Plan {
    fn build(spec: &ScaleSpec, refs: Refs, run: String, now: i64, rng: &mut Fast, ids: Ids) -> Result<Plan> {
        let agents = spec.agents as usize;
        let customers = spec.customers as usize;
        let total_users = spec.users() as usize;

        // Users: agents first, then customers, then the other users.
        let mut users = Vec::with_capacity(total_users);
        for i in 0..total_users {
            let kind = if i < agents {
                UserKind::Agent
            } else if i < agents + customers {
                UserKind::Customer
            } else {
                UserKind::Member
            };
            let created = match kind {
                UserKind::Agent => now - WINDOW - rng.gen_range(0..10 * DAY),
                _ => rng.gen_range(now - WINDOW..now - 2 * DAY),
            };
            let status = match (kind, rng.gen_range(0..100)) {
                (UserKind::Member, 0..=2) => "PENDING",
                (UserKind::Member, 3) => "SUSPENDED",
                _ => "ACTIVE",
            };
            users.push(User {
                id: ids.next(),
                kind,
                created,
                first: rng.gen_range(0..FIRST_NAMES.len()) as u16,
                last: rng.gen_range(0..LAST_NAMES.len()) as u16,
                company: kind != UserKind::Agent && rng.gen_bool(0.1),
                status,
            });
        }
        let client_ids: Vec<Uuid> = (0..customers).map(|_| ids.next()).collect();

        // Agents over all active departments; every third also in GENERAL.
        let departments = &refs.departments;
        let general = departments.iter().position(|d| d.code == "GENERAL");
        let mut user_departments = Vec::new();
        let mut pools: Vec<Vec<u32>> = vec![Vec::new(); departments.len()];
        if !departments.is_empty() {
            for a in 0..agents {
                let d = a % departments.len();
                user_departments.push((a as u32, d as u16));
                pools[d].push(a as u32);
                if let Some(g) = general {
                    if a % 3 == 0 && g != d {
                        user_departments.push((a as u32, g as u16));
                        pools[g].push(a as u32);
                    }
                }
            }
        }
        let all_agents: Vec<u32> = (0..agents as u32).collect();
        let external: Vec<u16> = (0..departments.len())
            .filter(|&i| departments[i].external)
            .map(|i| i as u16)
            .collect();
        let department_of = |category: &str, rng: &mut Fast| -> Option<u16> {
            let code = match category {
                "BILLING" => "BILLING",
                "TECHNICAL" => "TECHNICAL",
                _ => "GENERAL",
            };
            if let Some(i) = departments.iter().position(|d| d.code == code) {
                return Some(i as u16);
            }
            if !external.is_empty() {
                return Some(external[rng.gen_range(0..external.len())]);
            }
            if departments.is_empty() {
                None
            } else {
                Some(rng.gen_range(0..departments.len()) as u16)
            }
        };

        // Tickets: shape first.
        let mut tickets = Vec::with_capacity(spec.tickets as usize);
        for _ in 0..spec.tickets {
            let status = pick_weighted(rng, &Status::WEIGHTED);
            let category = pick_weighted(rng, &CATEGORIES);
            let department = department_of(category, rng);
            let pool = match department {
                Some(d) if !pools[d as usize].is_empty() => &pools[d as usize],
                _ => &all_agents,
            };
            let assigned = status != Status::Open || rng.gen_bool(0.4);
            let tag_count = pick_weighted(rng, &[(0u32, 35), (1, 40), (2, 20), (3, 5)]);
            let mut tags = 0u16;
            while tags.count_ones() < tag_count {
                tags |= 1 << rng.gen_range(0..TAGS.len());
            }
            tickets.push(Ticket {
                id: ids.next(),
                customer: rng.gen_range(0..customers) as u32,
                agent: pool[rng.gen_range(0..pool.len())],
                colleague: pool[rng.gen_range(0..pool.len())],
                assigned_by: (assigned && rng.gen_bool(0.35)).then(|| rng.gen_range(0..agents) as u32),
                department,
                status,
                priority: pick_weighted(rng, &PRIORITIES),
                category,
                web: rng.gen_bool(0.6),
                assigned,
                messages: status.min_messages(),
                seed: rng.gen(),
                factor: 1.0,
                tags,
                created: 0,
                assigned_at: 0,
                first_response: None,
                resolved: None,
                closed: None,
                updated: 0,
            });
        }
        // Spread the other messages, mostly onto tickets an agent works on.
        let base: u64 = tickets.iter().map(|t| u64::from(t.messages)).sum();
        let mut extra = spec.messages.saturating_sub(base);
        if !tickets.is_empty() {
            while extra > 0 {
                let t = &mut tickets[rng.gen_range(0..spec.tickets as usize)];
                if t.status == Status::Open && !rng.gen_bool(0.2) {
                    continue;
                }
                t.messages += 1;
                extra -= 1;
            }
        }
        // Then times: replay the conversation, fit it between the customer's
        // sign-up and now (squeezing it if needed); active tickets end
        // recently.
        let mut conv = Conversation::default();
        let end = now - MINUTE;
        for t in &mut tickets {
            t.converse(1.0, &mut conv);
            let lo = users[agents + t.customer as usize].created + 5 * MINUTE;
            let room = (end - lo).max(1);
            if conv.span > room {
                t.factor = room as f64 / conv.span as f64 * 0.98;
                t.converse(t.factor, &mut conv);
            }
            let latest = (end - conv.span).max(lo);
            let t0 = if t.status.is_active() {
                (latest - rng.gen_range(0..3 * DAY)).max(lo)
            } else {
                rng.gen_range(lo..=latest)
            };
            t.created = t0;
            t.first_response = conv.first_response.map(|o| t0 + o);
            t.resolved = conv.resolved.map(|o| t0 + o);
            t.closed = conv.closed.map(|o| t0 + o);
            t.updated = t0 + conv.span;
            let first_staff = conv.first_staff.unwrap_or((30 * MINUTE).min((now - t0).max(0)));
            t.assigned_at = t0 + first_staff / 2;
        }

        // Wallets: one per user, one opening row each, the rest at random;
        // the chain is replayed for the balance.
        let wallet_count = spec.wallets as usize;
        let mut wallets = Vec::with_capacity(wallet_count);
        for (i, user) in users.iter().take(wallet_count).enumerate() {
            wallets.push(Wallet {
                id: ids.next(),
                user: i as u32,
                created: user.created + rng.gen_range(SECOND..10 * MINUTE),
                entries: 1,
                seed: rng.gen(),
                balance: 0,
                updated: 0,
            });
        }
        if !wallets.is_empty() {
            for _ in 0..spec.ledger_entries.saturating_sub(wallet_count as u64) {
                wallets[rng.gen_range(0..wallet_count)].entries += 1;
            }
        }
        let mut times = Vec::new();
        for w in &mut wallets {
            let (mut balance, mut updated) = (0, w.created);
            ledger_chain(w.seed, w.entries, w.created, end, &mut times, |e| {
                balance = e.balance_after;
                updated = e.at;
            });
            w.balance = balance;
            w.updated = updated;
        }

        Ok(Plan {
            ids,
            run,
            now,
            refs,
            spec: spec.clone(),
            users,
            client_ids,
            user_departments,
            tickets,
            wallets,
        })
    }

    fn customer(&self, index: u32) -> &User {
        &self.users[self.spec.agents as usize + index as usize]
    }

    fn user_role_rows(&self) -> u64 {
        if self.refs.customer_role.is_some() {
            self.users.len() as u64
        } else {
            self.spec.agents
        }
    }

    fn total_rows(&self) -> u64 {
        let users = self.users.len() as u64;
        let tags: u64 = self.tickets.iter().map(|t| u64::from(t.tags.count_ones())).sum();
        let assignments = self.tickets.iter().filter(|t| t.assigned).count() as u64;
        users
            + self.user_role_rows()
            + self.user_departments.len() as u64
            + 2 * self.spec.customers
            + self.spec.wallets
            + self.spec.ledger_entries
            + self.spec.exchange_orders
            + TAGS.len() as u64
            + self.spec.tickets
            + tags
            + assignments
            + self.spec.messages
    }

    fn email(&self, index: usize) -> String {
        let u = &self.users[index];
        let first = ascii_slug(FIRST_NAMES[u.first as usize]);
        let last = ascii_slug(LAST_NAMES[u.last as usize]);
        let domain = match u.kind {
            UserKind::Agent => "support.switchboard.example",
            _ => "example.com",
        };
        format!("{first}.{last}.{index}.{}@{domain}", self.run)
    }

    fn display_name(&self, index: usize) -> String {
        let u = &self.users[index];
        let name = format!("{} {}", FIRST_NAMES[u.first as usize], LAST_NAMES[u.last as usize]);
        if u.company {
            format!(
                "{} {}",
                LAST_NAMES[u.last as usize],
                COMPANY_SUFFIXES[index % COMPANY_SUFFIXES.len()]
            )
        } else {
            name
        }
    }
}

// ---------------------------------------------------------------------------
// Conversations and ledger chains (replayed from a seed)

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Customer,
    Agent,
    Internal,
    System,
}

#[derive(Clone, Copy)]
struct Msg {
    kind: Kind,
    /// Offset from the ticket's creation.
    at: i64,
    /// Written by another agent of the department than the assignee.
    colleague: bool,
}

#[derive(Default)]
struct Conversation {
    msgs: Vec<Msg>,
    first_response: Option<i64>,
    first_staff: Option<i64>,
    resolved: Option<i64>,
    closed: Option<i64>,
    span: i64,
}

impl Ticket {
    /// The ticket's conversation: the same every time for the same ticket
    /// and `factor` (time squeeze).
    fn converse(&self, factor: f64, out: &mut Conversation) {
        let mut rng = Fast::seed_from_u64(self.seed);
        let status = self.status;
        let n = self.messages.max(status.min_messages()) as usize;
        out.msgs.clear();
        for i in 0..n {
            let kind = if i == 0 {
                Kind::Customer
            } else if status == Status::Open {
                if self.assigned && rng.gen_bool(0.25) {
                    Kind::Internal
                } else {
                    Kind::Customer
                }
            } else if i == 1 {
                Kind::Agent
            } else {
                match rng.gen_range(0..100) {
                    0..=41 => Kind::Customer,
                    42..=83 => Kind::Agent,
                    84..=96 => Kind::Internal,
                    _ => Kind::System,
                }
            };
            let colleague = i > 1 && rng.gen_bool(0.15);
            out.msgs.push(Msg { kind, at: 0, colleague });
        }
        match status {
            Status::WaitingForCustomer | Status::Resolved | Status::Unresolved => out.msgs[n - 1].kind = Kind::Agent,
            Status::WaitingForAgent => out.msgs[n - 1].kind = Kind::Customer,
            Status::Closed => {
                out.msgs[n - 2].kind = Kind::Agent;
                out.msgs[n - 1].kind = Kind::System;
            }
            Status::Open | Status::InProgress => {}
        }
        let agent_gap = match self.priority {
            "URGENT" => (5 * MINUTE, 2 * HOUR),
            "HIGH" => (15 * MINUTE, 8 * HOUR),
            "NORMAL" => (30 * MINUTE, DAY),
            _ => (HOUR, 2 * DAY),
        };
        let mut t = 0;
        for m in out.msgs.iter_mut().skip(1) {
            let (lo, hi) = match m.kind {
                Kind::Customer => (10 * MINUTE, 2 * DAY),
                Kind::Agent => agent_gap,
                Kind::Internal => (2 * MINUTE, 6 * HOUR),
                Kind::System => (MINUTE, 2 * HOUR),
            };
            t += rng.gen_range(lo..hi);
            m.at = t;
        }
        let (mut resolved, mut closed) = (None, None);
        match status {
            Status::Resolved => resolved = Some(t + rng.gen_range(MINUTE..HOUR)),
            Status::Closed => {
                let r = out.msgs[n - 2].at + rng.gen_range(MINUTE..HOUR);
                let c = r + rng.gen_range(DAY..7 * DAY);
                out.msgs[n - 1].at = c;
                resolved = Some(r);
                closed = Some(c);
            }
            _ => {}
        }
        let squeeze = |x: i64| if factor == 1.0 { x } else { (x as f64 * factor) as i64 };
        for m in &mut out.msgs {
            m.at = squeeze(m.at);
        }
        out.resolved = resolved.map(squeeze);
        out.closed = closed.map(squeeze);
        out.first_response = out.msgs.iter().find(|m| m.kind == Kind::Agent).map(|m| m.at);
        out.first_staff = out
            .msgs
            .iter()
            .find(|m| matches!(m.kind, Kind::Agent | Kind::Internal))
            .map(|m| m.at);
        let last = out.msgs.last().map_or(0, |m| m.at);
        out.span = last.max(out.resolved.unwrap_or(0)).max(out.closed.unwrap_or(0));
    }
}

struct LedgerEntry {
    credit: bool,
    amount: i64,
    balance_after: i64,
    reference: &'static str,
    at: i64,
}

/// A wallet's ledger: `entries` rows at strictly increasing times between
/// `start` and `end`, opening with a credit, never below zero.
fn ledger_chain(
    seed: u64,
    entries: u32,
    start: i64,
    end: i64,
    times: &mut Vec<i64>,
    mut each: impl FnMut(&LedgerEntry),
) {
    let mut rng = Fast::seed_from_u64(seed);
    let lo = start + MINUTE;
    let hi = (end - i64::from(entries) * 1_000).max(lo + 1);
    times.clear();
    times.extend((0..entries).map(|_| rng.gen_range(lo..hi)));
    times.sort_unstable();
    for j in 1..times.len() {
        if times[j] <= times[j - 1] {
            times[j] = times[j - 1] + 1_000;
        }
    }
    let mut balance = 0i64;
    for (j, &at) in times.iter().enumerate() {
        let credit = j == 0 || balance == 0 || rng.gen_bool(0.55);
        let (amount, reference) = if j == 0 {
            (rng.gen_range(5..=50) * 10, "BONUS")
        } else if credit {
            match rng.gen_range(0..100) {
                0..=59 => (rng.gen_range(2..=100) * 50, "PURCHASE"),
                60..=74 => (rng.gen_range(10..=200), "BONUS"),
                75..=89 => (rng.gen_range(10..=300), "REFUND"),
                _ => (rng.gen_range(1..=100), "ADJUSTMENT"),
            }
        } else {
            let amount = rng.gen_range(1..=balance.min(400));
            match rng.gen_range(0..100) {
                0..=44 => (amount, "JOB"),
                45..=89 => (amount, "LEAD"),
                _ => (amount, "ADJUSTMENT"),
            }
        };
        balance = if credit { balance + amount } else { balance - amount };
        each(&LedgerEntry {
            credit,
            amount,
            balance_after: balance,
            reference,
            at,
        });
    }
}

// ---------------------------------------------------------------------------
// COPY

/// Rows in COPY text format.
struct Rows {
    buf: Vec<u8>,
    rows: u64,
}

impl Rows {
    fn new() -> Self {
        Rows {
            buf: Vec::with_capacity(CHUNK_BYTES + (64 << 10)),
            rows: 0,
        }
    }

    fn uuid(&mut self, id: &Uuid) -> &mut Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 37];
        let mut j = 0;
        for (i, &x) in id.as_bytes().iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                out[j] = b'-';
                j += 1;
            }
            out[j] = HEX[usize::from(x >> 4)];
            out[j + 1] = HEX[usize::from(x & 0x0f)];
            j += 2;
        }
        out[36] = b'\t';
        self.buf.extend_from_slice(&out);
        self
    }

    fn opt_uuid(&mut self, id: Option<&Uuid>) -> &mut Self {
        match id {
            Some(id) => self.uuid(id),
            None => self.null(),
        }
    }

    /// Text, escaped for COPY: backslash, tab, newline, carriage return.
    fn text(&mut self, s: &str) -> &mut Self {
        for &b in s.as_bytes() {
            match b {
                b'\\' => self.buf.extend_from_slice(b"\\\\"),
                b'\t' => self.buf.extend_from_slice(b"\\t"),
                b'\n' => self.buf.extend_from_slice(b"\\n"),
                b'\r' => self.buf.extend_from_slice(b"\\r"),
                _ => self.buf.push(b),
            }
        }
        self.buf.push(b'\t');
        self
    }

    fn opt_text(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.text(s),
            None => self.null(),
        }
    }

    fn int(&mut self, v: i64) -> &mut Self {
        if v < 0 {
            self.buf.push(b'-');
        }
        let mut v = v.unsigned_abs();
        let mut tmp = [0u8; 20];
        let mut i = tmp.len();
        loop {
            i -= 1;
            tmp[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.buf.extend_from_slice(&tmp[i..]);
        self.buf.push(b'\t');
        self
    }

    fn decimal(&mut self, v: &Decimal) -> &mut Self {
        let _ = write!(self.buf, "{v}\t");
        self
    }

    fn bool(&mut self, v: bool) -> &mut Self {
        self.buf.extend_from_slice(if v { b"t\t" } else { b"f\t" });
        self
    }

    /// A timestamp (microseconds since the epoch) as UTC.
    fn ts(&mut self, micros: i64) -> &mut Self {
        let Some(dt) = chrono::DateTime::from_timestamp_micros(micros) else {
            return self.null();
        };
        let Ok(year @ 0..=9999) = u32::try_from(dt.year()) else {
            let _ = write!(self.buf, "{}\t", dt.format("%Y-%m-%d %H:%M:%S%.6f+00"));
            return self;
        };
        let mut out = *b"0000-00-00 00:00:00.000000+00\t";
        put_digits(&mut out[0..4], year);
        put_digits(&mut out[5..7], dt.month());
        put_digits(&mut out[8..10], dt.day());
        put_digits(&mut out[11..13], dt.hour());
        put_digits(&mut out[14..16], dt.minute());
        put_digits(&mut out[17..19], dt.second());
        put_digits(&mut out[20..26], dt.timestamp_subsec_micros());
        self.buf.extend_from_slice(&out);
        self
    }

    fn opt_ts(&mut self, micros: Option<i64>) -> &mut Self {
        match micros {
            Some(m) => self.ts(m),
            None => self.null(),
        }
    }

    fn null(&mut self) -> &mut Self {
        self.buf.extend_from_slice(b"\\N\t");
        self
    }

    fn end(&mut self) {
        if self.buf.last() == Some(&b'\t') {
            self.buf.pop();
        }
        self.buf.push(b'\n');
        self.rows += 1;
    }
}

/// Writes `v` as `dst.len()` decimal digits (zero-padded, truncated).
fn put_digits(dst: &mut [u8], mut v: u32) {
    for b in dst.iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

const CHUNK_ROWS: u64 = 20_000;
const CHUNK_BYTES: usize = 4 << 20;

/// Streams rows into `table` with COPY FROM STDIN. `fill` writes the next
/// rows (one or more) and returns false once there are none left; it runs on
/// the blocking pool, a chunk ahead of the sending, so generating rows
/// overlaps with PostgreSQL ingesting them.
async fn copy_in(
    conn: &mut PgConnection,
    meter: &mut Meter,
    table: &'static str,
    columns: &str,
    expected: u64,
    fill: impl FnMut(&mut Rows) -> bool + Send + 'static,
) -> Result<u64> {
    let started = Instant::now();
    meter.begin(table, expected);
    let (chunks_tx, mut chunks) = tokio::sync::mpsc::channel::<Rows>(2);
    let producer = tokio::task::spawn_blocking(move || produce(fill, &chunks_tx));
    let statement = format!("COPY {table} ({columns}) FROM STDIN");
    let mut copy = conn
        .copy_in_raw(&statement)
        .await
        .with_context(|| format!("starting COPY into {table}"))?;
    let mut sent = 0u64;
    while let Some(rows) = chunks.recv().await {
        copy.send(rows.buf.as_slice())
            .await
            .with_context(|| format!("sending rows to COPY into {table}"))?;
        sent += rows.rows;
        meter.advance(rows.rows);
    }
    // The channel closes when the generator is done, or when it panicked.
    producer
        .await
        .with_context(|| format!("generating the rows of {table}"))?;
    // Foreign keys are checked at the end of the statement: say so, the
    // row count stands still meanwhile.
    meter.set_message_owned(format!("{table} (checking foreign keys)"));
    let written = copy
        .finish()
        .await
        .with_context(|| format!("COPY into {table} failed"))?;
    if written != sent {
        bail!("COPY into {table} wrote {written} rows, {sent} were sent");
    }
    meter.end(table, written, started.elapsed());
    Ok(written)
}

/// Runs `fill` to the end, handing over chunks of rows; stops early when the
/// loader is gone (it failed).
fn produce(mut fill: impl FnMut(&mut Rows) -> bool, out: &tokio::sync::mpsc::Sender<Rows>) {
    let mut rows = Rows::new();
    loop {
        let more = fill(&mut rows);
        if !rows.buf.is_empty() && (!more || rows.rows >= CHUNK_ROWS || rows.buf.len() >= CHUNK_BYTES) {
            let full = std::mem::replace(&mut rows, Rows::new());
            if out.blocking_send(full).is_err() {
                return;
            }
        }
        if !more {
            return;
        }
    }
}

/// `fill` for row-per-index tables.
fn each_index(
    count: usize,
    mut row: impl FnMut(usize, &mut Rows) + Send + 'static,
) -> impl FnMut(&mut Rows) -> bool + Send + 'static {
    let mut i = 0;
    move |rows| {
        if i >= count {
            return false;
        }
        row(i, rows);
        i += 1;
        true
    }
}

async fn copy_users(conn: &mut PgConnection, meter: &mut Meter, plan: &Arc<Plan>) -> Result<u64> {
    let plan = Arc::clone(plan);
    let expected = plan.users.len() as u64;
    let fill = each_index(plan.users.len(), move |i, rows| {
        let u = &plan.users[i];
        rows.uuid(&u.id)
            .text(&plan.email(i))
            .text(&plan.display_name(i))
            .text(if u.company { "COMPANY" } else { "INDIVIDUAL" })
            .text(u.status)
            .ts(u.created)
            .ts(u.created)
            .end();
    });
    copy_in(
        conn,
        meter,
        "users",
        "id, email, display_name, account_type, status, created_at, updated_at",
        expected,
        fill,
    )
    .await
}

async fn copy_user_roles(conn: &mut PgConnection, meter: &mut Meter, plan: &Arc<Plan>) -> Result<u64> {
    let plan = Arc::clone(plan);
    let count = plan.user_role_rows() as usize;
    let fill = each_index(count, move |i, rows| {
        let u = &plan.users[i];
        let role = match (u.kind, plan.refs.customer_role) {
            (UserKind::Agent, _) | (_, None) => plan.refs.agent_role,
            (_, Some(customer)) => customer,
        };
        let approved = u.created + HOUR;
        rows.uuid(&plan.ids.next())
            .uuid(&u.id)
            .uuid(&role)
            .text("APPROVED")
            .ts(approved)
            .ts(u.created)
            .ts(approved)
            .end();
    });
    copy_in(
        conn,
        meter,
        "user_roles",
        "id, user_id, role_id, status, approved_at, created_at, updated_at",
        count as u64,
        fill,
    )
    .await
}

async fn copy_user_departments(conn: &mut PgConnection, meter: &mut Meter, plan: &Arc<Plan>) -> Result<u64> {
    let plan = Arc::clone(plan);
    let expected = plan.user_departments.len() as u64;
    let fill = each_index(plan.user_departments.len(), move |i, rows| {
        let (agent, dept) = plan.user_departments[i];
        let u = &plan.users[agent as usize];
        rows.uuid(&u.id)
            .uuid(&plan.refs.departments[dept as usize].id)
            .ts(u.created + HOUR)
            .end();
    });
    copy_in(
        conn,
        meter,
        "user_departments",
        "user_id, department_id, created_at",
        expected,
        fill,
    )
    .await
}

async fn copy_clients(conn: &mut PgConnection, meter: &mut Meter, plan: &Arc<Plan>) -> Result<u64> {
    let plan = Arc::clone(plan);
    let expected = plan.client_ids.len() as u64;
    let data = format!("{{\"source\": \"scale-seed\", \"run\": \"{}\"}}", plan.run);
    let agents = plan.spec.agents as usize;
    let fill = each_index(plan.client_ids.len(), move |i, rows| {
        let u = &plan.users[agents + i];
        rows.uuid(&plan.client_ids[i])
            .text(&plan.display_name(agents + i))
            .uuid(&u.id)
            .text(&data)
            .ts(u.created)
            .ts(u.created)
            .end();
    });
    copy_in(
        conn,
        meter,
        "clients",
        "id, display_name, user_id, data, created_at, updated_at",
        expected,
        fill,
    )
    .await
}

async fn copy_client_external_ids(conn: &mut PgConnection, meter: &mut Meter, plan: &Arc<Plan>) -> Result<u64> {
    let plan = Arc::clone(plan);
    let expected = plan.client_ids.len() as u64;
    let agents = plan.spec.agents as usize;
    let fill = each_index(plan.client_ids.len(), move |i, rows| {
        rows.uuid(&plan.ids.next())
            .uuid(&plan.client_ids[i])
            .text("EMAIL")
            .text(&plan.email(agents + i))
            .ts(plan.users[agents + i].created)
            .end();
    });
    copy_in(
        conn,
        meter,
        "client_external_ids",
        "id, client_id, kind, value, created_at",
        expected,
        fill,
    )
    .await
}

async fn copy_wallets(conn: &mut PgConnection, meter: &mut Meter, plan: &Arc<Plan>) -> Result<u64> {
    let plan = Arc::clone(plan);
    let expected = plan.wallets.len() as u64;
    let fill = each_index(plan.wallets.len(), move |i, rows| {
        let w = &plan.wallets[i];
        rows.uuid(&w.id)
            .uuid(&plan.users[w.user as usize].id)
            .text("TRC")
            .int(w.balance)
            .ts(w.created)
            .ts(w.updated)
            .end();
    });
    copy_in(
        conn,
        meter,
        "wallets",
        "id, user_id, currency, balance, created_at, updated_at",
        expected,
        fill,
    )
    .await
}

async fn copy_wallet_ledger(conn: &mut PgConnection, meter: &mut Meter, plan: &Arc<Plan>, seed: u64) -> Result<u64> {
    let plan = Arc::clone(plan);
    let expected = plan.spec.ledger_entries;
    let mut rng = Fast::seed_from_u64(seed);
    let end = plan.now - MINUTE;
    let mut times = Vec::new();
    let mut next = 0usize;
    let fill = move |rows: &mut Rows| {
        let Some(w) = plan.wallets.get(next) else {
            return false;
        };
        next += 1;
        let owner = &plan.users[w.user as usize].id;
        ledger_chain(w.seed, w.entries, w.created, end, &mut times, |e| {
            let reference_id = match e.reference {
                "BONUS" | "ADJUSTMENT" => None,
                _ => Some(random_uuid(&mut rng)),
            };
            let key = match (e.reference, reference_id) {
                ("PURCHASE" | "JOB" | "LEAD", Some(id)) => {
                    Some(format!("{}-{}", e.reference.to_lowercase(), id.simple()))
                }
                _ => None,
            };
            let remarks = match (e.reference, e.credit) {
                ("BONUS", _) => *pick(&mut rng, &["Welcome bonus", "Referral bonus", "Loyalty bonus"]),
                ("PURCHASE", _) => "TRC top-up",
                ("REFUND", _) => *pick(&mut rng, &["Refund: lead not delivered", "Refund: job post removed"]),
                ("JOB", _) => *pick(&mut rng, &["Job post", "Job post boost", "Featured job"]),
                ("LEAD", _) => "Lead unlocked",
                (_, true) => "Manual adjustment (goodwill)",
                (_, false) => "Manual adjustment (correction)",
            };
            let by_owner = !e.credit || e.reference == "PURCHASE";
            rows.uuid(&plan.ids.next())
                .uuid(&w.id)
                .text(if e.credit { "CREDIT" } else { "DEBIT" })
                .int(e.amount)
                .int(e.balance_after)
                .text(e.reference)
                .opt_uuid(reference_id.as_ref())
                .opt_text(key.as_deref())
                .text(remarks)
                .opt_uuid(by_owner.then_some(owner))
                .ts(e.at)
                .end();
        });
        true
    };
    copy_in(
        conn,
        meter,
        "wallet_ledger",
        "id, wallet_id, entry_type, amount, balance_after, reference_type, reference_id, idempotency_key, remarks, \
         created_by_user_id, created_at",
        expected,
        fill,
    )
    .await
}

fn usd_price(code: &str) -> f64 {
    match code {
        "BTC" => 62_000.0,
        "ETH" => 3_100.0,
        "INR" => 0.012,
        "EUR" => 1.08,
        "GBP" => 1.27,
        "TRC" => 0.05,
        "SOL" => 150.0,
        _ => 1.0,
    }
}

fn address(rng: &mut Fast, currency: &Currency) -> Option<String> {
    if currency.fiat {
        return None;
    }
    let (prefix, alphabet, len): (&str, &[u8], usize) = match currency.code.as_str() {
        "BTC" => ("bc1q", b"023456789acdefghjklmnpqrstuvwxyz", 38),
        "TRC" => ("T", b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", 33),
        _ => ("0x", b"0123456789abcdef", 40),
    };
    let mut s = String::with_capacity(prefix.len() + len);
    s.push_str(prefix);
    s.extend((0..len).map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char));
    Some(s)
}

fn tx_hash(rng: &mut Fast, currency: &Currency) -> String {
    if currency.fiat {
        return format!("BANK-{:012}", rng.gen_range(0..1_000_000_000_000u64));
    }
    let prefix = if currency.code == "BTC" { "" } else { "0x" };
    format!(
        "{prefix}{:016x}{:016x}{:016x}{:016x}",
        rng.gen::<u64>(),
        rng.gen::<u64>(),
        rng.gen::<u64>(),
        rng.gen::<u64>()
    )
}

fn to_decimal(v: f64, dp: u32) -> Decimal {
    Decimal::from_f64(v).unwrap_or(Decimal::ZERO).round_dp(dp)
}

async fn copy_exchange_orders(conn: &mut PgConnection, meter: &mut Meter, plan: &Arc<Plan>, seed: u64) -> Result<u64> {
    let plan = Arc::clone(plan);
    let mut rng = Fast::seed_from_u64(seed);
    let count = if plan.refs.currencies.len() >= 2 {
        plan.spec.exchange_orders as usize
    } else {
        meter.log("fewer than two active currencies: no exchange orders".to_string());
        0
    };
    let now = plan.now;
    let statuses = [
        ("COMPLETED", 55),
        ("EXPIRED", 14),
        ("REFUNDED", 6),
        ("FAILED", 5),
        ("HOLD", 3),
        ("PENDING", 6),
        ("CONFIRMING", 4),
        ("EXCHANGING", 3),
        ("SENDING", 4),
    ];
    let fill = each_index(count, move |_, rows| {
        let currencies = &plan.refs.currencies;
        let from = &currencies[rng.gen_range(0..currencies.len())];
        let mut to = &currencies[rng.gen_range(0..currencies.len())];
        for _ in 0..16 {
            if to.code != from.code && !(to.fiat && from.fiat) {
                break;
            }
            to = &currencies[rng.gen_range(0..currencies.len())];
        }
        if to.code == from.code {
            to = currencies.iter().find(|c| c.code != from.code).unwrap_or(to);
        }
        let user = rng
            .gen_bool(0.85)
            .then(|| &plan.users[rng.gen_range(0..plan.users.len())]);
        let status = pick_weighted(&mut rng, &statuses);
        let fixed = rng.gen_bool(0.3);
        let ttl = if fixed { 20 * MINUTE } else { 30 * MINUTE };
        let in_flight = matches!(status, "PENDING" | "CONFIRMING" | "EXCHANGING" | "SENDING");
        let created = if in_flight {
            now - rng.gen_range(MINUTE..25 * MINUTE)
        } else {
            let lo = user.map_or(now - WINDOW, |u| u.created + HOUR);
            rng.gen_range(lo..(now - 2 * HOUR).max(lo + 1))
        };
        let expires = created + ttl;
        let updated = match status {
            "EXPIRED" => expires,
            "COMPLETED" => created + rng.gen_range(10 * MINUTE..90 * MINUTE),
            "REFUNDED" => created + rng.gen_range(HOUR..2 * DAY),
            "FAILED" => created + rng.gen_range(5 * MINUTE..HOUR),
            "HOLD" => created + rng.gen_range(20 * MINUTE..3 * HOUR),
            _ => created + rng.gen_range(0..(now - created).max(1)),
        }
        .min(now - SECOND)
        .max(created);

        let usd = rng.gen_range(20f64.ln()..20_000f64.ln()).exp();
        let mut from_amount = to_decimal(usd / usd_price(&from.code), from.decimals);
        if from_amount <= Decimal::ZERO {
            from_amount = Decimal::new(1, from.decimals);
        }
        let rate_f = usd_price(&from.code) / usd_price(&to.code) * rng.gen_range(0.985..1.015);
        let mut rate = to_decimal(rate_f, 18);
        if rate <= Decimal::ZERO {
            rate = Decimal::new(1, 18);
        }
        let from_f: f64 = rust_decimal::prelude::ToPrimitive::to_f64(&from_amount).unwrap_or(0.0);
        let gross = from_f * rate_f;
        let fee_pct = if fixed { 0.0025 } else { 0.001 };
        let fee = to_decimal(gross * fee_pct, to.decimals).max(Decimal::ZERO);
        let to_amount = to_decimal(gross * (1.0 - fee_pct), to.decimals).max(Decimal::ZERO);

        let deposited = !matches!(status, "PENDING" | "EXPIRED") && (status != "FAILED" || rng.gen_bool(0.5));
        let sent = matches!(status, "COMPLETED" | "REFUNDED");
        let deposit_address = address(&mut rng, from);
        let receiving_address = address(&mut rng, to);
        let refund_address = if rng.gen_bool(0.5) {
            address(&mut rng, from)
        } else {
            None
        };
        let deposit_tx = deposited.then(|| tx_hash(&mut rng, from));
        let tx = sent.then(|| tx_hash(&mut rng, if status == "REFUNDED" { from } else { to }));
        rows.uuid(&plan.ids.next())
            .opt_uuid(user.map(|u| &u.id))
            .text(&from.code)
            .text(&to.code)
            .decimal(&from_amount)
            .decimal(&to_amount)
            .decimal(&rate)
            .decimal(&fee)
            .text(if fixed { "FIXED" } else { "FLOAT" })
            .text(status)
            .opt_text(deposit_address.as_deref())
            .opt_text(receiving_address.as_deref())
            .opt_text(refund_address.as_deref())
            .opt_text(deposit_tx.as_deref())
            .opt_text(tx.as_deref())
            .ts(expires)
            .ts(created)
            .ts(updated)
            .end();
    });
    copy_in(
        conn,
        meter,
        "exchange_orders",
        "id, user_id, from_currency, to_currency, from_amount, to_amount, rate, fee_amount, rate_type, status, \
         deposit_address, receiving_address, refund_address, deposit_tx_hash, transaction_hash, expires_at, \
         created_at, updated_at",
        count as u64,
        fill,
    )
    .await
}

/// The tag catalogue is shared by every run: insert what is missing, return
/// the ids in `TAGS` order and how many were inserted.
async fn insert_tags(conn: &mut PgConnection, meter: &mut Meter) -> Result<(Vec<Uuid>, u64)> {
    let started = Instant::now();
    meter.begin("tags", TAGS.len() as u64);
    let names: Vec<String> = TAGS.iter().map(|s| s.to_string()).collect();
    let inserted = sqlx::query("INSERT INTO tags (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING")
        .bind(&names)
        .execute(&mut *conn)
        .await
        .context("inserting tags")?
        .rows_affected();
    let found: Vec<(String, Uuid)> = sqlx::query_as("SELECT name, id FROM tags WHERE name = ANY($1)")
        .bind(&names)
        .fetch_all(&mut *conn)
        .await
        .context("reading tags")?;
    let mut ids = Vec::with_capacity(TAGS.len());
    for name in TAGS {
        let id = found
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| *id)
            .with_context(|| format!("tag {name} is missing after insert"))?;
        ids.push(id);
    }
    meter.advance(TAGS.len() as u64);
    meter.end("tags", inserted, started.elapsed());
    Ok((ids, inserted))
}

async fn copy_tickets(conn: &mut PgConnection, meter: &mut Meter, plan: &Arc<Plan>, seed: u64) -> Result<u64> {
    let plan = Arc::clone(plan);
    let expected = plan.tickets.len() as u64;
    let mut rng = Fast::seed_from_u64(seed);
    let fill = each_index(plan.tickets.len(), move |i, rows| {
        let t = &plan.tickets[i];
        let customer = plan.customer(t.customer);
        let (subject, description) = ticket_text(&mut rng, t, FIRST_NAMES[customer.first as usize]);
        rows.uuid(&t.id)
            .text(&subject)
            .text(&description)
            .uuid(&plan.client_ids[t.customer as usize])
            .opt_uuid(t.web.then_some(&customer.id))
            .opt_uuid(t.department.map(|d| &plan.refs.departments[d as usize].id))
            .text(t.category)
            .text(t.priority)
            .text(t.status.as_str())
            .opt_ts(t.first_response)
            .opt_ts(t.resolved)
            .opt_ts(t.closed)
            .ts(t.created)
            .ts(t.updated)
            .end();
    });
    copy_in(
        conn,
        meter,
        "support_tickets",
        "id, subject, description, client_id, created_by_user_id, department_id, category, priority, status, \
         first_response_at, resolved_at, closed_at, created_at, updated_at",
        expected,
        fill,
    )
    .await
}

async fn copy_ticket_tags(
    conn: &mut PgConnection,
    meter: &mut Meter,
    plan: &Arc<Plan>,
    tag_ids: Vec<Uuid>,
) -> Result<u64> {
    let plan = Arc::clone(plan);
    let expected: u64 = plan.tickets.iter().map(|t| u64::from(t.tags.count_ones())).sum();
    let mut next = 0usize;
    let fill = move |rows: &mut Rows| {
        let Some(t) = plan.tickets.get(next) else {
            return false;
        };
        next += 1;
        for (bit, tag) in tag_ids.iter().enumerate() {
            if t.tags & (1 << bit) != 0 {
                rows.uuid(&t.id).uuid(tag).ts(t.assigned_at.max(t.created)).end();
            }
        }
        true
    };
    copy_in(
        conn,
        meter,
        "ticket_tags",
        "ticket_id, tag_id, created_at",
        expected,
        fill,
    )
    .await
}

async fn copy_ticket_assignments(conn: &mut PgConnection, meter: &mut Meter, plan: &Arc<Plan>) -> Result<u64> {
    let plan = Arc::clone(plan);
    let expected = plan.tickets.iter().filter(|t| t.assigned).count() as u64;
    let mut next = 0usize;
    let fill = move |rows: &mut Rows| {
        let Some(t) = plan.tickets.get(next) else {
            return false;
        };
        next += 1;
        if t.assigned {
            rows.uuid(&t.id)
                .uuid(&plan.users[t.agent as usize].id)
                .opt_uuid(t.assigned_by.map(|a| &plan.users[a as usize].id))
                .ts(t.assigned_at)
                .ts(t.assigned_at)
                .end();
        }
        true
    };
    copy_in(
        conn,
        meter,
        "ticket_assignments",
        "ticket_id, user_id, assigned_by_user_id, assigned_at, created_at",
        expected,
        fill,
    )
    .await
}

async fn copy_messages(conn: &mut PgConnection, meter: &mut Meter, plan: &Arc<Plan>, seed: u64) -> Result<u64> {
    let plan = Arc::clone(plan);
    let expected = plan.spec.messages;
    let mut rng = Fast::seed_from_u64(seed);
    let mut conv = Conversation::default();
    let mut next = 0usize;
    let fill = move |rows: &mut Rows| {
        let Some(t) = plan.tickets.get(next) else {
            return false;
        };
        next += 1;
        t.converse(t.factor, &mut conv);
        let customer = plan.customer(t.customer);
        let client = &plan.client_ids[t.customer as usize];
        let customer_name = FIRST_NAMES[customer.first as usize];
        let last_agent = conv.msgs.iter().rposition(|m| m.kind == Kind::Agent);
        for (i, m) in conv.msgs.iter().enumerate() {
            let who = if m.colleague { t.colleague } else { t.agent };
            let agent = &plan.users[who as usize];
            let (user, client_id, internal, system) = match m.kind {
                Kind::Customer if t.web => (Some(&customer.id), None, false, false),
                Kind::Customer => (None, Some(client), false, false),
                Kind::Agent => (Some(&agent.id), None, false, false),
                Kind::Internal => (Some(&agent.id), None, true, false),
                Kind::System => (None, None, false, true),
            };
            let body = match m.kind {
                Kind::Customer => customer_body(&mut rng, i == 0, customer_name, !t.web),
                Kind::Agent => {
                    let stage = if i == 1 {
                        ReplyStage::First
                    } else if Some(i) == last_agent && matches!(t.status, Status::Resolved | Status::Closed) {
                        ReplyStage::Resolution
                    } else if Some(i) == last_agent && t.status == Status::Unresolved {
                        ReplyStage::Unresolved
                    } else {
                        ReplyStage::FollowUp
                    };
                    agent_body(&mut rng, stage, customer_name, FIRST_NAMES[agent.first as usize])
                }
                Kind::Internal => internal_body(&mut rng),
                Kind::System => {
                    let closing = t.status == Status::Closed && i + 1 == conv.msgs.len();
                    let dept = t.department.map(|d| plan.refs.departments[d as usize].name.as_str());
                    system_body(&mut rng, closing, t.priority, dept)
                }
            };
            rows.uuid(&plan.ids.next())
                .uuid(&t.id)
                .opt_uuid(user)
                .opt_uuid(client_id)
                .text(&body)
                .bool(internal)
                .bool(system)
                .ts(t.created + m.at)
                .end();
        }
        true
    };
    copy_in(
        conn,
        meter,
        "support_ticket_messages",
        "id, ticket_id, sender_user_id, sender_client_id, body, is_internal, is_system, created_at",
        expected,
        fill,
    )
    .await
}

// ---------------------------------------------------------------------------
// Progress

/// A progress bar on a terminal; otherwise a line per table (and one every
/// 10 s within a long table) on stderr, or through `tracing` without
/// `progress`.
struct Meter {
    bar: Option<ProgressBar>,
    stderr: bool,
    table: &'static str,
    table_rows: u64,
    table_expected: u64,
    table_started: Instant,
    last_line: Instant,
}

impl Meter {
    fn new(progress: bool, total: u64) -> Meter {
        let bar = (progress && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {human_pos}/{human_len} rows ({rate}, eta {eta}) {msg}",
            )
            .map(|style| {
                style.with_key("rate", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0} rows/s", state.per_sec());
                })
            })
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Meter {
            bar,
            stderr: progress,
            table: "",
            table_rows: 0,
            table_expected: 0,
            table_started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    fn log(&self, line: String) {
        if let Some(bar) = &self.bar {
            bar.println(line);
        } else if self.stderr {
            eprintln!("seed --scale: {line}");
        } else {
            tracing::info!("seed --scale: {line}");
        }
    }

    fn set_message(&self, msg: &'static str) {
        if let Some(bar) = &self.bar {
            bar.set_message(msg);
        }
    }

    fn set_message_owned(&self, msg: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(msg);
        }
    }

    fn begin(&mut self, table: &'static str, expected: u64) {
        self.table = table;
        self.table_rows = 0;
        self.table_expected = expected;
        self.table_started = Instant::now();
        self.last_line = Instant::now();
        self.set_message(table);
    }

    fn advance(&mut self, rows: u64) {
        self.table_rows += rows;
        if let Some(bar) = &self.bar {
            bar.inc(rows);
        } else if self.last_line.elapsed() >= Duration::from_secs(10) {
            self.last_line = Instant::now();
            self.log(format!(
                "{}: {}/{} rows ({:.0} rows/s)",
                self.table,
                self.table_rows,
                self.table_expected,
                self.table_rows as f64 / self.table_started.elapsed().as_secs_f64().max(1e-9)
            ));
        }
    }

    fn end(&mut self, table: &'static str, rows: u64, took: Duration) {
        self.log(format!(
            "{table}: {rows} rows in {:.2}s ({:.0} rows/s)",
            took.as_secs_f64(),
            rows as f64 / took.as_secs_f64().max(1e-9)
        ));
    }

    fn finish(&self, line: String) {
        self.log(line);
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

// ---------------------------------------------------------------------------
// Words

fn pick<'a, T>(rng: &mut Fast, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

fn pick_weighted<T: Copy>(rng: &mut Fast, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut r = rng.gen_range(0..total.max(1));
    for &(item, weight) in items {
        if r < weight {
            return item;
        }
        r -= weight;
    }
    items[items.len() - 1].0
}

fn ascii_slug(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'á' | 'à' | 'ä' | 'â' => Some('a'),
            'é' | 'è' | 'ë' | 'ê' => Some('e'),
            'í' | 'ï' => Some('i'),
            'ó' | 'ö' | 'ô' => Some('o'),
            'ú' | 'ü' => Some('u'),
            'ñ' => Some('n'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

const FIRST_NAMES: &[&str] = &[
    "Aarav", "Priya", "Liam", "Olivia", "Noah", "Emma", "Mateo", "Sofía", "Chen", "Mei", "Yusuf", "Amara", "Lukas",
    "Zoë", "Ravi", "Ananya", "Jonas", "Freya", "Kenji", "Aiko", "Diego", "Lucía", "Omar", "Leila", "Tomás", "Inés",
    "Ethan", "Chloé", "Arjun", "Nadia", "Samuel", "Grace", "Mohammed", "Fatima", "Oliver", "Isla", "Hugo", "Clara",
    "Felix", "Maya",
];

const LAST_NAMES: &[&str] = &[
    "Sharma",
    "Patel",
    "Smith",
    "Johnson",
    "García",
    "Müller",
    "Nguyen",
    "Kim",
    "O'Brien",
    "Rossi",
    "Kowalski",
    "Silva",
    "Tanaka",
    "Hughes",
    "Okafor",
    "Haddad",
    "Novak",
    "Larsen",
    "Fernández",
    "Dubois",
    "Singh",
    "Iyer",
    "Cohen",
    "Walker",
    "Costa",
    "Jansen",
    "Moreau",
    "Mensah",
    "Park",
    "Ali",
];

const COMPANY_SUFFIXES: &[&str] = &["Studio", "Labs", "Traders", "& Co.", "Media", "Consulting"];

const PRODUCTS: &[&str] = &[
    "Pro plan",
    "lead credits",
    "job post bundle",
    "TRC credits",
    "annual plan",
    "featured listing",
];
const FEATURES: &[&str] = &[
    "dashboard",
    "exchange",
    "wallet",
    "ticket inbox",
    "search",
    "reports",
    "profile editor",
    "checkout",
    "job board",
];
const DEVICES: &[&str] = &[
    "Android",
    "iPhone",
    "iPad",
    "Windows",
    "macOS Safari",
    "Chrome on Linux",
];
const ERROR_CODES: &[&str] = &["E1021", "502 Bad Gateway", "403", "ERR_TIMEOUT", "E-PAY-17", "500"];

fn ticket_text(rng: &mut Fast, t: &Ticket, customer: &str) -> (String, String) {
    let product = *pick(rng, PRODUCTS);
    let feature = *pick(rng, FEATURES);
    let device = *pick(rng, DEVICES);
    let code = *pick(rng, ERROR_CODES);
    let reference = rng.gen_range(10_000..99_999);
    let subject = match (t.category, rng.gen_range(0..6)) {
        ("BILLING", 0) => format!("Charged twice for {product}"),
        ("BILLING", 1) => format!("Refund request for invoice INV-{reference}"),
        ("BILLING", 2) => format!("Invoice INV-{reference} shows the wrong amount"),
        ("BILLING", 3) => format!("Payment failed when buying {product}"),
        ("BILLING", 4) => format!("Question about my {product}"),
        ("BILLING", _) => "Wallet top-up not credited".to_string(),
        ("TECHNICAL", 0) => format!("The {feature} page does not load"),
        ("TECHNICAL", 1) => format!("Error {code} in the {feature}"),
        ("TECHNICAL", 2) => format!("Cannot upload files to the {feature}"),
        ("TECHNICAL", 3) => format!("App crashes on {device}"),
        ("TECHNICAL", 4) => format!("The {feature} is very slow today"),
        ("TECHNICAL", _) => format!("Notifications not arriving on {device}"),
        ("ACCOUNT", 0) => "Cannot sign in to my account".to_string(),
        ("ACCOUNT", 1) => "Two-factor codes are not accepted".to_string(),
        ("ACCOUNT", 2) => "Please change the email on my account".to_string(),
        ("ACCOUNT", 3) => "Account locked after a password reset".to_string(),
        ("ACCOUNT", 4) => "How do I close my account?".to_string(),
        ("ACCOUNT", _) => "Verification documents rejected".to_string(),
        (_, 0) => format!("Question about the {feature}"),
        (_, 1) => format!("How do I use the {feature}?"),
        (_, 2) => format!("Feedback on the {feature}"),
        (_, 3) => format!("Where can I find my {product}?"),
        (_, 4) => "Request for a call back".to_string(),
        (_, _) => "Partnership enquiry".to_string(),
    };
    let opening = *pick(
        rng,
        &[
            "Hi,",
            "Hello support team,",
            "Good morning,",
            "Hi there,",
            "Dear Switchboard team,",
        ],
    );
    let detail = match t.category {
        "BILLING" => format!(
            "I was charged for the {product} on my card but it does not show in my account. The reference is INV-{reference}."
        ),
        "TECHNICAL" => format!(
            "Since yesterday the {feature} shows \"{code}\" when I open it on {device}. I cleared the cache and tried again."
        ),
        "ACCOUNT" => "I cannot get into my account although I reset my password twice.".to_string(),
        _ => format!("I would like to know more about the {feature} and whether it is included in the {product}."),
    };
    let extra = match rng.gen_range(0..5) {
        0 => format!(
            "\n\nSteps:\n1.\tOpen the {feature}\n2.\tClick \"Export\"\n3.\tThe file C:\\Users\\{}\\Downloads\\export.csv is empty",
            ascii_slug(customer)
        ),
        1 => "\n\nThis is urgent for us, we have a deadline on Friday.".to_string(),
        2 => format!("\n\nMy order number is {reference}."),
        _ => String::new(),
    };
    let sign_off = if t.web { "" } else { "\n\nSent from my phone" };
    let description = format!("{opening}\n\n{detail}{extra}\n\nThanks,\n{customer}{sign_off}");
    (subject, description)
}

fn customer_body(rng: &mut Fast, first: bool, name: &str, email: bool) -> String {
    let body = if first {
        (*pick(
            rng,
            &[
                "Hello, I opened this ticket because something is not working as expected. Details are in the description.",
                "Hi, please see the description. I can share screenshots if needed.",
                "Hello,\r\nsame problem as described above, it is blocking my work.",
                "Hi! Could someone look at this today? Thank you.",
            ],
        ))
        .to_string()
    } else {
        let a = *pick(
            rng,
            &[
                "Any update on this?",
                "I tried again and it still does not work.",
                "Thanks, that fixed it!",
                "I attached a screenshot of the error.",
                "It happened again this morning.",
                "I cleared my cache as you suggested, no change.",
                "Here is the transaction id you asked for: 0x9f2c...e41a",
                "Sorry for the late reply, I was travelling.",
                "Can you call me instead? Email is slow for me.",
            ],
        );
        let b = *pick(rng, &["", "", " Thanks.", " Regards.", " It's quite urgent."]);
        format!("{a}{b}")
    };
    if email && rng.gen_bool(0.3) {
        format!("{body}\n\n-- \n{name}\n> On the previous message, support wrote:\n> ...")
    } else {
        body
    }
}

enum ReplyStage {
    First,
    FollowUp,
    Resolution,
    Unresolved,
}

fn agent_body(rng: &mut Fast, stage: ReplyStage, customer: &str, agent: &str) -> String {
    let line = match stage {
        ReplyStage::First => *pick(
            rng,
            &[
                "Thanks for reaching out. I'm looking into this now and will get back to you shortly.",
                "Thank you for the details. Could you tell me which browser and device you are using?",
                "Sorry for the trouble. I have passed this to our team and will keep you posted.",
                "Thanks for your message. Can you send a screenshot of what you see?",
            ],
        ),
        ReplyStage::FollowUp => *pick(
            rng,
            &[
                "Could you try again now? We deployed a fix an hour ago.",
                "I checked your account and everything looks right on our side.",
                "Our engineers are still working on it; I'll update you as soon as I know more.",
                "Can you confirm the last four digits of the card you used?",
                "I've escalated this to our second-line team.",
            ],
        ),
        ReplyStage::Resolution => *pick(
            rng,
            &[
                "The issue is fixed and the amount has been refunded to your wallet.",
                "We have corrected the settings on your account; it should work now.",
                "The fix is live. I'm marking this ticket as resolved, reply here if anything else comes up.",
                "Your documents were re-checked and approved.",
            ],
        ),
        ReplyStage::Unresolved => *pick(
            rng,
            &[
                "Unfortunately we could not reproduce the problem, so I'm closing this for now.",
                "I'm sorry, this is not something we can change at the moment.",
            ],
        ),
    };
    format!("Hi {customer},\n\n{line}\n\nBest regards,\n{agent}")
}

fn internal_body(rng: &mut Fast) -> String {
    let note = *pick(
        rng,
        &[
            "Checked the logs: the payment went through at the gateway but the webhook failed.",
            "Escalating to tier 2.",
            "Customer is on the Pro plan; handle with priority.",
            "Looks like a duplicate of an older ticket.",
            "Refund approved by finance.",
            "Could not reproduce on staging. Asked the customer for more details.",
            "Known issue, see the incident channel.",
        ],
    );
    format!("[internal] {note}")
}

fn system_body(rng: &mut Fast, closing: bool, priority: &str, department: Option<&str>) -> String {
    if closing {
        return (*pick(
            rng,
            &[
                "Ticket closed automatically after 7 days without a reply.",
                "Ticket closed after the customer confirmed the resolution.",
            ],
        ))
        .to_string();
    }
    match (rng.gen_range(0..3), department) {
        (0, Some(d)) => format!("Ticket moved to {d}."),
        (1, _) => format!("Priority changed to {priority}."),
        _ => "Reminder sent to the customer.".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_is_escaped() {
        let mut rows = Rows::new();
        rows.text("a\\b\tc\nd\re")
            .null()
            .bool(true)
            .int(-5)
            .int(0)
            .int(i64::MIN)
            .end();
        assert_eq!(rows.buf, b"a\\\\b\\tc\\nd\\re\t\\N\tt\t-5\t0\t-9223372036854775808\n");
        assert_eq!(rows.rows, 1);
    }

    #[test]
    fn ids_are_rising_v7_uuids_and_encode_like_uuid() {
        let mut rng = Fast::seed_from_u64(7);
        let ids = Ids::new(1_700_000_000_123_456, &mut rng);
        let mut prev = ids.next();
        assert_eq!(prev.get_version_num(), 7);
        assert_eq!(prev.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(prev.get_timestamp().map(|t| t.to_unix().0), Some(1_700_000_000));
        for _ in 0..1000 {
            let id = ids.next();
            assert!(id > prev);
            prev = id;
        }
        let mut rows = Rows::new();
        rows.uuid(&prev).uuid(&random_uuid(&mut rng));
        let text = String::from_utf8(rows.buf).unwrap_or_default();
        let parts: Vec<&str> = text.split('\t').collect();
        assert_eq!(parts[0], prev.hyphenated().to_string());
        assert_eq!(parts[1].parse::<Uuid>().map(|u| u.get_version_num()).ok(), Some(4));
    }

    #[test]
    fn timestamps_are_utc_with_micros() {
        let mut rows = Rows::new();
        rows.ts(1_700_000_000_123_456).ts(946_684_800_000_001).end();
        assert_eq!(
            rows.buf,
            b"2023-11-14 22:13:20.123456+00\t2000-01-01 00:00:00.000001+00\n"
        );
    }

    #[test]
    fn ledger_chains_never_go_negative_and_add_up() {
        let mut times = Vec::new();
        for seed in 0..200 {
            let (mut prev, mut last_at, mut n) = (0i64, 0i64, 0);
            ledger_chain(seed, 1 + (seed as u32 % 40), 0, 90 * DAY, &mut times, |e| {
                assert!(e.amount > 0);
                let expected = if e.credit { prev + e.amount } else { prev - e.amount };
                assert_eq!(e.balance_after, expected);
                assert!(e.balance_after >= 0);
                assert!(e.at > last_at);
                prev = e.balance_after;
                last_at = e.at;
                n += 1;
            });
            assert_eq!(n, 1 + (seed as u32 % 40));
        }
    }

    #[test]
    fn units_scale_linearly() {
        assert_eq!(ScaleSpec::units(1.0), ScaleSpec::UNIT);
        let three = ScaleSpec::units(3.0);
        assert_eq!(three.tickets, 30_000);
        assert_eq!(three.messages, 300_000);
        assert_eq!(three.users(), 30_000);
        assert!(ScaleSpec::units(0.05).validate().is_ok());
        assert!(ScaleSpec::units(0.0).validate().is_err());
    }
}
