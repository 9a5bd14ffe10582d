//! The per-connection request budget: a token bucket refilled at
//! [`RATE_LIMIT_PER_SECOND`], holding up to [`RATE_LIMIT_BURST`]. A request
//! over budget is answered RATE_LIMITED without reaching the hub, so one
//! client's flood costs the others nothing. Refusals are forgiven slowly
//! ([`FORGIVEN_PER_SECOND`]); a client with more than
//! [`RATE_LIMIT_CLOSE_AFTER`] refusals not yet forgiven (one that keeps
//! sending over the rate, ignoring the answers) is cut off. Real time
//! (not the simulator's clock): abuse happens in wall-clock time. Sans-IO:
//! the caller passes the instant.

use std::time::Instant;

use nccall_protocol::{RATE_LIMIT_BURST, RATE_LIMIT_CLOSE_AFTER, RATE_LIMIT_PER_SECOND};

/// Refusals forgiven per second: a tenth of the rate, so that a client
/// sending at twice the rate is cut off within seconds, and one that
/// overran once is not held to it for long.
pub(crate) const FORGIVEN_PER_SECOND: f64 = RATE_LIMIT_PER_SECOND as f64 / 10.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    Admit,
    /// Answer RATE_LIMITED and drop the request.
    Refuse,
    /// Refused too often lately: close the connection.
    Close,
}

#[derive(Debug)]
pub(crate) struct RateLimit {
    tokens: f64,
    last: Instant,
    /// Refusals not yet forgiven.
    strikes: f64,
}

impl RateLimit {
    pub(crate) fn new(now: Instant) -> Self {
        RateLimit {
            tokens: f64::from(RATE_LIMIT_BURST),
            last: now,
            strikes: 0.0,
        }
    }

    pub(crate) fn admit(&mut self, now: Instant) -> Admission {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        let refill = elapsed * f64::from(RATE_LIMIT_PER_SECOND);
        self.tokens = (self.tokens + refill).min(f64::from(RATE_LIMIT_BURST));
        self.strikes = (self.strikes - elapsed * FORGIVEN_PER_SECOND).max(0.0);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Admission::Admit;
        }
        self.strikes += 1.0;
        if self.strikes > f64::from(RATE_LIMIT_CLOSE_AFTER) {
            Admission::Close
        } else {
            Admission::Refuse
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_refills() {
        let start = Instant::now();
        let mut limit = RateLimit::new(start);
        for _ in 0..RATE_LIMIT_BURST {
            assert_eq!(limit.admit(start), Admission::Admit);
        }
        assert_eq!(limit.admit(start), Admission::Refuse);
        // 10 ms later: 2 more requests' worth at 200 per second.
        let later = start + Duration::from_millis(10);
        assert_eq!(limit.admit(later), Admission::Admit);
        assert_eq!(limit.admit(later), Admission::Admit);
        assert_eq!(limit.admit(later), Admission::Refuse);
    }

    #[test]
    fn a_client_that_ignores_refusals_is_cut_off() {
        let start = Instant::now();
        let mut limit = RateLimit::new(start);
        for _ in 0..RATE_LIMIT_BURST {
            limit.admit(start);
        }
        for _ in 0..RATE_LIMIT_CLOSE_AFTER {
            assert_eq!(limit.admit(start), Admission::Refuse);
        }
        assert_eq!(limit.admit(start), Admission::Close);
    }

    #[test]
    fn a_flood_at_twice_the_rate_is_cut_off_though_some_requests_pass() {
        let start = Instant::now();
        let mut limit = RateLimit::new(start);
        let (mut admitted, mut closed_at) = (0, None);
        for i in 0..4_000u64 {
            // 400 requests a second: one every 2.5 ms.
            let now = start + Duration::from_micros(i * 2_500);
            match limit.admit(now) {
                Admission::Admit => admitted += 1,
                Admission::Refuse => {}
                Admission::Close => {
                    closed_at = Some(now - start);
                    break;
                }
            }
        }
        let closed_at = closed_at.expect("cut off");
        assert!(admitted > RATE_LIMIT_BURST, "served at the rate meanwhile");
        // The burst lasts 2 s (400 at a net 200/s), then 400 strikes at a
        // net 180/s take 2.2 s more.
        assert!(closed_at > Duration::from_secs(3) && closed_at < Duration::from_secs(5));
    }

    #[test]
    fn a_steady_client_under_the_rate_is_never_refused() {
        let start = Instant::now();
        let mut limit = RateLimit::new(start);
        // 100 requests a second for a minute.
        for i in 0..6_000u64 {
            let now = start + Duration::from_millis(i * 10);
            assert_eq!(limit.admit(now), Admission::Admit);
        }
    }
}
