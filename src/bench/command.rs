//! The `weike bench ...` subcommands (a build with `--features bench`).

use clap::Subcommand;

use super::delivery::BenchDb;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Plan and send lessons for N members against a local fake Bot API.
    Delivery {
        #[arg(long, default_value_t = 100_000)]
        members: i64,
        /// sqlite (a scratch file) or postgres (a scratch database on the server of
        /// WEIKE_DATABASE_URL, or of WEIKE_TEST_POSTGRES_URL).
        #[arg(long, default_value = "sqlite")]
        db: String,
        /// Seconds to drain with Telegram's limits on.
        #[arg(long, default_value_t = 60)]
        limited_seconds: u64,
        /// Deliveries in flight at once.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
    },
    /// Time an admin's /stats over N members and C check-ins (a scratch database).
    Stats {
        #[arg(long, default_value_t = 100_000)]
        members: i64,
        #[arg(long, default_value_t = 3_000_000)]
        checkins: i64,
        /// sqlite or postgres (as for `bench delivery`).
        #[arg(long, default_value = "sqlite")]
        db: String,
        /// Times each question is asked.
        #[arg(long, default_value_t = 5)]
        repeat: usize,
    },
    /// Time /nearby and the fan-out of a new activity over V venues, A activities and M
    /// members (a scratch database).
    Geo {
        #[arg(long, default_value_t = 100_000)]
        venues: i64,
        #[arg(long, default_value_t = 500_000)]
        activities: i64,
        #[arg(long, default_value_t = 1_000_000)]
        members: i64,
        /// One member in this many is away from home with a shared location.
        #[arg(long, default_value_t = 10)]
        migrant_every: i64,
        /// sqlite or postgres (as for `bench delivery`).
        #[arg(long, default_value = "sqlite")]
        db: String,
        /// /nearby searches and fan-outs timed.
        #[arg(long, default_value_t = 1_000)]
        queries: usize,
    },
    /// Time rendering learning posters (each script).
    Poster {
        #[arg(long, default_value_t = 50)]
        count: usize,
    },
}

/// Runs a benchmark and prints its figures. Returns the process exit code.
pub async fn run(command: BenchCommand) -> anyhow::Result<i32> {
    match command {
        BenchCommand::Delivery {
            members,
            db,
            limited_seconds,
            concurrency,
        } => {
            use crate::bench::delivery::DeliveryBench;
            let database = bench_db(&db)?;
            anyhow::ensure!(members > 0, "--members must be at least 1");
            let bench = DeliveryBench {
                members,
                database,
                limited_for: std::time::Duration::from_secs(limited_seconds),
                concurrency: concurrency.max(1),
            };
            let figures = crate::bench::delivery::run(&bench, |step| eprintln!("{step}")).await?;
            println!("{}", figures.table(&bench));
            Ok(0)
        }
        BenchCommand::Stats {
            members,
            checkins,
            db,
            repeat,
        } => {
            anyhow::ensure!(members > 0, "--members must be at least 1");
            anyhow::ensure!(checkins >= 0, "--checkins cannot be negative");
            let bench = crate::bench::stats::StatsBench {
                members,
                checkins,
                database: bench_db(&db)?,
                repeat,
            };
            let figures = crate::bench::stats::run(&bench, |step| eprintln!("{step}")).await?;
            println!("{}", figures.table(&bench));
            Ok(0)
        }
        BenchCommand::Geo {
            venues,
            activities,
            members,
            migrant_every,
            db,
            queries,
        } => {
            anyhow::ensure!(venues > 0, "--venues must be at least 1");
            anyhow::ensure!(activities >= 0, "--activities cannot be negative");
            anyhow::ensure!(members > 0, "--members must be at least 1");
            anyhow::ensure!(migrant_every > 0, "--migrant-every must be at least 1");
            anyhow::ensure!(queries > 0, "--queries must be at least 1");
            let bench = crate::bench::geo::GeoBench {
                venues,
                activities,
                members,
                migrant_every,
                database: bench_db(&db)?,
                queries,
            };
            let figures = crate::bench::geo::run(&bench, |step| eprintln!("{step}")).await?;
            println!("{}", figures.table(&bench));
            Ok(0)
        }
        BenchCommand::Poster { count } => {
            let report =
                tokio::task::spawn_blocking(move || crate::bench::poster::run(count)).await??;
            println!("{report}");
            Ok(0)
        }
    }
}

/// The database a benchmark runs on: `sqlite` (a scratch file) or `postgres` (a scratch
/// database on the server of WEIKE_DATABASE_URL, or else WEIKE_TEST_POSTGRES_URL).
fn bench_db(db: &str) -> anyhow::Result<BenchDb> {
    Ok(match db {
        "sqlite" => BenchDb::Sqlite,
        "postgres" => {
            let url = std::env::var("WEIKE_DATABASE_URL")
                .ok()
                .filter(|u| u.starts_with("postgres"))
                .or_else(|| std::env::var("WEIKE_TEST_POSTGRES_URL").ok())
                .ok_or_else(|| anyhow::anyhow!("--db postgres needs WEIKE_DATABASE_URL=postgres://... (a scratch database is created there)"))?;
            BenchDb::Postgres(url)
        }
        other => anyhow::bail!("--db {other:?}: use sqlite or postgres"),
    })
}
