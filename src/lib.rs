//! nccall-conformance: the pieces shared by the Gherkin suite, the demo and
//! the benchmarks.
//!
//! - [`coverage`] — the spec-coverage report from the scenarios' `@req:` tags.
//! - [`rig`] — a simulator plus named participants, each an engine whose
//!   events are recorded in order.
//! - [`timeline`] — turns recorded events into normalised, readable YAML
//!   values (call ids → `call#1`, times → offsets from the scenario start).

pub mod coverage;
pub mod rig;
pub mod timeline;
