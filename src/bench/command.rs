//! The `weike bench ...` subcommands (a build with `--features bench`).

use clap::Subcommand;

use super::{BenchDb, bench_db};

/// Where a benchmark's scratch database is.
#[derive(Debug, clap::Args)]
pub struct DbArgs {
    /// sqlite (a scratch file) or postgres (a scratch database on the server of
    /// --postgres-url).
    #[arg(long, default_value = "sqlite")]
    pub db: String,
    /// With --db postgres: a PostgreSQL server where the benchmark may create and drop a
    /// scratch database (never WEIKE_DATABASE_URL: it may be the production server).
    #[arg(
        long,
        value_name = "URL",
        env = "WEIKE_BENCH_POSTGRES_URL",
        hide_env_values = true
    )]
    pub postgres_url: Option<String>,
}

impl DbArgs {
    fn database(&self) -> Result<BenchDb, super::BenchDbError> {
        bench_db(&self.db, self.postgres_url.as_deref())
    }
}

/// The channels `weike bench delivery` measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchChannel {
    Telegram,
    Wecom,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Plan and send lessons for N members against a local fake Bot API (or, with --channel
    /// wecom, a local fake WeCom server API).
    Delivery {
        #[arg(long, default_value_t = 100_000)]
        members: i64,
        /// The channel the lessons go through: telegram or wecom.
        #[arg(long, value_enum, default_value = "telegram")]
        channel: BenchChannel,
        #[command(flatten)]
        db: DbArgs,
        /// Seconds to drain with Telegram's limits on.
        #[arg(long, default_value_t = 60)]
        limited_seconds: u64,
        /// Deliveries in flight at once.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// The steps to take: all, or a comma-separated list out of plan (always taken),
        /// drain (limits off) and limited (Telegram's limits); `plan` measures planning only.
        #[arg(long, default_value = "all")]
        phases: String,
        /// Members sending /start at once, one run per number (each at most a quarter of
        /// --members; none: no such phase).
        #[arg(long, value_delimiter = ',', default_value = "50,500")]
        starts: Vec<usize>,
        /// Members spread over lesson times for the lateness phase (default: --members; 0:
        /// no such phase).
        #[arg(long)]
        lateness_members: Option<i64>,
        /// Seconds members send commands and press buttons while a backlog drains (default:
        /// --limited-seconds; 0: no such phase).
        #[arg(long)]
        reply_seconds: Option<u64>,
    },
    /// Time an admin's /stats over N members and C check-ins (a scratch database).
    Stats {
        #[arg(long, default_value_t = 100_000)]
        members: i64,
        #[arg(long, default_value_t = 3_000_000)]
        checkins: i64,
        #[command(flatten)]
        db: DbArgs,
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
        #[command(flatten)]
        db: DbArgs,
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
            channel,
            db,
            limited_seconds,
            concurrency,
            phases,
            starts,
            lateness_members,
            reply_seconds,
        } => {
            use crate::bench::delivery::{DeliveryBench, Phases};
            let database = db.database()?;
            let phases = Phases::parse(&phases)?;
            anyhow::ensure!(members > 0, "--members must be at least 1");
            let bench = DeliveryBench {
                members,
                database,
                limited_for: std::time::Duration::from_secs(limited_seconds),
                concurrency: concurrency.max(1),
                phases,
                replies: crate::bench::replies::RepliesBench::scaled(
                    members,
                    &starts,
                    lateness_members,
                    std::time::Duration::from_secs(reply_seconds.unwrap_or(limited_seconds)),
                    concurrency.max(1),
                ),
            };
            if channel == BenchChannel::Wecom {
                // Every phase: --phases chooses among the Telegram run's.
                anyhow::ensure!(
                    phases == Phases::ALL,
                    "--phases is for the Telegram run; --channel wecom runs every phase"
                );
                let figures =
                    crate::bench::wecom_delivery::run(&bench, |step| eprintln!("{step}")).await?;
                println!("{}", figures.table(&bench));
                return Ok(0);
            }
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
                database: db.database()?,
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
                database: db.database()?,
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
