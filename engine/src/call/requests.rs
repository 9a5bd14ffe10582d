//! Requests in flight: their ids, what each one was (to read its answer),
//! and when each stops being waited for. A request's clock starts when its
//! frame is handed to the shell (`connect`'s when it is called): the
//! deadline is that moment plus the request timeout.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use nccall_protocol::{Request, StartCallParams};

/// Names one API call until its [`crate::Completion`] comes back.
pub type RequestId = u64;

/// What an in-flight request was, to interpret its answer.
#[derive(Debug, Clone)]
pub(super) enum Pending {
    /// `connect`: answered once `hello` on a new link succeeds.
    Connect,
    /// The `hello` of a link (answered to the `connect`, if one waits).
    Hello,
    Heartbeat,
    Ack,
    StartCall(StartCallParams),
    AcceptCall(String),
    EndCall,
    /// The hang-up of the current call that answering another one needs
    /// first (the spec's preemption); once it succeeds, `frame` (the
    /// answer) is sent as request `accept`, whose clock starts then.
    PreemptingEnd {
        accept: RequestId,
        frame: Box<Request>,
    },
    InviteToCall,
    JoinCall,
    SetMediaState,
    RequestMediaChange,
    SettleMediaChange,
    History,
    Publish,
    UpdateMedia,
    Ongoing,
    Delete,
    DeleteAll,
}

#[derive(Debug)]
struct InFlight {
    kind: Pending,
    /// `None` until the frame leaves.
    deadline: Option<Instant>,
}

#[derive(Debug)]
pub(super) struct Requests {
    next: RequestId,
    in_flight: HashMap<RequestId, InFlight>,
    timeout: Duration,
}

impl Requests {
    pub fn new(timeout: Duration) -> Self {
        Requests {
            next: 0,
            in_flight: HashMap::new(),
            timeout,
        }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// A new request; its clock starts with [`Requests::start_clock`].
    pub fn open(&mut self, kind: Pending) -> RequestId {
        self.next += 1;
        self.in_flight.insert(
            self.next,
            InFlight {
                kind,
                deadline: None,
            },
        );
        self.next
    }

    /// The request's frame left (or, for `connect`, was asked for) at `now`.
    pub fn start_clock(&mut self, id: RequestId, now: Instant) {
        if let Some(r) = self.in_flight.get_mut(&id)
            && r.deadline.is_none()
        {
            r.deadline = Some(now + self.timeout);
        }
    }

    /// The answer came: what the request was, if it is still awaited.
    pub fn take(&mut self, id: RequestId) -> Option<Pending> {
        self.in_flight.remove(&id).map(|r| r.kind)
    }

    /// The first awaited request, in id order, for which `f` gives a value.
    pub fn find_map<'a, T>(&'a self, f: impl Fn(&'a Pending) -> Option<T>) -> Option<T> {
        self.in_flight.values().find_map(|r| f(&r.kind))
    }

    pub fn any(&self, f: impl Fn(&Pending) -> bool) -> bool {
        self.in_flight.values().any(|r| f(&r.kind))
    }

    /// Every request whose deadline passed at `now`, in id order.
    pub fn expired(&mut self, now: Instant) -> Vec<(RequestId, Pending)> {
        let mut ids: Vec<RequestId> = self
            .in_flight
            .iter()
            .filter(|(_, r)| r.deadline.is_some_and(|d| d <= now))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids.into_iter()
            .filter_map(|id| self.take(id).map(|kind| (id, kind)))
            .collect()
    }

    /// Every request except those `keep` holds on to, in id order (a lost
    /// link fails what was sent on it).
    pub fn drain_except(&mut self, keep: impl Fn(&Pending) -> bool) -> Vec<(RequestId, Pending)> {
        let mut ids: Vec<RequestId> = self
            .in_flight
            .iter()
            .filter(|(_, r)| !keep(&r.kind))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids.into_iter()
            .filter_map(|id| self.take(id).map(|kind| (id, kind)))
            .collect()
    }

    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.in_flight.values().filter_map(|r| r.deadline).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_expires_a_timeout_after_its_frame_left() {
        let t0 = Instant::now();
        let mut r = Requests::new(Duration::from_secs(10));
        let a = r.open(Pending::Ongoing);
        let b = r.open(Pending::History);
        assert_eq!(r.poll_timeout(), None, "no clock before the frame leaves");
        r.start_clock(a, t0);
        r.start_clock(b, t0 + Duration::from_secs(1));
        r.start_clock(a, t0 + Duration::from_secs(5)); // started once only
        assert_eq!(r.poll_timeout(), Some(t0 + Duration::from_secs(10)));
        assert!(r.expired(t0 + Duration::from_millis(9_999)).is_empty());
        let gone: Vec<RequestId> = r
            .expired(t0 + Duration::from_secs(10))
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(gone, [a]);
        assert!(r.take(a).is_none());
        assert_eq!(r.poll_timeout(), Some(t0 + Duration::from_secs(11)));
    }
}
