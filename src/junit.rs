//! JUnit reports as a CI system should read them. cucumber's JUnit writer
//! knows only passed and failed, with the panic message in an attribute;
//! this rewrites its report after the run:
//! - scenarios the SDK under test could not run (a command answered
//!   `unimplemented`) are *skipped*, as the terminal summary says;
//! - known failures (the expectations file) are *skipped* with
//!   "known failure: <reason>", and flaky ones stay failures marked
//!   `type="flaky"` (neither fails the run);
//! - every failure's full message (a snapshot mismatch carries its diff)
//!   is the element's body, its first line the `message` attribute.

/// What the driver client's error says of an unimplemented command
/// (`DriverError::Unimplemented`), which steps carry into their panic.
pub const UNIMPLEMENTED_MARK: &str = "is not implemented by the driver";

const FAILURE_OPEN: &str = "<failure ";

/// Turns each `<failure .../>` whose message names an unimplemented command
/// into `<skipped .../>`, and corrects each suite's `failures` count and
/// adds its `skipped` count.
pub fn mark_unimplemented_skipped(xml: &str) -> String {
    each_suite(xml, rewrite_suite)
}

/// `xml` with each `<testsuite ...>...` (up to its closing tag) rewritten by `f`.
fn each_suite(xml: &str, f: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find("<testsuite ") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("</testsuite>")
            .map_or(rest.len(), |e| start + e);
        out.push_str(&f(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The suite's opening tag with `moved` of its failures counted as
/// skipped instead.
fn move_failures_to_skipped(suite: String, moved: usize) -> String {
    if moved == 0 {
        return suite;
    }
    let tag_end = suite.find('>').unwrap_or(suite.len());
    let (tag, after) = suite.split_at(tag_end);
    let mut tag = tag.to_string();
    if let Some(failures) = count_attribute(&tag, "failures") {
        tag = tag.replacen(
            &format!("failures=\"{failures}\""),
            &format!("failures=\"{}\"", failures.saturating_sub(moved)),
            1,
        );
    }
    match count_attribute(&tag, "skipped") {
        Some(skipped) => {
            tag = tag.replacen(
                &format!("skipped=\"{skipped}\""),
                &format!("skipped=\"{}\"", skipped + moved),
                1,
            )
        }
        None => tag.push_str(&format!(" skipped=\"{moved}\"")),
    }
    format!("{tag}{after}")
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
    move_failures_to_skipped(body, skipped)
}

/// What the expectations say of a scenario, by "<feature>: <scenario>".
pub struct Expected<'a> {
    pub known: Vec<(&'a str, &'a str)>,
    pub flaky: Vec<&'a str>,
}

/// Marks known failures skipped and flaky failures `type="flaky"`, fixing
/// each suite's counts; then moves every failure's message into its body.
pub fn mark_expected(xml: &str, expected: &Expected<'_>) -> String {
    failure_bodies(&each_suite(xml, |suite| mark_suite(suite, expected)))
}

/// The value of attribute `name` in `tag`, as written (still escaped).
fn attribute<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// "Feature: <name>: <path>" or "Scenario: <name>: <path>:<line>:<col>" to <name>.
fn name_in(value: &str, kind: &str) -> String {
    let value = value.strip_prefix(kind).unwrap_or(value);
    let name = value.rsplit_once(": ").map_or(value, |(name, _)| name);
    unescape(name)
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn mark_suite(suite: &str, expected: &Expected<'_>) -> String {
    let tag_end = suite.find('>').unwrap_or(suite.len());
    let feature =
        attribute(&suite[..tag_end], "name").map_or(String::new(), |n| name_in(n, "Feature: "));
    let mut body = String::with_capacity(suite.len());
    let mut known_here = 0usize;
    let mut rest = suite;
    while let Some(start) = rest.find("<testcase ") {
        body.push_str(&rest[..start]);
        let end = rest[start..]
            .find("</testcase>")
            .map_or(rest.len(), |e| start + e);
        let case = &rest[start..end];
        let case_tag = &case[..case.find('>').unwrap_or(case.len())];
        let scenario =
            attribute(case_tag, "name").map_or(String::new(), |n| name_in(n, "Scenario: "));
        let full = format!("{feature}: {scenario}");
        let failure = case
            .find(FAILURE_OPEN)
            .and_then(|f| case[f..].find("/>").map(|len| (f, f + len + 2)));
        match failure {
            Some((f, f_end)) => {
                if let Some((_, reason)) = expected.known.iter().find(|(n, _)| *n == full) {
                    known_here += 1;
                    body.push_str(&case[..f]);
                    body.push_str(&format!(
                        "<skipped message=\"known failure: {}\"/>",
                        escape(reason)
                    ));
                    body.push_str(&case[f_end..]);
                } else if expected.flaky.contains(&full.as_str()) {
                    let failure = &case[f..f_end];
                    let typed = match attribute(failure, "type") {
                        Some(t) => failure.replacen(&format!("type=\"{t}\""), "type=\"flaky\"", 1),
                        None => failure.replacen(FAILURE_OPEN, "<failure type=\"flaky\" ", 1),
                    };
                    body.push_str(&case[..f]);
                    body.push_str(&typed);
                    body.push_str(&case[f_end..]);
                } else {
                    body.push_str(case);
                }
            }
            None => body.push_str(case),
        }
        rest = &rest[end..];
    }
    body.push_str(rest);
    move_failures_to_skipped(body, known_here)
}

/// `<failure type="T" message="M"/>` to `<failure type="T" message="first
/// line of M">M</failure>`: CI systems show a failure's body in full.
fn failure_bodies(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find(FAILURE_OPEN) {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find("/>") else {
            break;
        };
        let failure = &rest[start..start + len];
        match attribute(failure, "message") {
            Some(message) => {
                let first = message
                    .split("&#10;")
                    .next()
                    .unwrap_or(message)
                    .split('\n')
                    .next()
                    .unwrap_or(message);
                let tag = failure.replacen(
                    &format!("message=\"{message}\""),
                    &format!("message=\"{first}\""),
                    1,
                );
                out.push_str(&format!("{tag}>{message}</failure>"));
            }
            None => out.push_str(&rest[start..start + len + 2]),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
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

    #[test]
    fn known_failures_are_skipped_flaky_ones_marked_and_messages_become_bodies() {
        let xml = concat!(
            r#"<testsuites><testsuite id="0" name="Feature: Calls: features/call.feature" tests="3" errors="0" failures="3" hostname="h">"#,
            r#"<testcase name="Scenario: Known one: features/call.feature:3:3" time="1"><failure type="Step Panicked" message="it broke&#10;second line"/></testcase>"#,
            r#"<testcase name="Scenario: Flaky one: features/call.feature:9:3" time="1"><failure type="Hook Panicked" message="snapshot differs"/></testcase>"#,
            r#"<testcase name="Scenario: Real one: features/call.feature:15:3" time="1"><failure type="Step Panicked" message="a real failure&#10;- old&#10;+ new"/></testcase>"#,
            r#"</testsuite></testsuites>"#,
        );
        let expected = Expected {
            known: vec![("Calls: Known one", "tracked in #7")],
            flaky: vec!["Calls: Flaky one"],
        };
        let out = mark_expected(xml, &expected);
        assert!(
            out.contains(r#"failures="2" errors="0""#) || out.contains(r#"failures="2""#),
            "{out}"
        );
        assert!(out.contains(r#"skipped="1""#), "{out}");
        assert!(
            out.contains(r#"<skipped message="known failure: tracked in #7"/>"#),
            "{out}"
        );
        assert!(
            out.contains(
                r#"<failure type="flaky" message="snapshot differs">snapshot differs</failure>"#
            ),
            "{out}"
        );
        assert!(
            out.contains(r#"<failure type="Step Panicked" message="a real failure">a real failure&#10;- old&#10;+ new</failure>"#),
            "{out}"
        );
        assert!(
            !out.contains("it broke"),
            "the known failure's message is replaced: {out}"
        );
    }
}
