//! A device comes online: calls that ring for its user ring there too. An
//! invitee who was offline (INVITED) starts ringing, and the others see it.
//! A device is lost (its session expired): it leaves its calls.

use nccall_protocol::{CallEndReason, CallUserState};

use super::start::call_received;
use super::{CallTable, DeviceId, Target, UserKey};
use crate::clock::Millis;

impl CallTable {
    /// A device of `user` came online: calls that ring for the user and no
    /// device yet ring on it too.
    pub fn on_device_online(&mut self, user: &UserKey, device: DeviceId) {
        let ringing: Vec<String> = self
            .calls_of(user)
            .filter(|c| {
                c.member(&user.user)
                    .is_some_and(|m| m.is_ringing() && m.device.is_none())
            })
            .map(|c| c.id.clone())
            .collect();
        for call_id in ringing {
            let Some(call) = self.calls.get_mut(&call_id) else {
                continue;
            };
            let mut now_ringing = false;
            if let Some(m) = call
                .member_mut(&user.user)
                .filter(|m| m.state == CallUserState::Invited)
            {
                m.state = CallUserState::Ringing;
                m.reached = CallUserState::Ringing;
                now_ringing = true;
            }
            let call = call.clone();
            let Some(member) = call.member(&user.user) else {
                continue;
            };
            self.note_to(
                &call.app,
                &user.user,
                Target::Device(device),
                call_received(&call, member),
                None,
            );
            if now_ringing {
                self.broadcast_state(&call, &user.user, CallUserState::Ringing, None);
            }
        }
    }

    /// A device's session expired (its connection dropped and did not come
    /// back in time): the user leaves every call they were in on that device
    /// with NETWORK_ERROR, and the others see REMOTE_NETWORK_ERROR. Calls
    /// still ringing on all of the user's devices keep ringing.
    pub fn device_lost(&mut self, now: Millis, user: &UserKey, device: DeviceId) {
        let on_device: Vec<String> = self
            .calls_of(user)
            .filter(|c| {
                c.member(&user.user)
                    .is_some_and(|m| m.is_present() && m.device == Some(device))
            })
            .map(|c| c.id.clone())
            .collect();
        for call_id in on_device {
            self.leave(
                now,
                &call_id,
                &user.user,
                CallEndReason::NetworkError,
                None,
                None,
            );
        }
    }
}
