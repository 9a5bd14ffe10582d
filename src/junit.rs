//! JUnit reports say *skipped* for scenarios the SDK under test could not
//! run (a command answered `unimplemented`), as the terminal summary does.
//! cucumber's JUnit writer knows only passed and failed; this rewrites its
//! report after the run.

/// What the driver client's error says of an unimplemented command
/// (`DriverError::Unimplemented`), which steps carry into their panic.
pub const UNIMPLEMENTED_MARK: &str = "is not implemented by the driver";

const FAILURE_OPEN: &str = "<failure ";

/// Turns each `<failure .../>` whose message names an unimplemented command
/// into `<skipped .../>`, and corrects each suite's `failures` count and
/// adds its `skipped` count.
pub fn mark_unimplemented_skipped(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find("<testsuite ") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("</testsuite>")
            .map_or(rest.len(), |e| start + e);
        out.push_str(&rewrite_suite(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn rewrite_suite(suite: &str) -> String {
    let mut body = String::with_capacity(suite.len());
    let mut skipped = 0usize;
    let mut rest = suite;
    while let Some(start) = rest.find(FAILURE_OPEN) {
        body.push_str(&rest[..start]);
        let Some(len) = rest[start..].find("/>") else {
            break;
        };
        let failure = &rest[start..start + len + 2];
        if failure.contains(UNIMPLEMENTED_MARK) {
            skipped += 1;
            let message = failure.find("message=").map_or("/>", |m| &failure[m..]);
            body.push_str(&format!("<skipped {message}"));
        } else {
            body.push_str(failure);
        }
        rest = &rest[start + len + 2..];
    }
    body.push_str(rest);
    if skipped == 0 {
        return body;
    }
    // The suite's opening tag carries the counts.
    let Some(tag_end) = body.find('>') else {
        return body;
    };
    let (tag, after) = body.split_at(tag_end);
    let tag = match count_attribute(tag, "failures") {
        Some(failures) => tag.replace(
            &format!("failures=\"{failures}\""),
            &format!(
                "failures=\"{}\" skipped=\"{skipped}\"",
                failures.saturating_sub(skipped)
            ),
        ),
        None => format!("{tag} skipped=\"{skipped}\""),
    };
    format!("{tag}{after}")
}

fn count_attribute(tag: &str, name: &str) -> Option<usize> {
    let key = format!("{name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    tag[start..start + len].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = concat!(
        r#"<?xml version="1.0"?><testsuites>"#,
        r#"<testsuite id="0" name="Feature: Group calls" tests="3" errors="0" failures="2">"#,
        r#"<testcase name="a"><failure type="Step Panicked" message="dave could not join: joinCall is not implemented by the driver"/></testcase>"#,
        r#"<testcase name="b"><failure type="Step Panicked" message="wrong reason"/></testcase>"#,
        r#"<testcase name="c"/></testsuite>"#,
        r#"<testsuite id="1" name="Feature: Calls" tests="1" errors="0" failures="0"><testcase name="d"/></testsuite>"#,
        r#"</testsuites>"#
    );

    #[test]
    fn an_unimplemented_failure_becomes_skipped_and_the_counts_follow() {
        let out = mark_unimplemented_skipped(REPORT);
        assert!(out.contains(r#"failures="1" skipped="1""#), "{out}");
        assert!(out.contains(
            r#"<skipped message="dave could not join: joinCall is not implemented by the driver"/>"#
        ));
        // A real failure stays a failure; the other suite is untouched.
        assert!(out.contains(r#"<failure type="Step Panicked" message="wrong reason"/>"#));
        assert!(out.contains(r#"tests="1" errors="0" failures="0">"#));
    }

    #[test]
    fn a_report_without_unimplemented_scenarios_is_unchanged() {
        let plain = REPORT.replace(UNIMPLEMENTED_MARK, "failed");
        assert_eq!(mark_unimplemented_skipped(&plain), plain);
    }
}
