//! `hello`: who a connection belongs to. A refused hello is answered with its
//! code and the connection is closed; nothing else about the server changes.

use nccall_protocol::{ErrorCode, HelloParams, HelloResult, PROTOCOL_VERSION};

use super::{ConnId, HEARTBEAT_INTERVAL_MS, Output, ServerCore, Session, to_value};
use crate::calls::{Refusal, UserKey};
use crate::clock::Millis;

impl ServerCore {
    pub(super) fn hello(&mut self, now: Millis, conn: ConnId, id: u64, hello: HelloParams) {
        match self.authenticate(&hello) {
            Ok(user) => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.session = Some(Session {
                        user: user.clone(),
                        device_id: hello.device_id,
                    });
                }
                self.online.entry(user.clone()).or_default().insert(conn);
                let result = to_value(&HelloResult {
                    user_id: user.user.clone(),
                    server_time: now,
                    heartbeat_interval_ms: HEARTBEAT_INTERVAL_MS,
                });
                match result {
                    Ok(r) => self.respond_ok(conn, id, r),
                    Err(refusal) => self.respond_err(conn, id, refusal),
                }
                // Calls that ring for the user now ring on this device too.
                self.calls.on_device_online(&user, conn);
                self.deliver_notes(now);
                self.deliver_pending_logs(now, &user);
            }
            Err(refusal) => {
                self.respond_err(conn, id, refusal);
                self.outputs.push_back(Output::Close { conn });
            }
        }
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
