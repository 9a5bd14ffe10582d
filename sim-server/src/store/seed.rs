//! Seeded call logs, so that scenarios and benchmarks can page through
//! hundreds (or a hundred thousand) of them.
//!
//! ```yaml
//! seed_call_logs:
//!   - { owner: alice, peer: bob, count: 250, first_end_time: 1767225600000, interval_ms: 60000 }
//! ```
//! Each seeded call is a connected one-to-one audio call from `owner` to
//! `peer` lasting 30 s, logged for both; `interval_ms: 0` gives them all the
//! same end time.

use nccall_protocol::{
    CallDirection, CallEndReason, CallLog, CallLogParticipant, CallMediaType, CallType,
    CallUserState,
};
use serde::Deserialize;

/// Call logs to store at start, for history tests: `count` calls between
/// `owner` and `peer`, ending `interval_ms` apart from `first_end_time`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedSpec {
    /// Whose logs.
    pub owner: String,
    /// The other participant.
    pub peer: String,
    /// How many calls.
    pub count: usize,
    /// When the first ended (ms since the Unix epoch).
    pub first_end_time: i64,
    /// Time between two calls' ends.
    #[serde(default)]
    pub interval_ms: i64,
}

impl SeedSpec {
    /// The calls to store, oldest first: `(end_time, logs)`.
    pub fn calls(&self, prefix: &str) -> Vec<(i64, Vec<(String, CallLog)>)> {
        (0..self.count)
            .map(|n| {
                let end = self.first_end_time + self.interval_ms * n as i64;
                let call_id = format!("{prefix}-{n}");
                let participants = vec![
                    CallLogParticipant {
                        user_id: self.owner.clone(),
                        user_state: CallUserState::OnCall,
                    },
                    CallLogParticipant {
                        user_id: self.peer.clone(),
                        user_state: CallUserState::OnCall,
                    },
                ];
                let log = |direction, reason| CallLog {
                    call_id: call_id.clone(),
                    caller_user_id: self.owner.clone(),
                    inviter_user_id: self.owner.clone(),
                    participants: participants.clone(),
                    call_type: CallType::Single,
                    media_type: CallMediaType::Audio,
                    direction,
                    start_time: Some(end - 30_000),
                    end_time: Some(end),
                    duration_ms: 30_000,
                    end_reason: Some(reason),
                    missed: false,
                    extra: None,
                    target_id: None,
                    sync_time: None,
                };
                let logs = vec![
                    (
                        self.owner.clone(),
                        log(CallDirection::Outgoing, CallEndReason::Hangup),
                    ),
                    (
                        self.peer.clone(),
                        log(CallDirection::Incoming, CallEndReason::RemoteHangup),
                    ),
                ];
                (end, logs)
            })
            .collect()
    }
}
