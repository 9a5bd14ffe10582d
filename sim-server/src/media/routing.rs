//! Where a frame goes: which receiver, on which m-line, from which of a
//! sender's layers. Pure functions of the peer table, shared by forwarding
//! and by the keyframe relay (a request goes back along the same route).
//!
//! Every participant's offer has the same m-lines by position: audio,
//! video, low-resolution video (sent), then a recvonly audio and video
//! pair per extra receive slot. Mids themselves are whatever the offerer
//! chose (the `webrtc` crate numbers them, str0m draws them, a browser
//! numbers them): positions are what the SFU routes by.

use super::peer::Peer;

pub(crate) const AUDIO: usize = 0;
pub(crate) const VIDEO: usize = 1;
pub(crate) const VIDEO_LOW: usize = 2;

/// The receive slot of `receiver` that carries `sender`, if any.
fn slot_of(receiver: &Peer, sender: &str) -> Option<usize> {
    if receiver.receive_from.is_empty() {
        return Some(0);
    }
    receiver.receive_from.iter().position(|u| u == sender)
}

/// The m-line of receive slot `slot` for audio or video: slot 0 shares the
/// sending m-lines, later slots have a recvonly pair each after m-line 2.
fn slot_mline(slot: usize, video: bool) -> usize {
    let base = if slot == 0 { AUDIO } else { 3 + 2 * (slot - 1) };
    base + usize::from(video)
}

/// Where a frame that `sender` sent on m-line `index` goes for `receiver`,
/// if anywhere: audio to the audio m-line of the sender's slot; the full
/// video to its video m-line for receivers who want it, the low one for
/// those who asked for it. Nothing else is forwarded.
pub(crate) fn route(index: usize, receiver: &Peer, sender: &str) -> Option<usize> {
    let low = receiver.low_from.contains(sender);
    let slot = slot_of(receiver, sender)?;
    match index {
        AUDIO => Some(slot_mline(slot, false)),
        VIDEO if !low => Some(slot_mline(slot, true)),
        VIDEO_LOW if low => Some(slot_mline(slot, true)),
        _ => None,
    }
}

/// The senders (peer index, sending m-line) whose stream `receiver` gets
/// on its m-line `mline`; every video stream it gets when `mline` is None.
pub(crate) fn video_sources(
    peers: &[Peer],
    receiver: usize,
    mline: Option<usize>,
) -> Vec<(usize, usize)> {
    let Some(r) = peers.get(receiver) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (i, s) in peers.iter().enumerate() {
        if i == receiver || s.call_id != r.call_id {
            continue;
        }
        for index in [VIDEO, VIDEO_LOW] {
            match route(index, r, &s.user) {
                Some(out) if mline.is_none_or(|m| m == out) => found.push((i, index)),
                _ => {}
            }
        }
    }
    found
}

/// The mids of an SDP's m-lines, in order.
pub(crate) fn mids_in_order(sdp: &str) -> Vec<String> {
    sdp.lines()
        .filter_map(|l| l.trim_end().strip_prefix("a=mid:"))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    pub(crate) fn peer(call_id: &str, user: &str, receive_from: &[&str]) -> Peer {
        Peer::new(
            Instant::now(),
            call_id.to_string(),
            user.to_string(),
            str0m::Rtc::new(Instant::now()),
            ["0", "1", "2", "3", "4"].map(String::from).to_vec(),
            Vec::new(),
            receive_from.iter().map(|u| u.to_string()).collect(),
        )
    }

    #[test]
    fn a_keyframe_request_goes_to_the_sender_of_that_mline_and_layer() {
        let mut peers = vec![
            peer("c1", "alice", &[]),
            peer("c1", "bob", &[]),
            peer("c2", "carol", &[]),
        ];
        // Bob gets alice's full layer on his video m-line; audio has no key frames.
        assert_eq!(video_sources(&peers, 1, Some(VIDEO)), vec![(0, VIDEO)]);
        assert_eq!(video_sources(&peers, 1, Some(AUDIO)), vec![]);
        // After a layer switch, the low layer is what bob decodes.
        peers[1].low_from.insert("alice".into());
        assert_eq!(video_sources(&peers, 1, Some(VIDEO)), vec![(0, VIDEO_LOW)]);
        // Carol is in another call: nobody's stream starts for her.
        assert_eq!(video_sources(&peers, 2, None), vec![]);
        // A receiver that is gone has no sources.
        assert_eq!(video_sources(&peers, 7, None), vec![]);
    }

    #[test]
    fn in_a_group_call_each_slot_names_its_sender() {
        let peers = vec![
            peer("g", "alice", &["bob", "carol"]),
            peer("g", "bob", &["alice", "carol"]),
            peer("g", "carol", &["alice", "bob"]),
        ];
        // Alice's slot 1 (m-lines 3 and 4) carries carol.
        assert_eq!(video_sources(&peers, 0, Some(4)), vec![(2, VIDEO)]);
        assert_eq!(video_sources(&peers, 0, Some(VIDEO)), vec![(1, VIDEO)]);
        // A stream start asks both senders.
        assert_eq!(video_sources(&peers, 0, None), vec![(1, VIDEO), (2, VIDEO)]);
    }

    #[test]
    fn the_low_layer_goes_only_to_those_who_asked_for_it() {
        let mut bob = peer("c", "bob", &[]);
        assert_eq!(route(VIDEO, &bob, "alice"), Some(VIDEO));
        assert_eq!(route(VIDEO_LOW, &bob, "alice"), None);
        bob.low_from.insert("alice".into());
        assert_eq!(route(VIDEO, &bob, "alice"), None);
        assert_eq!(route(VIDEO_LOW, &bob, "alice"), Some(VIDEO));
        // Audio follows the slot; an m-line past the sending ones goes nowhere.
        assert_eq!(route(AUDIO, &bob, "alice"), Some(AUDIO));
        assert_eq!(route(3, &bob, "alice"), None);
    }
}
