//! One snapshot per scenario: every participant's normalised timeline.
//! And the ledger of which snapshots the run compared, so that a file no
//! scenario compares (a scenario renamed, or one that keeps no timeline)
//! fails the run instead of lying in `features/snapshots/` as if it
//! checked something.

use std::collections::BTreeSet;
use std::sync::Mutex;

use nccall_conformance::timeline::Normaliser;

use crate::world::CallWorld;

/// `call__caller_hangs_up` from `call.feature` / "Caller hangs up".
fn snapshot_name(
    feature: &cucumber::gherkin::Feature,
    scenario: &cucumber::gherkin::Scenario,
) -> String {
    let file = feature
        .path
        .as_ref()
        .and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| slug(&feature.name));
    format!("{file}__{}", slug(&scenario.name))
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// Where the snapshots live.
const SNAPSHOTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/features/snapshots");

#[derive(Default)]
struct Ledger {
    /// Every scenario that ran, by snapshot name.
    ran: BTreeSet<String>,
    /// Scenarios that passed and were due a comparison.
    due: BTreeSet<String>,
    /// Scenarios whose timelines were compared with their snapshot.
    compared: BTreeSet<String>,
}

static LEDGER: Mutex<Ledger> = Mutex::new(Ledger {
    ran: BTreeSet::new(),
    due: BTreeSet::new(),
    compared: BTreeSet::new(),
});

/// Records that a scenario ran; `due`: it passed and [`check`] runs for it.
pub fn note_ran(
    feature: &cucumber::gherkin::Feature,
    scenario: &cucumber::gherkin::Scenario,
    due: bool,
) {
    let name = snapshot_name(feature, scenario);
    if let Ok(mut ledger) = LEDGER.lock() {
        if due {
            ledger.due.insert(name.clone());
        }
        ledger.ran.insert(name);
    }
}

/// Snapshot files nothing compared: of scenarios that were due a
/// comparison and kept no timeline, and, after a run of every scenario
/// (`whole_run`), of scenarios that do not exist.
pub fn uncompared(whole_run: bool) -> Vec<String> {
    let Ok(ledger) = LEDGER.lock() else {
        return Vec::new();
    };
    let Ok(dir) = std::fs::read_dir(SNAPSHOTS) else {
        return Vec::new();
    };
    let mut stale: Vec<String> = dir
        .filter_map(|entry| {
            let file = entry.ok()?.file_name().into_string().ok()?;
            let name = file.strip_suffix(".snap")?.to_string();
            let unknown = whole_run && !ledger.ran.contains(&name);
            let unused = ledger.due.contains(&name) && !ledger.compared.contains(&name);
            (unknown || unused).then_some(file)
        })
        .collect();
    stale.sort();
    stale
}

pub async fn check(
    world: &mut CallWorld,
    feature: &cucumber::gherkin::Feature,
    scenario: &cucumber::gherkin::Scenario,
) {
    let Some(epoch) = world.epoch() else {
        return; // the scenario never started a simulator
    };
    if world.people.is_empty() {
        return; // nobody's timeline to keep (the scenario asked the SDK itself)
    }
    world.settle().await;
    let mut normaliser = Normaliser::new(epoch);
    let timelines = normaliser.timelines(
        world
            .people
            .iter()
            .map(|(n, p)| (n.as_str(), p.events.as_slice())),
    );
    let name = snapshot_name(feature, scenario);
    if let Ok(mut ledger) = LEDGER.lock() {
        ledger.compared.insert(name.clone());
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(SNAPSHOTS);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(format!("{}: {}", feature.name, scenario.name));
    let diff = difference(&name, &timelines);
    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        settings.bind(|| insta::assert_yaml_snapshot!(name, timelines))
    }));
    if let Err(panic) = checked {
        // insta prints its diff to the terminal; the panic's message is
        // what reports (JUnit) keep, so it carries the difference too.
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the snapshot does not match".into());
        panic!("{message}\n{}", diff.unwrap_or_default());
    }
}

/// The difference between the stored snapshot of `name` and `timelines`,
/// both written by the same YAML serializer (so only content differs), as
/// `-`/`+` lines with three lines of context; `None` when there is no
/// stored snapshot or nothing differs.
fn difference(name: &str, timelines: &impl serde::Serialize) -> Option<String> {
    let stored = std::fs::read_to_string(format!("{SNAPSHOTS}/{name}.snap")).ok()?;
    // The snapshot's header is a YAML document of its own, before the body.
    let body = stored.splitn(3, "---").nth(2)?;
    let old: serde_norway::Value = serde_norway::from_str(body).ok()?;
    let old = serde_norway::to_string(&old).ok()?;
    let new = serde_norway::to_string(timelines).ok()?;
    if old == new {
        return None;
    }
    let diff = similar::TextDiff::from_lines(&old, &new);
    Some(format!(
        "snapshot {name}, stored (-) against this run (+):\n{}",
        diff.unified_diff().context_radius(3)
    ))
}
