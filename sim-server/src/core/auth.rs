//! `hello`: who a connection belongs to. A refused hello is answered with its
//! code and the connection is closed; nothing else about the server changes.

use nccall_protocol::{ErrorCode, HelloParams, HelloResult, PROTOCOL_VERSION};

use super::sessions::{RESUME_WINDOW_MS, Resumable};
use super::{ConnId, Output, ServerCore, to_value};
use crate::calls::{Refusal, UserKey};
use crate::clock::Millis;

impl ServerCore {
    pub(super) fn hello(&mut self, now: Millis, conn: ConnId, id: u64, hello: HelloParams) {
        let user = match self.authenticate(&hello) {
            Ok(user) => user,
            Err(refusal) => {
                self.respond_err(conn, id, refusal);
                self.outputs.push_back(Output::Close { conn });
                return;
            }
        };
        if self.blocked.contains(&user) || self.is_partitioned(&user) {
            // The network is down for this user: nothing gets through.
            self.outputs.push_back(Output::Close { conn });
            return;
        }
        let resume = hello.resume.clone();
        let granted = match &resume {
            Some(r) => match self.resumable(&user, &r.session_id, r.last_seq) {
                Resumable::Yes(device) => Some(device),
                Resumable::Lost(device) => {
                    // Events are gone: the old session ends, a new one starts.
                    self.close_session(now, device);
                    None
                }
                Resumable::Unknown => None,
            },
            None => None,
        };
        let (device, resumed) = match granted {
            Some(device) => (device, true),
            None => (self.open_session(&user, conn, hello.device_id), false),
        };
        let session_id = self
            .devices
            .get(&device)
            .map(|s| s.session_id.clone())
            .unwrap_or_default();
        let result = to_value(&HelloResult {
            user_id: user.user.clone(),
            server_time: now,
            heartbeat_interval_ms: self.heartbeat_interval_ms,
            session_id,
            resumed,
            resume_window_ms: u64::try_from(RESUME_WINDOW_MS).unwrap_or(0),
        });
        match result {
            Ok(r) => self.respond_ok(conn, id, r),
            Err(refusal) => self.respond_err(conn, id, refusal),
        }
        if resumed {
            // What the client missed, after the answer, in order.
            let last_seq = resume.map_or(0, |r| r.last_seq);
            self.resume_session(device, conn, last_seq);
            return;
        }
        // Calls that ring for the user now ring on this device too.
        self.calls.on_device_online(&user, device);
        self.deliver_notes(now);
        self.deliver_pending_logs(now, &user);
    }

    fn authenticate(&self, hello: &HelloParams) -> Result<UserKey, Refusal> {
        if hello.protocol_version != PROTOCOL_VERSION {
            return Err((
                ErrorCode::ProtocolVersionUnsupported,
                format!(
                    "protocol version {} is not supported; this server speaks {PROTOCOL_VERSION}",
                    hello.protocol_version
                ),
            ));
        }
        let app = self.fixtures.app(&hello.app_key).ok_or_else(|| {
            (
                ErrorCode::AppKeyInvalid,
                format!("unknown app key {:?}", hello.app_key),
            )
        })?;
        if !app.calling_enabled {
            return Err((
                ErrorCode::RtcServiceUnavailable,
                format!(
                    "audio and video calling is not enabled for app key {}",
                    app.app_key
                ),
            ));
        }
        let user = app.user_for_token(&hello.token).ok_or_else(|| {
            (
                ErrorCode::TokenInvalid,
                "the token is not valid for this app".to_string(),
            )
        })?;
        Ok(UserKey::new(&app.app_key, &user.user_id))
    }
}
