//! What the offer and answer say: the codecs offered (one per kind),
//! payload types, which receive slot each m-line and SSRC belongs to.

use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_H264, MIME_TYPE_OPUS};
use rtc::rtp_transceiver::PayloadType;
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RtpCodecKind,
};
use webrtc::peer_connection::MediaEngine;
use webrtc::rtp_transceiver::RtpSender;

use crate::media::h264::H264_FMTP;
use std::collections::HashMap;
use std::sync::Arc;

/// Receive slot `k >= 1` is a recvonly audio and video pair after the three
/// sending m-lines; slot 0 shares the sending audio and video m-lines.
pub(super) fn slot_of_mline(index: usize) -> Option<usize> {
    match index {
        0 | 1 => Some(0),
        2 => None,
        n => Some((n - 3) / 2 + 1),
    }
}

/// The SSRCs the answer says the media server sends on, with the receive
/// slot of their m-line.
pub(super) fn ssrc_slots(answer: &str) -> HashMap<u32, usize> {
    let mut found = HashMap::new();
    let mut index: Option<usize> = None;
    for line in answer.lines() {
        if line.starts_with("m=") {
            index = Some(index.map_or(0, |i| i + 1));
        } else if let Some(rest) = line.strip_prefix("a=ssrc:")
            && let Some(ssrc) = rest.split(' ').next().and_then(|n| n.parse::<u32>().ok())
            && let Some(slot) = index.and_then(slot_of_mline)
        {
            found.insert(ssrc, slot);
        }
    }
    found
}

/// The codecs the engine offers, one per kind: what it can encode and decode.
pub(super) fn opus_codec() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_OPUS.to_owned(),
        clock_rate: 48_000,
        channels: 2,
        sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
        rtcp_feedback: vec![],
    }
}

pub(super) fn h264_codec() -> RTCRtpCodec {
    let feedback = |typ: &str, parameter: &str| RTCPFeedback {
        typ: typ.to_owned(),
        parameter: parameter.to_owned(),
    };
    RTCRtpCodec {
        mime_type: MIME_TYPE_H264.to_owned(),
        clock_rate: 90_000,
        channels: 0,
        sdp_fmtp_line: H264_FMTP.to_owned(),
        // Keyframe requests both ways; no NACK (the engine keeps no
        // retransmission buffer), no bandwidth estimation.
        rtcp_feedback: vec![feedback("nack", "pli"), feedback("ccm", "fir")],
    }
}

/// Payload types of the offer (dynamic range, as browsers number them).
pub(super) const OPUS_PT: PayloadType = 111;

pub(super) const H264_PT: PayloadType = 102;

pub(super) fn media_engine() -> Result<MediaEngine, String> {
    let mut media = MediaEngine::default();
    for (codec, payload_type, kind) in [
        (opus_codec(), OPUS_PT, RtpCodecKind::Audio),
        (h264_codec(), H264_PT, RtpCodecKind::Video),
    ] {
        media
            .register_codec(
                RTCRtpCodecParameters {
                    rtp_codec: codec,
                    payload_type,
                },
                kind,
            )
            .map_err(|e| format!("codecs: {e}"))?;
    }
    Ok(media)
}

/// The payload type negotiated for a sender.
pub(super) async fn payload_type(sender: Option<Arc<dyn RtpSender>>) -> Option<PayloadType> {
    let params = sender?.get_parameters().await.ok()?;
    params.rtp_parameters.codecs.first().map(|c| c.payload_type)
}
