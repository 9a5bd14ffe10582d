//! Call-log storage: the [`CallLogStore`] abstraction and its SQLite
//! implementation (`sqlite.rs`, in memory or in a file), how a finished call
//! becomes one log per participant (`logs.rs`), and seeding (`seed.rs`).
//!
//! **Cursor design.** Every log carries a `sync_time`: the call's end time in
//! microseconds, nudged forward so that it is strictly greater than every
//! sync time the store handed out before (`max(end_ms * 1000, last + 1)`).
//! It is unique and increasing, so it is a strict cursor: a DESC page takes
//! logs with `sync_time < startTime` (all of them for `-1`), an ASC page logs
//! with `sync_time > startTime`, and the page's `syncTime` is its last log's.
//! Paging never skips or repeats a log — not when many logs share a
//! millisecond, and not when calls end while someone pages (those get larger
//! sync times: a DESC walk never sees them, an ASC walk meets them at its end).

mod logs;
mod seed;
mod sqlite;

use nccall_protocol::{CallLog, CallLogOrder, CallLogPage};

pub use logs::{log_for, logs_of_finished_call};
pub use seed::SeedSpec;
pub use sqlite::SqliteStore;

/// A storage failure (disk full, corrupt file...), reported as such.
#[derive(Debug, thiserror::Error)]
#[error("call-log store: {0}")]
pub struct StoreError(pub String);

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError(e.to_string())
    }
}

/// Where call logs live. Each log belongs to one owner of one app.
pub trait CallLogStore: Send {
    /// Stores the logs of one finished call, one per owner, giving them all
    /// the call's sync time, which is returned.
    fn insert_call(
        &mut self,
        app: &str,
        end_time_ms: i64,
        logs: Vec<(String, CallLog)>,
    ) -> Result<i64, StoreError>;

    /// One page of an owner's history.
    fn page(
        &self,
        app: &str,
        owner: &str,
        start: i64,
        count: usize,
        order: CallLogOrder,
    ) -> Result<CallLogPage, StoreError>;

    /// Logs not yet delivered to their owner, oldest first.
    fn undelivered(&self, app: &str, owner: &str) -> Result<Vec<CallLog>, StoreError>;

    /// Marks logs as delivered to their owner (they are not sent again on connect).
    fn mark_delivered(
        &mut self,
        app: &str,
        owner: &str,
        call_ids: &[String],
    ) -> Result<(), StoreError>;

    /// Deletes the owner's logs of these calls; returns the ids it had none of.
    fn delete(
        &mut self,
        app: &str,
        owner: &str,
        call_ids: &[String],
    ) -> Result<Vec<String>, StoreError>;

    /// Deletes all the owner's logs; returns how many there were.
    fn delete_all(&mut self, app: &str, owner: &str) -> Result<u64, StoreError>;

    /// How many logs are stored in all.
    fn count(&self) -> Result<u64, StoreError>;

    /// The highest `N` among stored call ids `call-N` and numbers reserved
    /// (0 if none): a restarted simulator numbers its calls after it, so ids
    /// stay unique, also those of calls that were in progress (no log).
    fn max_call_number(&self) -> Result<u64, StoreError>;

    /// Records that call numbers up to `through` may have been handed out
    /// (numbers are reserved in blocks, so this is rare).
    fn reserve_call_numbers(&mut self, through: u64) -> Result<(), StoreError>;
}
