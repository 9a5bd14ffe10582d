//! What the call-setup benchmarks share: one measured video call between
//! two participants (in process or behind a driver), as
//! `nccall_conformance::call_setup` measures it for `nccall-conformance bench`.

use std::time::Duration;

use nccall_conformance::call_setup::one_call;
use nccall_conformance::rig::Participant;

/// One measured media setup: from `startCall` until both views showed a
/// first decoded picture of the other; the hang-up is not measured.
pub async fn one_media_call(alice: &mut Participant, bob: &mut Participant) -> Duration {
    let phases = one_call(alice, bob, true).await.expect("a media call");
    phases.first_frame.expect("measured with media")
}
