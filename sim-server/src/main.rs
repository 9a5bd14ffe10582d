//! `nccall-sim`: runs the simulator standalone.
//!
//! ```text
//! nccall-sim --listen 127.0.0.1:7700 --fixtures fixtures/conformance.yaml
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use nccall_sim::{Fixtures, SimConfig, Simulator};

#[derive(Debug, Parser)]
#[command(
    name = "nccall-sim",
    version,
    about = "Simulator of the NCCallEngine calling cloud"
)]
struct Args {
    /// Address to listen on; port 0 picks a free port (printed at start).
    #[arg(long, default_value = "127.0.0.1:7700")]
    listen: SocketAddr,
    /// YAML file with the apps and users the simulator knows.
    #[arg(long, default_value = "fixtures/conformance.yaml")]
    fixtures: PathBuf,
    /// Keep call logs in this directory (SQLite), across restarts. Without
    /// it they are kept in memory.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let fixtures = match Fixtures::from_file(&args.fixtures) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("nccall-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let mut config = SimConfig::new(fixtures).with_listen(args.listen);
    if let Some(dir) = args.data_dir {
        println!("nccall-sim: call logs in {}", dir.display());
        config = config.with_data_dir(dir);
    }
    let sim = match Simulator::start(config).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("nccall-sim: {e}");
            return ExitCode::from(1);
        }
    };
    println!("nccall-sim: listening on {}", sim.url());
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("nccall-sim: cannot wait for Ctrl-C: {e}");
    }
    println!("nccall-sim: stopped");
    ExitCode::SUCCESS
}
