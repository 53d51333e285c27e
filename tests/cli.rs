//! The `kafkascope` binary end to end: output on stdout, errors on stderr
//! with a non-zero exit code.

use std::io::Write;
use std::process::{Command, Stdio};

fn run(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kafkascope"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn partition_prints_key_tab_partition() {
    let (code, out, _) = run(&["partition", "--partitions", "6", "21", "42"], None);
    assert_eq!(code, 0);
    assert_eq!(out, "21\t0\n42\t4\n");
}

#[test]
fn partition_rejects_zero_partitions_and_bad_hex_with_exit_2() {
    let (code, out, err) = run(&["partition", "--partitions", "0", "k"], None);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("at least 1"), "{err}");
    let (code, _, err) = run(&["partition", "--hex", "--partitions", "3", "xyz1"], None);
    assert_eq!(code, 2);
    assert!(err.contains("hex"), "{err}");
}

#[test]
fn offsets_partition_names_the_coordinator_partition() {
    let (code, out, _) = run(&["offsets-partition", "my-consumer-group"], None);
    assert_eq!((code, out.as_str()), (0, "my-consumer-group\t13\n"));
}

#[test]
fn assign_reads_a_request_on_stdin() {
    let req = r#"{"strategy": "range", "topics": {"t0": 4}, "members": [{"member_id": "A", "subscriptions": ["t0"]}, {"member_id": "B", "subscriptions": ["t0"]}, {"member_id": "C", "subscriptions": ["t0"]}]}"#;
    let (code, out, err) = run(&["assign"], Some(req));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["assignment"]["A"]["t0"], serde_json::json!([0, 1]));
    assert_eq!(v["assignment"]["B"]["t0"], serde_json::json!([2]));
    assert_eq!(v["assignment"]["C"]["t0"], serde_json::json!([3]));
}

#[test]
fn assign_runs_the_group_coordinators_uniform_assignor() {
    let req = r#"{"strategy": "uniform", "topics": {"t0": 4}, "members": [{"member_id": "A", "subscriptions": ["t0"], "owned": {"t0": [0, 1, 2, 3]}}, {"member_id": "B", "subscriptions": ["t0"]}]}"#;
    let (code, out, err) = run(&["assign"], Some(req));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["assignment"]["A"]["t0"], serde_json::json!([0, 1]));
    assert_eq!(v["assignment"]["B"]["t0"], serde_json::json!([2, 3]));
    assert_eq!(v["revoked"]["A"]["t0"], serde_json::json!([2, 3]));
}

#[test]
fn assign_names_the_bad_field() {
    let (code, _, err) = run(
        &["assign"],
        Some(r#"{"strategy": "fair", "topics": {}, "members": []}"#),
    );
    assert_eq!(code, 2);
    assert!(err.contains("strategy"), "{err}");
}

#[test]
fn unknown_command_prints_usage_and_fails() {
    let (code, _, err) = run(&["frobnicate"], None);
    assert_eq!(code, 2);
    assert!(err.contains("USAGE"), "{err}");
}

fn json(out: &str) -> Vec<serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
        .as_array()
        .unwrap_or_else(|| panic!("not a JSON array: {out}"))
        .clone()
}

/// `page` says where the web runs a preset, as the preset table does: the
/// full page for every preset that uses the consumer protocol, including a
/// group that starts classic and is restarted onto it (the end-to-end tests
/// open each preset on its page).
#[test]
fn presets_json_sends_every_consumer_protocol_preset_to_the_full_page() {
    let (code, out, err) = run(&["presets", "--json"], None);
    assert_eq!(code, 0, "{err}");
    let list = json(&out);
    assert_eq!(list.len(), kafkascope::presets::all().len());
    for p in &list {
        let id = p["id"].as_str().unwrap();
        let page = if kafkascope::presets::is_full_page(id) {
            "full/"
        } else {
            ""
        };
        assert_eq!(p["page"], serde_json::json!(page), "{id}");
    }
    let full: Vec<&str> = list
        .iter()
        .filter(|p| p["page"] == "full/")
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(
        full.contains(&"rolling-upgrade-to-consumer-protocol"),
        "{full:?}"
    );
    assert!(full.contains(&"c-joins-three-protocols"), "{full:?}");
}

#[test]
fn lesson_list_json_lists_every_index_lesson_in_gallery_order() {
    let (code, out, err) = run(&["lesson", "list", "--json"], None);
    assert_eq!(code, 0, "{err}");
    let list = json(&out);
    let got: Vec<(&str, &str)> = list
        .iter()
        .map(|l| (l["id"].as_str().unwrap(), l["section"].as_str().unwrap()))
        .collect();
    assert_eq!(got, kafkascope::lesson::INDEX.to_vec());
    for l in &list {
        let id = l["id"].as_str().unwrap();
        let lesson = kafkascope::lesson::by_id(id).unwrap();
        assert_eq!(l["title"], serde_json::json!(lesson.title), "{id}");
        assert!(!lesson.title.is_empty(), "{id}");
        assert_eq!(l["url"], serde_json::json!(format!("lessons/{id}.lesson")));
    }
}

#[test]
fn lesson_list_json_gives_each_beats_step_and_question_as_in_the_lesson_file() {
    let (code, out, err) = run(&["lesson", "list", "--json"], None);
    assert_eq!(code, 0, "{err}");
    for l in json(&out) {
        let id = l["id"].as_str().unwrap();
        let lesson = kafkascope::lesson::by_id(id).unwrap();
        let beats = l["beats"].as_array().unwrap();
        assert_eq!(l["stops"], serde_json::json!(lesson.beats.len()), "{id}");
        assert_eq!(beats.len(), lesson.beats.len(), "{id}");
        let asked = lesson.beats.iter().filter(|b| b.question.is_some()).count();
        assert!(
            asked > 0,
            "{id} asks nothing: this test would check nothing"
        );
        assert_eq!(l["questions"], serde_json::json!(asked), "{id}");
        for (b, want) in beats.iter().zip(&lesson.beats) {
            assert_eq!(b["step"], serde_json::json!(want.step), "{id}");
            match &want.question {
                None => assert!(b["question"].is_null(), "{id} step {}", want.step),
                Some(q) => {
                    assert_eq!(
                        b["question"]["choices"],
                        serde_json::json!(q.choices),
                        "{id}"
                    );
                    assert_eq!(b["question"]["answer"], serde_json::json!(q.answer), "{id}");
                    assert_eq!(b["question"]["prompt"], serde_json::json!(q.prompt), "{id}");
                }
            }
        }
    }
}

#[test]
fn lesson_list_without_json_prints_one_row_per_lesson_in_gallery_order() {
    let (code, out, err) = run(&["lesson", "list"], None);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert!(out.lines().next().unwrap().contains("title"), "{out}");
    assert_eq!(rows.len(), kafkascope::lesson::INDEX.len(), "{out}");
    for (i, (row, (id, _))) in rows.iter().zip(kafkascope::lesson::INDEX).enumerate() {
        let title = kafkascope::lesson::by_id(id).unwrap().title;
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols[..2], [(i + 1).to_string().as_str(), id], "{row}");
        assert!(row.ends_with(&title), "{row}");
    }
}

#[test]
fn lesson_list_rejects_unknown_arguments_with_exit_2() {
    let (code, out, err) = run(&["lesson", "list", "--yaml"], None);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("lesson list [--json]"), "{err}");
    let (code, _, err) = run(&["lesson"], None);
    assert_eq!(code, 2);
    assert!(err.contains("lesson list"), "{err}");
}

#[test]
fn presets_json_lists_every_preset_in_menu_order_with_its_title() {
    let (code, out, err) = run(&["presets", "--json"], None);
    assert_eq!(code, 0, "{err}");
    let list = json(&out);
    let got: Vec<(&str, String)> = list
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap(),
                p["title"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(&str, String)> = kafkascope::presets::menu().collect();
    assert_eq!(got, want);
    for p in &list {
        let preset = kafkascope::presets::by_id(p["id"].as_str().unwrap()).unwrap();
        assert_eq!(p["summary"], serde_json::json!(preset.summary));
        let lanes: Vec<&str> = preset.lanes.iter().map(|(label, _)| *label).collect();
        assert_eq!(p["lanes"], serde_json::json!(lanes), "{}", preset.id);
    }
    assert!(
        list.iter()
            .any(|p| p["lanes"].as_array().unwrap().len() >= 2),
        "no side-by-side preset in the list: the lanes check checks nothing"
    );
}

#[test]
fn presets_without_json_keeps_one_line_per_preset_and_rejects_other_arguments() {
    let (code, out, _) = run(&["presets"], None);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), kafkascope::presets::menu().count());
    assert!(out.starts_with("nine-stages "), "{out}");
    let (code, out, err) = run(&["presets", "--xml"], None);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("presets [--json]"), "{err}");
}
