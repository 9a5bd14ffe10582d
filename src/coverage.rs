//! The spec-coverage report: which scenarios exercise each method and
//! callback of the spec. Scenarios say so with `@req:<specName>` tags (on
//! the scenario, or on its feature for all of them); the spec's surface is
//! listed in `fixtures/spec-surface.yaml`. A method or callback no scenario
//! names is a gap, and so is a tag that names nothing in the spec (a typo).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

/// The spec's methods and callbacks (`fixtures/spec-surface.yaml`).
pub const SPEC_SURFACE: &str = include_str!("../fixtures/spec-surface.yaml");

#[derive(Debug, Deserialize)]
pub struct Surface {
    pub engine_methods: Vec<String>,
    pub session_methods: Vec<String>,
    pub events: Vec<String>,
}

impl Surface {
    pub fn load() -> Result<Surface, String> {
        serde_norway::from_str(SPEC_SURFACE).map_err(|e| format!("spec-surface.yaml: {e}"))
    }

    /// Every name, with the part of the spec it belongs to.
    pub fn entries(&self) -> Vec<(&'static str, &str)> {
        let kinds = [
            ("NCCallEngine", &self.engine_methods),
            ("NCCallSession", &self.session_methods),
            ("callback", &self.events),
        ];
        kinds
            .into_iter()
            .flat_map(|(kind, names)| names.iter().map(move |n| (kind, n.as_str())))
            .collect()
    }
}

/// One scenario and the spec names its tags (or its feature's) claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedScenario {
    pub feature: String,
    pub scenario: String,
    pub reqs: BTreeSet<String>,
}

/// Reads every `.feature` file under `dir` (sorted by name).
pub fn scan(dir: &Path) -> Result<Vec<TaggedScenario>, String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "feature"))
        .collect();
    files.sort();
    let mut all = Vec::new();
    for file in files {
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        all.extend(parse(&name, &text));
    }
    Ok(all)
}

/// The scenarios of one feature file with their `@req:` names.
pub fn parse(feature: &str, text: &str) -> Vec<TaggedScenario> {
    let mut pending: BTreeSet<String> = BTreeSet::new();
    let mut feature_reqs: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('@') {
            pending.extend(
                line.split_whitespace()
                    .filter_map(|t| t.strip_prefix("@req:"))
                    .map(str::to_string),
            );
        } else if line.starts_with("Feature:") {
            feature_reqs = std::mem::take(&mut pending);
        } else if let Some(title) = line
            .strip_prefix("Scenario:")
            .or_else(|| line.strip_prefix("Scenario Outline:"))
        {
            let mut reqs = std::mem::take(&mut pending);
            reqs.extend(feature_reqs.iter().cloned());
            out.push(TaggedScenario {
                feature: feature.to_string(),
                scenario: title.trim().to_string(),
                reqs,
            });
        } else if !line.is_empty() && !line.starts_with('#') {
            // Tags belong to the next Feature or Scenario line only.
            pending.clear();
        }
    }
    out
}

/// The report: for each spec name, the scenarios that claim it; and the
/// tags that name nothing in the spec.
#[derive(Debug)]
pub struct Coverage {
    pub rows: Vec<(&'static str, String, Vec<String>)>,
    pub unknown: BTreeMap<String, Vec<String>>,
}

impl Coverage {
    pub fn of(surface: &Surface, scenarios: &[TaggedScenario]) -> Coverage {
        let rows = surface
            .entries()
            .into_iter()
            .map(|(kind, name)| {
                let by: Vec<String> = scenarios
                    .iter()
                    .filter(|s| s.reqs.contains(name))
                    .map(|s| format!("{}: {}", s.feature, s.scenario))
                    .collect();
                (kind, name.to_string(), by)
            })
            .collect();
        let known: BTreeSet<&str> = surface.entries().into_iter().map(|(_, n)| n).collect();
        let mut unknown: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for s in scenarios {
            for r in s.reqs.iter().filter(|r| !known.contains(r.as_str())) {
                unknown
                    .entry(r.clone())
                    .or_default()
                    .push(format!("{}: {}", s.feature, s.scenario));
            }
        }
        Coverage { rows, unknown }
    }

    pub fn uncovered(&self) -> Vec<&str> {
        self.rows
            .iter()
            .filter(|(_, _, by)| by.is_empty())
            .map(|(_, name, _)| name.as_str())
            .collect()
    }

    /// `covered/total` and the gaps, in one line.
    pub fn summary(&self) -> String {
        let total = self.rows.len();
        let gaps = self.uncovered();
        let mut line = format!(
            "spec coverage: {}/{} methods and callbacks covered by at least one scenario",
            total - gaps.len(),
            total
        );
        if !gaps.is_empty() {
            line.push_str(&format!("; not covered: {}", gaps.join(", ")));
        }
        if !self.unknown.is_empty() {
            let names: Vec<&str> = self.unknown.keys().map(String::as_str).collect();
            line.push_str(&format!(
                "; tags naming nothing in the spec: {}",
                names.join(", ")
            ));
        }
        line
    }

    /// The matrix, one line per spec name: how many scenarios, and which
    /// features they are in.
    pub fn matrix(&self) -> String {
        let mut out = String::new();
        for (kind, name, by) in &self.rows {
            let features: BTreeSet<&str> = by.iter().filter_map(|s| s.split(':').next()).collect();
            out.push_str(&format!(
                "{kind:<14} {name:<34} {:>3}  {}\n",
                by.len(),
                features.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        out
    }

    pub fn is_complete(&self) -> bool {
        self.uncovered().is_empty() && self.unknown.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_tags_reach_every_scenario_and_scenario_tags_only_theirs() {
        let text = "@core @req:startCall\nFeature: f\n  @req:endCall\n  Scenario: one\n    Given x\n\n  Scenario: two\n    Given y\n";
        let s = parse("f", text);
        assert_eq!(s.len(), 2);
        assert!(s[0].reqs.contains("startCall") && s[0].reqs.contains("endCall"));
        assert!(s[1].reqs.contains("startCall") && !s[1].reqs.contains("endCall"));
    }

    #[test]
    fn a_gap_and_a_typo_are_reported() {
        let surface = Surface {
            engine_methods: vec!["startCall".into(), "endCall".into()],
            session_methods: vec![],
            events: vec![],
        };
        let s = parse(
            "f",
            "@req:startCall @req:statrCall\nFeature: f\n  Scenario: one\n",
        );
        let c = Coverage::of(&surface, &s);
        assert_eq!(c.uncovered(), vec!["endCall"]);
        assert!(c.unknown.contains_key("statrCall"));
        assert!(!c.is_complete());
    }

    /// The suite's own gate: every method and callback of the spec is named
    /// by at least one scenario, and no tag names something else.
    #[test]
    fn every_spec_method_and_callback_is_covered_by_a_scenario() {
        let surface = Surface::load().unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("features");
        let scenarios = scan(&dir).unwrap();
        let coverage = Coverage::of(&surface, &scenarios);
        assert!(coverage.is_complete(), "{}", coverage.summary());
    }
}
