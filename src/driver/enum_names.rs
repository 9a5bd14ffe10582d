//! Enum values from a driver travel by name. The spec numbers one enum
//! only (`NCCallLogOrder`: ASC 0, DESC 1); every other number (call and
//! user states, end reasons, media types, change results, directions) is
//! the ancestor's or this project's. A driver that sent those as numbers
//! would pass only by sharing this project's numbering, so the suite reads
//! them by name and says so when a number arrives instead.

use serde_json::Value;

/// The fields whose values are enums of this protocol, other than the
/// spec-numbered `order`.
const ENUM_FIELDS: [&str; 10] = [
    "callState",
    "callType",
    "mediaType",
    "userState",
    "reason",
    "endReason",
    "direction",
    "callDirection",
    "result",
    "quality",
];

/// The first enum field in `value` (at any depth) that holds a number, as
/// a message for the driver's author; `None` if every one is a name.
pub fn numbered_enum(value: &Value) -> Option<String> {
    match value {
        Value::Object(fields) => fields.iter().find_map(|(key, v)| {
            if v.is_number() && ENUM_FIELDS.contains(&key.as_str()) {
                Some(format!(
                    "`{key}` is the number {v}: send the name (only NCCallLogOrder travels as a number, the spec's only numbered enum; docs/driver-protocol.md)"
                ))
            } else {
                numbered_enum(v)
            }
        }),
        Value::Array(items) => items.iter().find_map(numbered_enum),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_pass_and_numbers_are_named() {
        let named = json!({"session": {"callState": "RINGING", "remoteParticipants": [{"userState": "ONCALL"}]}, "order": 1});
        assert_eq!(
            numbered_enum(&named),
            None,
            "names, and the spec's numbered order"
        );
        let numbered = json!({"session": {"callState": "RINGING", "remoteParticipants": [{"userState": 300}]}});
        let why = numbered_enum(&numbered).expect("a number is found at depth");
        assert!(why.contains("`userState` is the number 300"), "{why}");
        assert!(numbered_enum(&json!({"reason": 13})).is_some());
        assert_eq!(numbered_enum(&json!({"count": 3, "durationMs": 20})), None);
    }
}
