//! The assignor tests' data files (`tests/data/assignors/`) and the loop that runs the cases
//! transcribed from one Kafka test class, shared by `tests/assignors.rs` (client side) and
//! `tests/server_assignors.rs` (server side).

use serde_json::Value;

/// A JSON file of `tests/data/assignors/`.
pub fn load(name: &str) -> Value {
    let path = format!(
        "{}/tests/data/assignors/{}",
        env!("CARGO_MANIFEST_DIR"),
        name
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

/// Runs every case of `file` whose `kafka_test` starts with `prefix` (at least one), giving
/// `run` the case and the whole file; fails listing every case that failed.
pub fn run_kafka_suite(
    file: &str,
    prefix: &str,
    run: &dyn Fn(&Value, &Value) -> Result<(), String>,
) {
    let data = load(file);
    let mut ran = 0;
    let mut failures = Vec::new();
    for case in data["cases"].as_array().unwrap() {
        let name = case["kafka_test"].as_str().unwrap();
        if !name.starts_with(prefix) {
            continue;
        }
        ran += 1;
        if let Err(e) = run(case, &data) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(ran > 0, "no cases for {prefix}");
    assert!(
        failures.is_empty(),
        "{} of {ran} Kafka cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
