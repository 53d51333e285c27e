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
