//! The driver protocol as a JSON Schema, generated from the types in
//! `wire.rs` (`docs/driver-protocol.schema.json`), and the TypeScript
//! declarations made from it for the JavaScript side
//! (`web/driver/protocol.d.ts`). Both are checked in; a test fails when
//! either is stale (`NCCALL_UPDATE_SCHEMA=1 cargo test --lib
//! driver::schema` writes them).

use schemars::{JsonSchema, generate::SchemaSettings};
use serde_json::{Value, json};

use super::wire::{Command, HelloResult, Message};

/// Anything that travels over a driver connection: a command one way, a
/// reply, event or frame the other.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum DriverMessage {
    Command(Command),
    Message(Message),
}

/// The schema: the root accepts any message; `$defs` names each type
/// (`Command`, `Reply`, `EventMessage`, `FrameMessage`, `HelloResult`).
pub fn schema() -> Value {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    generator.subschema_for::<HelloResult>();
    let root = generator.into_root_schema_for::<DriverMessage>();
    let mut value = serde_json::to_value(root).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("title".into(), json!("nccall driver protocol, version 1"));
        map.insert(
            "$comment".into(),
            json!("Generated from src/driver/wire.rs; docs/driver-protocol.md says what each command does."),
        );
    }
    value
}

/// TypeScript declarations for the schema's `$defs` (objects, unions,
/// strings, numbers, booleans, arrays, maps and any: what `wire.rs` uses).
pub fn typescript(schema: &Value) -> String {
    let mut out = String::from(
        "// Generated from docs/driver-protocol.schema.json (src/driver/schema.rs): do not edit.\n\
         // The driver protocol's messages, for JSDoc types in web/driver/*.js.\n\n",
    );
    let empty = serde_json::Map::new();
    let defs = schema["$defs"].as_object().unwrap_or(&empty);
    for (name, def) in defs {
        if let Some(doc) = def["description"].as_str() {
            out.push_str(&format!("/** {} */\n", doc.replace('\n', " ")));
        }
        out.push_str(&format!("export type {name} = {};\n\n", ts_type(def)));
    }
    out.push_str(&format!(
        "/** Anything that travels over a driver connection. */\nexport type DriverMessage = {};\n",
        ts_type(schema)
    ));
    out
}

fn ts_type(s: &Value) -> String {
    if let Some(r) = s["$ref"].as_str() {
        return r.rsplit('/').next().unwrap_or("unknown").to_string();
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(list) = s[key].as_array() {
            let parts: Vec<String> = list.iter().map(ts_type).collect();
            return parts.join(" | ");
        }
    }
    let types: Vec<&str> = match &s["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => return "unknown".into(),
    };
    let parts: Vec<String> = types
        .iter()
        .map(|t| match *t {
            "string" => "string".into(),
            "integer" | "number" => "number".into(),
            "boolean" => "boolean".into(),
            "null" => "null".into(),
            "array" => format!("{}[]", ts_type(&s["items"])),
            "object" => ts_object(s),
            _ => "unknown".into(),
        })
        .collect();
    parts.join(" | ")
}

fn ts_object(s: &Value) -> String {
    let Some(props) = s["properties"].as_object() else {
        return "Record<string, unknown>".into();
    };
    let required: Vec<&str> = s["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let fields: Vec<String> = props
        .iter()
        .map(|(k, v)| {
            let optional = if required.contains(&k.as_str()) {
                ""
            } else {
                "?"
            };
            let doc = v["description"]
                .as_str()
                .map(|d| format!("/** {} */ ", d.replace('\n', " ")))
                .unwrap_or_default();
            format!("  {doc}{k}{optional}: {};", ts_type(v))
        })
        .collect();
    format!("{{\n{}\n}}", fields.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/driver-protocol.schema.json"
    );
    const TYPES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/web/driver/protocol.d.ts");

    #[test]
    fn the_checked_in_schema_and_types_are_current() {
        let schema = schema();
        let text = format!(
            "{}\n",
            serde_json::to_string_pretty(&schema).unwrap_or_default()
        );
        let types = typescript(&schema);
        if std::env::var_os("NCCALL_UPDATE_SCHEMA").is_some() {
            std::fs::write(SCHEMA, &text).expect("write the schema");
            std::fs::write(TYPES, &types).expect("write the types");
        }
        let stale = "stale: NCCALL_UPDATE_SCHEMA=1 cargo test --lib driver::schema";
        assert_eq!(
            std::fs::read_to_string(SCHEMA).unwrap_or_default(),
            text,
            "{SCHEMA} {stale}"
        );
        assert_eq!(
            std::fs::read_to_string(TYPES).unwrap_or_default(),
            types,
            "{TYPES} {stale}"
        );
    }

    #[test]
    fn the_schema_names_every_message_and_their_required_fields() {
        let schema = schema();
        let defs = &schema["$defs"];
        for name in [
            "Command",
            "Reply",
            "EventMessage",
            "FrameMessage",
            "HelloResult",
        ] {
            assert!(defs[name].is_object(), "no {name} in {defs}");
        }
        let required = |name: &str| defs[name]["required"].clone();
        assert_eq!(required("Command"), json!(["id", "command"]));
        assert_eq!(
            required("EventMessage"),
            json!(["engine", "callback", "event"])
        );
        let ts = typescript(&schema);
        assert!(ts.contains("export type Command = {"), "{ts}");
        assert!(ts.contains("engine?: string | null;"), "{ts}");
    }
}
