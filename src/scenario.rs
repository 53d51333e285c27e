//! The scenario file format: what `kafkascope run FILE.json` reads, and what
//! a course author writes to prepare an exercise.
//!
//! ```json
//! {
//!   "version": 1,
//!   "name": "at-least-once with a crash",
//!   "preset": "at-least-once-duplicates",
//!   "config": { ... }        // optional: a full ScenarioConfig instead of (or overriding) the preset
//! }
//! ```
//!
//! `version` is required and must be 1 (older versions keep opening: each
//! gets its own reader). Either `preset` or `config` is required; with both,
//! `config` wins. The configuration is the engine's own
//! [`ScenarioConfig`](crate::engine::ScenarioConfig): every field optional,
//! defaulting to Kafka's defaults, unknown fields refused, and validated with
//! the same constraints as the app. Errors name the field (`config.topics[0].
//! partitions: …`) and what was expected.

use crate::engine::config::ScenarioConfig;
use serde::{Deserialize, Serialize};

/// The current format version.
pub const VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ScenarioConfig>,
}

impl ScenarioFile {
    /// Parses and validates a scenario file, naming the field on any error.
    pub fn parse(text: &str) -> Result<ScenarioConfig, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        match value.get("version") {
            None => return Err("version: missing; add \"version\": 1".into()),
            Some(v) if v.as_u64() == Some(VERSION as u64) => {}
            Some(v) => {
                return Err(format!(
                    "version: {v} is not a version this kafkascope reads (it reads {VERSION}); upgrade kafkascope or set \"version\": {VERSION}"
                ))
            }
        }
        let de = &mut serde_json::Deserializer::from_str(text);
        let file: ScenarioFile = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            let inner = inner
                .split(" at line ")
                .next()
                .unwrap_or(&inner)
                .to_string();
            if path == "." || path.is_empty() {
                inner
            } else {
                format!("{path}: {inner}")
            }
        })?;
        let config = match (&file.config, &file.preset) {
            (Some(c), _) => c.clone(),
            (None, Some(id)) => crate::presets::by_id(id).map(|p| p.config).ok_or_else(|| {
                let names: Vec<&str> = crate::presets::all().iter().map(|p| p.id).collect();
                format!(
                    "preset: unknown preset {id:?}; expected one of {}",
                    names.join(", ")
                )
            })?,
            (None, None) => {
                return Err("config: missing; give a \"config\" object or a \"preset\" name".into())
            }
        };
        let errors = config.validate();
        if !errors.is_empty() {
            return Err(errors
                .iter()
                .map(|e| format!("config.{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("\n"));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preset_file_and_a_config_file_both_load() {
        let c = ScenarioFile::parse(r#"{"version": 1, "preset": "nine-stages"}"#).unwrap();
        assert_eq!(c, ScenarioConfig::default());
        let c = ScenarioFile::parse(r#"{"version": 1, "config": {"topics": [{"name": "t", "partitions": 2}], "producers": [{"workload": {"topic": "t", "records": 3}}], "groups": [{"topics": ["t"]}]}}"#).unwrap();
        assert_eq!(c.topics[0].partitions, 2);
        assert_eq!(c.producers[0].workload.records, 3);
    }

    #[test]
    fn errors_name_the_field_and_what_was_expected() {
        let e = ScenarioFile::parse(r#"{"preset": "nine-stages"}"#).unwrap_err();
        assert!(e.starts_with("version: missing"), "{e}");
        let e = ScenarioFile::parse(r#"{"version": 2, "preset": "nine-stages"}"#).unwrap_err();
        assert!(e.starts_with("version: 2 is not a version"), "{e}");
        let e = ScenarioFile::parse(
            r#"{"version": 1, "config": {"topics": [{"name": "t", "partitions": "six"}]}}"#,
        )
        .unwrap_err();
        assert!(
            e.starts_with("config.topics[0].partitions: invalid type"),
            "{e}"
        );
        let e = ScenarioFile::parse(r#"{"version": 1, "config": {"cluster": {"brokerz": 3}}}"#)
            .unwrap_err();
        assert!(
            e.starts_with(
                "config.cluster.brokerz: unknown field `brokerz`, expected one of `brokers`"
            ),
            "{e}"
        );
        let e = ScenarioFile::parse(r#"{"version": 1, "config": {"topics": [{"name": "events", "replication_factor": 3}]}}"#).unwrap_err();
        assert!(e.starts_with("config.topics[0].replication_factor:"), "{e}");
        let e = ScenarioFile::parse(r#"{"version": 1, "preset": "nope"}"#).unwrap_err();
        assert!(e.contains("unknown preset"), "{e}");
        let e = ScenarioFile::parse("{").unwrap_err();
        assert!(e.starts_with("not valid JSON"), "{e}");
    }
}
