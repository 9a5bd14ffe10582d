//! Call logs in the core: storing the logs of finished calls, pushing them
//! to their owners (now, or when they next connect), and the history
//! queries. The rules of the cursor are in `store/mod.rs`.

use nccall_protocol::{
    CallLogList, DeleteAllCallLogsResult, DeleteCallLogsParams, DeleteCallLogsResult, ErrorCode,
    GetHistoryCallLogsParams, MAX_DELETE_BATCH, MAX_HISTORY_PAGE, ServerEvent,
};

use super::ServerCore;
use crate::calls::{Note, Refusal, Target, UserKey};
use crate::clock::Millis;
use crate::store::{StoreError, log_for, logs_of_finished_call};

fn server_error(e: StoreError) -> Refusal {
    (ErrorCode::ServerError, e.to_string())
}

impl ServerCore {
    /// Stores one log per member of every call that ended, and pushes each
    /// to its owner if they are online.
    pub(super) fn log_finished_calls(&mut self, now: Millis) {
        let finished: Vec<_> = self.calls.drain_finished().collect();
        for call in finished {
            let end = call
                .members
                .iter()
                .filter_map(|m| m.left_at)
                .max()
                .unwrap_or(now);
            let logs = logs_of_finished_call(&call);
            let sync_time = match self.store.insert_call(&call.app, end, logs.clone()) {
                Ok(t) => t,
                Err(e) => {
                    tracing::error!(call = call.id, "cannot store the call's logs: {e}");
                    continue;
                }
            };
            for (owner, mut log) in logs {
                log.sync_time = Some(sync_time);
                let user = UserKey::new(&call.app, &owner);
                self.push_log(now, &user, log);
            }
        }
    }

    /// Delivers every log the user has not received yet (they were offline).
    pub(super) fn deliver_pending_logs(&mut self, now: Millis, user: &UserKey) {
        match self.store.undelivered(&user.app, &user.user) {
            Ok(logs) => {
                for log in logs {
                    self.push_log(now, user, log);
                }
            }
            Err(e) => tracing::error!(user = user.user, "cannot read undelivered logs: {e}"),
        }
    }

    fn push_log(&mut self, now: Millis, user: &UserKey, log: nccall_protocol::CallLog) {
        let call_id = log.call_id.clone();
        let note = Note {
            to: user.clone(),
            target: Target::AllDevices,
            event: ServerEvent::ServerCallLogReceived {
                call_log: Box::new(log),
            },
            push: None,
        };
        if self.deliver(now, note)
            && let Err(e) = self.store.mark_delivered(&user.app, &user.user, &[call_id])
        {
            tracing::error!(user = user.user, "cannot mark a log delivered: {e}");
        }
    }

    pub(super) fn history(
        &self,
        user: &UserKey,
        p: &GetHistoryCallLogsParams,
    ) -> Result<nccall_protocol::CallLogPage, Refusal> {
        if !(1..=MAX_HISTORY_PAGE).contains(&p.count) {
            return Err((
                ErrorCode::ParamError,
                format!("count must be 1..={MAX_HISTORY_PAGE}, not {}", p.count),
            ));
        }
        if p.start_time < -1 {
            return Err((
                ErrorCode::ParamError,
                format!("startTime must be -1 or a sync time, not {}", p.start_time),
            ));
        }
        let count = usize::try_from(p.count).unwrap_or(1);
        self.store
            .page(&user.app, &user.user, p.start_time, count, p.order)
            .map_err(server_error)
    }

    pub(super) fn ongoing(&self, user: &UserKey) -> CallLogList {
        let call_log_list = self
            .calls
            .ongoing_of(user)
            .filter_map(|call| call.member(&user.user).map(|m| log_for(call, m)))
            .collect();
        CallLogList { call_log_list }
    }

    pub(super) fn delete_logs(
        &mut self,
        user: &UserKey,
        p: DeleteCallLogsParams,
    ) -> Result<DeleteCallLogsResult, Refusal> {
        if p.call_ids.is_empty() || p.call_ids.len() > MAX_DELETE_BATCH {
            return Err((
                ErrorCode::ParamError,
                format!(
                    "callIds must hold 1..={MAX_DELETE_BATCH} ids, not {}",
                    p.call_ids.len()
                ),
            ));
        }
        let not_found_call_ids = self
            .store
            .delete(&user.app, &user.user, &p.call_ids)
            .map_err(server_error)?;
        Ok(DeleteCallLogsResult { not_found_call_ids })
    }

    pub(super) fn delete_all_logs(
        &mut self,
        user: &UserKey,
    ) -> Result<DeleteAllCallLogsResult, Refusal> {
        let deleted_count = self
            .store
            .delete_all(&user.app, &user.user)
            .map_err(server_error)?;
        Ok(DeleteAllCallLogsResult { deleted_count })
    }
}
