//! Signaling load: many users connected to a simulator process, placing,
//! answering and hanging up one-to-one calls in waves.
//!
//! The simulator runs as a child process (this same binary), so its memory
//! is its own: read from `/proc/<pid>/status` with nobody connected, with
//! every user connected, and with every call of a wave up at once. The users
//! are light protocol clients (one WebSocket and one task each, speaking the
//! wire protocol of `docs/protocol.md` with the typed frames of
//! `nccall-protocol`), not engines: the figure is the server's.
//!
//! A wave: callers (every `group_size`-th user) call the next user (or, for
//! group calls, the next `group_size - 1` users) at a steady rate, or at a
//! rate that ramps up to it; callees answer as soon as the call rings; a
//! call's setup time is from when the schedule said to send `startCall` (so
//! a generator that falls behind shows as latency, not as fewer samples) to
//! the caller receiving `callConnected` (in a group call: the first callee
//! answered). Once every call of the wave is up (all of them at once: the
//! concurrency figure), they are hung up (the caller of a one-to-one call,
//! every callee of a group call, which then ends for its caller) and the
//! wave ends when every member has seen their call end. Waves repeat a
//! number of times, or until a duration has passed (a soak).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use nccall_protocol::{
    AcceptCallParams, AckParams, CallMediaType, CallType, ClientFrame, EndCallParams, HelloParams,
    HelloResult, MediaState, PROTOCOL_VERSION, Request, ServerEvent, ServerFrame, StartCallParams,
    StartCallRequest, StartCallResult,
};
use tokio::sync::{Semaphore, mpsc};
use tokio_tungstenite::tungstenite::Message;

use super::progress::Progress;
use super::signaling_report::exact_quantile;
pub use super::signaling_report::{LoadReport, WaveReport};
use super::target::APP;
pub use super::target::{ChildSimulator, Target, load_fixtures};

/// What a signaling load run does.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Users connected at once.
    pub users: usize,
    /// Concurrent one-to-one calls per wave (each takes two users).
    pub calls: usize,
    /// Rounds of calls: placed, connected, hung up, then again (at least
    /// this many; see `duration`).
    pub waves: usize,
    /// Calls placed per second (once the ramp is over).
    pub rate: u32,
    /// Connections opened at once while users log in.
    pub connect_concurrency: usize,
    /// Members of each call: 2 is a one-to-one call, more a group call of
    /// the caller and `group_size - 1` callees.
    pub group_size: usize,
    /// A soak: waves go on until this much time has passed since the first
    /// call was placed (and at least `waves` of them ran).
    pub duration: Option<Duration>,
    /// The rate grows linearly from 1 call/s to `rate` over this long from
    /// the first call placed (zero: `rate` from the start).
    pub ramp: Duration,
    /// For a `wss://` simulator: the TLS configuration its users connect
    /// with (`None`: the system's roots).
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl LoadConfig {
    /// `users` users, `calls` concurrent one-to-one calls in `waves` waves
    /// at `rate` calls a second; no ramp, no soak, 200 logins at once.
    pub fn one_to_one(users: usize, calls: usize, waves: usize, rate: u32) -> LoadConfig {
        LoadConfig {
            users,
            calls,
            waves,
            rate,
            connect_concurrency: 200,
            group_size: 2,
            duration: None,
            ramp: Duration::ZERO,
            tls: None,
        }
    }

    /// The rate `elapsed` after the first call: ramping up to `rate`.
    fn rate_at(&self, elapsed: Duration) -> f64 {
        let full = f64::from(self.rate.max(1));
        if self.ramp.is_zero() || elapsed >= self.ramp {
            return full;
        }
        (full * elapsed.as_secs_f64() / self.ramp.as_secs_f64()).max(1.0)
    }
}

/// What the orchestrator asks a user's task to do.
enum Cmd {
    /// Call this user; `intended` is when the schedule said to, which the
    /// setup time counts from (a generator that falls behind does not hide
    /// the queueing: no coordinated omission).
    Call {
        callees: Vec<String>,
        intended: Instant,
    },
    HangUp,
}

/// What a user's task reports.
enum Note {
    /// The caller's call is connected, `setup` after it was scheduled.
    Connected {
        setup: Duration,
        /// How late `startCall` left after its scheduled time.
        lag: Duration,
    },
    /// A call of this user ended.
    Ended,
    Error(String),
}

/// Raises the open-file limit to its hard maximum: every user is a socket.
fn raise_fd_limit() {
    #[cfg(unix)]
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// Runs the load against a simulator at `sim`.
pub async fn run(config: &LoadConfig, sim: &Target) -> Result<LoadReport, String> {
    raise_fd_limit();
    // The load's fixtures set no participant limit: the default's applies.
    let group = config.group_size.clamp(2, crate::DEFAULT_MAX_PARTICIPANTS);
    let users = config.users.max(group);
    let calls = config.calls.min(users / group);
    let server_kib_idle = sim.rss_kib();

    // Log everyone in.
    let (notes_tx, mut notes) = mpsc::unbounded_channel::<(usize, Note)>();
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(config.connect_concurrency.max(1)));
    let connector = config.tls.clone().map(tokio_tungstenite::Connector::Rustls);
    let (ready_tx, mut ready) =
        mpsc::unbounded_channel::<Result<(usize, mpsc::UnboundedSender<Cmd>), String>>();
    for i in 0..users {
        let (gate, url, ready_tx, notes_tx, connector) = (
            gate.clone(),
            sim.url().to_string(),
            ready_tx.clone(),
            notes_tx.clone(),
            connector.clone(),
        );
        tokio::spawn(async move {
            let Ok(_permit) = gate.acquire_owned().await else {
                return;
            };
            match connect(&url, connector, i).await {
                Ok(client) => {
                    let (tx, rx) = mpsc::unbounded_channel();
                    let _ = ready_tx.send(Ok((i, tx)));
                    // The orchestrator counts logins until every sender is gone.
                    drop(ready_tx);
                    drop(_permit);
                    client.serve(rx, notes_tx).await;
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("u{i}: {e}")));
                }
            }
        });
    }
    drop(ready_tx);
    let mut senders: HashMap<usize, mpsc::UnboundedSender<Cmd>> = HashMap::new();
    let mut connect_errors = Vec::new();
    let mut bar = Progress::new("connecting", users);
    while let Some(r) = ready.recv().await {
        match r {
            Ok((i, tx)) => {
                senders.insert(i, tx);
            }
            Err(e) => connect_errors.push(e),
        }
        bar.show(senders.len() + connect_errors.len());
    }
    let connect_took = started.elapsed();
    if let Some(first) = connect_errors.first() {
        eprintln!(
            "{} users could not log in; first: {first}",
            connect_errors.len()
        );
    }
    // Let the server settle before reading its memory.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let server_kib_connected = sim.rss_kib();

    let mut waves = Vec::new();
    let first_call = Instant::now();
    let schedule = Schedule {
        config,
        group,
        calls,
        first_call,
    };
    loop {
        let soaking = config.duration.is_some_and(|d| first_call.elapsed() < d);
        if waves.len() >= config.waves.max(1) && !soaking {
            break;
        }
        let report = run_wave(waves.len(), &schedule, &senders, &mut notes, sim).await;
        waves.push(report);
    }
    Ok(LoadReport {
        users,
        connect_took,
        connect_errors: connect_errors.len(),
        server_kib_idle,
        server_kib_connected,
        waves,
    })
}

/// What every wave of a run shares.
struct Schedule<'a> {
    config: &'a LoadConfig,
    /// Members per call.
    group: usize,
    /// Calls per wave.
    calls: usize,
    /// When the run's first call was scheduled: the ramp counts from it.
    first_call: Instant,
}

async fn run_wave(
    wave: usize,
    schedule: &Schedule<'_>,
    senders: &HashMap<usize, mpsc::UnboundedSender<Cmd>>,
    notes: &mut mpsc::UnboundedReceiver<(usize, Note)>,
    sim: &Target,
) -> WaveReport {
    let (calls, group) = (schedule.calls, schedule.group);
    let started = Instant::now();
    let mut setups: Vec<Duration> = Vec::with_capacity(calls);
    let mut lags: Vec<Duration> = Vec::with_capacity(calls);
    let mut errors = 0usize;
    let mut bar = Progress::new(if wave == 0 { "calls" } else { "calls again" }, calls);
    let mut placed = 0usize;
    let mut next = tokio::time::Instant::now();
    // Place calls at the rate while collecting what comes back.
    while setups.len() + errors < calls {
        let wait = if placed < calls {
            next
        } else {
            tokio::time::Instant::now() + Duration::from_secs(30)
        };
        tokio::select! {
            () = tokio::time::sleep_until(wait), if placed < calls => {
                let caller = group * placed;
                if let Some(tx) = senders.get(&caller) {
                    let _ = tx.send(Cmd::Call {
                        callees: (caller + 1..caller + group).map(|u| format!("u{u}")).collect(),
                        intended: next.into_std(),
                    });
                } else {
                    errors += 1;
                }
                placed += 1;
                let rate = schedule
                    .config
                    .rate_at(next.into_std().saturating_duration_since(schedule.first_call));
                next += Duration::from_secs_f64(1.0 / rate);
            }
            note = notes.recv() => match note {
                Some((_, Note::Connected { setup, lag })) => {
                    setups.push(setup);
                    lags.push(lag);
                }
                Some((user, Note::Error(e))) => {
                    if errors == 0 {
                        eprintln!("\nu{user}: {e}");
                    }
                    errors += 1;
                }
                Some((_, Note::Ended)) => {}
                None => break,
            },
            () = tokio::time::sleep(Duration::from_secs(30)), if placed >= calls => {
                eprintln!("\nno answer for 30 s; {} calls missing", calls - setups.len() - errors);
                errors += calls - setups.len() - errors;
            }
        }
        bar.show(setups.len() + errors);
    }
    // Every call of the wave is up now.
    let server_kib_with_calls = sim.rss_kib();
    // A one-to-one call ends when its caller hangs up; a group call when
    // every callee has left (the caller, alone, is ended by the server).
    for i in 0..calls {
        let caller = group * i;
        let hang_up = if group == 2 {
            caller..caller + 1
        } else {
            caller + 1..caller + group
        };
        for user in hang_up {
            if let Some(tx) = senders.get(&user) {
                let _ = tx.send(Cmd::HangUp);
            }
        }
    }
    // Every member of every connected call sees it end.
    let mut ended = 0usize;
    let expected = group * setups.len();
    while ended < expected {
        match tokio::time::timeout(Duration::from_secs(30), notes.recv()).await {
            Ok(Some((_, Note::Ended))) => ended += 1,
            Ok(Some((_, Note::Error(_)))) => errors += 1,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => {
                errors += expected - ended;
                break;
            }
        }
    }
    // Microseconds, 3 significant figures, up to an hour.
    let mut histogram = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).ok();
    if let Some(h) = histogram.as_mut() {
        for setup in &setups {
            let _ = h.record(u64::try_from(setup.as_micros()).unwrap_or(u64::MAX).max(1));
        }
    }
    let max = setups.iter().max().copied().unwrap_or_default();
    // A histogram bucket reads as its highest value, which may lie above
    // the largest sample: no percentile is reported above the maximum.
    let pick = |q: f64| -> Duration {
        match &histogram {
            Some(h) if !h.is_empty() => Duration::from_micros(h.value_at_quantile(q)).min(max),
            _ => Duration::ZERO,
        }
    };
    let distribution = histogram
        .as_ref()
        .filter(|h| !h.is_empty())
        .map(|h| {
            h.iter_quantiles(5)
                .map(|v| (v.quantile_iterated_to() * 100.0, v.value_iterated_to()))
                .collect()
        })
        .unwrap_or_default();
    WaveReport {
        placed,
        connected: setups.len(),
        errors,
        p50: pick(0.50),
        p90: pick(0.90),
        p99: pick(0.99),
        p999: pick(0.999),
        max,
        lag_p50: exact_quantile(&mut lags, 0.50),
        lag_p99: exact_quantile(&mut lags, 0.99),
        distribution,
        server_kib_with_calls,
        took: started.elapsed(),
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One logged-in user.
struct Client {
    index: usize,
    ws: Ws,
    heartbeat: Duration,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn frame(request: Request) -> Message {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let text = serde_json::to_string(&ClientFrame { id, request }).unwrap_or_default();
    Message::text(text)
}

async fn connect(
    url: &str,
    connector: Option<tokio_tungstenite::Connector>,
    index: usize,
) -> Result<Client, String> {
    let (mut ws, _) = tokio_tungstenite::connect_async_tls_with_config(url, None, false, connector)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let hello = Request::Hello(HelloParams {
        protocol_version: PROTOCOL_VERSION,
        app_key: APP.into(),
        token: format!("t{index}"),
        device_id: "load".into(),
        resume: None,
    });
    ws.send(frame(hello))
        .await
        .map_err(|e| format!("send: {e}"))?;
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .map_err(|_| "no answer to hello in 30 s".to_string())?;
        let Some(Ok(Message::Text(text))) = msg else {
            return Err(format!("connection ended: {msg:?}"));
        };
        if let Ok(ServerFrame::Response(r)) = serde_json::from_str::<ServerFrame>(text.as_str()) {
            if r.code != 0 {
                return Err(format!("hello refused: {} {:?}", r.code, r.message));
            }
            let hello: HelloResult = r
                .result
                .and_then(|v| serde_json::from_value(v).ok())
                .ok_or("hello result missing")?;
            return Ok(Client {
                index,
                ws,
                heartbeat: Duration::from_millis(hello.heartbeat_interval_ms.max(1_000)),
            });
        }
    }
}

impl Client {
    /// Answers calls, places and ends them when told, keeps the connection
    /// alive (heartbeats) and acknowledges events, until the orchestrator goes.
    async fn serve(
        mut self,
        mut cmds: mpsc::UnboundedReceiver<Cmd>,
        notes: mpsc::UnboundedSender<(usize, Note)>,
    ) {
        let me = self.index;
        let mut current: Option<String> = None;
        let mut calling_since: Option<Instant> = None;
        let mut lag = Duration::ZERO;
        let mut last_seq = 0u64;
        let mut acked = 0u64;
        let mut beat = tokio::time::interval(self.heartbeat);
        beat.tick().await;
        loop {
            let out: Option<Message> = tokio::select! {
                cmd = cmds.recv() => match cmd {
                    None => return,
                    Some(Cmd::Call { callees, intended }) => {
                        calling_since = Some(intended);
                        lag = intended.elapsed();
                        let params = if callees.len() == 1 {
                            StartCallParams::single(callees[0].clone(), CallMediaType::Audio)
                        } else {
                            StartCallParams {
                                callee_ids: callees,
                                call_type: CallType::Group,
                                media_type: CallMediaType::Audio,
                                extra: None,
                                target_id: None,
                                push_config: None,
                            }
                        };
                        Some(frame(Request::StartCall(StartCallRequest { params, media: MediaState::default() })))
                    }
                    Some(Cmd::HangUp) => current.clone().map(|call_id| {
                        frame(Request::EndCall(EndCallParams { call_id, push_config: None }))
                    }),
                },
                _ = beat.tick() => {
                    if last_seq > acked {
                        acked = last_seq;
                        let _ = self.ws.send(frame(Request::Ack(AckParams { seq: acked }))).await;
                    }
                    Some(frame(Request::Heartbeat))
                }
                msg = self.ws.next() => {
                    let Some(Ok(Message::Text(text))) = msg else {
                        if !matches!(msg, Some(Ok(_))) {
                            let _ = notes.send((me, Note::Error(format!("connection ended: {msg:?}"))));
                            return;
                        }
                        continue;
                    };
                    match serde_json::from_str::<ServerFrame>(text.as_str()) {
                        Ok(ServerFrame::Response(r)) if r.code != 0 => {
                            let _ = notes.send((me, Note::Error(format!("code {} {:?}", r.code, r.message))));
                            None
                        }
                        Ok(ServerFrame::Response(r)) => {
                            if let Some(started) = r.result.and_then(|v| serde_json::from_value::<StartCallResult>(v).ok()) {
                                current = Some(started.call_id);
                            }
                            None
                        }
                        Ok(ServerFrame::Event { seq, event }) => {
                            last_seq = seq;
                            let reply = match event {
                                ServerEvent::CallReceived { call_id, .. } => {
                                    current = Some(call_id.clone());
                                    Some(frame(Request::AcceptCall(AcceptCallParams { call_id, media: MediaState::default() })))
                                }
                                ServerEvent::CallConnected { .. } => {
                                    if let Some(since) = calling_since.take() {
                                        let _ = notes.send((me, Note::Connected { setup: since.elapsed(), lag }));
                                    }
                                    None
                                }
                                ServerEvent::CallEnded { .. } => {
                                    current = None;
                                    let _ = notes.send((me, Note::Ended));
                                    None
                                }
                                _ => None,
                            };
                            if last_seq >= acked + 32 {
                                acked = last_seq;
                                let _ = self.ws.send(frame(Request::Ack(AckParams { seq: acked }))).await;
                            }
                            reply
                        }
                        Ok(ServerFrame::Error { code, message }) => {
                            let _ = notes.send((me, Note::Error(format!("error frame {code}: {message}"))));
                            None
                        }
                        Err(e) => {
                            let _ = notes.send((me, Note::Error(format!("undecodable frame: {e}"))));
                            None
                        }
                    }
                }
            };
            if let Some(out) = out
                && self.ws.send(out).await.is_err()
            {
                let _ = notes.send((me, Note::Error("send failed".into())));
                return;
            }
        }
    }
}
