//! nccall-conformance: the pieces shared by the Gherkin suite, the demo and
//! the benchmarks.
//!
//! - [`rig`] — a simulator plus named participants, each an engine whose
//!   events are recorded in order.
//! - [`timeline`] — turns recorded events into normalised, readable YAML
//!   values (call ids → `call#1`, times → offsets from the scenario start).

pub mod rig;
pub mod timeline;
