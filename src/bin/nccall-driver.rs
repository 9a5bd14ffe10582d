//! `nccall-driver`: the reference engine behind the driver protocol
//! (`docs/driver-protocol.md`), on stdin and stdout. The conformance suite
//! starts it like any SDK team's driver; so can another harness.

#[tokio::main]
async fn main() {
    let served = nccall_conformance::driver::serve::serve_stdio().await;
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
