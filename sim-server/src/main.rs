//! `nccall-sim`: runs the simulator standalone.
//!
//! ```text
//! nccall-sim --listen 127.0.0.1:7700 --fixtures fixtures/conformance.yaml
//! nccall-sim media-capacity --start 10 --step 10 --seconds 5
//! nccall-sim signaling-load --users 10000 --calls 5000 --waves 3
//! nccall-sim self-signed-cert --cert sim.crt --key sim.key
//! nccall-sim --tls-cert sim.crt --tls-key sim.key     # wss://
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use std::time::Duration;

use clap::{Parser, Subcommand};
use nccall_sim::load::media_capacity::{self, CapacityConfig};
use nccall_sim::load::signaling::{self, ChildSimulator, LoadConfig, Target};
use nccall_sim::{Fixtures, SimConfig, Simulator};

#[derive(Debug, Parser)]
#[command(
    name = "nccall-sim",
    version,
    about = "Simulator of the NCCallEngine calling cloud"
)]
struct Args {
    /// Address to listen on; port 0 picks a free port (printed at start).
    #[arg(long, default_value = "127.0.0.1:7700", env = "NCCALL_SIM_LISTEN")]
    listen: SocketAddr,
    /// YAML file with the apps and users the simulator knows.
    #[arg(
        long,
        default_value = "fixtures/conformance.yaml",
        env = "NCCALL_SIM_FIXTURES"
    )]
    fixtures: PathBuf,
    /// Keep call logs in this directory (SQLite), across restarts. Without
    /// it they are kept in memory.
    #[arg(long, env = "NCCALL_SIM_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Where the SFU binds its UDP socket (0.0.0.0: every interface).
    /// Default: the --listen address's IP, loopback if that is 0.0.0.0.
    #[arg(long, env = "NCCALL_SIM_MEDIA_IP")]
    media_ip: Option<std::net::IpAddr>,
    /// The address the SFU's SDP answers give as its candidate, where
    /// clients send media (e.g. the container's address when it binds
    /// 0.0.0.0). Default: the media IP, loopback if that is 0.0.0.0.
    #[arg(long, env = "NCCALL_SIM_ADVERTISE_IP")]
    advertise_ip: Option<std::net::IpAddr>,
    /// Serve `GET /healthz` and Prometheus `GET /metrics` on this address
    /// (a port of its own: the signaling port speaks WebSocket only).
    #[arg(long, value_name = "host:port", env = "NCCALL_SIM_ADMIN")]
    admin: Option<SocketAddr>,
    /// Serve `wss://` (TLS) with this certificate chain (PEM, leaf first);
    /// needs --tls-key. `nccall-sim self-signed-cert` makes a pair.
    #[arg(
        long,
        value_name = "FILE",
        env = "NCCALL_SIM_TLS_CERT",
        requires = "tls_key"
    )]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(
        long,
        value_name = "FILE",
        env = "NCCALL_SIM_TLS_KEY",
        requires = "tls_cert"
    )]
    tls_key: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Measure the signaling server: USERS connected at once, CALLS
    /// concurrent calls placed, answered and hung up in WAVES (or for
    /// --duration: a soak), at RATE calls a second (reached over --ramp),
    /// against a simulator started as a child process (its memory is read
    /// from /proc) or one at --url.
    SignalingLoad {
        #[arg(long, default_value_t = 10_000)]
        users: usize,
        #[arg(long, default_value_t = 5_000)]
        calls: usize,
        /// Waves of calls (at least this many with --duration).
        #[arg(long, default_value_t = 3)]
        waves: usize,
        /// Calls placed per second.
        #[arg(long, default_value_t = 1_000)]
        rate: u32,
        /// Members of each call: 2 is one-to-one; more makes group calls
        /// of a caller and GROUP_SIZE - 1 callees (at most 16).
        #[arg(long, default_value_t = 2, value_name = "GROUP_SIZE")]
        group_size: usize,
        /// Soak: keep running waves until this many seconds have passed
        /// since the first call.
        #[arg(long, value_name = "SECS")]
        duration: Option<u64>,
        /// Ramp: the rate grows from 1 call/s to --rate over this many
        /// seconds from the first call.
        #[arg(long, value_name = "SECS", default_value_t = 0)]
        ramp: u64,
        /// Connections opened at once while users log in.
        #[arg(long, default_value_t = 200)]
        connect_concurrency: usize,
        /// Load a simulator started elsewhere (`ws://host:port`) instead of
        /// one started here; it needs the load's fixtures
        /// (`nccall-sim load-fixtures --users N`). Its memory is not read.
        #[arg(long)]
        url: Option<String>,
        /// For a `wss://` --url: trust only this certificate (PEM), e.g.
        /// the simulator's self-signed one; default: the system's roots.
        #[arg(long, value_name = "FILE", requires = "url")]
        tls_root: Option<PathBuf>,
        /// Print the report as JSON on stdout (latencies in microseconds,
        /// with HdrHistogram's percentile distribution) instead of a table.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print one CSV row per wave on stdout (latencies in microseconds)
        /// instead of a table.
        #[arg(long)]
        csv: bool,
    },
    /// Print the fixtures a simulator needs to be loaded by
    /// `signaling-load --url`: the app `load` with USERS users.
    LoadFixtures {
        #[arg(long, default_value_t = 10_000)]
        users: usize,
    },
    /// Write a self-signed certificate and its key (PEM) for `--tls-cert`
    /// and `--tls-key`; clients trust the certificate file (the engine's
    /// `TlsRoots::only_pem`, the suite's `--tls`).
    SelfSignedCert {
        /// Where the certificate goes.
        #[arg(long, value_name = "FILE")]
        cert: PathBuf,
        /// Where the key goes (written readable by its owner only).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// A DNS name or IP address the certificate is for (repeatable);
        /// default: localhost, 127.0.0.1 and ::1.
        #[arg(long = "name", value_name = "NAME")]
        names: Vec<String>,
    },
    /// Measure how many concurrent one-to-one video calls the SFU forwards
    /// with under 1% loss: runs of growing size until one loses more.
    MediaCapacity {
        /// Calls in the first run.
        #[arg(long, default_value_t = 10)]
        start: usize,
        /// Calls added for each next run.
        #[arg(long, default_value_t = 10)]
        step: usize,
        /// Stop after a run of this many calls even if it kept up.
        #[arg(long, default_value_t = 400)]
        max: usize,
        /// Length of each measured window.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        #[arg(long, default_value_t = 15)]
        fps: u32,
        #[arg(long, default_value_t = 640)]
        width: u16,
        #[arg(long, default_value_t = 480)]
        height: u16,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    if let Some(Command::SignalingLoad {
        users,
        calls,
        waves,
        rate,
        group_size,
        duration,
        ramp,
        connect_concurrency,
        url,
        tls_root,
        json,
        csv,
    }) = args.command
    {
        let tls = match tls_root.as_deref().map(trusting).transpose() {
            Ok(tls) => tls,
            Err(e) => {
                eprintln!("nccall-sim: --tls-root: {e}");
                return ExitCode::from(2);
            }
        };
        let config = LoadConfig {
            connect_concurrency,
            group_size,
            duration: duration.map(Duration::from_secs),
            ramp: Duration::from_secs(ramp),
            tls,
            ..LoadConfig::one_to_one(users, calls, waves, rate)
        };
        let format = match (json, csv) {
            (true, _) => Format::Json,
            (_, true) => Format::Csv,
            _ => Format::Table,
        };
        return signaling_load(config, url, format).await;
    }
    if let Some(Command::LoadFixtures { users }) = args.command {
        print!("{}", signaling::load_fixtures(users));
        return ExitCode::SUCCESS;
    }
    if let Some(Command::SelfSignedCert { cert, key, names }) = &args.command {
        return write_self_signed(cert, key, names);
    }
    if let Some(Command::MediaCapacity {
        start,
        step,
        max,
        seconds,
        fps,
        width,
        height,
    }) = args.command
    {
        let config = CapacityConfig {
            calls: start.max(1),
            measure: Duration::from_secs(seconds.max(1)),
            fps,
            width,
            height,
        };
        return media_capacity_sweep(config, step.max(1), max).await;
    }
    let fixtures = match Fixtures::from_file(&args.fixtures) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("nccall-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let mut config = SimConfig::new(fixtures)
        .with_listen(args.listen)
        .with_media_addresses(args.media_ip, args.advertise_ip);
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        match nccall_sim::TlsIdentity::from_pem_files(cert, key) {
            Ok(identity) => config = config.with_tls(identity),
            Err(e) => {
                eprintln!("nccall-sim: {e}");
                return ExitCode::from(2);
            }
        }
    }
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
    let mut sim = sim;
    println!("nccall-sim: listening on {}", sim.url());
    if let Some(address) = args.admin {
        match tokio::net::TcpListener::bind(address).await {
            Ok(listener) => {
                let bound = listener.local_addr().map_or(address, |a| a);
                println!("nccall-sim: admin on http://{bound} (/healthz, /metrics)");
                tokio::spawn(nccall_sim::admin::serve(listener, sim.observer()));
            }
            Err(e) => {
                eprintln!("nccall-sim: cannot listen on {address} for admin: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let signal = stop_signal().await;
    // Every call log is stored when its call ends; stopping closes the
    // connections and the store cleanly (calls still in progress end
    // without a log, as when the process dies).
    sim.stop().await;
    println!("nccall-sim: stopped ({signal})");
    ExitCode::SUCCESS
}

/// A TLS client configuration trusting only the certificate in `path`.
fn trusting(path: &std::path::Path) -> Result<std::sync::Arc<rustls::ClientConfig>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    nccall_sim::tls::client_trusting(&pem).map_err(|e| e.to_string())
}

fn write_self_signed(cert: &std::path::Path, key: &std::path::Path, names: &[String]) -> ExitCode {
    let pair = match nccall_sim::tls::self_signed(names) {
        Ok(pair) => pair,
        Err(e) => {
            eprintln!("nccall-sim: {e}");
            return ExitCode::from(1);
        }
    };
    if let Err(e) = std::fs::write(cert, &pair.cert_pem) {
        eprintln!("nccall-sim: cannot write {}: {e}", cert.display());
        return ExitCode::from(1);
    }
    if let Err(e) = write_private(key, &pair.key_pem) {
        eprintln!("nccall-sim: cannot write {}: {e}", key.display());
        return ExitCode::from(1);
    }
    println!("nccall-sim: wrote {} and {}", cert.display(), key.display());
    ExitCode::SUCCESS
}

/// Writes a key file that only its owner can read.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

/// Waits for Ctrl-C or, on Unix, SIGTERM (what a container runtime or an
/// init system sends); says which.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => "Ctrl-C",
                _ = term.recv() => "SIGTERM",
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    "Ctrl-C"
}

/// How `signaling-load` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Table,
    Json,
    Csv,
}

async fn signaling_load(config: LoadConfig, url: Option<String>, format: Format) -> ExitCode {
    let sim = match url {
        Some(url) => Target::Remote(url),
        None => {
            let exe = match std::env::current_exe() {
                Ok(exe) => exe,
                Err(e) => {
                    eprintln!("nccall-sim: cannot find my own binary: {e}");
                    return ExitCode::from(1);
                }
            };
            match ChildSimulator::start(&exe, config.users) {
                Ok(sim) => Target::Child(sim),
                Err(e) => {
                    eprintln!("nccall-sim: {e}");
                    return ExitCode::from(1);
                }
            }
        }
    };
    let who = match &sim {
        Target::Child(c) => format!("simulator pid {}", c.pid()),
        Target::Remote(_) => "a simulator started elsewhere".to_string(),
    };
    let kind = if config.group_size <= 2 {
        "one-to-one calls".to_string()
    } else {
        format!("group calls of {}", config.group_size)
    };
    let length = match config.duration {
        Some(d) => format!("waves for {} s", d.as_secs()),
        None => format!("{} waves", config.waves),
    };
    let ramp = if config.ramp.is_zero() {
        String::new()
    } else {
        format!(" (ramped over {} s)", config.ramp.as_secs())
    };
    eprintln!(
        "signaling load: {} users, {} concurrent {kind} x {length} at {} calls/s{ramp}, {who} at {}",
        config.users,
        config.calls,
        config.rate,
        sim.url()
    );
    let report = match signaling::run(&config, &sim).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("nccall-sim: {e}");
            return ExitCode::from(1);
        }
    };
    let failed = report.connect_errors > 0 || report.waves.iter().any(|w| w.errors > 0);
    let code = if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    match format {
        Format::Json => {
            let json = report.to_json(&config, sim.url());
            println!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_default()
            );
            return code;
        }
        Format::Csv => {
            print!("{}", report.to_csv());
            return code;
        }
        Format::Table => {}
    }
    let kib =
        |k: Option<u64>| k.map_or("?".to_string(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
    println!(
        "connected {} users in {:.2} s ({} errors); server memory idle {}, connected {}, {} KiB per user",
        report.users - report.connect_errors,
        report.connect_took.as_secs_f64(),
        report.connect_errors,
        kib(report.server_kib_idle),
        kib(report.server_kib_connected),
        report
            .kib_per_user()
            .map_or("?".to_string(), |k| format!("{k:.1}"))
    );
    println!(
        "{:>5} {:>7} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>12} {:>8}",
        "wave",
        "placed",
        "connected",
        "errors",
        "p50",
        "p90",
        "p99",
        "p99.9",
        "max",
        "mem in calls",
        "took"
    );
    for (i, w) in report.waves.iter().enumerate() {
        let ms = |d: Duration| format!("{:.2}ms", d.as_secs_f64() * 1000.0);
        println!(
            "{:>5} {:>7} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>12} {:>7.1}s",
            i + 1,
            w.placed,
            w.connected,
            w.errors,
            ms(w.p50),
            ms(w.p90),
            ms(w.p99),
            ms(w.p999),
            ms(w.max),
            kib(w.server_kib_with_calls),
            w.took.as_secs_f64()
        );
    }
    let lags: Vec<String> = report
        .waves
        .iter()
        .map(|w| {
            format!(
                "{:.2}/{:.2} ms",
                w.lag_p50.as_secs_f64() * 1e3,
                w.lag_p99.as_secs_f64() * 1e3
            )
        })
        .collect();
    println!(
        "setup counts from each call's scheduled send time; the generator sent late by (p50/p99, per wave): {}",
        lags.join(", ")
    );
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs growing loads until one loses 1% or more; prints a line per run
/// and the largest load that kept under 1%.
async fn media_capacity_sweep(mut config: CapacityConfig, step: usize, max: usize) -> ExitCode {
    println!(
        "SFU capacity: one-to-one video calls, {}x{} at {} fps (+ low layer, + 50 audio packets/s), {} s windows",
        config.width,
        config.height,
        config.fps,
        config.measure.as_secs()
    );
    println!(
        "{:>6} {:>9} {:>8} {:>10} {:>10} {:>9} {:>9} {:>10}",
        "calls", "setup", "loss", "delay p50", "delay p99", "SFU cpu", "Mbit/s", "verdict"
    );
    let mut best: Option<usize> = None;
    loop {
        let report = match media_capacity::run(&config).await {
            Ok(r) => r,
            Err(e) => {
                println!("{:>6} failed: {e}", config.calls);
                break;
            }
        };
        let ok = report.loss() < 0.01;
        println!(
            "{:>6} {:>7}ms {:>7.3}% {:>8.1}ms {:>8.1}ms {:>8} {:>9.1} {:>10}",
            report.calls,
            report.setup.as_millis(),
            report.loss() * 100.0,
            report.delay_p50.as_secs_f64() * 1000.0,
            report.delay_p99.as_secs_f64() * 1000.0,
            report
                .sfu_cpu
                .map(|c| format!("{:.0}%", c * 100.0))
                .unwrap_or_else(|| "-".into()),
            report.forwarded_bytes_per_sec * 8.0 / 1e6,
            if ok { "kept up" } else { "lost >=1%" }
        );
        if !ok {
            break;
        }
        best = Some(report.calls);
        if config.calls >= max {
            break;
        }
        config.calls = (config.calls + step).min(max);
    }
    match best {
        Some(calls) => {
            println!("capacity: {calls} concurrent calls forwarded with under 1% loss");
            ExitCode::SUCCESS
        }
        None => {
            println!("capacity: even the first run lost 1% or more");
            ExitCode::from(1)
        }
    }
}
