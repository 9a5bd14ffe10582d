//! Per-implementation expectations (`fixtures/expectations/*.yaml`): the
//! scenarios an implementation is known to fail, and flaky ones. The run
//! fails on an unexpected failure and on an unexpected pass (a known failure
//! that now passes: the file is out of date), and reports both. A scenario
//! that needed a command the SDK answered `unimplemented` is neither: it is
//! listed with those commands and does not fail the run.
//!
//! A scenario that passed the spec's rules but differed from a value only
//! this project defined (a result code of 80013 and up, "every error has a
//! message", a `@project` scenario) is reported as differing from the
//! project's choices. That fails the run only where `project_choices:
//! strict` says so (the reference engine's file: its choices are the
//! project's); another SDK's run lists the differences and goes on.

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
    /// Whether differing from a project choice fails the run.
    #[serde(default)]
    pub project_choices: ProjectChoices,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProjectChoices {
    /// Listed in the report; the run goes on (the default).
    #[default]
    Report,
    /// A difference fails the run like any failure.
    Strict,
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
        let mut differing = Vec::new();
        let strict = self.project_choices == ProjectChoices::Strict;
        for (name, outcome) in &seen {
            let passed = match outcome {
                Outcome::Unimplemented(commands) => {
                    unimplemented.push((name, commands));
                    continue;
                }
                Outcome::DiffersFromProject(how) if !strict => {
                    differing.push((name, how));
                    continue;
                }
                Outcome::DiffersFromProject(how) => {
                    differing.push((name, how));
                    false
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
            "expectations ({}): {} scenarios, {} failed as expected, {} flaky failures, {} not run (unimplemented), {} unexpected failures, {} unexpected passes, {} differ from a project choice{}",
            self.implementation,
            seen.len(),
            known.len(),
            flaky,
            unimplemented.len(),
            unexpected_failures.len(),
            unexpected_passes.len(),
            differing.len(),
            if strict {
                " (strict: fails the run)"
            } else {
                ""
            },
        );
        let mut report = line;
        for (name, commands) in unimplemented {
            report.push_str(&format!(
                "\n  unimplemented: {name}: the SDK does not implement {}",
                commands.join(", ")
            ));
        }
        for (name, how) in differing {
            report.push_str(&format!(
                "\n  differs from a project choice: {name}: {}",
                how.join("; ")
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
    /// Met the spec's rules, but not these values only this project
    /// defined (or a `@project` scenario failed).
    DiffersFromProject(Vec<String>),
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
