//! When the current call's media is built, published, re-assigned, rebuilt
//! and released. Decided here, from the sessions and the shell's media
//! reports; carried out by the shell (`engine/call_media.rs`), which owns
//! the peer connections and says nothing about when.
//!
//! The rules: a call about to connect gets its peer connection built ahead
//! (the caller's while the callee rings, the callee's from the moment it
//! accepts); it is published once the call is connected, with the receive
//! slots of that moment; later changes of the members re-assign the slots
//! (`media/slots.rs`); a lost media path is rebuilt, again after 100 ms
//! doubling to 2 s while rebuilding fails; the media is released when the
//! call ends or another call takes its place.

use std::time::{Duration, Instant};

use crate::media::assign_slots;

/// What the shell is asked to do with a call's media, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaIntent {
    /// Build a peer connection for `call_id` with room for
    /// `receive_slots` remote members, ahead of the call connecting.
    Prepare {
        call_id: String,
        receive_slots: usize,
    },
    /// The call is connected: publish the prepared connection (built again
    /// first if it has fewer receive slots than `slots`) with this
    /// assignment of remote members to receive slots.
    Publish { call_id: String, slots: Vec<String> },
    /// The members changed: tell the media server who each slot carries
    /// now, adding slots first if there are more than the connection has.
    UpdateSlots { call_id: String, slots: Vec<String> },
    /// The media path was lost: close the connection, build and publish a
    /// new one with these slots, and report how it went.
    Rebuild { call_id: String, slots: Vec<String> },
    /// The call's media ends: close its connection.
    Release { call_id: String },
}

impl MediaIntent {
    /// The call the intent is about.
    pub fn call_id(&self) -> &str {
        match self {
            MediaIntent::Prepare { call_id, .. }
            | MediaIntent::Publish { call_id, .. }
            | MediaIntent::UpdateSlots { call_id, .. }
            | MediaIntent::Rebuild { call_id, .. }
            | MediaIntent::Release { call_id } => call_id,
        }
    }
}

/// What the shell reports about the media it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaReport {
    /// The published connection's path was lost (silent for the loss timeout).
    Lost,
    /// A rebuild asked for with [`MediaIntent::Rebuild`] worked.
    Rebuilt,
    /// A rebuild failed (e.g. signaling is reconnecting): try again later.
    RebuildFailed,
    /// Building or publishing the first connection failed: the call goes on
    /// without media.
    Failed,
}

/// The first wait before rebuilding again after a failed rebuild.
const REBUILD_FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// The longest wait between rebuild attempts.
const REBUILD_MAX_BACKOFF: Duration = Duration::from_secs(2);

/// The media the machine has asked for: none, or one call's.
#[derive(Debug, Default)]
pub(super) struct MediaPlan {
    current: Option<Planned>,
}

#[derive(Debug)]
struct Planned {
    call_id: String,
    slots: Vec<String>,
    published: bool,
    /// The first connection failed: nothing more is asked for this call.
    failed: bool,
    /// A rebuild is being carried out.
    rebuilding: bool,
    /// When to ask for a rebuild again after one failed.
    retry_at: Option<Instant>,
    backoff: Duration,
}

/// The call whose media should exist now, as the sessions say.
pub(super) struct WantedMedia<'a> {
    pub call_id: &'a str,
    /// The call is connected (publish); otherwise it is about to be.
    pub connected: bool,
    /// Remote members not ended (ringing ones included: they get a slot
    /// before they answer, so answering needs no renegotiation).
    pub members: Vec<String>,
}

impl MediaPlan {
    /// Brings the plan in line with `wanted`, pushing the intents that takes.
    pub(super) fn follow(&mut self, wanted: Option<WantedMedia<'_>>, out: &mut Vec<MediaIntent>) {
        let same_call = match (&self.current, &wanted) {
            (Some(p), Some(w)) => p.call_id == w.call_id,
            _ => false,
        };
        if !same_call && let Some(old) = self.current.take() {
            out.push(MediaIntent::Release {
                call_id: old.call_id,
            });
        }
        let Some(wanted) = wanted else { return };
        let planned = self.current.get_or_insert_with(|| {
            let slots = assign_slots(&[], &wanted.members);
            out.push(MediaIntent::Prepare {
                call_id: wanted.call_id.to_string(),
                receive_slots: slots.len().max(1),
            });
            Planned {
                call_id: wanted.call_id.to_string(),
                slots,
                published: false,
                failed: false,
                rebuilding: false,
                retry_at: None,
                backoff: REBUILD_FIRST_BACKOFF,
            }
        });
        if planned.failed {
            return;
        }
        let next = assign_slots(&planned.slots, &wanted.members);
        if next != planned.slots {
            planned.slots = next;
            // Before publishing, the publish carries the latest slots.
            if planned.published {
                out.push(MediaIntent::UpdateSlots {
                    call_id: planned.call_id.clone(),
                    slots: planned.slots.clone(),
                });
            }
        }
        if wanted.connected && !planned.published {
            planned.published = true;
            out.push(MediaIntent::Publish {
                call_id: planned.call_id.clone(),
                slots: planned.slots.clone(),
            });
        }
    }

    /// What the shell said about `call_id`'s media at `now`.
    pub(super) fn report(
        &mut self,
        now: Instant,
        call_id: &str,
        report: MediaReport,
        out: &mut Vec<MediaIntent>,
    ) {
        let Some(planned) = self.current.as_mut().filter(|p| p.call_id == call_id) else {
            return; // about media released since
        };
        match report {
            MediaReport::Lost => {
                if planned.published && !planned.failed && !planned.rebuilding {
                    planned.rebuilding = true;
                    out.push(MediaIntent::Rebuild {
                        call_id: planned.call_id.clone(),
                        slots: planned.slots.clone(),
                    });
                }
            }
            MediaReport::Rebuilt => {
                planned.rebuilding = false;
                planned.backoff = REBUILD_FIRST_BACKOFF;
            }
            MediaReport::RebuildFailed => {
                planned.retry_at = Some(now + planned.backoff);
                planned.backoff = (planned.backoff * 2).min(REBUILD_MAX_BACKOFF);
            }
            MediaReport::Failed => planned.failed = true,
        }
    }

    /// When a failed rebuild is to be tried again.
    #[must_use]
    pub(super) fn poll_timeout(&self) -> Option<Instant> {
        self.current.as_ref().and_then(|p| p.retry_at)
    }

    /// Asks for the rebuild again if its wait is over.
    pub(super) fn handle_timeout(&mut self, now: Instant, out: &mut Vec<MediaIntent>) {
        if let Some(planned) = self.current.as_mut()
            && planned.retry_at.is_some_and(|at| at <= now)
        {
            planned.retry_at = None;
            out.push(MediaIntent::Rebuild {
                call_id: planned.call_id.clone(),
                slots: planned.slots.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted<'a>(call_id: &'a str, connected: bool, members: &[&str]) -> Option<WantedMedia<'a>> {
        Some(WantedMedia {
            call_id,
            connected,
            members: members.iter().map(|m| m.to_string()).collect(),
        })
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|m| m.to_string()).collect()
    }

    #[test]
    fn built_ahead_published_on_connect_with_the_slots_of_then_released_at_the_end() {
        let mut plan = MediaPlan::default();
        let mut out = Vec::new();
        plan.follow(wanted("c1", false, &["bob"]), &mut out);
        plan.follow(wanted("c1", false, &["bob"]), &mut out);
        assert_eq!(
            out,
            [MediaIntent::Prepare {
                call_id: "c1".into(),
                receive_slots: 1
            }]
        );
        out.clear();
        // A member invited before the call connects: no update before the
        // publish; the publish carries both.
        plan.follow(wanted("c1", false, &["bob", "carol"]), &mut out);
        assert!(out.is_empty(), "{out:?}");
        plan.follow(wanted("c1", true, &["bob", "carol"]), &mut out);
        assert_eq!(
            out,
            [MediaIntent::Publish {
                call_id: "c1".into(),
                slots: names(&["bob", "carol"])
            }]
        );
        out.clear();
        // Bob leaves: his slot is freed, not removed.
        plan.follow(wanted("c1", true, &["carol"]), &mut out);
        assert_eq!(
            out,
            [MediaIntent::UpdateSlots {
                call_id: "c1".into(),
                slots: names(&["", "carol"])
            }]
        );
        out.clear();
        plan.follow(None, &mut out);
        assert_eq!(
            out,
            [MediaIntent::Release {
                call_id: "c1".into()
            }]
        );
    }

    #[test]
    fn another_call_releases_the_first_before_preparing() {
        let mut plan = MediaPlan::default();
        let mut out = Vec::new();
        plan.follow(wanted("c1", true, &["bob"]), &mut out);
        out.clear();
        plan.follow(wanted("c2", false, &["carol"]), &mut out);
        assert_eq!(
            out,
            [
                MediaIntent::Release {
                    call_id: "c1".into()
                },
                MediaIntent::Prepare {
                    call_id: "c2".into(),
                    receive_slots: 1
                }
            ]
        );
    }

    #[test]
    fn a_lost_path_is_rebuilt_and_failed_rebuilds_back_off() {
        let t0 = Instant::now();
        let mut plan = MediaPlan::default();
        let mut out = Vec::new();
        plan.report(t0, "c1", MediaReport::Lost, &mut out);
        assert!(out.is_empty(), "no media planned: nothing to rebuild");
        plan.follow(wanted("c1", true, &["bob"]), &mut out);
        out.clear();
        plan.report(t0, "c1", MediaReport::Lost, &mut out);
        plan.report(t0, "c1", MediaReport::Lost, &mut out);
        let rebuild = MediaIntent::Rebuild {
            call_id: "c1".into(),
            slots: names(&["bob"]),
        };
        assert_eq!(out, std::slice::from_ref(&rebuild), "one rebuild at a time");
        out.clear();
        let mut at = t0;
        for wait in [100, 200, 400, 800, 1600, 2000, 2000] {
            plan.report(at, "c1", MediaReport::RebuildFailed, &mut out);
            let due = plan.poll_timeout().expect("a retry");
            assert_eq!(due - at, Duration::from_millis(wait));
            plan.handle_timeout(due - Duration::from_millis(1), &mut out);
            assert!(out.is_empty());
            plan.handle_timeout(due, &mut out);
            assert_eq!(out, std::slice::from_ref(&rebuild));
            out.clear();
            at = due;
        }
        plan.report(at, "c1", MediaReport::Rebuilt, &mut out);
        plan.report(at, "c1", MediaReport::Lost, &mut out);
        plan.report(at, "c1", MediaReport::RebuildFailed, &mut out);
        assert_eq!(
            plan.poll_timeout().map(|due| due - at),
            Some(Duration::from_millis(100)),
            "a rebuild that worked starts the backoff again"
        );
    }

    #[test]
    fn a_call_whose_first_connection_failed_asks_for_nothing_more() {
        let mut plan = MediaPlan::default();
        let mut out = Vec::new();
        plan.follow(wanted("c1", false, &["bob"]), &mut out);
        plan.report(Instant::now(), "c1", MediaReport::Failed, &mut out);
        out.clear();
        plan.follow(wanted("c1", true, &["bob", "carol"]), &mut out);
        plan.report(Instant::now(), "c1", MediaReport::Lost, &mut out);
        assert!(out.is_empty(), "{out:?}");
        plan.follow(None, &mut out);
        assert_eq!(
            out,
            [MediaIntent::Release {
                call_id: "c1".into()
            }]
        );
    }
}
