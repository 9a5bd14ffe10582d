//! `nccall-driver`: the reference engine behind the driver protocol
//! (`docs/driver-protocol.md`), on stdin and stdout. The conformance suite
//! starts it like any SDK team's driver; so can another harness.

use clap::Parser;

#[derive(Parser)]
#[command(about = "The nccall reference engine behind the driver protocol, on stdin/stdout")]
struct Args {
    /// Answer these commands `unimplemented` (comma-separated), as an SDK
    /// that lacks them would.
    #[arg(long, value_delimiter = ',', value_name = "command,...")]
    without: Vec<String>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let served = nccall_conformance::driver::serve::serve_stdio(args.without).await;
    // The suite closes stdin when a scenario is over. Exit at once: the
    // engines' media tasks (cameras, encoders) would otherwise keep the
    // runtime, and the machine, busy.
    match served {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("nccall-driver: {e}");
            std::process::exit(1);
        }
    }
}
