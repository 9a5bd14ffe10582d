//! `tracing` for the suite, the demo and `nccall-driver`: `RUST_LOG`
//! (e.g. `RUST_LOG=nccall=debug`) sets what is shown, on stderr (stdout
//! is a driver's protocol, and the suite's report). Unset, only errors
//! show: the media stack's warnings would drown the report.

/// Sets up the subscriber: `RUST_LOG` if set, else `default` (a filter,
/// such as `warn`).
pub fn init(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
