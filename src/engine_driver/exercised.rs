//! What the SDK under test was seen to do successfully in this run: the
//! coverage report counts what is here, not what tags claim.
use super::DriverResult;

/// What the SDK under test was seen to do successfully in this run, by
/// spec (or driver-protocol) name: every command that succeeded, every
/// callback delivered, the session getters once a session was read. The
/// coverage report counts what is here, not what tags claim.
static EXERCISED: std::sync::Mutex<std::collections::BTreeSet<String>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// Records `name` as exercised.
pub fn note_exercised(name: &str) {
    if let Ok(mut seen) = EXERCISED.lock()
        && !seen.contains(name)
    {
        seen.insert(name.to_string());
    }
}

/// Everything exercised so far in this process.
pub fn exercised_so_far() -> std::collections::BTreeSet<String> {
    EXERCISED.lock().map(|s| s.clone()).unwrap_or_default()
}

/// Forgets what was exercised (a second pass over the features counts on its own).
pub fn forget_exercised() {
    if let Ok(mut seen) = EXERCISED.lock() {
        seen.clear();
    }
}

/// Passes `result` on, noting `command` if it succeeded.
pub(super) fn exercised<T>(command: &str, result: DriverResult<T>) -> DriverResult<T> {
    if result.is_ok() {
        note_exercised(command);
    }
    result
}
