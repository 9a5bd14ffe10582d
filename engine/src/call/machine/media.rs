//! The machine's side of the current call's media: which call should have
//! media now (from the sessions and a pending accept), the shell's media
//! reports, and the intents they lead to (`media_plan.rs` has the rules).

use std::time::Instant;

use nccall_protocol::{CallState, CallUserState};

use super::{CallMachine, Output};
use crate::call::media_plan::{MediaReport, WantedMedia};
use crate::call::requests::Pending;

impl CallMachine {
    /// The shell's report about `call_id`'s media at `now`.
    pub fn handle_media_report(&mut self, now: Instant, call_id: &str, report: MediaReport) {
        let Some(plan) = self.media.as_mut() else {
            return;
        };
        let mut intents = Vec::new();
        plan.report(now, call_id, report, &mut intents);
        self.outputs.extend(intents.into_iter().map(Output::Media));
    }

    /// A failed rebuild's wait is over at `now`.
    pub(super) fn media_timeout(&mut self, now: Instant) {
        let Some(plan) = self.media.as_mut() else {
            return;
        };
        let mut intents = Vec::new();
        plan.handle_timeout(now, &mut intents);
        self.outputs.extend(intents.into_iter().map(Output::Media));
    }

    /// Brings the media in line with the sessions.
    pub(super) fn plan_media(&mut self) {
        // Out of `self` while it reads the sessions, and back.
        let Some(mut plan) = self.media.take() else {
            return;
        };
        let mut intents = Vec::new();
        plan.follow(self.wanted_media(), &mut intents);
        self.media = Some(plan);
        self.outputs.extend(intents.into_iter().map(Output::Media));
    }

    /// The call whose media should exist now. A call about to connect gets
    /// its peer connection built ahead: the caller's while the callee
    /// rings, the callee's from the moment it accepts.
    fn wanted_media(&self) -> Option<WantedMedia<'_>> {
        let current = self
            .current
            .as_ref()
            .and_then(|id| self.sessions.get(id))
            .and_then(|s| match s.call_state {
                CallState::OnCall => Some((s, true)),
                CallState::Calling | CallState::BusylineWait | CallState::Connecting => {
                    Some((s, false))
                }
                _ => None,
            });
        let accepting = || {
            self.requests
                .find_map(|p| match p {
                    Pending::AcceptCall(id) => self.sessions.get(id),
                    _ => None,
                })
                .filter(|s| {
                    matches!(
                        s.call_state,
                        CallState::Ringing | CallState::Invited | CallState::BusylineRinging
                    )
                })
                .map(|s| (s, false))
        };
        let (session, connected) = current.or_else(accepting)?;
        Some(WantedMedia {
            call_id: &session.call_id,
            connected,
            members: session
                .remote_participants
                .iter()
                .filter(|p| p.user_state() != CallUserState::Ended)
                .map(|p| p.user_id().to_string())
                .collect(),
        })
    }
}
