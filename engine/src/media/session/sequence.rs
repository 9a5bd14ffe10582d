//! RTP sequence numbers, 16 bits on the wire, extended to the count they
//! stand for (RFC 3550 A.1, A.3): what a receiver report's "expected" is
//! made of. Pure.

/// Extends a 16-bit RTP sequence number to the 64-bit count it stands for.
#[derive(Default)]
pub(super) struct SequenceUnwrapper {
    highest: Option<u64>,
}

impl SequenceUnwrapper {
    /// How many more packets are expected now that `seq` arrived (RFC 3550
    /// A.3: the highest extended number seen, less the first): 0 for a
    /// late or repeated packet, more than 1 after a gap.
    pub(super) fn push(&mut self, seq: u16) -> u64 {
        let seq = u64::from(seq);
        let ext = match self.highest {
            None => seq,
            Some(h) => {
                let candidate = (h & !0xffff) | seq;
                if candidate + 0x8000 < h {
                    candidate + 0x1_0000
                } else if candidate > h + 0x8000 && candidate >= 0x1_0000 {
                    candidate - 0x1_0000
                } else {
                    candidate
                }
            }
        };
        let newly_expected = match self.highest {
            None => 1,
            Some(h) if ext > h => ext - h,
            Some(_) => 0,
        };
        self.highest = Some(self.highest.map_or(ext, |h| h.max(ext)));
        newly_expected
    }
}

#[cfg(test)]
mod tests {
    use super::SequenceUnwrapper;

    fn expected(seqs: &[u16]) -> Vec<u64> {
        let mut u = SequenceUnwrapper::default();
        seqs.iter().map(|&s| u.push(s)).collect()
    }

    #[test]
    fn in_order_each_packet_is_one_more_expected() {
        assert_eq!(expected(&[7, 8, 9]), [1, 1, 1]);
    }

    #[test]
    fn a_gap_counts_the_missing_and_late_or_repeated_packets_count_none() {
        assert_eq!(expected(&[10, 13, 11, 13, 14]), [1, 3, 0, 0, 1]);
    }

    #[test]
    fn the_wrap_from_65535_to_0_goes_on_counting() {
        assert_eq!(expected(&[65534, 65535, 0, 1]), [1, 1, 1, 1]);
        // A packet from before the wrap, arriving after it, is late.
        assert_eq!(expected(&[65535, 0, 65534, 2]), [1, 1, 0, 2]);
    }
}
