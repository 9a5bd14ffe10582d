//! `nccall-conformance`: tools around the conformance suite.
//!
//! `coverage` prints which scenarios exercise each method and callback of
//! the spec (from their `@req:` tags) and fails on a gap.
//!
//! `bench` measures call setup of any SDK (in process, or behind a driver),
//! phase by phase, against floors measured in the same run
//! (`src/call_setup/`).
//!
//! `demo` starts a simulator on loopback, connects two virtual users over a
//! real WebSocket, places a video call from alice to bob (bob's event handler
//! answers it), lets it run, hangs up, and prints both event timelines.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use nccall::marker::{tag_of, tone_hz};
use nccall::{
    CallEngine, CallEvent, CallEventHandler, CallMediaType, CallReceivedEvent, EndCallParams,
    StartCallParams,
};
use nccall_conformance::rig::{DEFAULT_APP, Participant, Rig};
use nccall_conformance::timeline::Normaliser;

#[derive(Debug, Parser)]
#[command(
    name = "nccall-conformance",
    version,
    about = "NCCallEngine conformance tools"
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Place one call between two virtual users and print what each saw.
    Demo {
        /// How long the call stays connected, in seconds.
        #[arg(long, default_value_t = 2)]
        talk_secs: u64,
    },
    /// Measure call setup, one call at a time between two participants:
    /// signaling (both `onCallConnected`), media connect (ICE and DTLS up on
    /// both sides) and first decoded frame (both views), with percentiles,
    /// against a bare WebSocket round trip and a bare peer-connection pair
    /// measured in the same run.
    Bench {
        /// Calls measured (after a few not measured, to warm up).
        #[arg(long, default_value_t = 50)]
        calls: usize,
        /// The SDK behind the driver protocol, as the suite's `--driver`
        /// (a command line; `nccall-driver` is the reference driver built
        /// beside this binary; `ws://host:port`; `listen:ADDR`; `chromium`,
        /// the Web NCCallEngine in headless Chromium, or `chromium:URL` a
        /// page of yours). Without it, the reference engine in this process.
        #[arg(long, env = "NCCALL_DRIVER")]
        driver: Option<String>,
        /// Signaling only: no peer connections (audio calls, engines with
        /// media off), so the media phases and their floor are not measured.
        #[arg(long)]
        signaling_only: bool,
        /// Print the report as JSON (microseconds) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print which scenarios exercise each method and callback of the spec
    /// (their `@req:` tags); fails if one has none.
    Coverage {
        /// The folder of `.feature` files.
        #[arg(long, default_value = "features")]
        features: std::path::PathBuf,
    },
    /// Write each user's markers as files a browser's fake camera and
    /// microphone play (`<dir>/<user>.y4m`, `<dir>/<user>.wav`; Chromium's
    /// `--use-file-for-fake-video-capture` / `--use-file-for-fake-audio-capture`).
    CaptureFiles {
        /// Where the files go.
        #[arg(long, default_value = "capture-files")]
        dir: std::path::PathBuf,
        /// The users to write files for.
        #[arg(required = true)]
        users: Vec<String>,
    },
}

/// Bob's handler: answers every incoming call, as the spec's example does.
struct AutoAnswer {
    engine: CallEngine,
}

impl CallEventHandler for AutoAnswer {
    fn on_call_received(&self, event: &CallReceivedEvent) {
        let engine = self.engine.clone();
        let call_id = event.session.call_id().to_string();
        println!(
            "bob: incoming call {call_id} from {}, answering",
            event.session.caller_user_id()
        );
        tokio::spawn(async move {
            if let Err(e) = engine.accept_call(&call_id).await {
                eprintln!("bob: could not answer: {e}");
            }
        });
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    nccall_conformance::logging::init("error");
    match args.command {
        Command::Demo { talk_secs } => demo(Duration::from_secs(talk_secs)).await,
        Command::Coverage { features } => coverage(&features),
        Command::Bench {
            calls,
            driver,
            signaling_only,
            json,
        } => bench(calls, driver, !signaling_only, json).await,
        Command::CaptureFiles { dir, users } => {
            for user in users {
                let files = nccall_conformance::fake_capture::write_for_user(&dir, &user)
                    .with_context(|| format!("writing {user}'s files in {}", dir.display()))?;
                println!("{} {}", files.video.display(), files.audio.display());
            }
            Ok(())
        }
    }
}

fn coverage(features: &std::path::Path) -> anyhow::Result<()> {
    use nccall_conformance::coverage::{Coverage, Surface, scan};
    let surface = Surface::load().map_err(anyhow::Error::msg)?;
    let scenarios = scan(features).map_err(anyhow::Error::msg)?;
    let report = Coverage::of(&surface, &scenarios);
    print!("{}", report.matrix());
    println!("{}", report.summary());
    if !report.is_complete() {
        bail!("the spec is not fully covered");
    }
    Ok(())
}

/// `nccall-driver` as the first word names the driver built beside this
/// binary.
fn resolve_driver(command: &str) -> String {
    let sibling = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("nccall-driver")))
        .filter(|p| p.exists());
    match sibling {
        Some(path) => nccall_conformance::driver::client::resolve_reference_driver(command, &path),
        None => command.to_string(),
    }
}

/// Calls placed before measuring: the first ones pay for lazy setup.
const WARM_UP_CALLS: usize = 3;

async fn bench(
    calls: usize,
    driver: Option<String>,
    media: bool,
    json: bool,
) -> anyhow::Result<()> {
    use nccall_conformance::call_setup::floor::{self, EchoClient};
    use nccall_conformance::call_setup::one_call;
    use nccall_conformance::call_setup::report::{Report, Series};

    let mut rig = Rig::for_benchmarks()
        .await
        .context("starting the simulator")?;
    // The browser, when the SDK lives in a page: kept until the bench ends.
    let mut _browser = None;
    let driver_label = match &driver {
        Some(command) => {
            let mut command = resolve_driver(command);
            if command == "chromium" || command.starts_with("chromium:") {
                use nccall_conformance::browser::driver_page::BrowserDriver;
                let work =
                    std::env::temp_dir().join(format!("nccall-bench-{}", std::process::id()));
                let browser = BrowserDriver::start(&command, 1, &work)
                    .await
                    .map_err(|e| anyhow::anyhow!("--driver {command}: {e}"))?;
                eprintln!(
                    "driver page: {} in headless Chromium (browser log: {})",
                    browser.page,
                    browser.log_path().display()
                );
                command = browser.target.clone();
                _browser = Some(browser);
            }
            rig.use_driver(&command)
                .await
                .with_context(|| format!("starting the driver {command}"))?;
            format!(
                "through the driver {}",
                driver.as_deref().unwrap_or_default()
            )
        }
        None => "in process".to_string(),
    };
    let sdk = rig.sdk_version().await.map_or_else(
        |e| format!("an SDK whose version is unknown ({e})"),
        |v| match &driver {
            Some(_) => format!("the SDK behind the driver, version {v}"),
            None => format!("nccall {v} (the reference engine)"),
        },
    );
    let (mut alice, mut bob) = if media {
        let alice = rig.online("alice", DEFAULT_APP).await.context("alice")?;
        let bob = rig.online("bob", DEFAULT_APP).await.context("bob")?;
        (alice, bob)
    } else {
        let a = rig.signaling_participant("alice").await.context("alice")?;
        let b = rig.signaling_participant("bob").await.context("bob")?;
        (
            rig.connect(a, DEFAULT_APP)
                .await
                .context("alice connects")?,
            rig.connect(b, DEFAULT_APP).await.context("bob connects")?,
        )
    };
    if media {
        alice
            .watch("bob", false)
            .await
            .context("alice watches bob")?;
        bob.watch("alice", false)
            .await
            .context("bob watches alice")?;
    }
    let mut round_trip = Series::new(
        "ws_round_trip",
        "one startCall-sized frame to a bare WebSocket echo server and back",
    );
    let mut heartbeat = Series::new(
        "sdk_heartbeat",
        "the SDK's own round trip to the simulator (heartbeat), through the driver if any",
    );
    let mut pair = Series::new(
        "pc_pair",
        "two bare peer connections to a first decoded H.264 picture",
    );
    let mut signaling = Series::new("signaling", "startCall until both saw onCallConnected");
    let mut media_connect = Series::new(
        "media_connect",
        "startCall until both media connections are up",
    );
    let mut first_frame = Series::new(
        "first_frame",
        "startCall until both views showed a decoded picture",
    );
    let mut echo = EchoClient::connect(&floor::echo_server().await.map_err(anyhow::Error::msg)?)
        .await
        .map_err(anyhow::Error::msg)?;
    let mut failed_calls = 0;
    let mut progress = nccall_sim::load::progress::Progress::new("calls measured", calls);
    for i in 0..WARM_UP_CALLS + calls {
        let measured = i >= WARM_UP_CALLS;
        // The floors interleave with the calls, so that drift in the
        // machine's load moves both.
        // The first frame after a pause pays for waking the runtime's
        // threads: a warm-up round trip, then the measured one.
        echo.round_trip().await.map_err(anyhow::Error::msg)?;
        let rt = echo.round_trip().await.map_err(anyhow::Error::msg)?;
        let hb_start = std::time::Instant::now();
        alice.engine.heartbeat().await.context("heartbeat")?;
        let hb = hb_start.elapsed();
        let pc = if media {
            Some(
                floor::pair_to_first_decoded_picture()
                    .await
                    .map_err(anyhow::Error::msg)?,
            )
        } else {
            None
        };
        let phases = one_call(&mut alice, &mut bob, media).await;
        if !measured {
            continue;
        }
        round_trip.record(rt);
        heartbeat.record(hb);
        if let Some(pc) = pc {
            pair.record(pc);
        }
        match phases {
            Ok(p) => {
                signaling.record(p.signaling);
                if let Some(d) = p.media_connect {
                    media_connect.record(d);
                }
                if let Some(d) = p.first_frame {
                    first_frame.record(d);
                }
            }
            Err(e) => {
                // The participants' state is unknown from here: stop, and
                // report what was measured.
                eprintln!("call {} failed: {e}", i + 1 - WARM_UP_CALLS);
                failed_calls += 1;
                break;
            }
        }
        if measured {
            progress.show(i + 1 - WARM_UP_CALLS);
        }
    }
    let mut floors = vec![round_trip, heartbeat];
    let mut phases = vec![(signaling, "ws_round_trip")];
    if media {
        floors.push(pair);
        phases.push((media_connect, "pc_pair"));
        phases.push((first_frame, "pc_pair"));
    }
    let report = Report {
        sdk,
        driver: driver_label,
        floors,
        phases,
        failed_calls,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report.json())?);
    } else {
        print!("{}", report.table());
    }
    if failed_calls > 0 {
        bail!("a call failed");
    }
    Ok(())
}

/// How long the demo waits for the other side's pictures and tone.
const MEDIA_WAIT: Duration = Duration::from_secs(10);

async fn demo(talk: Duration) -> anyhow::Result<()> {
    let rig = Rig::start(false).await.context("starting the simulator")?;
    println!("simulator listening on {}", rig.server.url());
    let mut alice = rig
        .online("alice", DEFAULT_APP)
        .await
        .context("connecting alice")?;
    let mut bob = rig
        .online("bob", DEFAULT_APP)
        .await
        .context("connecting bob")?;
    let Some(bob_engine) = bob.engine.in_process().cloned() else {
        bail!("the demo runs the reference engine in process");
    };
    bob_engine.set_call_event_handler(Arc::new(AutoAnswer {
        engine: bob_engine.clone(),
    }));
    println!(
        "alice and bob are online (engine {})",
        CallEngine::get_version()
    );

    let alice_view = alice
        .watch("bob", false)
        .await
        .context("alice's view of bob")?;
    let bob_view = bob
        .watch("alice", false)
        .await
        .context("bob's view of alice")?;

    let started = alice
        .engine
        .start_call(StartCallParams::single("bob", CallMediaType::AudioVideo))
        .await
        .context("alice calling bob")?;
    println!("alice: calling bob, call id {}", started.call_id);
    for p in [&mut alice, &mut bob] {
        if let Err(e) = p
            .expect("onCallConnected", |e| {
                matches!(e, CallEvent::CallConnected(_))
            })
            .await
        {
            bail!(e);
        }
    }
    println!("connected; talking for {talk:?}");
    tokio::time::sleep(talk).await;
    // Real media both ways, or the demo fails: pictures whose marker names
    // the other side, and the other side's tone in the decoded audio.
    for (p, view, other) in [(&alice, &alice_view, "bob"), (&bob, &bob_view, "alice")] {
        let frames = view.wait_for_frames(1, MEDIA_WAIT).await;
        let last = view.last_frame();
        if frames == 0 || last.and_then(|f| f.sender_tag) != Some(tag_of(other)) {
            bail!(
                "{} does not see {other}: {frames} frames, last {last:?}",
                p.name
            );
        }
        let hz = tone_hz(tag_of(other));
        // Half a second more of the other side's audio, then its tone.
        let heard = p.engine.heard_tone_after(other, 25, MEDIA_WAIT).await?;
        if heard != Some(hz) {
            bail!(
                "{} does not hear {other}'s {hz} Hz tone (hears {heard:?})",
                p.name
            );
        }
        let m = p.engine.media_stats().await?;
        println!(
            "{}: sees {other} ({frames} frames, {}x{}), hears {other}'s {} Hz tone; {} audio packets received",
            p.name,
            last.map_or(0, |f| f.width),
            last.map_or(0, |f| f.height),
            hz,
            m.audio_packets_received
        );
    }
    alice
        .engine
        .end_call(EndCallParams::default())
        .await
        .context("alice hanging up")?;
    for p in [&mut alice, &mut bob] {
        if let Err(e) = p
            .expect("onCallEnded", |e| matches!(e, CallEvent::CallEnded(_)))
            .await
        {
            bail!(e);
        }
    }
    print_timelines(&rig, &mut [alice, bob]).await
}

async fn print_timelines(rig: &Rig, people: &mut [Participant]) -> anyhow::Result<()> {
    for p in people.iter_mut() {
        p.settle().await;
    }
    let mut normaliser = Normaliser::new(rig.epoch);
    let timelines = normaliser.timelines(
        people
            .iter()
            .map(|p| (p.name.as_str(), p.events.as_slice())),
    );
    println!("\nevent timelines (times relative to the simulator's start):\n");
    println!(
        "{}",
        serde_norway::to_string(&timelines).context("rendering YAML")?
    );
    Ok(())
}
