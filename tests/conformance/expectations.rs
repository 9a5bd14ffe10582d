//! Per-implementation expectations (`fixtures/expectations/*.yaml`): the
//! scenarios an implementation is known to fail, and flaky ones. The run
//! fails on an unexpected failure and on an unexpected pass (a known failure
//! that now passes: the file is out of date), and reports both. A scenario
//! that needed a command the SDK answered `unimplemented` is neither: it is
//! listed with those commands and does not fail the run.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Expected {
    pub scenario: String,
    pub reason: String,
    #[serde(default)]
    pub issue: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Expectations {
    pub implementation: String,
    #[serde(default)]
    pub known_failures: Vec<Expected>,
    #[serde(default)]
    pub flaky: Vec<Expected>,
}

impl Expectations {
    pub fn load(path: &std::path::Path) -> Result<Expectations, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_norway::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn is_known_failure(&self, name: &str) -> bool {
        self.known_failures.iter().any(|e| e.scenario == name)
    }

    fn is_flaky(&self, name: &str) -> bool {
        self.flaky.iter().any(|e| e.scenario == name)
    }

    /// The run's verdict against these expectations; `Err` lists what fails it.
    pub fn verdict(&self, outcomes: &Outcomes) -> Result<String, String> {
        let seen = outcomes.snapshot();
        let mut unexpected_failures = Vec::new();
        let mut unexpected_passes = Vec::new();
        let (mut known, mut flaky, mut unimplemented) = (Vec::new(), 0, Vec::new());
        for (name, outcome) in &seen {
            let passed = match outcome {
                Outcome::Unimplemented(commands) => {
                    unimplemented.push((name, commands));
                    continue;
                }
                Outcome::Passed => true,
                Outcome::Failed => false,
            };
            match (passed, self.is_known_failure(name), self.is_flaky(name)) {
                (true, true, _) => unexpected_passes.push(name.clone()),
                (false, true, _) => known.push(name.clone()),
                (false, false, true) => flaky += 1,
                (false, false, false) => unexpected_failures.push(name.clone()),
                (true, false, _) => {}
            }
        }
        let line = format!(
            "expectations ({}): {} scenarios, {} failed as expected, {} flaky failures, {} not run (unimplemented), {} unexpected failures, {} unexpected passes",
            self.implementation,
            seen.len(),
            known.len(),
            flaky,
            unimplemented.len(),
            unexpected_failures.len(),
            unexpected_passes.len()
        );
        let mut report = line;
        for (name, commands) in unimplemented {
            report.push_str(&format!(
                "\n  unimplemented: {name}: the SDK does not implement {}",
                commands.join(", ")
            ));
        }
        for name in &known {
            if let Some(e) = self.known_failures.iter().find(|e| e.scenario == *name) {
                report.push_str(&format!(
                    "\n  known failure: {name}: {}{}",
                    e.reason,
                    e.issue
                        .as_deref()
                        .map(|i| format!(" ({i})"))
                        .unwrap_or_default()
                ));
            }
        }
        if unexpected_failures.is_empty() && unexpected_passes.is_empty() {
            return Ok(report);
        }
        for name in unexpected_failures {
            report.push_str(&format!("\n  unexpected failure: {name}"));
        }
        for name in unexpected_passes {
            report.push_str(&format!(
                "\n  unexpected pass (remove it from known_failures): {name}"
            ));
        }
        Err(report)
    }
}

/// How one scenario went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    /// Not run to the end: the SDK answered these commands `unimplemented`.
    Unimplemented(Vec<String>),
}

/// Each scenario's outcome, as the run goes.
#[derive(Debug, Default)]
pub struct Outcomes(Mutex<BTreeMap<String, Outcome>>);

impl Outcomes {
    pub fn record(&self, name: &str, outcome: Outcome) {
        if let Ok(mut all) = self.0.lock() {
            all.insert(name.to_string(), outcome);
        }
    }

    fn snapshot(&self) -> BTreeMap<String, Outcome> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }
}
