//! The call-log store on SQLite (bundled: nothing to install). In memory by
//! default; in `<data-dir>/call-logs.sqlite3` with `--data-dir`, where logs
//! survive a restart. One row per (app, owner, call); the page index is
//! (app, owner, sync_time), so a page costs one index range scan.

use std::path::Path;

use nccall_protocol::{CallLog, CallLogOrder, CallLogPage};
use rusqlite::{Connection, params};

use super::{CallLogStore, StoreError};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS call_logs (
    app        TEXT    NOT NULL,
    owner      TEXT    NOT NULL,
    call_id    TEXT    NOT NULL,
    sync_time  INTEGER NOT NULL,
    delivered  INTEGER NOT NULL DEFAULT 0,
    log        TEXT    NOT NULL,
    PRIMARY KEY (app, owner, call_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS call_logs_by_sync ON call_logs (app, owner, sync_time);
CREATE TABLE IF NOT EXISTS call_numbers (
    id       INTEGER PRIMARY KEY CHECK (id = 0),
    reserved INTEGER NOT NULL
);
";

/// Call logs in SQLite: in memory, or in a directory where they survive restarts.
pub struct SqliteStore {
    conn: Connection,
    /// The largest sync time handed out so far.
    last_sync_time: i64,
}

impl SqliteStore {
    /// A store that lasts as long as the process.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::with(Connection::open_in_memory()?)
    }

    /// Opens (or creates) `dir/call-logs.sqlite3`.
    pub fn open_dir(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError(format!("cannot create {}: {e}", dir.display())))?;
        let conn = Connection::open(dir.join("call-logs.sqlite3"))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Self::with(conn)
    }

    fn with(conn: Connection) -> Result<Self, StoreError> {
        conn.execute_batch(SCHEMA)?;
        let last_sync_time: i64 = conn.query_row(
            "SELECT COALESCE(MAX(sync_time), 0) FROM call_logs",
            [],
            |r| r.get(0),
        )?;
        Ok(SqliteStore {
            conn,
            last_sync_time,
        })
    }

    fn logs(&self, sql: &str, args: impl rusqlite::Params) -> Result<Vec<CallLog>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(args, |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut logs = Vec::new();
        for row in rows {
            let (json, sync_time) = row?;
            let mut log: CallLog = serde_json::from_str(&json)?;
            log.sync_time = Some(sync_time);
            logs.push(log);
        }
        Ok(logs)
    }
}

impl CallLogStore for SqliteStore {
    fn insert_call(
        &mut self,
        app: &str,
        end_time_ms: i64,
        logs: Vec<(String, CallLog)>,
    ) -> Result<i64, StoreError> {
        let sync_time = end_time_ms
            .saturating_mul(1000)
            .max(self.last_sync_time + 1);
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO call_logs (app, owner, call_id, sync_time, delivered, log) VALUES (?1, ?2, ?3, ?4, 0, ?5)",
            )?;
            for (owner, log) in &logs {
                stmt.execute(params![
                    app,
                    owner,
                    log.call_id,
                    sync_time,
                    serde_json::to_string(log)?
                ])?;
            }
        }
        tx.commit()?;
        self.last_sync_time = sync_time;
        Ok(sync_time)
    }

    fn page(
        &self,
        app: &str,
        owner: &str,
        start: i64,
        count: usize,
        order: CallLogOrder,
    ) -> Result<CallLogPage, StoreError> {
        let limit = i64::try_from(count).unwrap_or(i64::MAX).saturating_add(1);
        let mut logs = match order {
            CallLogOrder::Asc => self.logs(
                "SELECT log, sync_time FROM call_logs WHERE app = ?1 AND owner = ?2 AND sync_time > ?3 ORDER BY sync_time ASC LIMIT ?4",
                params![app, owner, start, limit],
            )?,
            _ => {
                let before = if start < 0 { i64::MAX } else { start };
                self.logs(
                    "SELECT log, sync_time FROM call_logs WHERE app = ?1 AND owner = ?2 AND sync_time < ?3 ORDER BY sync_time DESC LIMIT ?4",
                    params![app, owner, before, limit],
                )?
            }
        };
        let has_more = logs.len() > count;
        logs.truncate(count);
        let sync_time = logs.last().and_then(|l| l.sync_time).unwrap_or(start);
        Ok(CallLogPage {
            has_more,
            call_log_list: logs,
            sync_time,
        })
    }

    fn undelivered(&self, app: &str, owner: &str) -> Result<Vec<CallLog>, StoreError> {
        self.logs(
            "SELECT log, sync_time FROM call_logs WHERE app = ?1 AND owner = ?2 AND delivered = 0 ORDER BY sync_time ASC",
            params![app, owner],
        )
    }

    fn mark_delivered(
        &mut self,
        app: &str,
        owner: &str,
        call_ids: &[String],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE call_logs SET delivered = 1 WHERE app = ?1 AND owner = ?2 AND call_id = ?3",
            )?;
            for id in call_ids {
                stmt.execute(params![app, owner, id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn delete(
        &mut self,
        app: &str,
        owner: &str,
        call_ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let tx = self.conn.transaction()?;
        let mut not_found = Vec::new();
        {
            let mut stmt = tx.prepare_cached(
                "DELETE FROM call_logs WHERE app = ?1 AND owner = ?2 AND call_id = ?3",
            )?;
            for id in call_ids {
                if stmt.execute(params![app, owner, id])? == 0 {
                    not_found.push(id.clone());
                }
            }
        }
        tx.commit()?;
        Ok(not_found)
    }

    fn delete_all(&mut self, app: &str, owner: &str) -> Result<u64, StoreError> {
        let n = self.conn.execute(
            "DELETE FROM call_logs WHERE app = ?1 AND owner = ?2",
            params![app, owner],
        )?;
        Ok(n as u64)
    }

    fn count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM call_logs", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn max_call_number(&self) -> Result<u64, StoreError> {
        let n: Option<i64> = self.conn.query_row(
            "SELECT MAX(CAST(SUBSTR(call_id, 6) AS INTEGER)) FROM call_logs \
             WHERE call_id GLOB 'call-[0-9]*'",
            [],
            |r| r.get(0),
        )?;
        let stored = n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
        let reserved: Option<i64> = self
            .conn
            .query_row("SELECT reserved FROM call_numbers WHERE id = 0", [], |r| {
                r.get(0)
            })
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        let reserved = reserved.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
        Ok(stored.max(reserved))
    }

    fn reserve_call_numbers(&mut self, through: u64) -> Result<(), StoreError> {
        let through = i64::try_from(through)
            .map_err(|_| StoreError(format!("call number {through} is out of range")))?;
        self.conn.execute(
            "INSERT INTO call_numbers (id, reserved) VALUES (0, ?1) \
             ON CONFLICT (id) DO UPDATE SET reserved = MAX(reserved, excluded.reserved)",
            params![through],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SeedSpec;

    fn seeded(count: usize, interval_ms: i64) -> SqliteStore {
        let mut store = SqliteStore::in_memory().unwrap();
        let spec = SeedSpec {
            owner: "alice".into(),
            peer: "bob".into(),
            count,
            first_end_time: 1_000_000,
            interval_ms,
        };
        for (end, logs) in spec.calls("seed") {
            store.insert_call("app", end, logs).unwrap();
        }
        store
    }

    fn walk(store: &SqliteStore, order: CallLogOrder, first: i64, page: usize) -> Vec<String> {
        let mut seen = Vec::new();
        let mut start = first;
        loop {
            let p = store.page("app", "alice", start, page, order).unwrap();
            seen.extend(p.call_log_list.iter().map(|l| l.call_id.clone()));
            start = p.sync_time;
            if !p.has_more {
                return seen;
            }
        }
    }

    #[test]
    fn paging_both_ways_sees_every_log_once_even_with_equal_times() {
        for interval in [60_000, 0] {
            let store = seeded(250, interval);
            let desc = walk(&store, CallLogOrder::Desc, -1, 20);
            let asc = walk(&store, CallLogOrder::Asc, 0, 20);
            assert_eq!(desc.len(), 250);
            let unique: std::collections::HashSet<_> = desc.iter().collect();
            assert_eq!(unique.len(), 250, "no repeats");
            let mut reversed = desc.clone();
            reversed.reverse();
            assert_eq!(asc, reversed, "ASC is DESC backwards");
            assert_eq!(
                desc.first().map(String::as_str),
                Some("seed-249"),
                "newest first"
            );
        }
    }

    #[test]
    fn delete_is_for_the_owner_only_and_reports_unknown_ids() {
        let mut store = seeded(3, 1000);
        let missing = store
            .delete("app", "alice", &["seed-0".into(), "nope".into()])
            .unwrap();
        assert_eq!(missing, vec!["nope".to_string()]);
        assert_eq!(walk(&store, CallLogOrder::Asc, 0, 10).len(), 2);
        let bob = store
            .page("app", "bob", -1, 10, CallLogOrder::Desc)
            .unwrap();
        assert_eq!(bob.call_log_list.len(), 3, "bob keeps his");
        assert_eq!(store.delete_all("app", "alice").unwrap(), 2);
        assert!(
            store
                .page("app", "alice", -1, 10, CallLogOrder::Desc)
                .unwrap()
                .call_log_list
                .is_empty()
        );
    }

    #[test]
    fn the_highest_stored_call_number_is_found() {
        let store = SqliteStore::in_memory().unwrap();
        assert_eq!(store.max_call_number().unwrap(), 0);
        let mut store = seeded(3, 1_000);
        // Seeded ids (`seed-N`) are not `call-N`: they do not count.
        assert_eq!(store.max_call_number().unwrap(), 0);
        let spec = SeedSpec {
            owner: "alice".into(),
            peer: "bob".into(),
            count: 12,
            first_end_time: 1_000_000,
            interval_ms: 1_000,
        };
        for (end, logs) in spec.calls("call") {
            store.insert_call("app", end, logs).unwrap();
        }
        // call-0 .. call-11: numerically 11, though "call-9" sorts last as text.
        assert_eq!(store.max_call_number().unwrap(), 11);
        // Numbers handed out to calls that never got a log count too.
        store.reserve_call_numbers(40).unwrap();
        assert_eq!(store.max_call_number().unwrap(), 40);
        // A reservation never moves back.
        store.reserve_call_numbers(20).unwrap();
        assert_eq!(store.max_call_number().unwrap(), 40);
    }

    #[test]
    fn an_empty_page_keeps_the_cursor() {
        let store = seeded(0, 0);
        let p = store
            .page("app", "alice", -1, 20, CallLogOrder::Desc)
            .unwrap();
        assert_eq!(
            (p.has_more, p.call_log_list.len(), p.sync_time),
            (false, 0, -1)
        );
    }
}
