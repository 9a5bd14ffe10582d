//! A device comes online: calls that ring for its user ring there too. An
//! invitee who was offline (INVITED) starts ringing, and the others see it.

use nccall_protocol::CallUserState;

use super::start::call_received;
use super::{CallTable, DeviceId, Target, UserKey};

impl CallTable {
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
}
