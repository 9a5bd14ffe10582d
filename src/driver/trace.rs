//! `--driver-trace FILE`: every line that crosses a driver connection,
//! written down as it crosses, so a failed scenario can be read back
//! command by command. One JSON object per line:
//! `{"ms": 12.345, "driver": 3, "dir": "out"|"in", "message": {...}}` —
//! `ms` since the trace began, `driver` the connection (one per
//! scenario), `out` what the suite sent (commands), `in` what the driver
//! wrote (replies, events, frames).

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use serde_json::Value;

struct Trace {
    started: Instant,
    file: Mutex<std::io::BufWriter<std::fs::File>>,
}

static TRACE: OnceLock<Trace> = OnceLock::new();
static NEXT_DRIVER: AtomicU64 = AtomicU64::new(1);

/// From now on, every driver connection's lines are written to `path`
/// (created or truncated).
pub fn trace_to(path: &std::path::Path) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let _ = TRACE.set(Trace {
        started: Instant::now(),
        file: Mutex::new(std::io::BufWriter::new(file)),
    });
    Ok(())
}

/// A number for a new driver connection, as the trace names it.
pub fn next_driver() -> u64 {
    NEXT_DRIVER.fetch_add(1, Ordering::Relaxed)
}

/// Writes one line of driver `driver` going `dir` ("out" or "in"), if a
/// trace is on. A line that is not JSON is kept as a string.
pub fn note(driver: u64, dir: &str, line: &str) {
    let Some(trace) = TRACE.get() else { return };
    let message = serde_json::from_str::<Value>(line).unwrap_or_else(|_| Value::from(line));
    let entry = serde_json::json!({
        "ms": (trace.started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
        "driver": driver,
        "dir": dir,
        "message": message,
    });
    if let Ok(mut file) = trace.file.lock() {
        let _ = writeln!(file, "{entry}");
        // Flushed line by line: the trace is read after a run that may
        // end with `process::exit`.
        let _ = file.flush();
    }
}
