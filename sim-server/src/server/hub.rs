//! The hub: the one task that owns the server core. Connections' inputs
//! arrive on one channel and are applied in order, the `SimHandle`'s
//! control on another (`messages.rs`); the core's outputs are routed to the
//! connection tasks; its timers run on the system clock or, with a virtual
//! clock, only when `Advance` moves time.

use std::collections::HashMap;
use std::time::Duration;

use nccall_protocol::{ErrorCode, PublishMediaResult, Response, ServerFrame, UpdateMediaResult};
use tokio::sync::mpsc;

use super::SimError;
use super::messages::{ConnCmd, ConnEvent, Control, Fault};
use crate::clock::{Millis, SimClock};
use crate::core::{ConnId, Input, Output, ServerCore};
use crate::media::MediaServer;

pub(super) async fn run(
    mut core: ServerCore,
    clock: SimClock,
    media: MediaServer,
    mut events: mpsc::UnboundedReceiver<ConnEvent>,
    mut control: mpsc::UnboundedReceiver<Control>,
) {
    let mut conns: HashMap<ConnId, mpsc::UnboundedSender<ConnCmd>> = HashMap::new();
    loop {
        let deadline = if clock.is_virtual() {
            None
        } else {
            core.poll_timeout()
        };
        tokio::select! {
            // What arrived from the connections first: a control message
            // (acknowledged, so the steps wait for it) never overtakes
            // frames that were already in the channel when it came.
            biased;
            event = events.recv() => {
                let Some(event) = event else { break };
                match event {
                    ConnEvent::Open { conn, tx } => {
                        conns.insert(conn, tx);
                        core.handle_input(clock.now(), Input::Opened { conn });
                    }
                    ConnEvent::Frame { conn, frame } => {
                        core.handle_input(clock.now(), Input::Frame { conn, frame });
                    }
                    ConnEvent::Closed { conn } => {
                        conns.remove(&conn);
                        core.handle_input(clock.now(), Input::Closed { conn });
                    }
                }
            }
            msg = control.recv() => {
                let Some(msg) = msg else { break };
                match msg {
                    Control::Advance { by_ms, ack } => {
                        let now = clock.advance(by_ms);
                        core.handle_timeout(now);
                        route(&mut core, &mut conns, &media);
                        let _ = ack.send(now);
                    }
                    Control::Stats { ack } => {
                        let _ = ack.send(core.stats());
                    }
                    Control::Pushes { ack } => {
                        let _ = ack.send(core.pushes().to_vec());
                    }
                    Control::Hold { user, ack } => {
                        core.hold(user);
                        let _ = ack.send(());
                    }
                    Control::Fault { user, fault, ack } => {
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
                    Control::Seed { app, spec, prefix, ack } => {
                        let done = core.seed_logs(&app, &spec, &prefix).map_err(SimError::from);
                        let _ = ack.send(done);
                    }
                    Control::Release { user, ack } => {
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
