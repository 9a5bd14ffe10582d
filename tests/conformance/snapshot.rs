//! One snapshot per scenario: every participant's normalised timeline.

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
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/features/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(format!("{}: {}", feature.name, scenario.name));
    settings.bind(|| insta::assert_yaml_snapshot!(name, timelines));
}
