//! The suite's command line as its users meet it: its own name, about text
//! and help (cucumber's options beside the suite's own, `Reports`), its
//! exit codes, and the two libtest flags `cargo nextest run` drives a test
//! binary with (`--list` and `--exact`), so that nextest runs the suite as
//! one test named `conformance`.

use clap::{CommandFactory, FromArgMatches};

use crate::Cli;

/// Every scenario met the expectations.
pub const EXIT_PASSED: i32 = 0;
/// A scenario failed (or passed against a known failure), or a snapshot is stale.
pub const EXIT_FAILED: i32 = 1;
/// The command line, the expectations file or the driver is wrong: nothing
/// was judged.
pub const EXIT_USAGE: i32 = 2;

/// The one test nextest sees.
pub const TEST_NAME: &str = "conformance";

const ABOUT: &str = "The NCCallEngine conformance suite: Gherkin scenarios against the nccall \
simulator, one SDK instance per participant, each participant's event timeline compared with a \
YAML snapshot";

const AFTER_HELP: &str = "\
Without --driver the reference engine runs in this process: first its core on a socket-free net \
(the signaling scenarios), then over sockets (every scenario).

Exit codes:
  0  every scenario met the expectations
  1  a scenario failed, a known failure passed, or a snapshot is stale
  2  usage error, an unreadable expectations file, or a driver that cannot start

Environment: NCCALL_DRIVER (--driver), NCCALL_CONCURRENCY (--concurrency), NCCALL_EVENT_WAIT_MS \
(--event-wait-ms), NCCALL_DRIVER_TRACE (--driver-trace), NCCALL_TLS (--tls), RUST_LOG (the engine's and the suite's \
logs, on stderr), INSTA_UPDATE=always (accept new snapshots), CI (never accept them).

Under cargo nextest the suite is one test, `conformance`: cargo nextest run --test conformance";

/// What the process was asked to do.
pub enum Invocation {
    /// `--list` (nextest's discovery): print the tests, run nothing.
    List { ignored: bool },
    /// Run the suite with these options.
    Run(Box<Cli>),
}

/// The command with the suite's name, about text and help.
fn command() -> clap::Command {
    Cli::command()
        .name("conformance")
        .bin_name("cargo test --test conformance --")
        .about(ABOUT)
        .long_about(ABOUT)
        .after_help(AFTER_HELP)
}

/// Reads the command line. A usage error prints clap's message and exits
/// with [`EXIT_USAGE`]; `--help` prints the help and exits 0.
pub fn parse() -> Invocation {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return Invocation::List {
            ignored: args.iter().any(|a| a == "--ignored"),
        };
    }
    // nextest runs `<binary> conformance --exact [--nocapture]`: the whole
    // suite, with its defaults.
    let args = if args.iter().any(|a| a == "--exact") {
        args.into_iter().take(1).collect()
    } else {
        args
    };
    let matches = command().get_matches_from(args);
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => Invocation::Run(Box::new(cli)),
        Err(e) => e.exit(),
    }
}

/// Parses the command line again, for a second pass over the features
/// (a pass takes its options).
pub fn reparse() -> Cli {
    match parse() {
        Invocation::Run(cli) => *cli,
        Invocation::List { .. } => unreachable!("a listing runs no pass"),
    }
}

/// nextest's listing: one test, unless it asks for ignored ones.
pub fn list(ignored: bool) {
    if !ignored {
        println!("{TEST_NAME}: test");
    }
}
