//! `nccall-driver`: the reference engine behind the driver protocol
//! (`docs/driver-protocol.md`), on stdin and stdout, or on a WebSocket
//! with `--listen`. The conformance suite starts it like any SDK team's
//! driver; so can another harness.

use clap::Parser;

#[derive(Parser)]
#[command(about = "The nccall reference engine behind the driver protocol")]
struct Args {
    /// Answer these commands `unimplemented` (comma-separated), as an SDK
    /// that lacks them would.
    #[arg(long, value_delimiter = ',', value_name = "command,...")]
    without: Vec<String>,
    /// Serve WebSocket connections on this address (one per scenario)
    /// instead of stdin/stdout; prints `ws://<address>` once listening.
    #[arg(long, value_name = "host:port")]
    listen: Option<String>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    // On stderr: stdout is the protocol.
    nccall_conformance::logging::init("error");
    let served = match args.listen {
        Some(address) => listen(&address, args.without).await,
        None => nccall_conformance::driver::serve::serve_stdio(args.without).await,
    };
    // Stdin closed: the suite is done with this driver. Exit at once: the
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

async fn listen(address: &str, without: Vec<String>) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(address).await?;
    println!("ws://{}", listener.local_addr()?);
    nccall_conformance::driver::serve::serve_websocket(listener, without).await
}
