//! Device sessions: what survives a dropped connection.
//!
//! A successful `hello` opens a session for the device; its id is the
//! device id calls know it by. Every event to the device is numbered
//! (`seq`, per session) and kept in an outbox until the client acknowledges
//! it (`ack`). When the connection drops, the session is **detached**, not
//! closed: events keep being numbered and queued, and a `hello` with
//! `resume {sessionId, lastSeq}` within [`RESUME_WINDOW_MS`] attaches the
//! new connection and replays everything after `lastSeq`, in order, exactly
//! once. Past the window the session expires: the device leaves its calls
//! with NETWORK_ERROR (the others see REMOTE_NETWORK_ERROR) and the logs
//! record it.

use std::collections::VecDeque;

use nccall_protocol::{ServerEvent, ServerFrame};

use super::{ConnId, Output, ServerCore};
use crate::calls::{DeviceId, UserKey};
use crate::clock::Millis;

/// How long a detached session waits for its device to come back: the
/// ancestor hangs up 30 s after ICE disconnects (the spec gives no value).
pub const RESUME_WINDOW_MS: i64 = 30_000;

/// Unacknowledged events kept per session; a client that falls further
/// behind cannot resume (its session expires on the attempt).
pub const MAX_OUTBOX: usize = 1024;

#[derive(Debug)]
pub(super) struct DeviceSession {
    pub user: UserKey,
    /// The `deviceId` the client named in `hello` (free text).
    #[allow(dead_code)] // kept for diagnostics
    pub device_name: String,
    pub session_id: String,
    /// The live connection, if any.
    pub conn: Option<ConnId>,
    /// When the connection dropped, while detached.
    pub detached_at: Option<Millis>,
    /// The `seq` of the last event numbered for this session.
    pub last_seq: u64,
    /// Events not yet acknowledged, oldest first.
    pub outbox: VecDeque<(u64, ServerEvent)>,
}

impl ServerCore {
    /// Opens a session for a device whose `hello` succeeded on `conn`.
    pub(super) fn open_session(&mut self, user: &UserKey, conn: ConnId, name: String) -> DeviceId {
        let device: DeviceId = conn;
        self.devices.insert(
            device,
            DeviceSession {
                user: user.clone(),
                device_name: name,
                session_id: format!("s{device}"),
                conn: Some(conn),
                detached_at: None,
                last_seq: 0,
                outbox: VecDeque::new(),
            },
        );
        self.online.entry(user.clone()).or_default().insert(device);
        if let Some(c) = self.conns.get_mut(&conn) {
            c.device = Some(device);
        }
        device
    }

    /// The session `session_id` of `user`, if it can be resumed after `last_seq`.
    pub(super) fn resumable(&self, user: &UserKey, session_id: &str, last_seq: u64) -> Resumable {
        let Some((device, s)) = self
            .devices
            .iter()
            .find(|(_, s)| s.session_id == session_id && s.user == *user)
        else {
            return Resumable::Unknown;
        };
        let oldest_kept = s.outbox.front().map_or(s.last_seq + 1, |(seq, _)| *seq);
        // A gap before what is kept (overflowed, or a stale cursor), or a
        // cursor past what was ever sent: the events cannot be replayed.
        if last_seq + 1 < oldest_kept || last_seq > s.last_seq {
            return Resumable::Lost(*device);
        }
        Resumable::Yes(*device)
    }

    /// Attaches `conn` to `device`'s session and replays what the client has
    /// not seen. A connection still attached (half-open) is closed.
    pub(super) fn resume_session(&mut self, device: DeviceId, conn: ConnId, last_seq: u64) {
        let Some(s) = self.devices.get_mut(&device) else {
            return;
        };
        if let Some(old) = s.conn.replace(conn) {
            if let Some(c) = self.conns.get_mut(&old) {
                c.device = None;
            }
            self.outputs.push_back(Output::Close { conn: old });
        }
        if let Some(at) = s.detached_at.take() {
            self.detached.remove(&(at, device));
        }
        while s.outbox.front().is_some_and(|(seq, _)| *seq <= last_seq) {
            s.outbox.pop_front();
        }
        let replay: Vec<Output> = s
            .outbox
            .iter()
            .map(|(seq, event)| Output::Send {
                conn,
                frame: ServerFrame::Event {
                    seq: *seq,
                    event: event.clone(),
                },
            })
            .collect();
        let user = s.user.clone();
        if let Some(c) = self.conns.get_mut(&conn) {
            c.device = Some(device);
        }
        for output in replay {
            self.send_to_user(&user, output);
        }
    }

    /// The connection dropped: its session waits for a resume.
    pub(super) fn detach(&mut self, now: Millis, conn: ConnId, device: DeviceId) {
        if let Some(s) = self.devices.get_mut(&device)
            && s.conn == Some(conn)
        {
            s.conn = None;
            if let Some(at) = s.detached_at.replace(now) {
                self.detached.remove(&(at, device));
            }
            self.detached.insert((now, device));
        }
    }

    /// Numbers `event` for `device` and queues it; returns the frame to send
    /// and the connection to send it on, if one is attached.
    pub(super) fn number_event(
        &mut self,
        device: DeviceId,
        event: &ServerEvent,
    ) -> Option<(ConnId, ServerFrame)> {
        let s = self.devices.get_mut(&device)?;
        s.last_seq += 1;
        let seq = s.last_seq;
        s.outbox.push_back((seq, event.clone()));
        if s.outbox.len() > MAX_OUTBOX {
            s.outbox.pop_front();
        }
        let conn = s.conn?;
        Some((
            conn,
            ServerFrame::Event {
                seq,
                event: event.clone(),
            },
        ))
    }

    /// The client processed every event up to `seq`.
    pub(super) fn ack(&mut self, device: DeviceId, seq: u64) {
        if let Some(s) = self.devices.get_mut(&device) {
            while s.outbox.front().is_some_and(|(n, _)| *n <= seq) {
                s.outbox.pop_front();
            }
        }
    }

    /// When the next detached session expires.
    pub(super) fn next_expiry(&self) -> Option<Millis> {
        let first = self.detached.first().map(|(at, _)| *at);
        debug_assert_eq!(
            first,
            self.devices.values().filter_map(|s| s.detached_at).min(),
            "the detached index disagrees with the sessions"
        );
        first.map(|at| at + RESUME_WINDOW_MS)
    }

    /// Ends every session detached for the whole window.
    pub(super) fn expire_sessions(&mut self, now: Millis) {
        let expired: Vec<DeviceId> = self
            .devices
            .iter()
            .filter(|(_, s)| s.detached_at.is_some_and(|at| at + RESUME_WINDOW_MS <= now))
            .map(|(d, _)| *d)
            .collect();
        for device in expired {
            self.close_session(now, device);
        }
    }

    /// Forgets the session; the device leaves its calls with NETWORK_ERROR.
    pub(super) fn close_session(&mut self, now: Millis, device: DeviceId) {
        let Some(s) = self.devices.remove(&device) else {
            return;
        };
        if let Some(at) = s.detached_at {
            self.detached.remove(&(at, device));
        }
        if let Some(set) = self.online.get_mut(&s.user) {
            set.remove(&device);
            if set.is_empty() {
                self.online.remove(&s.user);
            }
        }
        if let Some(conn) = s.conn
            && let Some(c) = self.conns.get_mut(&conn)
        {
            c.device = None;
        }
        self.calls.device_lost(now, &s.user, device);
        self.deliver_notes(now);
    }

    /// Closes every live connection of `user` (a fault the suite injects):
    /// their sessions detach now, as if the close had already been seen,
    /// so a clock advanced next counts from this moment.
    pub fn drop_connections(&mut self, now: Millis, user: &UserKey) {
        let attached: Vec<(DeviceId, ConnId)> = self
            .devices
            .iter()
            .filter(|(_, s)| s.user == *user)
            .filter_map(|(d, s)| s.conn.map(|c| (*d, c)))
            .collect();
        for (device, conn) in attached {
            self.detach(now, conn, device);
            if let Some(c) = self.conns.get_mut(&conn) {
                c.device = None;
            }
            self.outputs.push_back(Output::Close { conn });
        }
    }

    /// While blocked, `user`'s `hello`s go unanswered and their connections
    /// are closed: the network between them and the cloud is down.
    pub fn block(&mut self, now: Millis, user: UserKey) {
        self.drop_connections(now, &user);
        self.blocked.insert(user);
    }

    /// Ends a network fault of `user` (see `block`).
    pub fn unblock(&mut self, user: &UserKey) {
        self.blocked.remove(user);
    }
}

/// Whether a `resume` can be granted.
pub(super) enum Resumable {
    Yes(DeviceId),
    /// The session exists but events were lost (or the client claims events
    /// it was never sent): it ends, and the device starts afresh.
    Lost(DeviceId),
    /// No such session (expired, or another user's).
    Unknown,
}
