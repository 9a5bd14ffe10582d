//! Call setup, measured for any SDK behind the seam (`nccall-conformance
//! bench`, and the criterion benches): one call at a time between two
//! participants, broken down into phases, against floors measured in the
//! same run.
//!
//! - `floor.rs` — the floors: a bare WebSocket round trip, a bare pair of
//!   peer connections to a first decoded picture.
//! - `report.rs` — percentiles (HdrHistogram) of each phase, as a table and
//!   as JSON.
//!
//! The phases of one call, each from alice's `startCall` (bob answers as
//! soon as his `onCallReceived` arrives):
//! - **signaling**: until both have seen `onCallConnected`;
//! - **media connect**: until both media connections are up (ICE and DTLS,
//!   the SDK's `waitMediaConnected`);
//! - **first frame**: until both views have shown a first *decoded* picture
//!   of the other.
//!
//! The phases are waited for in that order, each timed when its wait
//! returns; a later phase that was already done by then reads as the
//! moment it was seen, an upper bound.

pub mod floor;
pub mod report;

use std::time::{Duration, Instant};

use nccall::{CallEvent, CallMediaType, EndCallParams, StartCallParams};

use crate::rig::Participant;

/// How long one phase may take before the call counts as failed.
pub const PHASE_WAIT: Duration = Duration::from_secs(10);

/// One call's setup, phase by phase (`None`: not measured, a signaling-only run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phases {
    pub signaling: Duration,
    pub media_connect: Option<Duration>,
    pub first_frame: Option<Duration>,
}

/// Places one call from `alice` to `bob` (video if `media`), measures its
/// phases, then hangs up and waits until both saw it end (not measured).
/// With `media`, both must already watch each other
/// ([`Participant::watch`]).
pub async fn one_call(
    alice: &mut Participant,
    bob: &mut Participant,
    media: bool,
) -> Result<Phases, String> {
    let views = if media {
        let a = alice.remote_views.get(&bob.name).cloned();
        let b = bob.remote_views.get(&alice.name).cloned();
        match (a, b) {
            (Some(a), Some(b)) => Some((a.frames(), a, b.frames(), b)),
            _ => return Err("with media, both participants must watch each other".into()),
        }
    } else {
        None
    };
    let media_type = if media {
        CallMediaType::AudioVideo
    } else {
        CallMediaType::Audio
    };
    let start = Instant::now();
    alice
        .engine
        .start_call(StartCallParams::single(bob.name.clone(), media_type))
        .await
        .map_err(|e| format!("startCall: {e}"))?;
    let rang = bob
        .expect("onCallReceived", |e| {
            matches!(e, CallEvent::CallReceived(_))
        })
        .await?;
    let CallEvent::CallReceived(r) = rang else {
        return Err("not a ring".into());
    };
    bob.engine
        .accept_call(r.session.call_id())
        .await
        .map_err(|e| format!("acceptCall: {e}"))?;
    for p in [&mut *alice, &mut *bob] {
        p.expect("onCallConnected", |e| {
            matches!(e, CallEvent::CallConnected(_))
        })
        .await?;
    }
    let signaling = start.elapsed();
    let (mut media_connect, mut first_frame) = (None, None);
    if let Some((a0, alice_view, b0, bob_view)) = views {
        for p in [&*alice, &*bob] {
            let up = p.engine.wait_media_connected(true, PHASE_WAIT).await;
            if !up.map_err(|e| format!("waitMediaConnected: {e}"))? {
                return Err(format!("{}'s media did not connect", p.name));
            }
        }
        media_connect = Some(start.elapsed());
        if alice_view.wait_for_frames(a0 + 1, PHASE_WAIT).await <= a0
            || bob_view.wait_for_frames(b0 + 1, PHASE_WAIT).await <= b0
        {
            return Err("no first picture on both sides".into());
        }
        first_frame = Some(start.elapsed());
    }
    alice
        .engine
        .end_call(EndCallParams::default())
        .await
        .map_err(|e| format!("endCall: {e}"))?;
    for p in [&mut *alice, &mut *bob] {
        p.expect("onCallEnded", |e| matches!(e, CallEvent::CallEnded(_)))
            .await?;
    }
    Ok(Phases {
        signaling,
        media_connect,
        first_frame,
    })
}
