//! What the suite takes for an SDK version: a semantic version
//! (`major.minor.patch`, optionally `-pre-release` and `+build`). The
//! spec says only that `getVersion` returns the SDK version.

/// Whether `version` is `major.minor.patch[-pre][+build]`, numbers without a sign.
pub fn is_semantic_version(version: &str) -> bool {
    let (rest, build) = version.split_once('+').unwrap_or((version, "x"));
    let (core, pre) = rest.split_once('-').unwrap_or((rest, "x"));
    let parts: Vec<&str> = core.split('.').collect();
    !build.is_empty()
        && !pre.is_empty()
        && parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::is_semantic_version;

    #[test]
    fn semantic_versions_with_and_without_pre_release_and_build() {
        for good in [
            "0.1.0",
            "1.22.333",
            "0.1.0-web",
            "1.0.0-rc.1+build.5",
            "2.0.0+x",
        ] {
            assert!(is_semantic_version(good), "{good}");
        }
        for bad in [
            "", "1.0", "1.0.0.0", "v1.0.0", "1.x.0", "1.0.0-", "1..0", "1.0.0+", "-1.0.0",
        ] {
            assert!(!is_semantic_version(bad), "{bad}");
        }
    }
}
