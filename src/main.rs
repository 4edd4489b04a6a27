use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    let cli = weike::cli::Cli::parse();
    // The console demo shares the terminal with the conversation, the benchmarks with their
    // progress and figures: only warnings there.
    let default_level = match cli.command {
        weike::cli::Command::Chat => "warn",
        #[cfg(feature = "bench")]
        weike::cli::Command::Bench { .. } => "warn",
        _ => "info",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("WEIKE_LOG").unwrap_or_else(|_| EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .init();
    let code = match weike::cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    };
    std::process::exit(code);
}
