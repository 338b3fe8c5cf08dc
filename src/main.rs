//! The `switchboard` command: serve (default), migrate, export-schema.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use switchboard::app::AppContext;
use switchboard::config::Config;
use switchboard::http::Server;
use switchboard::infra::db::{self, MigrateCommand};
use switchboard::infra::embedded_pg::{EmbeddedOptions, EmbeddedPostgres};
use switchboard::infra::telemetry;
use switchboard::seed::demo;

/// mimalloc returns freed memory to the system (glibc's per-thread arenas
/// kept the 19 MiB argon2 buffers of every sign-in burst for good); see
/// bench/memory.rs for the figures.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The database name used inside the embedded cluster.
const EMBEDDED_DB: &str = "switchboard";

#[derive(Parser)]
#[command(name = "switchboard", version, about = "Switchboard GraphQL server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database (unless --no-migrate), then serve the API.
    Serve(ServeArgs),
    /// Apply, roll back, list or redo migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Load the demo dataset (idempotent) or a benchmark dataset.
    Seed(SeedArgs),
    /// Create a super administrator; prints its user id.
    CreateAdmin {
        #[arg(long)]
        email: String,
        /// Read from SWITCHBOARD_ADMIN_PASSWORD when omitted (keeps it out
        /// of the shell history).
        #[arg(long, env = "SWITCHBOARD_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
    },
    /// Write the GraphQL SDL (to schema.graphql by default).
    ExportSchema {
        /// Where to write; `-` for standard output.
        #[arg(long, default_value = "schema.graphql")]
        out: PathBuf,
    },
}

#[derive(Args, Default)]
struct ServeArgs {
    /// Check that no migration is pending instead of applying them.
    #[arg(long)]
    no_migrate: bool,
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct SeedArgs {
    /// A small realistic dataset across every domain, with demo sign-ins.
    #[arg(long)]
    demo: bool,
    /// Benchmark data: N = 1 is about 10k tickets, 100k messages, 10k
    /// wallets with 200k ledger rows and 10k exchange orders.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    scale: Option<u32>,
}

#[derive(Subcommand)]
enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the last migration, or --steps N, or --all.
    Down {
        #[arg(long, conflicts_with = "all")]
        steps: Option<u32>,
        #[arg(long)]
        all: bool,
    },
    /// List migrations and whether each is applied.
    Status,
    /// Drop every table and apply all migrations again (destroys data).
    Fresh,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("switchboard: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init_logging(config.log_format);
    let command = cli.command.unwrap_or(Command::Serve(ServeArgs::default()));
    let result = match command {
        Command::ExportSchema { out } => export_schema(&out),
        other => with_database(config, other),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The error chain, one cause a line; secrets are never in it.
            eprintln!("switchboard: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn export_schema(out: &PathBuf) -> anyhow::Result<()> {
    let sdl = switchboard::graphql::sdl();
    if out.as_os_str() == "-" {
        print!("{sdl}");
    } else {
        std::fs::write(out, &sdl).with_context(|| format!("writing {}", out.display()))?;
        eprintln!("wrote {} ({} bytes)", out.display(), sdl.len());
    }
    Ok(())
}

/// Starts the embedded cluster when no DATABASE_URL is set (on this, the
/// main thread, which outlives it), runs the command, stops the cluster.
fn with_database(config: Config, command: Command) -> anyhow::Result<()> {
    let mut embedded = None;
    let url = match &config.database_url {
        Some(url) => url.clone(),
        None => {
            eprintln!(
                "switchboard: no DATABASE_URL; starting the embedded PostgreSQL in {}",
                config.data_dir.join("postgres").display()
            );
            let pg = EmbeddedPostgres::start(&EmbeddedOptions {
                data_dir: config.data_dir.clone(),
                ephemeral: false,
                max_connections: 100,
            })?;
            let url = pg.url(EMBEDDED_DB);
            embedded = Some(pg);
            url
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("switchboard")
        .build()
        .context("starting the async runtime")?;
    let admin_url = embedded.as_ref().map(|pg| pg.url("postgres"));
    let result = runtime.block_on(async move {
        if let Some(admin) = &admin_url {
            db::ensure_database(admin, EMBEDDED_DB)
                .await
                .context("creating the embedded database")?;
        }
        run(config, command, &url).await
    });
    // Every pool is gone with the runtime; now the cluster can stop cleanly.
    drop(runtime);
    if let Some(mut pg) = embedded {
        pg.stop();
        eprintln!("switchboard: embedded PostgreSQL stopped");
    }
    result
}

async fn run(config: Config, command: Command, url: &str) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    match command {
        Command::Serve(args) => {
            let ctx = AppContext::connect(config, url, shutdown.clone()).await?;
            if args.no_migrate {
                let pending: Vec<_> = db::migration_status(&ctx.db.primary)
                    .await?
                    .into_iter()
                    .filter(|(_, applied)| !applied)
                    .map(|(name, _)| name)
                    .collect();
                anyhow::ensure!(
                    pending.is_empty(),
                    "--no-migrate: {} migration(s) pending ({}); run `switchboard migrate up`",
                    pending.len(),
                    pending.join(", ")
                );
            } else {
                db::migrate(url, &ctx.db.primary, MigrateCommand::Up)
                    .await
                    .context("applying migrations")?;
            }
            if ctx.config.embedded_database() && demo::database_is_empty(&ctx.db.primary).await? {
                let outcome = demo::load(&ctx.db.primary, &ctx.keys.passwords, &ctx.keys.cipher).await?;
                print_demo(&outcome);
            }
            let server = Server::bind(ctx.clone())
                .await
                .with_context(|| format!("listening on {}", ctx.config.addr))?;
            let addr = server.local_addr()?;
            tracing::info!(%addr, instance = %ctx.instance_id, "serving GraphQL at http://{addr}/graphql (GraphiQL at /graphiql)");
            tokio::spawn(wait_for_signal(
                shutdown.clone(),
                server.drain_switch(),
                ctx.config.shutdown_delay,
            ));
            server.run().await?;
            ctx.db.close().await;
            Ok(())
        }
        Command::Migrate { action } => {
            let ctx = AppContext::connect(config, url, shutdown).await?;
            let db = &ctx.db.primary;
            match action {
                MigrateAction::Up => db::migrate(url, db, MigrateCommand::Up).await?,
                MigrateAction::Down { steps, all } => {
                    let steps = if all { None } else { Some(steps.unwrap_or(1)) };
                    db::migrate(url, db, MigrateCommand::Down(steps)).await?
                }
                MigrateAction::Fresh => db::migrate(url, db, MigrateCommand::Fresh).await?,
                MigrateAction::Status => {}
            }
            for (name, applied) in db::migration_status(db).await? {
                println!("{} {name}", if applied { "applied" } else { "pending" });
            }
            ctx.db.close().await;
            Ok(())
        }
        Command::Seed(args) => {
            let ctx = AppContext::connect(config, url, shutdown).await?;
            db::migrate(url, &ctx.db.primary, MigrateCommand::Up)
                .await
                .context("applying migrations")?;
            if args.demo {
                let outcome = demo::load(&ctx.db.primary, &ctx.keys.passwords, &ctx.keys.cipher).await?;
                print_demo(&outcome);
            }
            if let Some(n) = args.scale {
                let report = switchboard::seed::scale::load(url, n, true).await?;
                println!(
                    "loaded {} rows in {:.1} s ({:.0} rows/s)",
                    report.rows,
                    report.elapsed.as_secs_f64(),
                    report.rows_per_second()
                );
            }
            ctx.db.close().await;
            Ok(())
        }
        Command::CreateAdmin { email, password, name } => {
            let ctx = AppContext::connect(config, url, shutdown).await?;
            db::migrate(url, &ctx.db.primary, MigrateCommand::Up)
                .await
                .context("applying migrations")?;
            let created = switchboard::service::identity::accounts::create_admin(&ctx, &email, &password, &name).await;
            ctx.db.close().await;
            match created {
                Ok(user) => {
                    println!("{}", user.id);
                    Ok(())
                }
                Err(e) => Err(anyhow::anyhow!("cannot create the administrator: {e}")),
            }
        }
        Command::ExportSchema { .. } => unreachable!("handled without a database"),
    }
}

fn print_demo(outcome: &demo::DemoOutcome) {
    let (verb, accounts) = match outcome {
        demo::DemoOutcome::Loaded(a) => ("loaded", a),
        demo::DemoOutcome::AlreadyLoaded(a) => ("already loaded", a),
    };
    println!(
        "demo data {verb}; sign in with any of these (password: {}):",
        demo::DEMO_PASSWORD
    );
    for a in accounts {
        println!("  {:<44} {:<22} {}", a.email, a.role, a.name);
    }
}

/// On SIGTERM: `/readyz` answers 503 at once, requests are still served for
/// `delay` (so a load balancer takes the instance out first), then `token`
/// is cancelled: the server stops accepting and drains. SIGINT (an operator
/// at a terminal), or a second signal during the delay, skips the delay.
async fn wait_for_signal(token: CancellationToken, drain: switchboard::http::DrainSwitch, delay: std::time::Duration) {
    let mut term = TermSignal::new();
    let delay = tokio::select! {
        _ = tokio::signal::ctrl_c() => {
            tracing::info!("SIGINT received");
            std::time::Duration::ZERO
        }
        _ = term.recv() => {
            tracing::info!("SIGTERM received");
            delay
        }
    };
    drain.begin();
    if !delay.is_zero() {
        tracing::info!(
            delay_secs = delay.as_secs(),
            "draining: /readyz answers 503; still serving until the delay ends"
        );
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received: stopping now"),
            _ = term.recv() => tracing::info!("SIGTERM received again: stopping now"),
        }
    }
    token.cancel();
}

/// SIGTERM as a stream (never fires where there is no SIGTERM).
struct TermSignal {
    #[cfg(unix)]
    inner: Option<tokio::signal::unix::Signal>,
}

impl TermSignal {
    fn new() -> Self {
        TermSignal {
            #[cfg(unix)]
            inner: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok(),
        }
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(s) = self.inner.as_mut() {
            s.recv().await;
            return;
        }
        std::future::pending::<()>().await
    }
}
