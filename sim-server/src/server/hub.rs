//! The hub: the one task that owns the server core. Inputs arrive on one
//! channel and are applied in order; the core's outputs are routed to the
//! connection tasks; its timers run on the system clock or, with a virtual
//! clock, only when `Advance` moves time.

use std::collections::HashMap;
use std::time::Duration;

use nccall_protocol::ClientFrame;
use tokio::sync::{mpsc, oneshot};

use nccall_protocol::{ErrorCode, PublishMediaResult, Response, ServerFrame, UpdateMediaResult};

use crate::calls::UserKey;
use crate::media::MediaServer;
use crate::store::SeedSpec;

use super::SimError;
use crate::clock::{Millis, SimClock};
use crate::core::{ConnId, CoreStats, Input, Output, PushRecord, ServerCore};

use super::connection::ConnCmd;

pub(super) enum HubMsg {
    Open {
        conn: ConnId,
        tx: mpsc::UnboundedSender<ConnCmd>,
    },
    Frame {
        conn: ConnId,
        frame: ClientFrame,
    },
    Closed {
        conn: ConnId,
    },
    Advance {
        by_ms: Millis,
        ack: oneshot::Sender<Millis>,
    },
    Stats {
        ack: oneshot::Sender<CoreStats>,
    },
    Pushes {
        ack: oneshot::Sender<Vec<PushRecord>>,
    },
    Hold {
        user: UserKey,
        ack: oneshot::Sender<()>,
    },
    Release {
        user: UserKey,
        ack: oneshot::Sender<()>,
    },
    Fault {
        user: UserKey,
        fault: Fault,
        ack: oneshot::Sender<()>,
    },
    Seed {
        app: String,
        spec: SeedSpec,
        prefix: String,
        ack: oneshot::Sender<Result<(), SimError>>,
    },
}

/// Network faults the suite injects for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fault {
    /// Close the user's connections; their sessions wait for a resume.
    Drop,
    /// Drop them and refuse new ones until `Restore`.
    Down,
    Restore,
    /// Events leave this long (simulator time) after they were sent.
    Delay(Millis),
    /// The next so many events arrive last first.
    Reverse(usize),
    /// Connections stay open but nothing gets through either way.
    Partition,
}

pub(super) async fn run(
    mut core: ServerCore,
    clock: SimClock,
    media: MediaServer,
    mut rx: mpsc::UnboundedReceiver<HubMsg>,
) {
    let mut conns: HashMap<ConnId, mpsc::UnboundedSender<ConnCmd>> = HashMap::new();
    loop {
        let deadline = if clock.is_virtual() {
            None
        } else {
            core.poll_timeout()
        };
        tokio::select! {
            msg = rx.recv() => {
                let Some(msg) = msg else { break };
                match msg {
                    HubMsg::Open { conn, tx } => {
                        conns.insert(conn, tx);
                        core.handle_input(clock.now(), Input::Opened { conn });
                    }
                    HubMsg::Frame { conn, frame } => {
                        core.handle_input(clock.now(), Input::Frame { conn, frame });
                    }
                    HubMsg::Closed { conn } => {
                        conns.remove(&conn);
                        core.handle_input(clock.now(), Input::Closed { conn });
                    }
                    HubMsg::Advance { by_ms, ack } => {
                        let now = clock.advance(by_ms);
                        core.handle_timeout(now);
                        route(&mut core, &mut conns, &media);
                        let _ = ack.send(now);
                    }
                    HubMsg::Stats { ack } => {
                        let _ = ack.send(core.stats());
                    }
                    HubMsg::Pushes { ack } => {
                        let _ = ack.send(core.pushes().to_vec());
                    }
                    HubMsg::Hold { user, ack } => {
                        core.hold(user);
                        let _ = ack.send(());
                    }
                    HubMsg::Fault { user, fault, ack } => {
                        match fault {
                            Fault::Drop => core.drop_connections(clock.now(), &user),
                            Fault::Down => core.block(clock.now(), user),
                            Fault::Restore => core.unblock(&user),
                            Fault::Delay(ms) => core.delay_events(user, ms),
                            Fault::Reverse(n) => core.reverse_events(user, n),
                            Fault::Partition => core.partition(user),
                        }
                        route(&mut core, &mut conns, &media);
                        let _ = ack.send(());
                    }
                    HubMsg::Seed { app, spec, prefix, ack } => {
                        let done = core.seed_logs(&app, &spec, &prefix).map_err(SimError::from);
                        let _ = ack.send(done);
                    }
                    HubMsg::Release { user, ack } => {
                        core.release(&user);
                        route(&mut core, &mut conns, &media);
                        let _ = ack.send(());
                    }
                }
            }
            () = sleep_until(&clock, deadline) => core.handle_timeout(clock.now()),
        }
        route(&mut core, &mut conns, &media);
    }
}

/// Hands every queued output to its connection. A connection that has gone
/// away simply misses it; its `Closed` input is on the way.
fn route(
    core: &mut ServerCore,
    conns: &mut HashMap<ConnId, mpsc::UnboundedSender<ConnCmd>>,
    media: &MediaServer,
) {
    while let Some(output) = core.poll_output() {
        match output {
            Output::PublishMedia {
                conn,
                id,
                call_id,
                user,
                sdp,
                low_resolution_from,
                receive_from,
            } => {
                let media = media.clone();
                answer_later(conns, conn, id, async move {
                    media
                        .publish(&call_id, &user, sdp, low_resolution_from, receive_from)
                        .await
                        .map(|sdp| PublishMediaResult { sdp })
                });
            }
            Output::UpdateMedia {
                conn,
                id,
                call_id,
                user,
                sdp,
                receive_from,
            } => {
                let media = media.clone();
                answer_later(conns, conn, id, async move {
                    media
                        .update(&call_id, &user, sdp, receive_from)
                        .await
                        .map(|sdp| UpdateMediaResult { sdp })
                });
            }
            Output::ReleaseMedia { call_id, user } => media.release(&call_id, &user),
            Output::SubscribeVideo {
                call_id,
                user,
                sender,
                low,
            } => media.subscribe(&call_id, &user, &sender, low),
            Output::Send { conn, frame } => {
                if let Some(tx) = conns.get(&conn) {
                    let _ = tx.send(ConnCmd::Frame(frame));
                }
            }
            Output::Close { conn } => {
                if let Some(tx) = conns.get(&conn) {
                    let _ = tx.send(ConnCmd::Close);
                }
            }
        }
    }
}

/// Answers request `id` on `conn` once the media server has: it works on
/// its own thread, and the answer goes straight to the connection that
/// asked. A connection that has gone away misses it.
fn answer_later<T: serde::Serialize + Send + 'static>(
    conns: &HashMap<ConnId, mpsc::UnboundedSender<ConnCmd>>,
    conn: ConnId,
    id: u64,
    answer: impl std::future::Future<Output = Result<T, String>> + Send + 'static,
) {
    let Some(tx) = conns.get(&conn).cloned() else {
        return;
    };
    tokio::spawn(async move {
        let frame = media_response(id, answer.await);
        let _ = tx.send(ConnCmd::Frame(frame));
    });
}

/// The response to a media request: the media server's result, or its
/// refusal as a server error.
fn media_response<T: serde::Serialize>(id: u64, outcome: Result<T, String>) -> ServerFrame {
    let response = match outcome {
        Ok(result) => Response {
            id,
            code: ErrorCode::Success.code(),
            message: None,
            result: serde_json::to_value(result).ok(),
        },
        Err(message) => Response {
            id,
            code: ErrorCode::ServerError.code(),
            message: Some(message),
            result: None,
        },
    };
    ServerFrame::Response(response)
}

async fn sleep_until(clock: &SimClock, deadline: Option<Millis>) {
    match deadline {
        None => std::future::pending().await,
        Some(at) => {
            let wait = u64::try_from(at.saturating_sub(clock.now())).unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(wait)).await;
        }
    }
}
