//! One participant's peer connection in one call, and what the SFU knows
//! about it: which m-line is which, whom each receive slot carries, which
//! layer it takes from whom, and when str0m next wants its time.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use str0m::Rtc;

pub(crate) struct Peer {
    pub call_id: String,
    pub user: String,
    pub rtc: Rtc,
    /// Senders whose low-resolution stream this peer receives.
    pub low_from: HashSet<String>,
    /// The mids of the peer's m-lines, by position.
    pub mids: Vec<String>,
    /// Receive slot `k` carries this user's media ("" = free); empty: slot 0
    /// carries every other member (one-to-one calls).
    pub receive_from: Vec<String>,
    /// When str0m next needs a timeout input.
    pub due: Instant,
    /// When a key frame was last asked of this peer, per m-line it sends
    /// on: requests closer together are merged into that one.
    pub keyframe_asked: HashMap<usize, Instant>,
}

impl Peer {
    pub fn new(
        now: Instant,
        call_id: String,
        user: String,
        rtc: Rtc,
        mids: Vec<String>,
        low_from: Vec<String>,
        receive_from: Vec<String>,
    ) -> Peer {
        Peer {
            call_id,
            user,
            rtc,
            low_from: low_from.into_iter().collect(),
            mids,
            receive_from,
            due: now,
            keyframe_asked: HashMap::new(),
        }
    }

    /// The position of m-line `mid` in the peer's offer.
    pub fn mline_of(&self, mid: &str) -> Option<usize> {
        self.mids.iter().position(|m| m == mid)
    }
}
