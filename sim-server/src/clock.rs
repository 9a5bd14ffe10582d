//! The simulator's clock: the system clock, or a virtual one that only moves
//! when told to, so that "60 seconds pass" takes no real time.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, the unit of every server time.
pub type Millis = i64;

/// Where virtual clocks start: 2026-01-01T00:00:00Z.
pub const VIRTUAL_EPOCH_MS: Millis = 1_767_225_600_000;

/// The server's clock: the system's, or a virtual one steps move.
#[derive(Debug, Clone)]
pub enum SimClock {
    /// Wall-clock time; timers fire on their own.
    System,
    /// Virtual time; timers fire only when [`crate::SimHandle::advance`] moves it.
    Virtual(Arc<AtomicI64>),
}

impl SimClock {
    /// A virtual clock reading [`VIRTUAL_EPOCH_MS`].
    pub fn virtual_at_epoch() -> Self {
        SimClock::Virtual(Arc::new(AtomicI64::new(VIRTUAL_EPOCH_MS)))
    }

    /// Milliseconds since the Unix epoch.
    pub fn now(&self) -> Millis {
        match self {
            SimClock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                .unwrap_or(0),
            SimClock::Virtual(t) => t.load(Ordering::SeqCst),
        }
    }

    /// Whether only [`crate::SimHandle::advance`] moves it.
    pub fn is_virtual(&self) -> bool {
        matches!(self, SimClock::Virtual(_))
    }

    /// Moves a virtual clock forward; the system clock cannot be moved.
    pub(crate) fn advance(&self, by_ms: Millis) -> Millis {
        match self {
            SimClock::System => self.now(),
            SimClock::Virtual(t) => t.fetch_add(by_ms.max(0), Ordering::SeqCst) + by_ms.max(0),
        }
    }
}
