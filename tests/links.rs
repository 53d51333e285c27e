//! Scenario links (issue #6): every preset round-trips in a short link, a
//! decoded link replays the exact same run, every link in the golden corpus
//! keeps opening, every kind of bad link is refused by name (never a panic,
//! never a silently altered scenario), markup survives as text, and a quick
//! seeded fuzz runs on every `cargo test`.
//!
//! The long fuzz run (≥ 1,000,000 inputs) is the ignored test
//! [`fuzz_million`]; `scripts/fuzz-links.sh` runs it in release mode.

use kafkascope::engine::assignor::AssignorKind;
use kafkascope::engine::command::{Command, ScriptEntry, Trigger};
use kafkascope::engine::config::{
    CommitMode, IsolationLevel, KeyMode, ScenarioConfig, TopicConfig,
};
use kafkascope::engine::event::CrashPoint;
use kafkascope::engine::ids::*;
use kafkascope::link::{self, limits, v1, Link, LinkError, LinkErrorKind, LinkScenario, LinkView};
use kafkascope::model::{self, Model, Msg};
use kafkascope::presets;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

// ---- helpers ----------------------------------------------------------------------

mod common;
use common::commands::*;
use common::rng::Rng;

/// Five sends as the UI makes them: user-1 … user-5, one every two steps.
fn five_sends() -> Vec<(u64, Command)> {
    (0..5u64)
        .map(|i| (i * 2, send(&format!("user-{}", i + 1))))
        .collect()
}

/// Decodes inside `catch_unwind`, so a panic names its input.
fn decode_caught(text: &str) -> Result<Link, LinkError> {
    match catch_unwind(AssertUnwindSafe(|| {
        link::decode(text, &kafkascope::presets::config_by_id)
    })) {
        Ok(r) => r,
        Err(_) => panic!("decode panicked on {text:?}"),
    }
}

fn err_kind(text: &str) -> LinkErrorKind {
    match decode_caught(text) {
        Ok(l) => panic!("{text:?} was accepted as {l:?}"),
        Err(e) => {
            assert!(!e.message.is_empty(), "{text:?}: empty message");
            e.kind
        }
    }
}

/// A LEB128 varint, to build bodies by hand.
fn varint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7F) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

// ---- round trips and length -------------------------------------------------------

#[test]
fn every_preset_round_trips_in_a_short_link() {
    println!("{:<32} {:>5} {:>10}", "preset", "bare", "+5 sends");
    for p in presets::all() {
        let bare = Link::for_preset(p.id, vec![], 0);
        let with = Link::for_preset(p.id, five_sends(), 12);
        let (a, b) = (
            link::encode(&bare, &kafkascope::presets::config_by_id),
            link::encode(&with, &kafkascope::presets::config_by_id),
        );
        println!("{:<32} {:>5} {:>10}   {a}", p.id, a.len(), b.len());
        assert!(a.starts_with(&format!("v1.{}.", p.id)), "{a}");
        assert_eq!(
            link::decode(&a, &kafkascope::presets::config_by_id),
            Ok(bare.clone()),
            "{a}"
        );
        assert_eq!(
            link::decode(&format!("#{a}"), &kafkascope::presets::config_by_id),
            Ok(bare),
            "with '#'"
        );
        assert_eq!(
            link::decode(&b, &kafkascope::presets::config_by_id),
            Ok(with),
            "{b}"
        );
        // The id in clear plus 15 characters; five sends add about 30.
        assert_eq!(a.len(), "v1..".len() + p.id.len() + 15, "{a}");
        assert!(b.len() <= a.len() + 30, "{b}");
        assert!(
            b.len() < 120,
            "{}: a preset link with 5 actions is {} chars",
            p.id,
            b.len()
        );
        // Every preset id is written in clear (so links show what they open).
        assert!(v1::is_plain_id(p.id), "{}", p.id);
    }
}

#[test]
fn a_preset_with_changed_settings_is_a_short_diff() {
    let p = presets::by_id("acks-latency").unwrap();
    let mut c = p.config.clone();
    c.seed = 99;
    c.topics[0].partitions = 6;
    let l = Link {
        scenario: LinkScenario::Preset {
            id: p.id.into(),
            overrides: Some(c.clone()),
        },
        commands: five_sends(),
        at_calls: 20,
        view: LinkView::default(),
        live_tape: None,
    };
    let s = link::encode(&l, &kafkascope::presets::config_by_id);
    println!(
        "acks-latency, 2 settings changed, 5 sends: {} chars: {s}",
        s.len()
    );
    assert!(s.len() < 100, "{s}");
    assert_eq!(
        link::decode(&s, &kafkascope::presets::config_by_id),
        Ok(l.clone())
    );
    assert_eq!(l.config(&kafkascope::presets::config_by_id), Ok(c));
    // "The preset, changed back to exactly itself" is kept apart from "the preset".
    let same = Link {
        scenario: LinkScenario::Preset {
            id: p.id.into(),
            overrides: Some(p.config.clone()),
        },
        ..Link::for_preset(p.id, vec![], 0)
    };
    assert_eq!(
        link::decode(
            &link::encode(&same, &kafkascope::presets::config_by_id),
            &kafkascope::presets::config_by_id
        ),
        Ok(same)
    );
}

#[test]
fn custom_configurations_round_trip_field_by_field() {
    // Every field of the configuration changed, one at a time and all at once.
    let mut all = ScenarioConfig::default();
    let mut variants: Vec<ScenarioConfig> = Vec::new();
    let mut each = |f: &dyn Fn(&mut ScenarioConfig)| {
        let mut c = ScenarioConfig::default();
        f(&mut c);
        f(&mut all);
        variants.push(c);
    };
    each(&|c| c.seed = u64::MAX);
    each(&|c| c.cluster.brokers = 5);
    each(&|c| c.cluster.network_latency_ms = 7);
    each(&|c| c.cluster.broker_session_timeout_ms = 123);
    each(&|c| c.cluster.unclean_leader_election_enable = true);
    each(&|c| c.cluster.replica_lag_time_max_ms = 456);
    each(&|c| c.cluster.replica_fetch_wait_max_ms = 78);
    each(&|c| c.cluster.offsets_topic_num_partitions = 9);
    each(&|c| c.cluster.offsets_topic_replication_factor = 2);
    each(&|c| c.cluster.transaction_state_log_num_partitions = 11);
    each(&|c| c.cluster.group_initial_rebalance_delay_ms = 0);
    each(&|c| c.cluster.auto_leader_rebalance_enable = false);
    each(&|c| c.cluster.leader_imbalance_check_interval_seconds = 7);
    each(&|c| c.topics[0].name = "t-1".into());
    each(&|c| c.topics[0].partitions = 12);
    each(&|c| c.topics[0].replication_factor = 4);
    each(&|c| c.topics[0].min_insync_replicas = 3);
    each(&|c| {
        c.topics.push(TopicConfig {
            name: "second".into(),
            ..TopicConfig::default()
        })
    });
    each(&|c| c.producers[0].client_id = "p".into());
    each(&|c| c.producers[0].acks = kafkascope::engine::config::Acks::Zero);
    each(&|c| c.producers[0].batch_size = 1);
    each(&|c| c.producers[0].linger_ms = 0);
    each(&|c| c.producers[0].retries = 0);
    each(&|c| c.producers[0].retry_backoff_ms = 1);
    each(&|c| c.producers[0].retry_backoff_max_ms = 2);
    each(&|c| c.producers[0].request_timeout_ms = 3);
    each(&|c| c.producers[0].delivery_timeout_ms = u32::MAX);
    each(&|c| c.producers[0].max_in_flight_requests_per_connection = 1);
    each(&|c| c.producers[0].enable_idempotence = Some(false));
    each(&|c| c.producers[0].transactional_id = Some("tx".into()));
    each(&|c| c.producers[0].transaction_timeout_ms = 5);
    each(&|c| c.producers[0].records_per_transaction = 6);
    each(&|c| c.producers[0].workload.topic = "x".into());
    each(&|c| c.producers[0].workload.records = 1_000_000);
    each(&|c| c.producers[0].workload.interval_ms = 0);
    each(&|c| c.producers[0].workload.keys = KeyMode::Cycle(vec!["a".into(), "".into()]));
    each(&|c| c.producers[0].workload.start_ms = 9);
    each(&|c| c.producers.push(c.producers[0].clone()));
    each(&|c| c.groups[0].group_id = "g".into());
    each(&|c| c.groups[0].topics = vec!["events".into(), "more".into()]);
    each(&|c| c.groups[0].partition_assignment_strategy = AssignorKind::ALL.to_vec());
    each(&|c| c.groups[0].session_timeout_ms = 6_000);
    each(&|c| c.groups[0].heartbeat_interval_ms = 1);
    each(&|c| c.groups[0].max_poll_interval_ms = 2);
    each(&|c| c.groups[0].auto_commit_interval_ms = 3);
    each(&|c| c.groups[0].auto_offset_reset = kafkascope::engine::config::AutoOffsetReset::None);
    each(&|c| c.groups[0].isolation_level = IsolationLevel::ReadCommitted);
    each(&|c| c.groups[0].commit_mode = CommitMode::BeforeProcessing);
    each(&|c| c.groups[0].processing_time_ms = 4);
    each(&|c| c.groups[0].max_poll_records = 5);
    each(&|c| c.groups[0].fetch_max_wait_ms = 6);
    each(&|c| c.groups[0].consumers = 0);
    each(&|c| c.groups[0].static_membership = true);
    each(&|c| c.groups[0].output_topic = Some("out".into()));
    each(&|c| c.groups[0].restart_after_ms = 7);
    each(&|c| c.groups.clear());
    each(&|c| c.warm_start = false);
    each(&|c| {
        c.script = vec![ScriptEntry {
            trigger: Trigger::AfterAcks {
                producer: ProducerIdx(3),
                count: u64::MAX,
            },
            command: send("s-1"),
        }]
    });
    variants.push(all);
    for c in variants {
        // Many of these are impossible scenarios: the body must still carry
        // them exactly (the decoder then refuses them by name).
        let l = Link::custom(c.clone(), vec![], 0);
        let text = link::encode(&l, &kafkascope::presets::config_by_id);
        let (id, body) = v1::unseal(text.strip_prefix("v1").unwrap()).unwrap();
        assert_eq!(
            v1::parse_body(id, &body, &kafkascope::presets::config_by_id),
            Ok(l.clone()),
            "{c:?}"
        );
        match link::decode(&text, &kafkascope::presets::config_by_id) {
            Ok(back) => assert_eq!(back, l),
            Err(e) => {
                assert_eq!(e.kind, LinkErrorKind::BadConfig, "{e}");
                assert_eq!(e.config_errors, c.validate());
            }
        }
    }
}

#[test]
fn produce_keys_that_follow_each_other_cost_no_bytes() {
    assert_eq!(v1::next_key("user-7"), "user-8");
    assert_eq!(v1::next_key("order-0009"), "order-10");
    assert_eq!(v1::next_key("alice"), "alice");
    assert_eq!(
        v1::next_key("x-18446744073709551615"),
        "x-18446744073709551615"
    );
    // Repeated, successor, unrelated and absent keys, and topics in between.
    let keys = ["a-1", "a-2", "a-2", "b", "b", "a-3", "", "-1", "-2"];
    let mut commands: Vec<(u64, Command)> = keys.iter().map(|k| (1, send(k))).collect();
    commands.insert(
        3,
        (
            1,
            Command::Produce {
                producer: ProducerIdx(1),
                topic: Some("t".into()),
                key: None,
                value: Some("v".into()),
                partition: Some(0),
            },
        ),
    );
    let l = Link::for_preset("nine-stages", commands, 1);
    assert_eq!(
        link::decode(
            &link::encode(&l, &kafkascope::presets::config_by_id),
            &kafkascope::presets::config_by_id
        ),
        Ok(l)
    );
    let one = link::encode(
        &Link::for_preset("nine-stages", vec![(0, send("user-1"))], 9),
        &kafkascope::presets::config_by_id,
    );
    let ten = link::encode(
        &Link::for_preset(
            "nine-stages",
            (0..10)
                .map(|i| (i, send(&format!("user-{}", i + 1))))
                .collect(),
            9,
        ),
        &kafkascope::presets::config_by_id,
    );
    assert!(ten.len() <= one.len() + 9 * 4, "{one} vs {ten}");
}

// ---- the link reproduces the run ------------------------------------------------

fn assert_same_run(a: &kafkascope::engine::Engine, b: &kafkascope::engine::Engine, what: &str) {
    assert_eq!(a.step_calls(), b.step_calls(), "{what}: step_calls");
    assert_eq!(a.now_ms(), b.now_ms(), "{what}: now_ms");
    assert_eq!(a.steps_taken(), b.steps_taken(), "{what}: steps_taken");
    assert!(a.ledger() == b.ledger(), "{what}: ledgers differ");
}

#[test]
fn a_decoded_link_replays_the_same_run_for_every_preset() {
    for p in presets::all() {
        let commands = five_sends();
        let at = 15;
        if p.config.producers[0].transactional_id.is_some() {
            // Sends outside a transaction are refused, as Kafka's send()
            // throws IllegalStateException: the link says so, it does not
            // replay something else.
            let err = model::replay(&p.config, &commands, at).expect_err(p.id);
            assert!(err.contains("IllegalStateException"), "{}: {err}", p.id);
            continue;
        }
        let direct = model::replay(&p.config, &commands, at).expect("replay");
        let text = link::encode(
            &Link::for_preset(p.id, commands, at),
            &kafkascope::presets::config_by_id,
        );
        let opened = link::decode(&text, &kafkascope::presets::config_by_id)
            .expect("decode")
            .replay(&kafkascope::presets::config_by_id)
            .expect("replay");
        assert_same_run(&direct, &opened, p.id);
        assert!(
            direct.ledger().len() >= 5,
            "{}: the sends reached the ledger",
            p.id
        );
    }
}

#[test]
fn a_link_made_from_the_live_ui_model_reopens_at_the_same_state() {
    // Drive the UI's own reducer: steps, sends and a fault, as a user would.
    let p = presets::by_id("acks-all-survives-crash").unwrap();
    let mut m = Model::new(p.config.clone()).unwrap();
    for i in 0..40 {
        match i {
            3 | 9 | 15 => m.update(Msg::Apply(send(&format!("user-{i}")))),
            20 => m.update(Msg::Apply(Command::CrashBroker {
                broker: BrokerId(2),
            })),
            30 => m.update(Msg::Apply(Command::RestartBroker {
                broker: BrokerId(2),
            })),
            _ => m.update(Msg::StepForward),
        }
        assert_eq!(m.error, None);
    }
    assert!(m.commands.len() >= 5, "{:?}", m.commands);
    let mut l = Link::for_preset(p.id, m.commands.to_vec(), m.engine.step_calls());
    if let LinkScenario::Preset { overrides, .. } = &mut l.scenario {
        *overrides = (m.config != p.config).then(|| m.config.clone());
    }
    let text = link::encode(&l, &kafkascope::presets::config_by_id);
    println!("live model link ({} chars): {text}", text.len());
    let opened = link::decode(&text, &kafkascope::presets::config_by_id)
        .unwrap()
        .replay(&kafkascope::presets::config_by_id)
        .unwrap();
    assert_same_run(&m.engine, &opened, "live model");
}

#[test]
fn a_command_the_engine_refuses_is_named_when_the_link_is_replayed() {
    let l = Link::for_preset(
        "nine-stages",
        vec![
            (0, send("user-1")),
            (
                2,
                Command::CrashBroker {
                    broker: BrokerId(7),
                },
            ),
        ],
        5,
    );
    let e = link::decode(
        &link::encode(&l, &kafkascope::presets::config_by_id),
        &kafkascope::presets::config_by_id,
    )
    .unwrap()
    .replay(&kafkascope::presets::config_by_id)
    .unwrap_err();
    assert_eq!(e.kind, LinkErrorKind::BadCommand);
    assert!(e.message.contains("command 2 (crash broker 7)"), "{e}");
}

// ---- the golden corpus ----------------------------------------------------------

/// What a golden line must decode to, in one line of text.
fn summary(l: &Link) -> String {
    let mut s = match &l.scenario {
        LinkScenario::Preset { id, overrides } => format!(
            "preset={id} overrides={}",
            if overrides.is_some() { "yes" } else { "no" }
        ),
        LinkScenario::Custom(_) => "custom".to_string(),
    };
    let c = l
        .config(&kafkascope::presets::config_by_id)
        .expect("a decoded link has a config");
    let topics = c
        .topics
        .iter()
        .map(|t| {
            format!(
                "{}:{}x{}/{}",
                t.name, t.partitions, t.replication_factor, t.min_insync_replicas
            )
        })
        .collect::<Vec<_>>()
        .join(",");
    let groups = c
        .groups
        .iter()
        .map(|g| format!("{}:{}", g.group_id.replace(' ', "_"), g.consumers))
        .collect::<Vec<_>>()
        .join(",");
    s.push_str(&format!(
        " seed={} brokers={} topics={topics} producers={} groups={groups} script={} commands={} at_calls={}",
        c.seed,
        c.cluster.brokers,
        c.producers.len(),
        c.script.len(),
        l.commands.len(),
        l.at_calls
    ));
    if l.view != LinkView::default() {
        s.push_str(&format!(
            " view=embed:{},autoplay:{},lesson:{}",
            l.view.embed,
            l.view.autoplay,
            l.view.lesson.as_deref().unwrap_or("-")
        ));
    }
    s
}

struct Golden {
    line: usize,
    description: String,
    expect: String,
    link: String,
}

fn golden(path: &str) -> Vec<Golden> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = Vec::new();
    let mut comment: Option<&str> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(c) = line.strip_prefix('#') {
            comment = Some(c.trim());
        } else if !line.trim().is_empty() {
            let c = comment
                .take()
                .unwrap_or_else(|| panic!("{path}:{}: a link without a comment above", i + 1));
            let (description, expect) = c
                .rsplit_once(" => ")
                .unwrap_or_else(|| panic!("{path}:{}: the comment has no ' => expectation'", i));
            out.push(Golden {
                line: i + 1,
                description: description.to_string(),
                expect: expect.to_string(),
                link: line.to_string(),
            });
        }
    }
    out
}

const GOLDEN_V1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/links/v1.txt");

/// The markup strings the golden "markup kept as text" link carries.
const PAYLOADS: [&str; 6] = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "</textarea><svg onload=alert(1)>&amp;",
    "<b onmouseover=alert(1)>g</b>",
    "\"'&<>",
    "<script>alert('note')</script> ünïcödé ✓ \u{202e}rtl",
];

#[test]
fn every_golden_v1_link_still_opens_as_recorded() {
    let corpus = golden(GOLDEN_V1);
    assert!(corpus.len() >= 15, "the corpus lost entries");
    let mut ok = 0;
    for g in &corpus {
        let at = format!("v1.txt:{} ({})", g.line, g.description);
        let got = match link::decode(&g.link, &kafkascope::presets::config_by_id) {
            Ok(l) => {
                ok += 1;
                // While v1 is the newest format, re-encoding gives the same
                // text back (a preset's diff could change if the preset did).
                if !matches!(
                    l.scenario,
                    LinkScenario::Preset {
                        overrides: Some(_),
                        ..
                    }
                ) {
                    assert_eq!(
                        link::encode(&l, &kafkascope::presets::config_by_id),
                        g.link,
                        "{at}: re-encoded differently"
                    );
                }
                summary(&l)
            }
            Err(e) => format!("error={:?}", e.kind),
        };
        assert_eq!(got, g.expect, "{at}");
    }
    assert!(ok >= 10, "only {ok} golden links open");
    // The markup link carries its payloads byte for byte.
    let markup = corpus
        .iter()
        .find(|g| g.description.starts_with("Markup kept as text"))
        .expect("the markup entry");
    let l = link::decode(&markup.link, &kafkascope::presets::config_by_id).unwrap();
    let mut texts: Vec<String> = Vec::new();
    let c = l.config(&kafkascope::presets::config_by_id).unwrap();
    texts.push(c.groups[0].group_id.clone());
    texts.push(c.producers[0].client_id.clone());
    for (_, cmd) in l.commands.iter() {
        match cmd {
            Command::Produce { key, value, .. } => texts.extend(key.iter().chain(value).cloned()),
            Command::Note { text } => texts.push(text.clone()),
            _ => {}
        }
    }
    if let Command::Note { text } = &c.script[0].command {
        texts.push(text.clone());
    }
    for p in PAYLOADS {
        assert!(texts.iter().any(|t| t == p), "{p:?} not found in {texts:?}");
    }
}

// ---- bad links ------------------------------------------------------------------

/// Valid links of every shape, to cut and tamper with.
fn sample_links() -> Vec<String> {
    let mut v: Vec<String> = golden(GOLDEN_V1)
        .into_iter()
        .filter(|g| !g.expect.starts_with("error="))
        .map(|g| g.link)
        .collect();
    v.push(link::encode(
        &Link::for_preset("session-timeout", five_sends(), 12),
        &kafkascope::presets::config_by_id,
    ));
    v
}

#[test]
fn empty_links_are_named_empty() {
    for s in ["", "#", "  ", "\n#", " # "] {
        assert_eq!(err_kind(s), LinkErrorKind::Empty, "{s:?}");
    }
}

#[test]
fn unknown_versions_are_named() {
    for s in [
        "v9",
        "v9.AAAA",
        "v2.nine-stages.AAAEAQAAAKiAfMU",
        "v0.x",
        "v10.x",
        "v99999999999999999999.x",
    ] {
        let e = decode_caught(s).unwrap_err();
        assert_eq!(e.kind, LinkErrorKind::UnknownVersion, "{s:?}");
        assert!(e.message.contains("newer"), "{}", e.message);
    }
    for s in ["hello", "V1.x", "va.x", "main", "1.nine-stages.x"] {
        assert_eq!(err_kind(s), LinkErrorKind::Corrupt, "{s:?}");
    }
    assert!(link::looks_like_link("#v1.nine-stages.AAAEAQAAAKiAfMU"));
    assert!(!link::looks_like_link("#main"));
}

#[test]
fn a_link_cut_anywhere_is_refused_as_truncated_or_corrupt() {
    for full in sample_links() {
        let data_start = full.rfind('.').unwrap() + 1;
        for cut in 0..full.len() {
            let part = &full[..cut];
            let kind = err_kind(part);
            match cut {
                0 => assert_eq!(kind, LinkErrorKind::Empty),
                // Cut inside the data: always recognised as cut off.
                c if c >= data_start => assert_eq!(kind, LinkErrorKind::Truncated, "{part:?}"),
                // Cut inside "v1.<preset>.": the remainder can look like
                // anything, but never like a link.
                _ => assert!(
                    matches!(kind, LinkErrorKind::Truncated | LinkErrorKind::Corrupt),
                    "{part:?}: {kind:?}"
                ),
            }
        }
    }
}

#[test]
fn every_single_character_change_is_refused() {
    // Every position, every replacement: nothing is ever accepted. Inside the
    // data, a base64 character is 6 bits and CRC-32 catches every change
    // within 32 bits, so those are all "Corrupt" (checksum); elsewhere the
    // change can also read as another version ("v7") or, for a separator
    // turned into a letter, as a link whose data is too short (Truncated).
    let mut replacements: Vec<char> =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            .chars()
            .collect();
    replacements.extend(".#=%+/~!é€\u{0}".chars());
    let mut tried = 0;
    for full in sample_links() {
        let chars: Vec<char> = full.chars().collect();
        let data_start = full.rfind('.').unwrap() + 1;
        for pos in 0..chars.len() {
            for &c in &replacements {
                if c == chars[pos] {
                    continue;
                }
                let mut t = chars.clone();
                t[pos] = c;
                let t: String = t.into_iter().collect();
                let kind = err_kind(&t);
                tried += 1;
                if pos >= data_start && c.is_ascii_alphanumeric() {
                    assert_eq!(kind, LinkErrorKind::Corrupt, "{t:?}");
                } else {
                    assert!(
                        matches!(
                            kind,
                            LinkErrorKind::Corrupt
                                | LinkErrorKind::UnknownVersion
                                | LinkErrorKind::Truncated
                        ),
                        "{t:?}: {kind:?}"
                    );
                }
            }
        }
    }
    println!("{tried} single-character changes refused");
    // Whitespace at the ends is trimmed; inside, it is damage.
    let s = &sample_links()[0];
    assert!(link::decode(&format!("  {s}\n"), &kafkascope::presets::config_by_id).is_ok());
    assert_eq!(
        err_kind(&format!("{} {}", &s[..10], &s[10..])),
        LinkErrorKind::Corrupt
    );
    // Characters added at the end are damage too.
    for extra in ["A", "AA", "AAA", "AAAA", "."] {
        assert_eq!(
            err_kind(&format!("{s}{extra}")),
            LinkErrorKind::Corrupt,
            "{extra}"
        );
    }
}

#[test]
fn an_impossible_configuration_lists_every_violated_constraint() {
    let mut c = ScenarioConfig::default();
    c.topics[0].replication_factor = 3;
    let e = decode_caught(&link::encode(
        &Link::custom(c, vec![], 0),
        &kafkascope::presets::config_by_id,
    ))
    .unwrap_err();
    assert_eq!(e.kind, LinkErrorKind::BadConfig);
    assert_eq!(e.config_errors.len(), 1);
    assert_eq!(e.config_errors[0].field, "topics[0].replication_factor");
    assert!(e.message.contains("topics[0].replication_factor"), "{e}");

    // Several problems at once: all of them, in the message and the list.
    let mut c = ScenarioConfig::default();
    c.cluster.brokers = 9;
    c.topics[0].partitions = 0;
    c.topics[0].min_insync_replicas = 4;
    c.groups[0].session_timeout_ms = 1;
    c.producers[0].workload.topic = "nowhere".into();
    let expected = c.validate();
    assert!(expected.len() >= 5, "{expected:?}");
    let e = decode_caught(&link::encode(
        &Link::custom(c, vec![], 0),
        &kafkascope::presets::config_by_id,
    ))
    .unwrap_err();
    assert_eq!(e.kind, LinkErrorKind::BadConfig);
    assert_eq!(e.config_errors, expected);
    for ce in &expected {
        assert!(
            e.message.contains(&ce.to_string()),
            "{} missing from {}",
            ce,
            e.message
        );
    }

    // A preset that does not exist is a configuration problem with a name.
    let e = decode_caught(&link::encode(
        &Link::for_preset("gone-preset", vec![], 0),
        &kafkascope::presets::config_by_id,
    ))
    .unwrap_err();
    assert_eq!(e.kind, LinkErrorKind::BadConfig);
    assert_eq!(e.config_errors[0].field, "preset");
    assert!(e.message.contains("gone-preset"));
    // …even when its id cannot be written in clear, or settings are changed.
    for id in ["a.b", "", "ü", &"x".repeat(100)] {
        let l = Link {
            scenario: LinkScenario::Preset {
                id: id.to_string(),
                overrides: Some(ScenarioConfig::default()),
            },
            ..Link::default_link()
        };
        assert_eq!(
            err_kind(&link::encode(&l, &kafkascope::presets::config_by_id)),
            LinkErrorKind::BadConfig,
            "{id:?}"
        );
    }
}

#[test]
fn an_action_log_out_of_order_or_past_the_step_is_refused_by_name() {
    let crash = Command::CrashBroker {
        broker: BrokerId(0),
    };
    let back = Link::for_preset(
        "nine-stages",
        vec![(5, crash.clone()), (3, send("user-1"))],
        10,
    );
    let e = decode_caught(&link::encode(&back, &kafkascope::presets::config_by_id)).unwrap_err();
    assert_eq!(e.kind, LinkErrorKind::BadCommand);
    assert!(
        e.message
            .contains("action 2 (send key \"user-1\") is at step 3"),
        "{e}"
    );

    let late = Link::for_preset("nine-stages", vec![(2, crash.clone()), (11, crash)], 10);
    let e = decode_caught(&link::encode(&late, &kafkascope::presets::config_by_id)).unwrap_err();
    assert_eq!(e.kind, LinkErrorKind::BadCommand);
    assert!(
        e.message
            .contains("action 2 (crash broker 0) is at step 11"),
        "{e}"
    );

    // Every problem is counted, even when only the first ten are spelled out.
    let many: Vec<(u64, Command)> = (0..30).map(|i| (100 - i, send("k"))).collect();
    let e = decode_caught(&link::encode(
        &Link::for_preset("nine-stages", many, 200),
        &kafkascope::presets::config_by_id,
    ))
    .unwrap_err();
    assert!(
        e.message.contains("(29 problems)") && e.message.contains("and 19 more"),
        "{e}"
    );

    // Steps far apart, both ways, are carried exactly (then judged).
    let far = Link::for_preset(
        "nine-stages",
        vec![(u64::MAX, send("a")), (0, send("b"))],
        0,
    );
    let text = link::encode(&far, &kafkascope::presets::config_by_id);
    let (id, body) = v1::unseal(text.strip_prefix("v1").unwrap()).unwrap();
    assert_eq!(
        v1::parse_body(id, &body, &kafkascope::presets::config_by_id),
        Ok(far)
    );
}

/// A custom-scenario body (flag 2) followed by `rest`, sealed with a valid checksum.
fn sealed_custom(rest: &[u8]) -> String {
    let mut body = vec![2u8];
    body.extend_from_slice(rest);
    v1::seal(None, &body)
}

#[test]
fn absurd_sizes_are_too_large_and_never_allocated() {
    // A 1 MB fragment.
    let huge = format!("v1.nine-stages.{}", "A".repeat(1 << 20));
    assert_eq!(err_kind(&huge), LinkErrorKind::TooLarge);
    let e = link::decode(&huge, &kafkascope::presets::config_by_id).unwrap_err();
    assert!(e.message.contains("1048591 characters"), "{e}");

    let mut b = Vec::new();
    // Config: topics (tag 3), one topic, its name (tag 1) of 2^40 bytes.
    b.extend([3, 1, 1]);
    varint(1 << 40, &mut b);
    assert_eq!(err_kind(&sealed_custom(&b)), LinkErrorKind::TooLarge);
    // A list of a billion topics.
    let mut b = vec![3];
    varint(1_000_000_000, &mut b);
    assert_eq!(err_kind(&sealed_custom(&b)), LinkErrorKind::TooLarge);
    // 2^62 actions.
    let mut b = vec![0, 0];
    varint(1 << 62, &mut b);
    assert_eq!(err_kind(&sealed_custom(&b)), LinkErrorKind::TooLarge);
    // 10,001 actions, really there.
    let l = Link::for_preset(
        "nine-stages",
        (0..=limits::MAX_COMMANDS as u64)
            .map(|i| (i, Command::RestartCrashedBrokers))
            .collect(),
        20_000,
    );
    assert_eq!(
        err_kind(&link::encode(&l, &kafkascope::presets::config_by_id)),
        LinkErrorKind::TooLarge
    );
    assert_eq!(
        l.check(&kafkascope::presets::config_by_id)
            .unwrap_err()
            .kind,
        LinkErrorKind::TooLarge
    );
    // 10,000 are fine.
    let l = Link::for_preset(
        "nine-stages",
        (0..limits::MAX_COMMANDS as u64)
            .map(|i| (i, Command::RestartCrashedBrokers))
            .collect(),
        20_000,
    );
    assert_eq!(
        link::decode(
            &link::encode(&l, &kafkascope::presets::config_by_id),
            &kafkascope::presets::config_by_id
        ),
        Ok(l)
    );
    // A step far in the future.
    let mut b = vec![0];
    varint(u64::MAX, &mut b);
    b.extend([0, 0]);
    assert_eq!(err_kind(&sealed_custom(&b)), LinkErrorKind::TooLarge);
    // A key of 5,000 bytes.
    let l = Link::for_preset("nine-stages", vec![(0, send(&"k".repeat(5_000)))], 0);
    assert_eq!(
        err_kind(&link::encode(&l, &kafkascope::presets::config_by_id)),
        LinkErrorKind::TooLarge
    );
    assert_eq!(
        link::encode_checked(&l, &kafkascope::presets::config_by_id)
            .unwrap_err()
            .kind,
        LinkErrorKind::TooLarge
    );
    // The length field claims 16 MB: the link is cut off, nothing is allocated.
    let s = v1::seal(Some("nine-stages"), &[1, 0, 0, 0]);
    let forged = format!("v1.nine-stages.____{}", &s["v1.nine-stages.AAAE".len()..]);
    assert!(matches!(
        err_kind(&forged),
        LinkErrorKind::Corrupt | LinkErrorKind::Truncated
    ));
}

#[test]
fn a_malformed_body_with_a_valid_checksum_is_refused_by_name() {
    let cases: Vec<(&str, Vec<u8>, LinkErrorKind)> = vec![
        (
            "unknown flag bits",
            vec![0x82, 0, 0, 0, 0],
            LinkErrorKind::UnknownVersion,
        ),
        (
            "custom without config",
            vec![0, 0, 0, 0],
            LinkErrorKind::Corrupt,
        ),
        (
            "unknown config field",
            vec![2, 99, 1, 0, 0, 0, 0],
            LinkErrorKind::UnknownVersion,
        ),
        (
            "fields out of order",
            vec![2, 6, 0, 1, 5, 0, 0, 0, 0],
            LinkErrorKind::Corrupt,
        ),
        (
            "field repeated",
            vec![2, 1, 5, 1, 5, 0, 0, 0, 0],
            LinkErrorKind::Corrupt,
        ),
        (
            "yes/no that is 2",
            vec![2, 6, 2, 0, 0, 0, 0],
            LinkErrorKind::Corrupt,
        ),
        (
            "brokers over u16",
            vec![2, 2, 1, 0x80, 0x80, 0x04, 0, 0, 0, 0, 0],
            LinkErrorKind::Corrupt,
        ),
        (
            "number not in shortest form",
            vec![2, 1, 0x85, 0x00, 0, 0, 0, 0],
            LinkErrorKind::Corrupt,
        ),
        (
            "number of 11 bytes",
            [vec![2, 1], vec![0xFF; 10], vec![1, 0, 0, 0, 0]].concat(),
            LinkErrorKind::Corrupt,
        ),
        (
            "text not UTF-8",
            vec![2, 3, 1, 1, 2, 0xC3, 0x28, 0, 0, 0, 0, 0],
            LinkErrorKind::Corrupt,
        ),
        (
            "text longer than the data",
            vec![2, 3, 1, 1, 50, b'a', 0, 0, 0, 0, 0],
            LinkErrorKind::Corrupt,
        ),
        (
            "unknown acks value",
            vec![2, 4, 1, 2, 9, 0, 0, 0, 0, 0, 0],
            LinkErrorKind::UnknownVersion,
        ),
        (
            "unknown command",
            vec![2, 0, 5, 1, 0, 99, 0],
            LinkErrorKind::UnknownVersion,
        ),
        (
            "tag 1 is unused",
            vec![2, 0, 5, 1, 0, 1, 0, 0],
            LinkErrorKind::UnknownVersion,
        ),
        (
            "a key both given and predicted",
            vec![2, 0, 5, 1, 0, 32 + 2 + 16, 0, 1, b'k', 0],
            LinkErrorKind::Corrupt,
        ),
        (
            "a predicted key with no previous key",
            vec![2, 0, 5, 1, 0, 32 + 16, 0, 0],
            LinkErrorKind::Corrupt,
        ),
        (
            "more actions than bytes",
            vec![2, 0, 5, 100, 0, 4, 0],
            LinkErrorKind::Corrupt,
        ),
        (
            "trailing bytes",
            vec![2, 0, 0, 0, 0, 7],
            LinkErrorKind::Corrupt,
        ),
        (
            "view never ends",
            vec![2, 0, 0, 0, 1, 1],
            LinkErrorKind::Corrupt,
        ),
        ("empty body", vec![], LinkErrorKind::Corrupt),
    ];
    for (what, body, kind) in cases {
        let text = v1::seal(None, &body);
        let e = decode_caught(&text).unwrap_err();
        assert_eq!(e.kind, kind, "{what}: {}", e.message);
    }
    // A preset named both in clear and in the body, or in neither.
    let mut both = vec![1 | 4];
    varint(11, &mut both);
    both.extend(b"nine-stages");
    both.extend([0, 0, 0]);
    assert_eq!(
        err_kind(&v1::seal(Some("nine-stages"), &both)),
        LinkErrorKind::Corrupt
    );
    assert!(
        link::decode(&v1::seal(None, &both), &kafkascope::presets::config_by_id).is_ok(),
        "named in the body only"
    );
    assert_eq!(
        err_kind(&v1::seal(None, &[1, 0, 0, 0])),
        LinkErrorKind::Corrupt
    );
}

#[test]
fn markup_in_names_keys_and_values_round_trips_byte_for_byte() {
    let mut c = ScenarioConfig::default();
    c.groups[0].group_id = PAYLOADS[3].into();
    c.producers[0].client_id = PAYLOADS[4].into();
    c.producers[0].workload.keys = KeyMode::Cycle(PAYLOADS.iter().map(|s| s.to_string()).collect());
    let commands = vec![
        (
            0,
            Command::Produce {
                producer: ProducerIdx(0),
                topic: Some(PAYLOADS[0].into()),
                key: Some(PAYLOADS[0].into()),
                value: Some(PAYLOADS[1].into()),
                partition: None,
            },
        ),
        (
            1,
            Command::Note {
                text: PAYLOADS[2].into(),
            },
        ),
        (
            2,
            Command::CrashLeader {
                topic: PAYLOADS[1].into(),
                partition: 0,
            },
        ),
    ];
    let mut l = Link::custom(c, commands, 3);
    l.view.lesson = Some(PAYLOADS[5].into());
    let text = link::encode(&l, &kafkascope::presets::config_by_id);
    assert!(
        !text.contains('<') && !text.contains('>'),
        "the link text itself is inert"
    );
    assert_eq!(
        link::decode(&text, &kafkascope::presets::config_by_id),
        Ok(l)
    );

    // Topic names may not contain markup (Kafka's rule), so the link is
    // refused, but the codec still carries the name exactly, and the message
    // quotes it as text.
    let mut c = ScenarioConfig::default();
    c.topics[0].name = PAYLOADS[0].into();
    let l = Link::custom(c, vec![], 0);
    let text = link::encode(&l, &kafkascope::presets::config_by_id);
    let (id, body) = v1::unseal(text.strip_prefix("v1").unwrap()).unwrap();
    assert_eq!(
        v1::parse_body(id, &body, &kafkascope::presets::config_by_id),
        Ok(l)
    );
    let e = link::decode(&text, &kafkascope::presets::config_by_id).unwrap_err();
    assert_eq!(e.kind, LinkErrorKind::BadConfig);
    assert!(e.config_errors.iter().any(|e| e.field == "topics[0].name"));
}

#[test]
fn checksum_and_base64_match_their_standards() {
    assert_eq!(link::crc32(&[b"123456789"]), 0xCBF4_3926);
    assert_eq!(link::crc32(&[b"1234", b"56789"]), 0xCBF4_3926);
    // RFC 4648 test vectors, base64url without padding.
    for (plain, enc) in [
        ("", ""),
        ("f", "Zg"),
        ("fo", "Zm8"),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg"),
        ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(link::base64url_encode(plain.as_bytes()), enc);
        assert_eq!(
            link::base64url_decode(enc),
            Ok((plain.as_bytes().to_vec(), link::B64Tail::Canonical))
        );
    }
    assert_eq!(link::base64url_encode(&[0xFB, 0xFF]), "-_8");
    assert_eq!(
        link::base64url_decode("Zh").unwrap().1,
        link::B64Tail::NonZeroPadding
    );
    assert_eq!(
        link::base64url_decode("Zm9vY").unwrap().1,
        link::B64Tail::Dangling
    );
    assert_eq!(link::base64url_decode("Zm+v"), Err((2, '+')));
}

// ---- fuzzing ----------------------------------------------------------------------

/// Seeds for the fuzzers: every sample link, plus links with long logs.
fn fuzz_corpus() -> Vec<String> {
    let mut v = sample_links();
    let many: Vec<(u64, Command)> = (0..60)
        .map(|i| {
            let cmd = match i % 4 {
                0 => send(&format!("user-{i}")),
                1 => Command::CrashBroker {
                    broker: BrokerId(i as u16 % 3),
                },
                2 => Command::RestartCrashedBrokers,
                _ => Command::CrashConsumer {
                    consumer: ConsumerIdx(0),
                    point: CrashPoint::AfterPoll,
                },
            };
            (i * 3, cmd)
        })
        .collect();
    v.push(link::encode(
        &Link::for_preset("acks-latency", many, 500),
        &kafkascope::presets::config_by_id,
    ));
    v
}

const TEXT_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.v1#= ";
const INTERESTING: [u8; 10] = [0, 1, 2, 4, 7, 0x20, 0x3F, 0x7F, 0x80, 0xFF];

/// One fuzz input. Three families, so that each layer of the decoder is
/// reached: random text; a corpus link with its text mutated (hits the
/// envelope: checksum, length, base64); and a corpus link whose *body* is
/// mutated and then resealed with a valid checksum (hits the body parser
/// and the semantic checks, which checksum failures would otherwise hide).
fn fuzz_input(rng: &mut Rng, corpus: &[String], ids: &[&str]) -> String {
    let pick = |rng: &mut Rng| corpus[rng.below(corpus.len())].clone();
    match rng.below(10) {
        0 => {
            let n = rng.below(120);
            let mut s: String = if rng.one_in(2) {
                "v1.".into()
            } else {
                String::new()
            };
            for _ in 0..n {
                if rng.one_in(40) {
                    s.push(char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('é'));
                } else {
                    s.push(TEXT_ALPHABET[rng.below(TEXT_ALPHABET.len())] as char);
                }
            }
            s
        }
        1..=3 => {
            let mut s: Vec<u8> = pick(rng).into_bytes();
            for _ in 0..1 + rng.below(4) {
                let len = s.len();
                match rng.below(7) {
                    0 if len > 0 => {
                        let i = rng.below(len);
                        s[i] = TEXT_ALPHABET[rng.below(TEXT_ALPHABET.len())];
                    }
                    1 => {
                        let i = rng.below(len + 1);
                        s.insert(i, TEXT_ALPHABET[rng.below(TEXT_ALPHABET.len())]);
                    }
                    2 if len > 0 => {
                        s.remove(rng.below(len));
                    }
                    3 => s.truncate(rng.below(len + 1)),
                    4 if len > 1 => {
                        let (a, b) = (rng.below(len), rng.below(len));
                        s.swap(a, b);
                    }
                    5 => {
                        let other = pick(rng).into_bytes();
                        let cut = rng.below(len + 1);
                        let from = rng.below(other.len() + 1);
                        s.truncate(cut);
                        s.extend_from_slice(&other[from..]);
                    }
                    _ if len > 0 => {
                        let a = rng.below(len);
                        let b = (a + rng.below(16)).min(len);
                        let dup = s[a..b].to_vec();
                        s.splice(b..b, dup);
                    }
                    _ => {}
                }
            }
            String::from_utf8_lossy(&s).into_owned()
        }
        _ => {
            let original = pick(rng);
            let (id, mut body) = match v1::unseal(original.strip_prefix("v1").unwrap()) {
                Ok((id, body)) => (id.map(str::to_string), body),
                Err(_) => (None, Vec::new()),
            };
            for _ in 0..1 + rng.below(3) {
                let len = body.len();
                match rng.below(8) {
                    0 if len > 0 => {
                        let i = rng.below(len);
                        body[i] ^= 1 << rng.below(8);
                    }
                    1 if len > 0 => {
                        let i = rng.below(len);
                        body[i] = INTERESTING[rng.below(INTERESTING.len())];
                    }
                    2 => {
                        let i = rng.below(len + 1);
                        body.insert(i, rng.next() as u8);
                    }
                    3 if len > 0 => {
                        body.remove(rng.below(len));
                    }
                    4 => body.truncate(rng.below(len + 1)),
                    5 => {
                        // A big varint somewhere: lengths and counts.
                        let i = rng.below(len + 1);
                        let mut v = Vec::new();
                        varint(rng.next() >> rng.below(64), &mut v);
                        body.splice(i..i, v);
                    }
                    6 => {
                        let i = rng.below(len + 1);
                        let n = rng.below(8);
                        let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                        body.splice(i..i, bytes);
                    }
                    _ if len > 0 => {
                        let i = rng.below(len);
                        body[i] = body[i].wrapping_add(1);
                    }
                    _ => {}
                }
            }
            let id = match rng.below(6) {
                0 => None,
                1 => Some(ids[rng.below(ids.len())].to_string()),
                _ => id,
            };
            v1::seal(id.as_deref(), &body)
        }
    }
}

/// Decodes one input and checks the oracle: no panic; a message for every
/// error; and anything accepted is a valid link that re-encodes to itself.
fn fuzz_one(input: &str, kinds: &mut BTreeMap<String, u64>) {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let r = link::decode(input, &kafkascope::presets::config_by_id);
        if let Ok(l) = &r {
            assert_eq!(l.check(&kafkascope::presets::config_by_id), Ok(()));
            let again = link::encode(l, &kafkascope::presets::config_by_id);
            assert_eq!(
                link::decode(&again, &kafkascope::presets::config_by_id).as_ref(),
                Ok(l),
                "re-encoded: {again}"
            );
        }
        r
    }));
    match result {
        Ok(Ok(_)) => *kinds.entry("accepted".into()).or_default() += 1,
        Ok(Err(e)) => {
            assert!(!e.message.is_empty(), "empty message for {input:?}");
            *kinds.entry(format!("{:?}", e.kind)).or_default() += 1;
        }
        Err(_) => panic!("decode failed its oracle (or panicked) on input {input:?}"),
    }
}

fn run_fuzz(seed: u64, inputs: u64) -> (BTreeMap<String, u64>, f64) {
    let corpus = fuzz_corpus();
    let ids: Vec<&str> = presets::all()
        .iter()
        .map(|p| p.id)
        .chain(["x", "nine-stages"])
        .collect();
    let mut rng = Rng::new(seed);
    let mut kinds = BTreeMap::new();
    let start = Instant::now();
    for _ in 0..inputs {
        let input = fuzz_input(&mut rng, &corpus, &ids);
        fuzz_one(&input, &mut kinds);
    }
    (kinds, start.elapsed().as_secs_f64())
}

#[test]
fn quick_fuzz_never_panics_and_accepts_only_valid_links() {
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6b61_666b_6173);
    let inputs = 200_000;
    let (kinds, secs) = run_fuzz(seed, inputs);
    println!("quick fuzz: seed {seed}, {inputs} inputs in {secs:.2} s: {kinds:?}");
    assert_eq!(kinds.values().sum::<u64>(), inputs);
    // Every layer was reached: the body parser and the semantic checks too.
    for k in [
        "Truncated",
        "Corrupt",
        "BadConfig",
        "BadCommand",
        "UnknownVersion",
        "TooLarge",
        "accepted",
    ] {
        assert!(
            kinds.get(k).copied().unwrap_or(0) > 0,
            "no {k} in {kinds:?}"
        );
    }
}

/// The long run: `FUZZ_INPUTS=1000000 cargo test --release --test links -- --ignored fuzz_million --nocapture`
/// (or `scripts/fuzz-links.sh 1000000`). `FUZZ_SEED` picks the seed (default: the clock).
#[test]
#[ignore = "long: run with scripts/fuzz-links.sh"]
fn fuzz_million() {
    let inputs: u64 = std::env::var("FUZZ_INPUTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    println!("fuzz: seed {seed} (rerun with FUZZ_SEED={seed}), {inputs} inputs");
    let (kinds, secs) = run_fuzz(seed, inputs);
    let total: u64 = kinds.values().sum();
    println!("fuzz: {total} inputs decoded in {secs:.1} s ({:.0} inputs/s), no panic, every accepted link re-encodes to itself", total as f64 / secs);
    for (k, n) in &kinds {
        println!("fuzz:   {k:<15} {n:>10}");
    }
    assert_eq!(total, inputs);
}

/// What the page does with every golden link: a link that decodes either
/// opens at its step (the replayed engine matches `Link::replay`) or, when
/// its action log cannot be replayed, is refused with a message that names
/// the action — never half-opened.
#[test]
fn every_golden_link_opens_in_the_page_or_names_the_action_it_cannot_replay() {
    let mut opened = 0;
    for g in golden(GOLDEN_V1) {
        let Ok(l) = link::decode(&g.link, &kafkascope::presets::config_by_id) else {
            continue;
        };
        match (
            kafkascope::model::Model::from_link(&l),
            l.replay(&kafkascope::presets::config_by_id),
        ) {
            (Ok(m), Ok(engine)) => {
                assert_eq!(
                    m.engine.step_calls(),
                    engine.step_calls(),
                    "line {}",
                    g.line
                );
                assert_eq!(m.engine.now_ms(), engine.now_ms(), "line {}", g.line);
                assert_eq!(m.engine.ledger(), engine.ledger(), "line {}", g.line);
                assert!(m.error.is_none(), "line {}: {:?}", g.line, m.error);
                opened += 1;
            }
            (Err(e), Err(_)) => {
                assert_eq!(
                    e.kind,
                    LinkErrorKind::BadCommand,
                    "line {}: {}",
                    g.line,
                    e.message
                );
                assert!(
                    e.message.contains("action "),
                    "line {}: {}",
                    g.line,
                    e.message
                );
                assert!(
                    !e.message.contains("continues live"),
                    "line {}: {}",
                    g.line,
                    e.message
                );
            }
            (a, b) => panic!(
                "line {}: the page and Link::replay disagree: {:?} vs {:?}",
                g.line,
                a.map(|m| m.step).map_err(|e| e.message),
                b.map(|e| e.step_calls()).map_err(|e| e.message)
            ),
        }
    }
    assert!(opened >= 8, "only {opened} golden links open in the page");
}

#[test]
fn a_live_runs_tape_rides_in_a_v1_link_and_comes_back_exactly() {
    let p = &kafkascope::presets::config_by_id;
    let mut l = Link::custom(ScenarioConfig::default(), Vec::new(), 0);
    l.live_tape = Some(b"any bytes: the codec does not read them".to_vec());
    let text = link::encode(&l, p);
    assert!(text.starts_with("v1."), "{text}");
    assert_eq!(link::decode(&text, p), Ok(l.clone()));
    // The tape is part of what the checksum covers: the same link without
    // it is another link.
    let mut plain = l.clone();
    plain.live_tape = None;
    assert_ne!(link::encode(&plain, p), text);
    // A tape past the limit is refused by name, as every other field is.
    l.live_tape = Some(vec![7; link::limits::MAX_TAPE_BYTES + 1]);
    assert_eq!(err_kind(&link::encode(&l, p)), LinkErrorKind::TooLarge);
}
