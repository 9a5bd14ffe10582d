//! The conformance suite: every `.feature` under `features/` runs against an
//! in-process simulator with a virtual clock, one engine per named user, and
//! each scenario's event timelines are compared with the YAML snapshots in
//! `features/snapshots/` (accept new ones with `INSTA_UPDATE=always`).

mod expectations;
mod runner_cli;
mod snapshot;
mod steps;
mod world;

use std::io;
use std::sync::Arc;

use cucumber::writer::Stats as _;
use cucumber::{World as _, WriterExt as _, cli, writer};
use expectations::{Expectations, Outcome, Outcomes};
use world::CallWorld;

/// Options of this suite besides cucumber's own (`--tags`, `--name`, ...).
#[derive(Debug, clap::Args)]
struct Reports {
    /// Also write a JUnit XML report of the run to this file (for CI systems).
    #[arg(long, value_name = "path")]
    junit: Option<std::path::PathBuf>,
    /// What the implementation under test is expected to fail
    /// (`fixtures/expectations/*.yaml`).
    #[arg(long, value_name = "path")]
    expectations: Option<std::path::PathBuf>,
    /// Seeds the simulators' randomness (network impairment); printed with
    /// every failed scenario so it can be replayed.
    #[arg(long, value_name = "n", default_value_t = 1)]
    seed: u64,
    /// Runs every participant's engine in a driver process started with
    /// this command line (`docs/driver-protocol.md`), one per scenario, e.g.
    /// `--driver 'node my-sdk-driver.js'`; without it, the reference engine
    /// runs in this process. `nccall-driver` as the first word is the
    /// reference driver built with the suite; `ws://host:port` a driver
    /// that listens; `listen:ADDR` waits for drivers to connect to ADDR
    /// (a page, a test app); `chromium` runs the Web NCCallEngine
    /// (`web/driver/driver.html`) in headless Chromium, `chromium:URL` a
    /// page of yours; `net` the reference engine's core on a socket-free
    /// simulated network with the simulator's core (signaling only: media
    /// scenarios are reported not run). `NCCALL_DRIVER` sets it too.
    #[arg(long, value_name = "command", env = "NCCALL_DRIVER")]
    driver: Option<String>,
    /// How long a step waits for an event, an answer or a state before it
    /// fails (real time; 5000 unless set). For a machine slower than any
    /// the suite was measured on: every wait is for a condition, so a
    /// longer bound only makes a real failure slower to report.
    #[arg(long, value_name = "ms", env = "NCCALL_EVENT_WAIT_MS")]
    event_wait_ms: Option<u64>,
    /// Writes every command, reply, event and frame that crosses a driver
    /// connection to this file, one JSON object per line (`ms`, `driver`,
    /// `dir`, `message`; see `src/driver/trace.rs`).
    #[arg(long, value_name = "path", env = "NCCALL_DRIVER_TRACE")]
    driver_trace: Option<std::path::PathBuf>,
    /// Runs every simulator over TLS (`wss://`) with one self-signed
    /// certificate made for the run, which every engine is told to trust
    /// (a driver: `createEngine`'s `trustedCertificatePem`; Chromium: its
    /// public key pinned at launch). The socket-free net has no sockets,
    /// so TLS does not apply to its pass.
    #[arg(long, env = "NCCALL_TLS")]
    tls: bool,
}

/// Where the JUnit writer writes during the run.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<std::sync::Mutex<Vec<u8>>>);

impl SharedBuffer {
    fn text(&self) -> String {
        self.0
            .lock()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }
}

impl io::Write for SharedBuffer {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self.0.lock() {
            Ok(mut b) => {
                b.extend_from_slice(data);
                Ok(data.len())
            }
            Err(_) => Err(io::Error::other("the JUnit buffer is poisoned")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `nccall-driver ...` names the reference driver built with this suite.
fn resolve_driver(command: &str) -> String {
    nccall_conformance::driver::client::resolve_reference_driver(
        command,
        std::path::Path::new(env!("CARGO_BIN_EXE_nccall-driver")),
    )
}

/// The browser of `--driver chromium`, kept for the run and ended by [`exit`].
static BROWSER: std::sync::Mutex<Option<nccall_conformance::browser::driver_page::BrowserDriver>> =
    std::sync::Mutex::new(None);

/// Ends the run with `code`, the browser (if any) first: a process exit
/// runs no destructors, and a browser left behind keeps its cameras going.
fn exit(code: i32) -> ! {
    if let Ok(mut browser) = BROWSER.lock() {
        browser.take();
    }
    std::process::exit(code)
}

/// A driver target the scenarios can use: `chromium[:URL]` starts the
/// browser and becomes `listen:ADDR`; `listen:ADDR` is bound now, so that
/// its address (port 0 picks one) can be printed for the driver to use.
async fn prepare_driver(command: String, concurrency: usize) -> String {
    use nccall_conformance::browser::driver_page::BrowserDriver;
    use nccall_conformance::driver::listen::Listener;
    if command == "chromium" || command.starts_with("chromium:") {
        let work = std::env::temp_dir().join(format!("nccall-chromium-{}", std::process::id()));
        return match BrowserDriver::start(&command, concurrency, &work).await {
            Ok(browser) => {
                println!(
                    "driver page: {} in headless Chromium, {concurrency} connections (browser log: {})",
                    browser.page,
                    browser.log_path().display()
                );
                let target = browser.target.clone();
                if let Ok(mut b) = BROWSER.lock() {
                    *b = Some(browser);
                }
                target
            }
            Err(e) => {
                eprintln!("--driver {command}: {e}");
                exit(runner_cli::EXIT_USAGE)
            }
        };
    }
    if let Some(address) = command.strip_prefix("listen:") {
        return match Listener::bind(address).await {
            Ok(listener) => {
                println!(
                    "waiting for drivers to connect to ws://{} (one connection per scenario)",
                    listener.address()
                );
                format!("listen:{}", listener.address())
            }
            Err(e) => {
                eprintln!("--driver {command}: {e}");
                exit(runner_cli::EXIT_USAGE)
            }
        };
    }
    command
}

/// Says hello to the driver once before the run: who it is, and which of
/// the commands the scenarios use it lacks (their scenarios will be
/// reported unimplemented). A driver that cannot say hello stops the run.
async fn introduce(command: &str) {
    use nccall_conformance::driver::{client::RemoteDriver, serve::CAPABILITIES};
    match RemoteDriver::start(command).await {
        Ok((driver, hello)) => {
            let lacks: Vec<&str> = CAPABILITIES
                .iter()
                .copied()
                .filter(|c| !hello.capabilities.iter().any(|h| h == c))
                .collect();
            println!(
                "driver: {} {} (protocol {}), one per scenario: {command}",
                hello.implementation, hello.version, hello.protocol_version
            );
            if !lacks.is_empty() {
                println!("driver lacks: {}", lacks.join(", "));
            }
            driver.stop().await;
        }
        Err(e) => {
            eprintln!("the driver {command:?} did not say hello: {e}");
            exit(runner_cli::EXIT_USAGE);
        }
    }
}

/// The spec's methods and callbacks no successful call or delivered event
/// of this run exercised.
fn exercised_gaps() -> Vec<String> {
    let seen = nccall_conformance::engine_driver::exercised_so_far();
    match nccall_conformance::coverage::Surface::load() {
        Ok(surface) => surface
            .entries()
            .into_iter()
            .filter(|(_, name)| !seen.contains(*name))
            .map(|(_, name)| name.to_string())
            .collect(),
        Err(e) => vec![e],
    }
}

/// How many scenarios run at once unless `--concurrency` says otherwise:
/// `NCCALL_CONCURRENCY`, or two per core. Each scenario runs real WebRTC
/// and codecs, so cucumber's default of 64 overloads a small machine: on 2
/// cores the suite took 100 s at 64 (signaling round trips of 3 s, a driver
/// reply later than 20 s) and 51-57 s at 2, 4, 8 or 16.
fn default_concurrency() -> usize {
    std::env::var("NCCALL_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()) * 2)
}

type Cli = cli::Opts<
    cucumber::parser::basic::Cli,
    cucumber::runner::basic::Cli,
    cli::Compose<writer::basic::Cli, writer::junit::Cli>,
    Reports,
>;

/// Scenarios that need a media path: a net has none, so its pass leaves
/// them to the socket pass.
const MEDIA_TAGS: [&str; 2] = ["media", "devices"];

/// What one pass over the features came to.
struct Pass {
    outcomes: Arc<Outcomes>,
    parsing_errors: usize,
    junit: SharedBuffer,
}

/// Runs the features once against the SDK the world's driver names; with
/// `signaling_only`, scenarios tagged [`MEDIA_TAGS`] are left out.
async fn run_pass(
    opts: Cli,
    expected: Arc<Expectations>,
    concurrency: usize,
    signaling_only: bool,
) -> Pass {
    let features = concat!(env!("CARGO_MANIFEST_DIR"), "/features");
    let outcomes = Arc::new(Outcomes::default());
    let junit = SharedBuffer::default();
    let (hook_expected, hook_outcomes) = (expected.clone(), outcomes.clone());
    let run = CallWorld::cucumber()
        .max_concurrent_scenarios(concurrency)
        .with_writer(
            writer::Basic::raw(io::stdout(), writer::Coloring::Auto, 0)
                .summarized()
                .tee::<CallWorld, _>(writer::JUnit::for_tee(junit.clone(), 0))
                .normalized(),
        )
        .with_cli(opts)
        .fail_on_skipped()
        .after(move |feature, _rule, scenario, finished, world| {
            let (expected, outcomes) = (hook_expected.clone(), hook_outcomes.clone());
            Box::pin(async move {
                let name = format!("{}: {}", feature.name, scenario.name);
                let passed = matches!(finished, cucumber::event::ScenarioFinished::StepPassed);
                let unimplemented = world
                    .as_ref()
                    .map(|w| w.unimplemented())
                    .unwrap_or_default();
                if !passed && !unimplemented.is_empty() {
                    println!(
                        "  not run to the end: the SDK does not implement {}",
                        unimplemented.join(", ")
                    );
                    outcomes.record(&name, Outcome::Unimplemented(unimplemented));
                    return;
                }
                // Failed until the snapshot check (which panics on a
                // mismatch) is through.
                outcomes.record(&name, Outcome::Failed);
                // A scenario whose steps failed has already failed; its
                // timeline would only add noise. A known failure has no
                // snapshot to match.
                let differences = world
                    .as_ref()
                    .map(|w| w.project_differences.clone())
                    .unwrap_or_default();
                let due = passed && !expected.is_known_failure(&name);
                snapshot::note_ran(feature, scenario, due && world.is_some());
                if let (Some(world), true) = (world, due) {
                    snapshot::check(world, feature, scenario).await;
                }
                let tagged_project = feature
                    .tags
                    .iter()
                    .chain(&scenario.tags)
                    .any(|t| t == "project");
                let outcome = match (passed, tagged_project) {
                    (true, _) if !differences.is_empty() => {
                        Outcome::DiffersFromProject(differences)
                    }
                    (true, _) => Outcome::Passed,
                    (false, true) => Outcome::DiffersFromProject(vec![
                        "failed a @project scenario (it checks a choice of this project's)".into(),
                    ]),
                    (false, false) => Outcome::Failed,
                };
                outcomes.record(&name, outcome);
                if !passed {
                    println!(
                        "  replay: cargo test --test conformance -- --seed {} --name '{}'",
                        world::run_seed(),
                        scenario.name
                    );
                }
            })
        })
        .filter_run(features, move |feature, _rule, scenario| {
            !signaling_only
                || !feature
                    .tags
                    .iter()
                    .chain(&scenario.tags)
                    .any(|t| MEDIA_TAGS.contains(&t.as_str()))
        })
        .await;
    Pass {
        outcomes,
        parsing_errors: run.parsing_errors(),
        junit,
    }
}

#[tokio::main]
async fn main() {
    let opts = match runner_cli::parse() {
        runner_cli::Invocation::List { ignored } => {
            runner_cli::list(ignored);
            exit(runner_cli::EXIT_PASSED);
        }
        runner_cli::Invocation::Run(opts) => *opts,
    };
    nccall_conformance::logging::init("error");
    if let Some(path) = &opts.custom.driver_trace
        && let Err(e) = nccall_conformance::driver::trace::trace_to(path)
    {
        eprintln!("cannot write the driver trace to {}: {e}", path.display());
        exit(runner_cli::EXIT_USAGE);
    }
    if opts.custom.tls
        && let Err(e) = nccall_conformance::rig::use_tls()
    {
        eprintln!("--tls: {e}");
        exit(runner_cli::EXIT_USAGE);
    }
    if let Some(ms) = opts.custom.event_wait_ms {
        nccall_conformance::rig::set_event_wait(std::time::Duration::from_millis(ms));
    }
    // Every scenario runs: a snapshot of no scenario is stale.
    let other_input = std::env::args().any(|a| a == "-i" || a.starts_with("--input"));
    let whole_run = opts.re_filter.is_none() && opts.tags_filter.is_none() && !other_input;
    let seed = opts.custom.seed;
    let _ = world::RUN_SEED.set(seed);
    let concurrency = opts.runner.concurrency.unwrap_or_else(default_concurrency);
    let driver = opts.custom.driver.clone();
    // The Web engine's page has its own expectations; every other driver
    // is held to the reference engine's unless told otherwise.
    let web_page = driver.as_deref() == Some("chromium");
    let expectations_path = opts.custom.expectations.clone().unwrap_or_else(|| {
        let file = if web_page {
            "web.yaml"
        } else {
            "reference.yaml"
        };
        std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/expectations"
        ))
        .join(file)
    });
    let expected = match Expectations::load(&expectations_path) {
        Ok(e) => Arc::new(e),
        Err(e) => {
            eprintln!("the expectations file cannot be read: {e}");
            exit(runner_cli::EXIT_USAGE);
        }
    };
    let junit_path = opts.custom.junit.clone();
    let mut failed = false;
    // Without a driver, the reference engine is checked twice: first its
    // core on the socket-free net (the signaling scenarios, in seconds),
    // then the engine itself over sockets (every scenario). The snapshots
    // are the same.
    let net_first = driver.is_none();
    if driver.as_deref() == Some(world::NET_DRIVER) || net_first {
        println!(
            "driver: the reference engine's core and the simulator's core in a socket-free net (no media: scenarios tagged @media or @devices are left out)"
        );
        world::set_driver(Some(world::NET_DRIVER.to_string()));
        let started = std::time::Instant::now();
        // Options are parsed again: a pass takes them.
        let pass = run_pass(runner_cli::reparse(), expected.clone(), concurrency, true).await;
        println!("socket-free net: {:.2?} wall time", started.elapsed());
        failed |= !verdict(&expected, &pass, "net");
        if !net_first {
            write_junit(junit_path.as_deref(), &pass.junit, &expected);
            exit(if failed {
                runner_cli::EXIT_FAILED
            } else {
                runner_cli::EXIT_PASSED
            });
        }
        // The socket pass counts coverage on its own.
        nccall_conformance::engine_driver::forget_exercised();
    }
    match driver.as_deref() {
        Some(command) => {
            let command = prepare_driver(resolve_driver(command), concurrency).await;
            introduce(&command).await;
            world::set_driver(Some(command));
        }
        None => world::set_driver(None),
    }
    let pass = run_pass(opts, expected.clone(), concurrency, false).await;
    write_junit(junit_path.as_deref(), &pass.junit, &expected);
    let stale = snapshot::uncompared(whole_run);
    if !stale.is_empty() {
        println!(
            "snapshots that no scenario compares (delete them, or give their scenario a timeline):\n  {}",
            stale.join("\n  ")
        );
        exit(runner_cli::EXIT_FAILED);
    }
    // Coverage by calls, not tags: what of the spec the SDK was seen to do
    // successfully in this run. The reference engine, in a whole run, must
    // have done all of it; for another SDK it is a report.
    let missing = exercised_gaps();
    let total = nccall_conformance::coverage::Surface::load()
        .map(|s| s.entries().len())
        .unwrap_or(0);
    println!(
        "spec surface exercised by successful calls: {}/{total}{}",
        total - missing.len().min(total),
        if missing.is_empty() {
            String::new()
        } else {
            format!(" (not: {})", missing.join(", "))
        }
    );
    if whole_run && driver.is_none() && !missing.is_empty() {
        println!("the reference engine's whole run left part of the spec unexercised");
        exit(runner_cli::EXIT_FAILED);
    }
    failed |= !verdict(&expected, &pass, "");
    exit(if failed {
        runner_cli::EXIT_FAILED
    } else {
        runner_cli::EXIT_PASSED
    })
}

/// Prints the expectations' verdict on a pass (a known failure does not
/// fail it, an unexpected pass does); whether it passed.
fn verdict(expected: &Expectations, pass: &Pass, label: &str) -> bool {
    let label = if label.is_empty() {
        String::new()
    } else {
        format!("{label}: ")
    };
    match expected.verdict(&pass.outcomes) {
        Ok(line) if pass.parsing_errors == 0 => {
            println!("{label}{line}");
            true
        }
        Ok(line) => {
            println!(
                "{label}{line}\n{} feature files could not be parsed",
                pass.parsing_errors
            );
            false
        }
        Err(report) => {
            println!("{label}{report}");
            false
        }
    }
}

/// Writes the JUnit report: unimplemented scenarios and known failures
/// skipped, flaky failures marked, failure messages in full (`src/junit.rs`).
fn write_junit(path: Option<&std::path::Path>, junit: &SharedBuffer, expected: &Expectations) {
    use nccall_conformance::junit;
    let Some(path) = path else { return };
    let marks = junit::Expected {
        known: expected
            .known_failures
            .iter()
            .map(|e| (e.scenario.as_str(), e.reason.as_str()))
            .collect(),
        flaky: expected.flaky.iter().map(|e| e.scenario.as_str()).collect(),
    };
    let report = junit::mark_expected(&junit::mark_unimplemented_skipped(&junit.text()), &marks);
    if let Err(e) = std::fs::write(path, report) {
        eprintln!("cannot write the JUnit report to {}: {e}", path.display());
        exit(runner_cli::EXIT_USAGE);
    }
}
