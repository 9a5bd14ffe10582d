//! Network impairment on the SFU's path to one user: loss, added delay,
//! jitter and a bandwidth cap, like `netem` and `tbf` on a real link.
//!
//! Sans-IO: [`Impairment::offer`] decides for each packet, given `now`,
//! whether it is dropped or when it leaves; [`DelayLine`] holds the packets
//! until then. The SFU loop owns both and does the sending. Randomness
//! (jitter) comes from a generator seeded by the user's id, so a run repeats.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// How much a bandwidth-capped link may queue before it drops (tail drop):
/// a router's buffer of about 200 ms.
pub const MAX_QUEUE_DELAY: Duration = Duration::from_millis(200);

/// The impairment of one user's downlink, as a fixture profile or a step gives it.
/// Every field defaults to "none".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkProfile {
    /// Share of packets dropped, 0..=100 (100 is an outage). Evenly spread,
    /// so 10 drops exactly one packet in ten.
    pub loss_percent: u32,
    /// Added one-way delay.
    pub delay_ms: u32,
    /// Each packet's delay varies uniformly by up to this much either way
    /// (never below zero); packets can overtake each other, as on a real path.
    pub jitter_ms: u32,
    /// Link rate in kbit/s; 0 is no cap. Over it packets queue, and past
    /// 200 ms (`MAX_QUEUE_DELAY`) of queue they are dropped.
    pub bandwidth_kbps: u32,
}

impl NetworkProfile {
    /// Only loss.
    pub fn loss(percent: u32) -> NetworkProfile {
        NetworkProfile {
            loss_percent: percent.min(100),
            ..NetworkProfile::default()
        }
    }

    /// No impairment at all.
    pub fn is_clear(&self) -> bool {
        *self == NetworkProfile::default()
    }

    /// An error naming the field if the profile cannot apply (loss above 100%).
    pub fn validate(&self) -> Result<(), String> {
        if self.loss_percent > 100 {
            return Err(format!("loss_percent is {}, above 100", self.loss_percent));
        }
        Ok(())
    }
}

/// What happens to one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Drop,
    /// Send it at this time (now or later).
    SendAt(Instant),
}

/// The state of one impaired link.
#[derive(Debug)]
pub struct Impairment {
    profile: NetworkProfile,
    /// Running sum for evenly spread loss: a drop each time it passes 100.
    loss_sum: u32,
    /// When the capped link has finished sending what is queued.
    link_free_at: Option<Instant>,
    rng: u64,
}

impl Impairment {
    /// `seed` makes the jitter repeatable (the SFU uses the user's id).
    pub fn new(profile: NetworkProfile, seed: &str) -> Impairment {
        // FNV-1a of the seed; never zero, which xorshift cannot leave.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in seed.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Impairment {
            profile,
            loss_sum: 0,
            link_free_at: None,
            rng: h | 1,
        }
    }

    /// Changes the profile; what is already queued keeps its time.
    pub fn set_profile(&mut self, profile: NetworkProfile) {
        self.profile = profile;
        if profile.bandwidth_kbps == 0 {
            self.link_free_at = None;
        }
    }

    /// Decides the fate of a packet of `len` bytes offered at `now`.
    pub fn offer(&mut self, now: Instant, len: usize) -> Verdict {
        let p = self.profile;
        if p.loss_percent > 0 {
            self.loss_sum += p.loss_percent.min(100);
            if self.loss_sum >= 100 {
                self.loss_sum -= 100;
                return Verdict::Drop;
            }
        }
        let mut leaves = now;
        if p.bandwidth_kbps > 0 {
            let start = self.link_free_at.filter(|t| *t > now).unwrap_or(now);
            if start - now > MAX_QUEUE_DELAY {
                return Verdict::Drop;
            }
            // bits / (kbit/s) = ms; in microseconds for small packets.
            let micros = (len as u64 * 8 * 1000) / u64::from(p.bandwidth_kbps);
            leaves = start + Duration::from_micros(micros);
            self.link_free_at = Some(leaves);
        }
        let mut delay_us = i64::from(p.delay_ms) * 1000;
        if p.jitter_ms > 0 {
            let span = i64::from(p.jitter_ms) * 1000;
            let r = self.next_random() % (2 * span as u64 + 1);
            delay_us += r as i64 - span;
        }
        let delay = Duration::from_micros(u64::try_from(delay_us.max(0)).unwrap_or(0));
        Verdict::SendAt(leaves + delay)
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*: plenty for jitter, and repeatable.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Packets waiting for their time to leave, earliest first (ties in the
/// order they were queued).
#[derive(Debug, Default)]
pub struct DelayLine {
    queue: BinaryHeap<Reverse<Held>>,
    counter: u64,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Held {
    at: Instant,
    order: u64,
    destination: SocketAddr,
    contents: Vec<u8>,
}

impl DelayLine {
    pub fn push(&mut self, at: Instant, destination: SocketAddr, contents: Vec<u8>) {
        self.counter += 1;
        self.queue.push(Reverse(Held {
            at,
            order: self.counter,
            destination,
            contents,
        }));
    }

    /// The next packet due by `now`, if any.
    pub fn pop_due(&mut self, now: Instant) -> Option<(SocketAddr, Vec<u8>)> {
        if self.queue.peek()?.0.at > now {
            return None;
        }
        let Reverse(held) = self.queue.pop()?;
        Some((held.destination, held.contents))
    }

    /// When the next packet is due.
    pub fn next_due(&self) -> Option<Instant> {
        self.queue.peek().map(|h| h.0.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent_at(v: Verdict) -> Instant {
        match v {
            Verdict::SendAt(t) => t,
            Verdict::Drop => panic!("dropped"),
        }
    }

    #[test]
    fn loss_is_exact_and_evenly_spread() {
        let mut imp = Impairment::new(NetworkProfile::loss(25), "alice");
        let now = Instant::now();
        let drops: Vec<bool> = (0..8)
            .map(|_| imp.offer(now, 100) == Verdict::Drop)
            .collect();
        assert_eq!(
            drops,
            [false, false, false, true, false, false, false, true]
        );
        imp.set_profile(NetworkProfile::default());
        assert_eq!(imp.offer(now, 100), Verdict::SendAt(now));
    }

    #[test]
    fn delay_and_jitter_stay_in_their_window_and_repeat() {
        let profile = NetworkProfile {
            delay_ms: 100,
            jitter_ms: 20,
            ..NetworkProfile::default()
        };
        let now = Instant::now();
        let run = |seed: &str| -> Vec<Duration> {
            let mut imp = Impairment::new(profile, seed);
            (0..200)
                .map(|_| sent_at(imp.offer(now, 100)) - now)
                .collect()
        };
        let delays = run("bob");
        assert!(
            delays
                .iter()
                .all(|d| *d >= Duration::from_millis(80) && *d <= Duration::from_millis(120))
        );
        // Not constant: the jitter is there.
        assert!(delays.iter().any(|d| *d < Duration::from_millis(95)));
        assert!(delays.iter().any(|d| *d > Duration::from_millis(105)));
        assert_eq!(delays, run("bob"), "the same seed repeats");
        assert_ne!(delays, run("carol"));
    }

    #[test]
    fn bandwidth_cap_queues_then_drops() {
        // 80 kbit/s: a 1000-byte packet takes 100 ms on the link.
        let profile = NetworkProfile {
            bandwidth_kbps: 80,
            ..NetworkProfile::default()
        };
        let mut imp = Impairment::new(profile, "dave");
        let now = Instant::now();
        assert_eq!(
            sent_at(imp.offer(now, 1000)) - now,
            Duration::from_millis(100)
        );
        assert_eq!(
            sent_at(imp.offer(now, 1000)) - now,
            Duration::from_millis(200)
        );
        assert_eq!(
            sent_at(imp.offer(now, 1000)) - now,
            Duration::from_millis(300)
        );
        // 300 ms queued, more than the buffer holds: dropped.
        assert_eq!(imp.offer(now, 1000), Verdict::Drop);
        // Once the queue drains the link takes packets again.
        let later = now + Duration::from_millis(300);
        assert_eq!(
            sent_at(imp.offer(later, 1000)) - later,
            Duration::from_millis(100)
        );
    }

    #[test]
    fn the_delay_line_releases_in_time_order() {
        let mut line = DelayLine::default();
        let now = Instant::now();
        let to: SocketAddr = ([127, 0, 0, 1], 9).into();
        line.push(now + Duration::from_millis(20), to, vec![2]);
        line.push(now + Duration::from_millis(10), to, vec![1]);
        line.push(now + Duration::from_millis(20), to, vec![3]);
        assert_eq!(line.next_due(), Some(now + Duration::from_millis(10)));
        assert_eq!(line.pop_due(now), None);
        let at = now + Duration::from_millis(20);
        let out: Vec<u8> = std::iter::from_fn(|| line.pop_due(at))
            .map(|(_, c)| c[0])
            .collect();
        assert_eq!(out, [1, 2, 3]);
        assert_eq!(line.next_due(), None);
    }

    #[test]
    fn profiles_parse_from_yaml() {
        let p: NetworkProfile = serde_norway::from_str("{ delay_ms: 150, jitter_ms: 30 }").unwrap();
        assert_eq!(p.delay_ms, 150);
        assert_eq!(p.loss_percent, 0);
        assert!(serde_norway::from_str::<NetworkProfile>("{ lag: 1 }").is_err());
        assert!(NetworkProfile::loss(100).validate().is_ok());
        let bad = NetworkProfile {
            loss_percent: 101,
            ..NetworkProfile::default()
        };
        assert!(bad.validate().is_err());
    }
}
