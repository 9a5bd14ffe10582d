//! What the simulated network does to frames, decided by a seeded
//! generator so that a failing run can be replayed from its seed.

use std::time::Duration;

/// The network's behaviour. Each link is a WebSocket over TCP: frames on
/// one link arrive in the order they were sent, never twice, and a lost
/// link loses what was in flight on it. What a real network adds on top of
/// that is modelled here: delay that differs from frame to frame (so frames
/// on *different* links overtake each other), links that break, and
/// partitions (`Net::partition`) where frames are held without either side
/// being told, and lost with the link if one side gives up on it. Duplicates reach the engines the way they do in production:
/// as the server's replay of unacknowledged events after a resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Faults {
    /// Each frame and each link opening takes 0 up to this long.
    pub max_delay: Duration,
    /// Each frame sent breaks its link with this chance, in 1/10,000.
    pub break_per_10k: u32,
}

impl Faults {
    /// A perfect network: every frame arrives at once.
    pub const NONE: Faults = Faults {
        max_delay: Duration::ZERO,
        break_per_10k: 0,
    };
}

impl Default for Faults {
    fn default() -> Self {
        Faults::NONE
    }
}

/// SplitMix64: small, fast, and the same sequence for the same seed on
/// every machine (no dependency whose algorithm may change under us).
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A duration in `0..=max`, to the microsecond.
    pub fn delay(&mut self, max: Duration) -> Duration {
        let us = u64::try_from(max.as_micros()).unwrap_or(u64::MAX);
        if us == 0 {
            return Duration::ZERO;
        }
        Duration::from_micros(self.next_u64() % (us + 1))
    }

    /// True with the chance `per_10k` / 10,000.
    pub fn chance(&mut self, per_10k: u32) -> bool {
        per_10k > 0 && self.next_u64() % 10_000 < u64::from(per_10k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_faults() {
        let draw = |seed| {
            let mut r = Rng::new(seed);
            (0..8)
                .map(|_| r.delay(Duration::from_millis(5)))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        let mut r = Rng::new(1);
        assert!((0..1000).all(|_| r.delay(Duration::from_millis(5)) <= Duration::from_millis(5)));
        assert!(!(0..1000).any(|_| r.chance(0)));
        assert!((0..1000).all(|_| r.chance(10_000)));
    }
}
