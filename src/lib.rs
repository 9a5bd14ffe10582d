//! nccall-conformance: the pieces shared by the Gherkin suite, the demo and
//! the benchmarks.
//!
//! - [`coverage`] — the spec-coverage report from the scenarios' `@req:` tags.
//! - [`driver`] — the driver protocol: the reference engine behind it
//!   (`nccall-driver`) and the suite's client for any SDK's driver.
//! - [`engine_driver`] — the seam the steps talk to: the reference engine in
//!   process, or any SDK behind the driver protocol.
//! - [`junit`] — JUnit reports that say *skipped* for unimplemented scenarios.
//! - [`net`] — the server core and engine machines in one process, on a
//!   virtual clock, over a seeded faulty network (no sockets).
//! - [`recorders`] — event and quality handlers that keep what they hear.
//! - [`rig`] — a simulator plus named participants, each an engine whose
//!   events are recorded in order.
//! - [`semver`] — what the suite takes for an SDK version.
//! - [`timeline`] — turns recorded events into normalised, readable YAML
//!   values (call ids → `call#1`, times → offsets from the scenario start).

pub mod browser;
pub mod call_setup;
pub mod coverage;
pub mod driver;
pub mod engine_driver;
pub mod fake_capture;
pub mod junit;
pub mod logging;
pub mod net;
pub mod recorders;
pub mod rig;
pub mod semver;
pub mod timeline;
