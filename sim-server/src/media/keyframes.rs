//! Where a keyframe request is relayed. A decoder that starts on a stream
//! already under way, or loses a reference, needs a key frame, and only
//! the stream's sender can make one; the SFU does not decode, so it relays:
//!
//! - a receiver's PLI or FIR on an m-line goes, as a PLI, to the sender of
//!   the stream that receiver gets on that m-line (full or low layer,
//!   whichever it chose);
//! - a receiver whose streams start (its connection comes up, it switches
//!   layer, its slots are re-assigned) gets a key frame of every video
//!   stream it receives asked for on its behalf;
//! - a sender's stream that arrives broken (packets lost on the way in:
//!   str0m hands the frame over as not contiguous) gets a key frame asked
//!   of its sender: the SFU repacketizes with sequence numbers of its own,
//!   so a receiver's decoder cannot see the gap and would not ask;
//! - requests to one sender's stream closer together than
//!   [`KEYFRAME_REQUEST_INTERVAL`] are merged: a receiver flooding PLIs
//!   costs the sender at most one key frame per interval, and several
//!   receivers starting at once get one between them.

use std::time::{Duration, Instant};

use str0m::media::{KeyframeRequestKind, Mid};

use super::peer::Peer;
use super::routing::video_sources;

/// Keyframe requests relayed to one sender's stream at most this often.
pub const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_millis(200);

/// What a receiver wants a key frame of.
#[derive(Debug, Clone)]
pub(crate) enum Wanted {
    /// The stream it gets on this m-line (it sent a PLI or FIR there).
    Mline(Mid),
    /// Every video stream it gets (they just started).
    All,
}

/// Relays `receiver`'s request to the senders of those streams; returns
/// the senders asked (their peer connections now have output to drain).
pub(crate) fn relay(
    peers: &mut [Peer],
    receiver: usize,
    wanted: &Wanted,
    now: Instant,
) -> Vec<usize> {
    let Some(r) = peers.get(receiver) else {
        return Vec::new();
    };
    let mline = match wanted {
        Wanted::All => None,
        Wanted::Mline(mid) => match r.mline_of(mid) {
            Some(k) => Some(k),
            None => return Vec::new(),
        },
    };
    let mut asked = Vec::new();
    for (sender, index) in video_sources(peers, receiver, mline) {
        if ask(&mut peers[sender], index, now) {
            asked.push(sender);
        }
    }
    asked
}

/// Asks `sender` for a key frame of the stream it sends on m-line
/// `index` (it arrived broken); true if asked.
pub(crate) fn repair(peers: &mut [Peer], sender: usize, index: usize, now: Instant) -> bool {
    peers.get_mut(sender).is_some_and(|p| ask(p, index, now))
}

/// Asks `peer` for a key frame on its sending m-line `index`, unless one
/// was asked for within [`KEYFRAME_REQUEST_INTERVAL`]; true if asked.
fn ask(peer: &mut Peer, index: usize, now: Instant) -> bool {
    let recent = peer
        .keyframe_asked
        .get(&index)
        .is_some_and(|t| now.saturating_duration_since(*t) < KEYFRAME_REQUEST_INTERVAL);
    if recent {
        return false;
    }
    let Some(mid) = peer.mids.get(index).map(|m| Mid::from(m.as_str())) else {
        return false;
    };
    // No writer (the m-line is not sending yet): its first frame will be a
    // key frame anyway.
    let Some(mut writer) = peer.rtc.writer(mid) else {
        return false;
    };
    if writer
        .request_keyframe(None, KeyframeRequestKind::Pli)
        .is_err()
    {
        return false;
    }
    peer.keyframe_asked.insert(index, now);
    true
}
