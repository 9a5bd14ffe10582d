//! `nccall-driver`: the reference engine behind the driver protocol
//! (`docs/driver-protocol.md`), on stdin and stdout. The conformance suite
//! starts it like any SDK team's driver; so can another harness.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match nccall_conformance::driver::serve::serve_stdio().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nccall-driver: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
