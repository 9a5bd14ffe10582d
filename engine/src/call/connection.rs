//! When the engine has a signaling connection, and when it should do
//! something about it: open one (at `connect`, and again after a loss,
//! with backoff), send a heartbeat, or count a silent one as lost. Pure
//! bookkeeping over `Instant`s the caller passes in; the machine acts on
//! what it says (`machine.rs`), and the shell opens and closes sockets.

use std::time::{Duration, Instant};

/// The signaling connection as the app sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConnectionStatus {
    /// Never connected, or closed by `disconnect`.
    Disconnected,
    /// `hello` succeeded on a live connection.
    Connected,
    /// Lost; the engine is reconnecting and will resume its session.
    Reconnecting,
}

/// Whom to say `hello` as, kept from `connect` to reconnect with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Credentials {
    pub app_key: String,
    pub token: String,
    pub device_id: String,
}

/// Where the current link is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No link: none wanted, or waiting to retry.
    Down,
    /// The shell is opening link `generation`.
    Opening,
    /// The link is open and `hello` is in flight.
    Greeting,
    /// `hello` succeeded: requests may go.
    Ready,
}

/// What a timeout asks for.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Due {
    /// Open a link of this generation (a reconnect attempt).
    pub open: Option<u64>,
    /// A heartbeat is due on the ready link.
    pub heartbeat: bool,
}

#[derive(Debug)]
pub(super) struct Connection {
    credentials: Option<Credentials>,
    phase: Phase,
    /// Numbers links, so that reports about an old one are ignored.
    generation: u64,
    status: ConnectionStatus,
    reconnections: u64,
    /// The wait before the next attempt: 0, then 50 ms, doubling up to the cap.
    backoff: Duration,
    max_backoff: Duration,
    retry_at: Option<Instant>,
    heartbeat_interval: Duration,
    next_heartbeat: Option<Instant>,
}

/// The first retry after a failed one waits this long (then it doubles).
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// Heartbeats no closer than this, whatever the server asks.
const MIN_HEARTBEAT: Duration = Duration::from_millis(100);

impl Connection {
    pub fn new(max_backoff: Duration) -> Self {
        Connection {
            credentials: None,
            phase: Phase::Down,
            generation: 0,
            status: ConnectionStatus::Disconnected,
            reconnections: 0,
            backoff: Duration::ZERO,
            max_backoff,
            retry_at: None,
            heartbeat_interval: Duration::from_secs(20),
            next_heartbeat: None,
        }
    }

    pub fn status(&self) -> ConnectionStatus {
        self.status
    }

    pub fn reconnections(&self) -> u64 {
        self.reconnections
    }

    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    pub fn is_current(&self, generation: u64) -> bool {
        generation == self.generation && self.phase != Phase::Down
    }

    /// The app asked to connect: a new link, whatever there was.
    /// Returns the generation to open.
    pub fn want(&mut self, credentials: Credentials) -> u64 {
        self.credentials = Some(credentials);
        self.retry_at = None;
        self.backoff = Duration::ZERO;
        self.status = ConnectionStatus::Disconnected;
        self.next_link()
    }

    fn next_link(&mut self) -> u64 {
        self.generation += 1;
        self.phase = Phase::Opening;
        self.next_heartbeat = None;
        self.generation
    }

    /// Link `generation` opened: `hello` goes next. False if it is stale.
    pub fn opened(&mut self, generation: u64) -> bool {
        let current = self.is_current(generation) && self.phase == Phase::Opening;
        if current {
            self.phase = Phase::Greeting;
        }
        current
    }

    /// `hello` succeeded. Returns whether this was a reconnect.
    pub fn ready(&mut self, now: Instant, heartbeat_interval: Duration) -> bool {
        self.phase = Phase::Ready;
        self.backoff = Duration::ZERO;
        self.retry_at = None;
        self.heartbeat_interval = heartbeat_interval.max(MIN_HEARTBEAT);
        self.next_heartbeat = Some(now + self.heartbeat_interval);
        let reconnect = self.status == ConnectionStatus::Reconnecting;
        if reconnect {
            self.reconnections += 1;
        }
        self.status = ConnectionStatus::Connected;
        reconnect
    }

    /// The current link is gone (closed, failed to open, refused `hello`,
    /// or silent). A connection that was up is retried after the backoff;
    /// a first `connect` that failed is not (the app hears why).
    /// Returns whether a retry is scheduled.
    pub fn lost(&mut self, now: Instant) -> bool {
        self.phase = Phase::Down;
        self.next_heartbeat = None;
        let retry = self.credentials.is_some() && self.status != ConnectionStatus::Disconnected;
        if retry {
            self.status = ConnectionStatus::Reconnecting;
            self.retry_at = Some(now + self.backoff);
            self.backoff = (self.backoff * 2)
                .max(FIRST_BACKOFF)
                .min(self.max_backoff.max(FIRST_BACKOFF));
        } else {
            self.credentials = None;
            self.retry_at = None;
        }
        retry
    }

    /// The app closed the connection for good.
    pub fn give_up(&mut self) {
        self.credentials = None;
        self.phase = Phase::Down;
        self.retry_at = None;
        self.next_heartbeat = None;
        self.status = ConnectionStatus::Disconnected;
    }

    /// A heartbeat went out at `now` (scheduled or asked for): the next
    /// one is due an interval later.
    pub fn heartbeat_sent(&mut self, now: Instant) {
        if self.phase == Phase::Ready {
            self.next_heartbeat = Some(now + self.heartbeat_interval);
        }
    }

    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let heartbeat = self.next_heartbeat.filter(|_| self.phase == Phase::Ready);
        match (heartbeat, self.retry_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// What is due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) -> Due {
        let mut due = Due::default();
        if self.retry_at.is_some_and(|t| t <= now) && self.credentials.is_some() {
            self.retry_at = None;
            due.open = Some(self.next_link());
        }
        if self.phase == Phase::Ready && self.next_heartbeat.is_some_and(|t| t <= now) {
            due.heartbeat = true;
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> Credentials {
        Credentials {
            app_key: "app".into(),
            token: "t".into(),
            device_id: "d".into(),
        }
    }

    #[test]
    fn a_lost_connection_is_retried_with_doubling_backoff_up_to_the_cap() {
        let t0 = Instant::now();
        let mut c = Connection::new(Duration::from_millis(300));
        let g = c.want(credentials());
        assert!(c.opened(g));
        assert!(!c.ready(t0, Duration::from_secs(20)));
        let mut waits = Vec::new();
        let mut now = t0;
        for _ in 0..5 {
            assert!(c.lost(now));
            let at = c.poll_timeout().expect("a retry");
            waits.push(at - now);
            now = at;
            let due = c.handle_timeout(now);
            assert!(due.open.is_some());
        }
        let ms: Vec<u128> = waits.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [0, 50, 100, 200, 300]);
        assert_eq!(c.status(), ConnectionStatus::Reconnecting);
        let g = c.handle_timeout(now).open.unwrap_or(c.generation);
        assert!(c.opened(g));
        assert!(c.ready(now, Duration::from_secs(20)), "a reconnect");
        assert_eq!(c.reconnections(), 1);
    }

    #[test]
    fn a_first_connect_that_fails_is_not_retried() {
        let mut c = Connection::new(Duration::from_secs(2));
        c.want(credentials());
        assert!(!c.lost(Instant::now()));
        assert_eq!(c.poll_timeout(), None);
        assert!(c.credentials().is_none());
    }

    #[test]
    fn heartbeats_follow_the_interval_from_the_last_one_sent() {
        let t0 = Instant::now();
        let mut c = Connection::new(Duration::from_secs(2));
        let g = c.want(credentials());
        c.opened(g);
        c.ready(t0, Duration::from_millis(10)); // raised to the floor
        assert_eq!(c.poll_timeout(), Some(t0 + MIN_HEARTBEAT));
        assert!(!c.handle_timeout(t0).heartbeat);
        assert!(c.handle_timeout(t0 + MIN_HEARTBEAT).heartbeat);
        c.heartbeat_sent(t0 + MIN_HEARTBEAT);
        assert_eq!(c.poll_timeout(), Some(t0 + 2 * MIN_HEARTBEAT));
        assert!(!c.opened(g), "a report about the open link is stale now");
    }
}
