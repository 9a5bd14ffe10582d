//! The media server's shell: a thread that owns the UDP socket and an
//! [`Sfu`], feeds it datagrams, commands and timeouts, and sends what it
//! hands back; and [`MediaServer`], the handle the signaling side holds.
//! Nothing here decides anything about media.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use str0m::Rtc;
use str0m::crypto::dtls::DtlsCert;
use tokio::sync::oneshot;

use super::answer::new_rtc;
use super::impairment::NetworkProfile;
use super::sfu::{MediaStats, Sfu};

/// What the loop is asked to do.
enum Command {
    Publish {
        call_id: String,
        user: String,
        offer: String,
        low_from: Vec<String>,
        receive_from: Vec<String>,
        reply: oneshot::Sender<Result<String, String>>,
    },
    Update {
        call_id: String,
        user: String,
        offer: Option<String>,
        receive_from: Vec<String>,
        reply: oneshot::Sender<Result<Option<String>, String>>,
    },
    Subscribe {
        call_id: String,
        user: String,
        sender: String,
        low: bool,
    },
    Release {
        call_id: String,
        user: String,
    },
    Stats {
        reply: oneshot::Sender<MediaStats>,
    },
    Impair {
        user: String,
        profile: NetworkProfile,
    },
}

/// A handle to the media server thread; dropping the last one stops it.
#[derive(Clone)]
pub struct MediaServer {
    commands: mpsc::Sender<Command>,
    /// The advertised address: the candidate in every answer.
    addr: SocketAddr,
    /// Where the poke goes: the socket's own address from this host.
    wake: SocketAddr,
    /// Wakes the loop from its socket wait so a command is handled at once.
    poke: Arc<UdpSocket>,
}

impl MediaServer {
    /// Binds a UDP socket on `ip` and starts the loop on its own thread.
    pub fn start(ip: IpAddr) -> std::io::Result<MediaServer> {
        Self::start_seeded(ip, 0)
    }

    /// As [`MediaServer::start`]; the impairments' randomness (which packet
    /// is lost, each packet's jitter) derives from `seed` and the user.
    pub fn start_seeded(ip: IpAddr, seed: u64) -> std::io::Result<MediaServer> {
        Self::start_with(ip, ip, seed)
    }

    /// Binds on `bind` (may be `0.0.0.0`: every interface) and gives
    /// `advertise` as the candidate in every answer, on the bound port.
    pub fn start_with(bind: IpAddr, advertise: IpAddr, seed: u64) -> std::io::Result<MediaServer> {
        // One crypto provider per process; later calls are no-ops.
        str0m::crypto::from_feature_flags().install_process_default();
        let socket = bind_media_socket(SocketAddr::new(bind, 0))?;
        let port = socket.local_addr()?.port();
        let addr = SocketAddr::new(advertise, port);
        // The loop's own address, as seen from this host.
        let local = if bind.is_unspecified() {
            IpAddr::from([127, 0, 0, 1])
        } else {
            bind
        };
        let wake = SocketAddr::new(local, port);
        let (commands, rx) = mpsc::channel();
        let poke = Arc::new(UdpSocket::bind(SocketAddr::new(local, 0))?);
        let poke_addr = poke.local_addr()?;
        std::thread::Builder::new()
            .name("nccall-sfu".into())
            .spawn(move || run(socket, addr, poke_addr, rx, seed))?;
        Ok(MediaServer {
            commands,
            addr,
            wake,
            poke,
        })
    }

    fn send(&self, command: Command) -> bool {
        let sent = self.commands.send(command).is_ok();
        // A one-byte datagram the loop recognises by its source: it wakes
        // up and reads the command.
        let _ = self.poke.send_to(&[0], self.wake);
        sent
    }

    /// The UDP address peers send media to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Accepts a participant's offer; the answer carries the SFU's candidate.
    pub async fn publish(
        &self,
        call_id: &str,
        user: &str,
        offer: String,
        low_from: Vec<String>,
        receive_from: Vec<String>,
    ) -> Result<String, String> {
        self.ask(|reply| Command::Publish {
            call_id: call_id.to_string(),
            user: user.to_string(),
            offer,
            low_from,
            receive_from,
            reply,
        })
        .await
    }

    /// Re-assigns a participant's receive slots; a new offer (on the same
    /// peer connection, with m-lines for more slots) is answered.
    pub async fn update(
        &self,
        call_id: &str,
        user: &str,
        offer: Option<String>,
        receive_from: Vec<String>,
    ) -> Result<Option<String>, String> {
        self.ask(|reply| Command::Update {
            call_id: call_id.to_string(),
            user: user.to_string(),
            offer,
            receive_from,
            reply,
        })
        .await
    }

    /// Sends a command that the loop answers, and waits for the answer.
    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<Result<T, String>>) -> Command,
    ) -> Result<T, String> {
        let stopped = || "the media server stopped".to_string();
        let (reply, answer) = oneshot::channel();
        if !self.send(command(reply)) {
            return Err(stopped());
        }
        answer.await.map_err(|_| stopped())?
    }

    /// Chooses which stream of `sender` the participant receives.
    pub fn subscribe(&self, call_id: &str, user: &str, sender: &str, low: bool) {
        self.send(Command::Subscribe {
            call_id: call_id.to_string(),
            user: user.to_string(),
            sender: sender.to_string(),
            low,
        });
    }

    /// Drops the participant's peer connection in this call, if any.
    pub fn release(&self, call_id: &str, user: &str) {
        self.send(Command::Release {
            call_id: call_id.to_string(),
            user: user.to_string(),
        });
    }

    /// Impairs what the SFU sends to `user` (in every call) from now on;
    /// a clear profile lifts it, 100 % loss is an outage.
    pub fn impair(&self, user: &str, profile: NetworkProfile) {
        self.send(Command::Impair {
            user: user.to_string(),
            profile,
        });
    }

    /// The counters now.
    pub async fn stats(&self) -> MediaStats {
        let (reply, stats) = oneshot::channel();
        if !self.send(Command::Stats { reply }) {
            return MediaStats::default();
        }
        stats.await.unwrap_or_default()
    }
}

/// The receive buffer the SFU's socket asks for. Every participant's
/// media arrives on this one socket (~9 MB/s at 60 video calls): with
/// Linux's default of 208 KiB, a 25 ms stretch in which the SFU thread
/// does not run (two cores shared with the capacity tool's publishers)
/// overflows it, and the kernel drops what does not fit (measured: all the
/// capacity tool's loss was `RcvbufErrors`). The kernel caps the request
/// at `net.core.rmem_max`.
const RECEIVE_BUFFER: usize = 8 << 20;

fn bind_media_socket(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    // Best effort: a smaller buffer still works, with loss under bursts.
    let _ = socket.set_recv_buffer_size(RECEIVE_BUFFER);
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

/// Spare peer connections kept built ahead of need.
const SPARE_PEERS: usize = 4;
/// A spare older than this is dropped rather than used: its timers started
/// when it was built.
const SPARE_FRESHNESS: Duration = Duration::from_secs(2);
/// The longest the loop sleeps in its socket wait: commands poke it, but a
/// lost poke must not stall it.
const MAX_WAIT: Duration = Duration::from_millis(20);

/// Builds peer connections ahead of need on their own thread: building one
/// (DTLS context, ICE agent) takes about a millisecond, which would
/// otherwise sit on every call's setup path and stall forwarding meanwhile.
fn spawn_factory(addr: SocketAddr, cert: Option<DtlsCert>) -> mpsc::Receiver<(Instant, Rtc)> {
    let (spares, rx) = mpsc::sync_channel(SPARE_PEERS);
    let _ = std::thread::Builder::new()
        .name("nccall-sfu-factory".into())
        .spawn(move || {
            while let Ok(rtc) = new_rtc(addr, cert.clone(), Instant::now()) {
                if spares.send((Instant::now(), rtc)).is_err() {
                    return; // the SFU stopped
                }
            }
        });
    rx
}

/// A fresh spare if one is ready, else one built now.
fn take_rtc(
    spares: &mpsc::Receiver<(Instant, Rtc)>,
    addr: SocketAddr,
    cert: &Option<DtlsCert>,
) -> Result<Rtc, String> {
    while let Ok((built, rtc)) = spares.try_recv() {
        if built.elapsed() < SPARE_FRESHNESS {
            return Ok(rtc);
        }
    }
    new_rtc(addr, cert.clone(), Instant::now())
}

/// Carries out one command on the core.
fn handle_command(
    sfu: &mut Sfu,
    command: Command,
    spares: &mpsc::Receiver<(Instant, Rtc)>,
    addr: SocketAddr,
    cert: &Option<DtlsCert>,
) {
    let now = Instant::now();
    match command {
        Command::Publish {
            call_id,
            user,
            offer,
            low_from,
            receive_from,
            reply,
        } => {
            let answer = take_rtc(spares, addr, cert).and_then(|rtc| {
                sfu.publish(now, rtc, &call_id, &user, &offer, low_from, receive_from)
            });
            let _ = reply.send(answer);
        }
        Command::Update {
            call_id,
            user,
            offer,
            receive_from,
            reply,
        } => {
            let _ = reply.send(sfu.update(now, &call_id, &user, offer.as_deref(), receive_from));
        }
        Command::Subscribe {
            call_id,
            user,
            sender,
            low,
        } => sfu.subscribe(now, &call_id, &user, &sender, low),
        Command::Release { call_id, user } => sfu.release(&call_id, &user),
        Command::Impair { user, profile } => sfu.impair(&user, profile),
        Command::Stats { reply } => {
            let _ = reply.send(sfu.stats());
        }
    }
}

fn run(
    socket: UdpSocket,
    addr: SocketAddr,
    poke: SocketAddr,
    commands: mpsc::Receiver<Command>,
    seed: u64,
) {
    // One DTLS certificate for the server, as SFUs do: generating one per
    // peer connection would put a key generation on every call's setup path.
    let cert = str0m::crypto::from_feature_flags()
        .dtls_provider
        .generate_certificate();
    let spares = spawn_factory(addr, cert.clone());
    let mut sfu = Sfu::new(addr, seed);
    let mut buf = vec![0u8; 2000];
    loop {
        loop {
            match commands.try_recv() {
                Ok(command) => handle_command(&mut sfu, command, &spares, addr, &cert),
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => return,
            }
        }
        sfu.handle_timeout(Instant::now());
        send_all(&socket, &mut sfu);

        let wait = sfu
            .poll_timeout()
            .map_or(MAX_WAIT, |t| t.saturating_duration_since(Instant::now()))
            .clamp(Duration::from_millis(1), MAX_WAIT);
        let _ = socket.set_read_timeout(Some(wait));
        if let Ok((n, source)) = socket.recv_from(&mut buf)
            && source != poke
        {
            sfu.handle_receive(Instant::now(), source, &buf[..n]);
            send_all(&socket, &mut sfu);
        }
    }
}

/// Sends every datagram the SFU has ready.
fn send_all(socket: &UdpSocket, sfu: &mut Sfu) {
    let now = Instant::now();
    while let Some(t) = sfu.poll_transmit(now) {
        let _ = socket.send_to(&t.contents, t.destination);
    }
}
