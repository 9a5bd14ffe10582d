//! The SFU's core, sans-IO like str0m itself: it owns every peer's `Rtc`
//! and the impairments, takes datagrams, commands and timeouts with the
//! time they happen, and hands back datagrams to send and when to wake it.
//! The socket thread (`server.rs`) only carries them out, so routing,
//! keyframe relay and bad input are tested here without sockets.
//!
//! str0m's contract: after any input (a datagram, a timeout, a frame
//! written, a keyframe asked, a new offer) the `Rtc` is polled until it
//! returns a timeout, before it is given anything else. Every mutation
//! here ends in [`Sfu::drive`], which drains each touched peer right after
//! touching it.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

use str0m::media::MediaData;
use str0m::net::{Protocol, Receive};
use str0m::{Event, Input, Output, Rtc};

use super::answer::{accept, renegotiate};
use super::impairment::{DelayLine, Impairment, NetworkProfile, Verdict};
use super::keyframes::{self, Wanted};
use super::peer::Peer;
use super::routing::{VIDEO, VIDEO_LOW, mids_in_order, route};

/// Counters of the media server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MediaStats {
    /// Peer connections alive now.
    pub peers: usize,
    /// Media frames forwarded so far.
    pub forwarded_frames: u64,
    /// Datagrams sent to clients, and their bytes (media, RTCP, ICE, DTLS).
    pub sent_datagrams: u64,
    /// Bytes of those datagrams.
    pub sent_bytes: u64,
    /// Datagrams an impairment (loss, a full queue) dropped on the way out.
    pub impaired_drops: u64,
    /// Datagrams that were no STUN, DTLS, RTP or RTCP, or that no peer
    /// connection accepted: dropped.
    pub unroutable_datagrams: u64,
    /// Peer connections closed because str0m refused their input.
    pub failed_peers: u64,
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub destination: SocketAddr,
    pub contents: Vec<u8>,
}

/// What draining a peer left to do.
enum Work {
    /// A frame peer `from` sent: forward it (boxed: a frame's metadata is
    /// twenty times a request's).
    Frame(usize, Box<MediaData>),
    /// Receiver `usize` wants a key frame.
    Keyframe(usize, Wanted),
}

pub struct Sfu {
    /// The address datagrams arrive at (every peer's local candidate).
    local: SocketAddr,
    seed: u64,
    peers: Vec<Peer>,
    impairments: HashMap<String, Impairment>,
    /// Impaired datagrams held until their time.
    delayed: DelayLine,
    /// Datagrams ready to send now.
    outbox: VecDeque<Transmit>,
    stats: MediaStats,
}

impl Sfu {
    /// An SFU receiving at `local`; impairments' randomness derives from
    /// `seed` and the user.
    pub fn new(local: SocketAddr, seed: u64) -> Sfu {
        Sfu {
            local,
            seed,
            peers: Vec::new(),
            impairments: HashMap::new(),
            delayed: DelayLine::default(),
            outbox: VecDeque::new(),
            stats: MediaStats::default(),
        }
    }

    /// Accepts `user`'s first offer in `call_id` on `rtc` (a fresh peer
    /// connection, see `answer::new_rtc`); a second publish replaces the
    /// first (an engine that restarted its media).
    #[allow(clippy::too_many_arguments)]
    pub fn publish(
        &mut self,
        now: Instant,
        mut rtc: Rtc,
        call_id: &str,
        user: &str,
        offer: &str,
        low_from: Vec<String>,
        receive_from: Vec<String>,
    ) -> Result<String, String> {
        self.release(call_id, user);
        let answer = accept(&mut rtc, offer)?;
        self.peers.push(Peer::new(
            now,
            call_id.to_string(),
            user.to_string(),
            rtc,
            mids_in_order(offer),
            low_from,
            receive_from,
        ));
        self.drive(now, [self.peers.len() - 1], Vec::new());
        Ok(answer)
    }

    /// Re-assigns `user`'s receive slots, applying a new offer (more
    /// m-lines for more slots) if given; the streams the slots now carry
    /// start, so their senders are asked for key frames.
    pub fn update(
        &mut self,
        now: Instant,
        call_id: &str,
        user: &str,
        offer: Option<&str>,
        receive_from: Vec<String>,
    ) -> Result<Option<String>, String> {
        let i = self
            .find(call_id, user)
            .ok_or_else(|| format!("{user} has no media in call {call_id}"))?;
        let answer = match offer {
            Some(offer) => Some(renegotiate(&mut self.peers[i], offer)?),
            None => None,
        };
        self.peers[i].receive_from = receive_from;
        self.drive(now, [i], vec![Work::Keyframe(i, Wanted::All)]);
        Ok(answer)
    }

    /// Chooses which layer of `sender` `user` receives; a switch asks for
    /// a key frame of the layer that starts.
    pub fn subscribe(&mut self, now: Instant, call_id: &str, user: &str, sender: &str, low: bool) {
        let Some(i) = self.find(call_id, user) else {
            return;
        };
        let peer = &mut self.peers[i];
        let switched = if low {
            peer.low_from.insert(sender.to_string())
        } else {
            peer.low_from.remove(sender)
        };
        if switched {
            self.drive(now, [], vec![Work::Keyframe(i, Wanted::All)]);
        }
    }

    /// Drops `user`'s peer connection in `call_id`, if any.
    pub fn release(&mut self, call_id: &str, user: &str) {
        self.peers
            .retain(|p| !(p.call_id == call_id && p.user == user));
    }

    /// Impairs what the SFU sends to `user` (in every call) from now on; a
    /// clear profile lifts it. Datagrams already held keep their time.
    pub fn impair(&mut self, user: &str, profile: NetworkProfile) {
        if profile.is_clear() {
            self.impairments.remove(user);
        } else if let Some(imp) = self.impairments.get_mut(user) {
            imp.set_profile(profile);
        } else {
            let imp = Impairment::new(profile, &format!("{}/{user}", self.seed));
            self.impairments.insert(user.to_string(), imp);
        }
    }

    pub fn stats(&self) -> MediaStats {
        MediaStats {
            peers: self.peers.len(),
            ..self.stats
        }
    }

    /// A datagram from `source`: STUN, DTLS, RTP or RTCP for the peer
    /// connection that accepts it. Anything else is counted and dropped.
    pub fn handle_receive(&mut self, now: Instant, source: SocketAddr, contents: &[u8]) {
        let Ok(contents) = contents.try_into() else {
            self.stats.unroutable_datagrams += 1;
            return;
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source,
                destination: self.local,
                contents,
            },
        );
        let Some(i) = self.peers.iter().position(|p| p.rtc.accepts(&input)) else {
            self.stats.unroutable_datagrams += 1;
            return;
        };
        let peer = &mut self.peers[i];
        if let Err(e) = peer.rtc.handle_input(input) {
            tracing::debug!(call = peer.call_id, user = peer.user, "input refused: {e}");
            peer.rtc.disconnect();
            self.stats.failed_peers += 1;
        }
        self.drive(now, [i], Vec::new());
    }

    /// Time passes: the peers whose timeout is due get it.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut due = Vec::new();
        for (i, peer) in self.peers.iter_mut().enumerate() {
            if peer.due <= now {
                let _ = peer.rtc.handle_input(Input::Timeout(now));
                due.push(i);
            }
        }
        if !due.is_empty() {
            self.drive(now, due, Vec::new());
        }
    }

    /// The next datagram to send at `now`: ready ones first, then impaired
    /// ones whose time has come.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        if let Some(t) = self.outbox.pop_front() {
            return Some(t);
        }
        self.delayed
            .pop_due(now)
            .map(|(destination, contents)| Transmit {
                destination,
                contents,
            })
    }

    /// When the SFU next needs [`Sfu::handle_timeout`] or has a held
    /// datagram due; `None` with no peers and nothing held.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let peers = self.peers.iter().map(|p| p.due).min();
        match (peers, self.delayed.next_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn find(&self, call_id: &str, user: &str) -> Option<usize> {
        self.peers
            .iter()
            .position(|p| p.call_id == call_id && p.user == user)
    }

    /// Drains the peers just given input (`touched`), then carries out
    /// `work` and what the draining produced (frames to forward, key frames
    /// to ask for), draining each peer it writes to right after, until
    /// nothing is left.
    fn drive(&mut self, now: Instant, touched: impl IntoIterator<Item = usize>, work: Vec<Work>) {
        let mut queue = VecDeque::from(work);
        for i in touched {
            self.drain(i, now, &mut queue);
        }
        while let Some(item) = queue.pop_front() {
            match item {
                Work::Frame(from, data) => self.forward(from, &data, now, &mut queue),
                Work::Keyframe(receiver, wanted) => {
                    for sender in keyframes::relay(&mut self.peers, receiver, &wanted, now) {
                        self.drain(sender, now, &mut queue);
                    }
                }
            }
        }
        // Only now: the work above names peers by position.
        self.peers.retain(|p| p.rtc.is_alive());
    }

    /// Polls peer `i` until str0m asks for a timeout: datagrams go out
    /// (through the user's impairment), frames and keyframe requests are
    /// queued.
    fn drain(&mut self, i: usize, now: Instant, queue: &mut VecDeque<Work>) {
        let Some(peer) = self.peers.get_mut(i) else {
            return;
        };
        loop {
            match peer.rtc.poll_output() {
                Ok(Output::Transmit(t)) => {
                    let contents = t.contents.to_vec();
                    self.stats.sent_datagrams += 1;
                    self.stats.sent_bytes += contents.len() as u64;
                    let verdict = self
                        .impairments
                        .get_mut(&peer.user)
                        .map(|imp| imp.offer(now, contents.len()));
                    match verdict {
                        None => self.outbox.push_back(Transmit {
                            destination: t.destination,
                            contents,
                        }),
                        Some(Verdict::SendAt(at)) if at <= now => self.outbox.push_back(Transmit {
                            destination: t.destination,
                            contents,
                        }),
                        Some(Verdict::SendAt(at)) => self.delayed.push(at, t.destination, contents),
                        Some(Verdict::Drop) => self.stats.impaired_drops += 1,
                    }
                }
                Ok(Output::Timeout(t)) => {
                    peer.due = t;
                    return;
                }
                Ok(Output::Event(Event::MediaData(data))) => {
                    queue.push_back(Work::Frame(i, Box::new(data)));
                }
                Ok(Output::Event(Event::KeyframeRequest(req))) => {
                    queue.push_back(Work::Keyframe(i, Wanted::Mline(req.mid)));
                }
                Ok(Output::Event(Event::Connected)) => {
                    queue.push_back(Work::Keyframe(i, Wanted::All));
                }
                Ok(Output::Event(_)) => {}
                Err(e) => {
                    tracing::debug!(call = peer.call_id, user = peer.user, "peer failed: {e}");
                    peer.rtc.disconnect();
                    self.stats.failed_peers += 1;
                    return;
                }
            }
        }
    }

    /// Writes a frame peer `from` sent to every receiver its route names
    /// (same call, the m-line of the sender's slot, the layer chosen), in
    /// the payload type each receiver negotiated for that codec.
    fn forward(&mut self, from: usize, data: &MediaData, now: Instant, queue: &mut VecDeque<Work>) {
        let Some(sender) = self.peers.get(from) else {
            return;
        };
        let Some(index) = sender.mline_of(&data.mid) else {
            return;
        };
        let (call_id, user) = (sender.call_id.clone(), sender.user.clone());
        if !data.contiguous
            && matches!(index, VIDEO | VIDEO_LOW)
            && keyframes::repair(&mut self.peers, from, index, now)
        {
            self.drain(from, now, queue);
        }
        for i in 0..self.peers.len() {
            let peer = &mut self.peers[i];
            if i == from || peer.call_id != call_id {
                continue;
            }
            let Some(out) = route(index, peer, &user) else {
                continue;
            };
            let Some(out_mid) = peer.mids.get(out) else {
                continue;
            };
            let Some(writer) = peer.rtc.writer(out_mid.as_str().into()) else {
                continue;
            };
            let Some(pt) = writer.match_params(data.params) else {
                continue;
            };
            if writer
                .write(pt, data.network_time, data.time, data.data.clone())
                .is_ok()
            {
                self.stats.forwarded_frames += 1;
            }
            self.drain(i, now, queue);
        }
    }
}

#[cfg(test)]
#[path = "sfu_tests.rs"]
mod tests;
