//! Tests for Kafka's client-side partition assignors (`engine::assignor`) and the
//! `kafkascope assign` CLI.
//!
//! Three layers:
//!
//! 1. `tests/data/assignors/kafka_tests.json` — Kafka's own unit tests (RangeAssignorTest,
//!    RoundRobinAssignorTest, StickyAssignorTest, CooperativeStickyAssignorTest and the shared
//!    AbstractStickyAssignorTest) transcribed as data, one case per Kafka test method, with the
//!    exact assignments Kafka asserts or, where Kafka only asserts properties (validity,
//!    balance, stickiness), those properties.
//! 2. `tests/data/assignors/golden_java.json` — random groups whose expected assignments were
//!    produced by running Kafka's Java assignor classes themselves; they pin down bit-exact
//!    behaviour, including HashMap iteration order effects and the inputs on which Kafka
//!    throws.
//! 3. Behaviour tests and seeded property tests (validity, determinism, balance, stickiness,
//!    cooperative safety) written here.

use std::collections::{BTreeMap, BTreeSet};

use kafkascope::cli::assign::run;
use kafkascope::engine::assignor::{
    assign, client_protocol, select_group_protocol, try_assign, AssignmentOutcome, AssignorKind,
    MemberSubscription, RebalanceProtocol, TopicPartition,
};
use serde_json::Value;

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

/// "topic-3" -> TopicPartition (split at the last '-', like Kafka's toString).
fn tp(s: &str) -> TopicPartition {
    let (topic, p) = s.rsplit_once('-').expect("topic-partition");
    TopicPartition::new(topic, p.parse().expect("partition number"))
}

fn tps(list: &[&str]) -> Vec<TopicPartition> {
    let mut v: Vec<TopicPartition> = list.iter().map(|s| tp(s)).collect();
    v.sort();
    v
}

fn topics(list: &[(&str, u32)]) -> BTreeMap<String, u32> {
    list.iter().map(|(t, n)| (t.to_string(), *n)).collect()
}

fn member(id: &str, subscriptions: &[&str]) -> MemberSubscription {
    MemberSubscription {
        member_id: id.to_string(),
        group_instance_id: None,
        topics: subscriptions.iter().map(|s| s.to_string()).collect(),
        owned: Vec::new(),
        generation: None,
    }
}

fn owning(mut m: MemberSubscription, owned: &[&str], generation: i32) -> MemberSubscription {
    m.owned = tps(owned);
    m.generation = Some(generation);
    m
}

fn static_member(id: &str, instance: &str, subscriptions: &[&str]) -> MemberSubscription {
    let mut m = member(id, subscriptions);
    m.group_instance_id = Some(instance.to_string());
    m
}

fn topics_from_json(v: &Value) -> BTreeMap<String, u32> {
    v.as_object()
        .expect("topics object")
        .iter()
        .map(|(k, n)| (k.clone(), n.as_u64().expect("count") as u32))
        .collect()
}

/// A member in the CLI request format.
fn member_from_json(v: &Value) -> MemberSubscription {
    let owned = match v.get("owned") {
        Some(Value::Object(o)) => {
            let mut list = Vec::new();
            for (t, ps) in o {
                for p in ps.as_array().expect("partitions") {
                    list.push(TopicPartition::new(
                        t.clone(),
                        p.as_u64().expect("partition") as u32,
                    ));
                }
            }
            list
        }
        _ => Vec::new(),
    };
    MemberSubscription {
        member_id: v["member_id"].as_str().expect("member_id").to_string(),
        group_instance_id: v
            .get("group_instance_id")
            .and_then(Value::as_str)
            .map(str::to_string),
        topics: v["subscriptions"]
            .as_array()
            .expect("subscriptions")
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect(),
        owned,
        generation: v
            .get("generation")
            .and_then(Value::as_i64)
            .map(|g| g as i32),
    }
}

/// `{"m": ["t-0", ...]}` or `{"m": {"t": [0, ...]}}` -> sorted lists.
fn expectation_from_json(v: &Value) -> BTreeMap<String, Vec<TopicPartition>> {
    v.as_object()
        .expect("expectation object")
        .iter()
        .map(|(m, parts)| {
            let mut list: Vec<TopicPartition> = match parts {
                Value::Array(a) => a
                    .iter()
                    .map(|s| tp(s.as_str().expect("\"topic-partition\"")))
                    .collect(),
                Value::Object(o) => o
                    .iter()
                    .flat_map(|(t, ps)| {
                        ps.as_array().unwrap().iter().map(move |p| {
                            TopicPartition::new(t.clone(), p.as_u64().unwrap() as u32)
                        })
                    })
                    .collect(),
                _ => panic!("bad expectation for {m}"),
            };
            list.sort();
            (m.clone(), list)
        })
        .collect()
}

fn show(list: &[TopicPartition]) -> String {
    let items: Vec<String> = list.iter().map(ToString::to_string).collect();
    format!("[{}]", items.join(", "))
}

fn kind(name: &str) -> AssignorKind {
    AssignorKind::from_name(name).unwrap_or_else(|| panic!("unknown strategy {name}"))
}

// ------------------------------------------------------------------------------------------
// Property checks (Kafka's verifyValidityAndBalance / isFullyBalanced and friends)
// ------------------------------------------------------------------------------------------

/// Every assigned partition exists, is assigned once, and belongs to a topic its member
/// subscribes to.
fn check_valid(
    topics: &BTreeMap<String, u32>,
    members: &[MemberSubscription],
    outcome: &AssignmentOutcome,
) -> Result<(), String> {
    check_validity(topics, members, outcome, false)
}

/// Like `check_valid`, but tolerates Kafka's sticky quirk of handing a partition back to a
/// member that reported owning it in an older generation even though it no longer subscribes
/// to the topic (see `sticky_quirk_gives_a_partition_back_to_a_stale_owner_that_no_longer_subscribes`).
fn check_valid_allowing_stale_owner_quirk(
    topics: &BTreeMap<String, u32>,
    members: &[MemberSubscription],
    outcome: &AssignmentOutcome,
) -> Result<(), String> {
    check_validity(topics, members, outcome, true)
}

fn check_validity(
    topics: &BTreeMap<String, u32>,
    members: &[MemberSubscription],
    outcome: &AssignmentOutcome,
    allow_stale_owner: bool,
) -> Result<(), String> {
    let mut seen: BTreeMap<&TopicPartition, &str> = BTreeMap::new();
    for m in members {
        let assigned = outcome
            .assignment
            .get(&m.member_id)
            .ok_or_else(|| format!("{} missing from outcome", m.member_id))?;
        for p in assigned {
            if topics.get(&p.topic).is_none_or(|&n| p.partition >= n) {
                return Err(format!("{} got nonexistent partition {p}", m.member_id));
            }
            let stale_owner = allow_stale_owner && m.owned.contains(p);
            if !m.topics.contains(&p.topic) && !stale_owner {
                return Err(format!(
                    "{} got {p} but does not subscribe to {}",
                    m.member_id, p.topic
                ));
            }
            if let Some(other) = seen.insert(p, &m.member_id) {
                return Err(format!("{p} assigned to both {other} and {}", m.member_id));
            }
        }
    }
    if outcome.assignment.len()
        != members
            .iter()
            .map(|m| &m.member_id)
            .collect::<BTreeSet<_>>()
            .len()
    {
        return Err("outcome lists members that did not join".into());
    }
    Ok(())
}

/// Every partition of every subscribed, existing topic is assigned (eager assignors).
fn check_complete(
    topics: &BTreeMap<String, u32>,
    members: &[MemberSubscription],
    outcome: &AssignmentOutcome,
) -> Result<(), String> {
    let assigned: usize = outcome.assignment.values().map(Vec::len).sum();
    let subscribed: BTreeSet<&String> = members.iter().flat_map(|m| &m.topics).collect();
    let expected: u32 = subscribed.iter().filter_map(|t| topics.get(*t)).sum();
    if assigned as u32 != expected {
        return Err(format!(
            "{assigned} partitions assigned, expected all {expected}"
        ));
    }
    Ok(())
}

/// isFullyBalanced: partition counts differ by at most one.
fn check_fully_balanced(outcome: &AssignmentOutcome) -> Result<(), String> {
    let sizes: Vec<usize> = outcome.assignment.values().map(Vec::len).collect();
    let (min, max) = (
        sizes.iter().min().copied().unwrap_or(0),
        sizes.iter().max().copied().unwrap_or(0),
    );
    if max > min + 1 {
        return Err(format!("not fully balanced: sizes range {min}..{max}"));
    }
    Ok(())
}

/// Kafka's balance rule: two members whose counts differ by 2+ must not share any topic in
/// their assignments (otherwise a partition could have moved to the less loaded one).
fn check_kafka_balance(outcome: &AssignmentOutcome) -> Result<(), String> {
    let entries: Vec<(&String, &Vec<TopicPartition>)> = outcome.assignment.iter().collect();
    for (i, (a, pa)) in entries.iter().enumerate() {
        for (b, pb) in &entries[i + 1..] {
            if pa.len().abs_diff(pb.len()) <= 1 {
                continue;
            }
            let ta: BTreeSet<&String> = pa.iter().map(|p| &p.topic).collect();
            if let Some(shared) = pb.iter().map(|p| &p.topic).find(|t| ta.contains(t)) {
                return Err(format!(
                    "{a} ({}) and {b} ({}) both hold {shared}: not balanced",
                    pa.len(),
                    pb.len()
                ));
            }
        }
    }
    Ok(())
}

/// Cooperative safety: no partition is given to a member in the same round another member
/// has to revoke it.
fn check_cooperative_safe(
    members: &[MemberSubscription],
    outcome: &AssignmentOutcome,
) -> Result<(), String> {
    let mut added = BTreeSet::new();
    let mut revoked = BTreeSet::new();
    for m in members {
        let assigned = &outcome.assignment[&m.member_id];
        added.extend(assigned.iter().filter(|p| !m.owned.contains(p)));
        revoked.extend(m.owned.iter().filter(|p| !assigned.contains(p)));
    }
    match added.intersection(&revoked).next() {
        Some(p) => Err(format!(
            "{p} is assigned to a new owner in the round it is revoked"
        )),
        None => Ok(()),
    }
}

/// The follow-up rebalances of CooperativeStickyAssignorTest.verifyValidityAndBalance: while
/// anyone revoked something, rejoin owning the new assignment (generation 1) and reassign.
fn cooperative_follow_ups(
    topics: &BTreeMap<String, u32>,
    mut members: Vec<MemberSubscription>,
    mut outcome: AssignmentOutcome,
) -> Result<(Vec<MemberSubscription>, AssignmentOutcome), String> {
    let mut rebalances = 0;
    loop {
        check_cooperative_safe(&members, &outcome)?;
        let any_revoked = members.iter().any(|m| {
            m.owned
                .iter()
                .any(|p| !outcome.assignment[&m.member_id].contains(p))
        });
        if !any_revoked {
            return Ok((members, outcome));
        }
        for m in &mut members {
            m.owned = outcome.assignment[&m.member_id].clone();
            m.generation = Some(1);
        }
        outcome = assign(AssignorKind::CooperativeSticky, topics, &members);
        rebalances += 1;
        if rebalances > 4 {
            return Err("more than 4 follow-up rebalances".into());
        }
    }
}

// ------------------------------------------------------------------------------------------
// Kafka's own test suites, as data
// ------------------------------------------------------------------------------------------

fn run_kafka_case(case: &Value) -> Result<(), String> {
    let strategy = kind(case["strategy"].as_str().unwrap());
    let mut topic_counts = topics_from_json(&case["topics"]);
    let mut finals: Vec<AssignmentOutcome> = Vec::new();
    for (r, round) in case["rounds"].as_array().unwrap().iter().enumerate() {
        let ctx = |msg: String| format!("round {r}: {msg}");
        if let Some(t) = round.get("topics") {
            topic_counts = topics_from_json(t);
        }
        let members: Vec<MemberSubscription> = round["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|mv| {
                let mut m = member_from_json(mv);
                let source = if mv.get("owned_from_previous").is_some() {
                    finals.last()
                } else {
                    mv.get("owned_from_round")
                        .and_then(Value::as_u64)
                        .map(|k| &finals[k as usize])
                };
                if let Some(prev) = source {
                    m.owned = prev
                        .assignment
                        .get(&m.member_id)
                        .cloned()
                        .unwrap_or_default();
                }
                m
            })
            .collect();

        let outcome = assign(strategy, &topic_counts, &members);
        if let Some(expected) = round.get("expect") {
            let expected = expectation_from_json(expected);
            if outcome.assignment != expected {
                return Err(ctx(format!(
                    "expected {expected:?}\n got {:?}",
                    outcome.assignment
                )));
            }
        }
        if let Some(expected) = round.get("expect_member") {
            for (m, list) in expectation_from_json(expected) {
                if outcome.assignment[&m] != list {
                    return Err(ctx(format!(
                        "{m}: expected {} got {}",
                        show(&list),
                        show(&outcome.assignment[&m])
                    )));
                }
            }
        }
        if round.get("expect_no_withheld").is_some() {
            let eager = assign(AssignorKind::Sticky, &topic_counts, &members);
            if strategy == AssignorKind::CooperativeSticky && eager.assignment != outcome.assignment
            {
                return Err(ctx("partitionsTransferringOwnership should be empty".into()));
            }
        }

        // Kafka's verifyValidityAndBalance runs cooperative follow-up rebalances first.
        let follow_ups =
            strategy == AssignorKind::CooperativeSticky && round.get("no_follow_ups").is_none();
        let (members, outcome) = if follow_ups {
            cooperative_follow_ups(&topic_counts, members, outcome).map_err(ctx)?
        } else {
            (members, outcome)
        };
        if let Some(expected) = round.get("expect_after_follow_ups") {
            let expected = expectation_from_json(expected);
            if outcome.assignment != expected {
                return Err(ctx(format!(
                    "after follow-ups expected {expected:?}\n got {:?}",
                    outcome.assignment
                )));
            }
        }
        for property in round
            .get("properties")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match property.as_str().unwrap() {
                "valid" => check_valid(&topic_counts, &members, &outcome).map_err(ctx)?,
                "balanced" => check_kafka_balance(&outcome).map_err(ctx)?,
                "fully_balanced" => check_fully_balanced(&outcome).map_err(ctx)?,
                "no_duplicates" => {
                    let all: Vec<&TopicPartition> = outcome.assignment.values().flatten().collect();
                    if all.len() != all.iter().collect::<BTreeSet<_>>().len() {
                        return Err(ctx("a partition is assigned twice".into()));
                    }
                }
                other => panic!("unknown property {other}"),
            }
        }
        if let Some(sizes) = round.get("expect_sizes").and_then(Value::as_object) {
            for (m, n) in sizes {
                if outcome.assignment[m].len() as u64 != n.as_u64().unwrap() {
                    return Err(ctx(format!(
                        "{m} has {} partitions, expected {n}",
                        outcome.assignment[m].len()
                    )));
                }
            }
        }
        if let Some(range) = round.get("expect_size_range").and_then(Value::as_array) {
            let (lo, hi) = (
                range[0].as_u64().unwrap() as usize,
                range[1].as_u64().unwrap() as usize,
            );
            if let Some((m, l)) = outcome
                .assignment
                .iter()
                .find(|(_, l)| l.len() < lo || l.len() > hi)
            {
                return Err(ctx(format!(
                    "{m} has {} partitions, expected {lo}..={hi}",
                    l.len()
                )));
            }
        }
        if let Some(set) = round.get("expect_size_set").and_then(Value::as_array) {
            let want: BTreeSet<usize> = set.iter().map(|n| n.as_u64().unwrap() as usize).collect();
            let got: BTreeSet<usize> = outcome.assignment.values().map(Vec::len).collect();
            if want != got {
                return Err(ctx(format!("sizes {got:?}, expected {want:?}")));
            }
        }
        if let Some(counts) = round
            .get("expect_per_topic_count")
            .and_then(Value::as_object)
        {
            for (m, list) in &outcome.assignment {
                for (t, n) in counts {
                    let got = list.iter().filter(|p| &p.topic == t).count();
                    if got as u64 != n.as_u64().unwrap() {
                        return Err(ctx(format!(
                            "{m} has {got} partitions of {t}, expected {n}"
                        )));
                    }
                }
            }
        }
        let named = |key: &str| -> Vec<String> {
            round
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };
        for m in named("expect_keeps_previous") {
            let before = &finals.last().unwrap().assignment[&m];
            if !before.iter().all(|p| outcome.assignment[&m].contains(p)) {
                return Err(ctx(format!("{m} lost some of {}", show(before))));
            }
        }
        for m in named("expect_within_previous") {
            let before = &finals.last().unwrap().assignment[&m];
            if !outcome.assignment[&m].iter().all(|p| before.contains(p)) {
                return Err(ctx(format!("{m} got partitions outside {}", show(before))));
            }
        }
        for m in named("expect_within_owned") {
            let owned = &members.iter().find(|x| x.member_id == m).unwrap().owned;
            if !outcome.assignment[&m].iter().all(|p| owned.contains(p)) {
                return Err(ctx(format!(
                    "{m} got partitions outside what it owned, {}",
                    show(owned)
                )));
            }
        }
        finals.push(outcome);
    }
    Ok(())
}

fn run_kafka_suite(prefix: &str) {
    common::assignor_data::run_kafka_suite("kafka_tests.json", prefix, &|case, _| {
        run_kafka_case(case)
    });
}

#[test]
fn range_assignor_passes_kafkas_range_assignor_test() {
    run_kafka_suite("RangeAssignorTest.");
}

#[test]
fn roundrobin_assignor_passes_kafkas_round_robin_assignor_test() {
    run_kafka_suite("RoundRobinAssignorTest.");
}

#[test]
fn sticky_assignor_passes_kafkas_sticky_assignor_tests() {
    run_kafka_suite("StickyAssignorTest");
}

#[test]
fn cooperative_sticky_assignor_passes_kafkas_cooperative_sticky_assignor_tests() {
    run_kafka_suite("CooperativeStickyAssignorTest");
}

/// Every single-round Kafka case gives the same answer through the CLI as through the library.
#[test]
fn cli_agrees_with_the_library_on_kafkas_cases() {
    let data = load("kafka_tests.json");
    for case in data["cases"].as_array().unwrap() {
        let round = &case["rounds"][0];
        let request = serde_json::json!({
            "strategy": case["strategy"], "topics": case["topics"],
            "members": round["members"],
        });
        let members: Vec<MemberSubscription> = round["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(member_from_json)
            .collect();
        let library = assign(
            kind(case["strategy"].as_str().unwrap()),
            &topics_from_json(&case["topics"]),
            &members,
        );
        let response =
            run(&request.to_string()).unwrap_or_else(|e| panic!("{}: {e}", case["kafka_test"]));
        let response: Value = serde_json::from_str(&response).unwrap();
        assert_eq!(
            expectation_from_json(&response["assignment"]),
            library.assignment,
            "{}",
            case["kafka_test"]
        );
        assert_eq!(
            expectation_from_json(&response["revoked"]),
            library.revoked,
            "{}",
            case["kafka_test"]
        );
    }
}

// ------------------------------------------------------------------------------------------
// Golden outputs from Kafka's Java classes
// ------------------------------------------------------------------------------------------

#[test]
fn every_assignor_reproduces_kafkas_java_output_on_random_groups() {
    let data = load("golden_java.json");
    let mut failures = Vec::new();
    let cases = data["cases"].as_array().unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let strategy = kind(case["strategy"].as_str().unwrap());
        let members: Vec<MemberSubscription> = case["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(member_from_json)
            .collect();
        let result = try_assign(strategy, &topics_from_json(&case["topics"]), &members);
        match (result, case.get("expect"), case.get("expect_error")) {
            (Ok(outcome), Some(expected), _) => {
                let expected = expectation_from_json(expected);
                if outcome.assignment != expected {
                    failures.push(format!(
                        "{name} ({strategy}): expected {expected:?}\n got {:?}",
                        outcome.assignment
                    ));
                }
            }
            (Err(e), _, Some(exception)) if e.java_exception == exception.as_str().unwrap() => {}
            (result, _, _) => failures.push(format!("{name} ({strategy}): unexpected {result:?}")),
        }
    }
    assert!(cases.len() > 50);
    assert!(
        failures.is_empty(),
        "{} of {} golden cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn cli_reproduces_kafkas_java_output_on_random_groups() {
    let data = load("golden_java.json");
    for case in data["cases"].as_array().unwrap() {
        let request = serde_json::json!({
            "strategy": case["strategy"], "topics": case["topics"], "members": case["members"],
        });
        match (run(&request.to_string()), case.get("expect")) {
            (Ok(text), Some(expected)) => {
                let response: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(response["assignment"], *expected, "{}", case["name"]);
            }
            (Err(e), None) => {
                let exception = case["expect_error"].as_str().unwrap();
                assert!(e.contains(exception), "{}: {e}", case["name"]);
            }
            (other, _) => panic!("{}: unexpected {other:?}", case["name"]),
        }
    }
}

// ------------------------------------------------------------------------------------------
// Behaviour
// ------------------------------------------------------------------------------------------

#[test]
fn range_gives_first_members_the_extra_partition_of_every_topic() {
    let t = topics(&[("a", 5), ("b", 5)]);
    let members = [
        member("m1", &["a", "b"]),
        member("m2", &["a", "b"]),
        member("m3", &["a", "b"]),
    ];
    let out = assign(AssignorKind::Range, &t, &members);
    // n = 5 / 3 = 1, r = 2: members 0 and 1 get 2 of each topic, member 2 gets 1.
    assert_eq!(out.assignment["m1"], tps(&["a-0", "a-1", "b-0", "b-1"]));
    assert_eq!(out.assignment["m2"], tps(&["a-2", "a-3", "b-2", "b-3"]));
    assert_eq!(out.assignment["m3"], tps(&["a-4", "b-4"]));
}

#[test]
fn range_orders_members_by_java_string_order() {
    // UTF-16 order: "consumer-10" < "consumer-2", and uppercase before lowercase.
    let t = topics(&[("t", 3)]);
    let out = assign(
        AssignorKind::Range,
        &t,
        &[
            member("consumer-2", &["t"]),
            member("consumer-10", &["t"]),
            member("B", &["t"]),
        ],
    );
    assert_eq!(out.assignment["B"], tps(&["t-0"]));
    assert_eq!(out.assignment["consumer-10"], tps(&["t-1"]));
    assert_eq!(out.assignment["consumer-2"], tps(&["t-2"]));
}

#[test]
fn range_puts_static_members_first_ordered_by_instance_id() {
    let t = topics(&[("t", 4)]);
    let out = assign(
        AssignorKind::Range,
        &t,
        &[
            member("a-dynamic", &["t"]),
            static_member("z", "instance-2", &["t"]),
            static_member("y", "instance-1", &["t"]),
        ],
    );
    assert_eq!(out.assignment["y"], tps(&["t-0", "t-1"]));
    assert_eq!(out.assignment["z"], tps(&["t-2"]));
    assert_eq!(out.assignment["a-dynamic"], tps(&["t-3"]));
}

#[test]
fn roundrobin_deals_all_topics_sorted_by_name_across_members() {
    let t = topics(&[("b", 2), ("a", 2)]);
    let out = assign(
        AssignorKind::Roundrobin,
        &t,
        &[member("m2", &["a", "b"]), member("m1", &["a", "b"])],
    );
    assert_eq!(out.assignment["m1"], tps(&["a-0", "b-0"]));
    assert_eq!(out.assignment["m2"], tps(&["a-1", "b-1"]));
}

#[test]
fn roundrobin_skips_members_not_subscribed_to_the_topic_without_saving_their_turn() {
    // The dealer is at m2 after a-0; b's partitions skip m2 (not subscribed) every time.
    let t = topics(&[("a", 1), ("b", 3)]);
    let out = assign(
        AssignorKind::Roundrobin,
        &t,
        &[
            member("m1", &["a", "b"]),
            member("m2", &["a"]),
            member("m3", &["a", "b"]),
        ],
    );
    assert_eq!(out.assignment["m1"], tps(&["a-0", "b-1"]));
    assert_eq!(out.assignment["m2"], tps(&[]));
    assert_eq!(out.assignment["m3"], tps(&["b-0", "b-2"]));
}

#[test]
fn sticky_keeps_every_owned_partition_when_a_member_leaves() {
    let t = topics(&[("t", 6)]);
    let round1 = assign(
        AssignorKind::Sticky,
        &t,
        &[
            member("a", &["t"]),
            member("b", &["t"]),
            member("c", &["t"]),
        ],
    );
    let survivors: Vec<MemberSubscription> = ["a", "b"]
        .iter()
        .map(|id| MemberSubscription {
            owned: round1.assignment[*id].clone(),
            generation: Some(1),
            ..member(id, &["t"])
        })
        .collect();
    let round2 = assign(AssignorKind::Sticky, &t, &survivors);
    for m in &survivors {
        assert!(
            m.owned
                .iter()
                .all(|p| round2.assignment[&m.member_id].contains(p)),
            "{} moved",
            m.member_id
        );
        assert_eq!(round2.assignment[&m.member_id].len(), 3);
    }
}

#[test]
fn sticky_constrained_builder_lets_members_keep_max_quota_in_hashmap_order() {
    // 7 partitions, 3 members: quotas 2/3 and exactly one member may keep 3. "p" (bucket 0)
    // comes before "a" (bucket 1) in Java's HashMap, so "p" keeps three and "a" gives one up,
    // whatever the input or name order. (Verified against Kafka's StickyAssignor.)
    let t = topics(&[("t", 7)]);
    let members = [
        owning(member("a", &["t"]), &["t-0", "t-1", "t-2"], 1),
        owning(member("p", &["t"]), &["t-3", "t-4", "t-5"], 1),
        owning(member("c", &["t"]), &["t-6"], 1),
    ];
    let out = assign(AssignorKind::Sticky, &t, &members);
    assert_eq!(out.assignment["p"], tps(&["t-3", "t-4", "t-5"]));
    assert_eq!(out.assignment["a"], tps(&["t-0", "t-1"]));
    assert_eq!(out.assignment["c"], tps(&["t-2", "t-6"]));
    assert_eq!(out.revoked["a"], tps(&["t-2"]));
}

#[test]
fn sticky_input_order_decides_between_member_ids_sharing_a_hash_bucket() {
    // "Aa" and "BB" have the same String.hashCode(): the one the leader inserted first into its
    // HashMap is visited first and keeps the max quota. (Verified against Kafka.)
    let t = topics(&[("t", 7)]);
    let aa = owning(member("Aa", &["t"]), &["t-0", "t-1", "t-2"], 1);
    let bb = owning(member("BB", &["t"]), &["t-3", "t-4", "t-5"], 1);
    let c = owning(member("c", &["t"]), &["t-6"], 1);
    let first = assign(
        AssignorKind::Sticky,
        &t,
        &[aa.clone(), bb.clone(), c.clone()],
    );
    assert_eq!(first.assignment["Aa"].len(), 3);
    assert_eq!(first.assignment["BB"], tps(&["t-3", "t-4"]));
    let second = assign(AssignorKind::Sticky, &t, &[bb, aa, c]);
    assert_eq!(second.assignment["BB"].len(), 3);
    assert_eq!(second.assignment["Aa"], tps(&["t-0", "t-1"]));
    assert_eq!(second.assignment["c"], tps(&["t-2", "t-6"]));
}

#[test]
fn sticky_quirk_a_member_without_subscriptions_can_receive_partitions() {
    // allSubscriptionsEqual compares each member against the first *non-empty* topic list seen
    // in HashMap order. "a" (bucket 1) is visited before "b" and "c", so its empty list is
    // skipped, the group counts as identically subscribed, and the constrained builder deals
    // partitions to "a" too. "d" (bucket 4) comes after "b", so the same group with "d" takes
    // the general path. Both verified against Kafka's StickyAssignor.
    let t = topics(&[("t", 4)]);
    let out = assign(
        AssignorKind::Sticky,
        &t,
        &[member("a", &[]), member("b", &["t"]), member("c", &["t"])],
    );
    assert_eq!(out.assignment["a"], tps(&["t-0", "t-3"]));
    assert_eq!(out.assignment["b"], tps(&["t-1"]));
    assert_eq!(out.assignment["c"], tps(&["t-2"]));
    let out = assign(
        AssignorKind::Sticky,
        &t,
        &[member("d", &[]), member("b", &["t"]), member("c", &["t"])],
    );
    assert_eq!(out.assignment["d"], tps(&[]));
    assert_eq!(out.assignment["b"], tps(&["t-0", "t-2"]));
}

#[test]
fn sticky_quirk_gives_a_partition_back_to_a_stale_owner_that_no_longer_subscribes() {
    // "b" reports T-0 from generation 1 but now subscribes only to X. The general builder
    // remembers b as T-0's previous owner and, balancing, moves T-0 "back" to b without
    // checking b's subscription. For cooperative-sticky, b claims T-0 already, so it is not
    // even withheld while "a" revokes it. Both verified against Kafka's Java classes.
    let t = topics(&[("T", 4), ("X", 2)]);
    let members = [
        owning(member("a", &["T"]), &["T-0", "T-1", "T-2", "T-3"], 2),
        owning(member("b", &["X"]), &["T-0"], 1),
        owning(member("c", &["T"]), &[], 2),
        owning(member("d", &["X"]), &[], 2),
    ];
    let out = assign(AssignorKind::Sticky, &t, &members);
    assert_eq!(out.assignment["b"], tps(&["T-0", "X-0"]));
    assert_eq!(out.assignment["a"], tps(&["T-2", "T-3"]));
    assert_eq!(out.assignment["c"], tps(&["T-1"]));
    assert!(check_valid(&t, &members, &out).is_err());
    let out = assign(AssignorKind::CooperativeSticky, &t, &members);
    assert_eq!(out.assignment["b"], tps(&["T-0", "X-0"]));
    assert_eq!(out.revoked["a"], tps(&["T-0", "T-1"]));
    assert_eq!(out.assignment["c"], tps(&[]));
}

#[test]
fn sticky_takes_away_a_partition_claimed_twice_in_the_same_generation() {
    let t = topics(&[("t", 3)]);
    let members = [
        owning(member("c1", &["t"]), &["t-0", "t-1"], 1),
        owning(member("c2", &["t"]), &["t-0", "t-2"], 1),
        owning(member("c3", &["t"]), &[], 1),
    ];
    let out = assign(AssignorKind::Sticky, &t, &members);
    assert_eq!(out.assignment["c3"], tps(&["t-0"]));
    assert_eq!(out.revoked["c1"], tps(&["t-0"]));
    assert_eq!(out.revoked["c2"], tps(&["t-0"]));
}

#[test]
fn sticky_gives_a_conflicting_claim_to_the_higher_generation() {
    let t = topics(&[("t", 2)]);
    let members = [
        owning(member("old", &["t"]), &["t-0", "t-1"], 3),
        owning(member("new", &["t"]), &["t-0"], 4),
    ];
    let out = assign(AssignorKind::Sticky, &t, &members);
    assert_eq!(out.assignment["new"], tps(&["t-0"]));
    assert_eq!(out.assignment["old"], tps(&["t-1"]));
}

#[test]
fn cooperative_sticky_withholds_partitions_that_change_owner_for_one_round() {
    let t = topics(&[("t", 4)]);
    let members = [
        owning(member("a", &["t"]), &["t-0", "t-1", "t-2", "t-3"], 5),
        owning(member("b", &["t"]), &[], 5),
    ];
    let eager = assign(AssignorKind::Sticky, &t, &members);
    assert_eq!(eager.assignment["b"], tps(&["t-2", "t-3"]));
    let out = assign(AssignorKind::CooperativeSticky, &t, &members);
    // a gives up t-2 and t-3 now; b gets them in the follow-up rebalance.
    assert_eq!(out.assignment["a"], tps(&["t-0", "t-1"]));
    assert_eq!(out.assignment["b"], tps(&[]));
    assert_eq!(out.revoked["a"], tps(&["t-2", "t-3"]));
    let follow_up = [
        owning(member("a", &["t"]), &["t-0", "t-1"], 6),
        owning(member("b", &["t"]), &[], 6),
    ];
    let out = assign(AssignorKind::CooperativeSticky, &t, &follow_up);
    assert_eq!(out.assignment["b"], tps(&["t-2", "t-3"]));
    assert!(out.revoked.values().all(Vec::is_empty));
}

#[test]
fn eager_revoked_is_owned_minus_assigned_including_unsubscribed_topics() {
    let t = topics(&[("t", 2), ("u", 1)]);
    let members = [
        owning(member("a", &["t"]), &["t-0", "u-0", "gone-7"], 1),
        member("b", &["t"]),
    ];
    let out = assign(AssignorKind::Range, &t, &members);
    assert_eq!(out.assignment["a"], tps(&["t-0"]));
    assert_eq!(out.revoked["a"], tps(&["gone-7", "u-0"]));
    assert_eq!(out.revoked["b"], tps(&[]));
}

#[test]
fn kafkas_null_pointer_exception_in_the_general_builder_is_reported_not_panicked() {
    // A stale member ("p", generation 1) still reports T-0, which it no longer subscribes to;
    // it owns all of its only topic X, so the general builder sets it aside as "fixed", then
    // looks up its assignment when considering moving T-0 back to it: Kafka's
    // GeneralAssignmentBuilder.performReassignments throws NullPointerException.
    let t = topics(&[("X", 1), ("T", 4)]);
    let members = [
        owning(member("p", &["X"]), &["X-0", "T-0"], 1),
        owning(member("a", &["T"]), &["T-0", "T-1", "T-2", "T-3"], 2),
        owning(member("b", &["T"]), &[], 2),
    ];
    for kind in [AssignorKind::Sticky, AssignorKind::CooperativeSticky] {
        let err = try_assign(kind, &t, &members).expect_err("Kafka throws here");
        assert_eq!(err.java_exception, "NullPointerException");
        let out = assign(kind, &t, &members);
        assert!(out.assignment.values().all(Vec::is_empty));
        assert_eq!(out.revoked["a"], tps(&["T-0", "T-1", "T-2", "T-3"]));
    }
}

#[test]
fn a_repeated_member_id_keeps_its_last_subscription_like_a_java_hashmap() {
    let t = topics(&[("t", 2), ("u", 2)]);
    let out = assign(
        AssignorKind::Range,
        &t,
        &[
            member("a", &["t"]),
            member("b", &["t"]),
            member("a", &["u"]),
        ],
    );
    assert_eq!(out.assignment.len(), 2);
    assert_eq!(out.assignment["a"], tps(&["u-0", "u-1"]));
    assert_eq!(out.assignment["b"], tps(&["t-0", "t-1"]));
}

#[test]
fn an_empty_group_gets_an_empty_outcome() {
    for kind in AssignorKind::ALL {
        assert_eq!(
            assign(kind, &topics(&[("t", 3)]), &[]),
            AssignmentOutcome::default()
        );
    }
}

#[test]
fn assignor_names_round_trip_and_match_kafka() {
    for kind in AssignorKind::ALL {
        assert_eq!(AssignorKind::from_name(kind.name()), Some(kind));
        let json = serde_json::to_string(&kind).unwrap();
        assert_eq!(json, format!("\"{}\"", kind.name()));
        assert_eq!(serde_json::from_str::<AssignorKind>(&json).unwrap(), kind);
    }
    assert_eq!(AssignorKind::from_name("cooperative_sticky"), None);
}

#[test]
fn a_consumer_uses_cooperative_only_if_every_configured_assignor_supports_it() {
    use AssignorKind::*;
    assert_eq!(
        client_protocol(&[CooperativeSticky]),
        Some(RebalanceProtocol::Cooperative)
    );
    // Kafka 3.x default: [range, cooperative-sticky] -> still eager until range is removed.
    assert_eq!(
        client_protocol(&[Range, CooperativeSticky]),
        Some(RebalanceProtocol::Eager)
    );
    assert_eq!(client_protocol(&[Sticky]), Some(RebalanceProtocol::Eager));
    assert_eq!(client_protocol(&[]), None);
    assert_eq!(
        CooperativeSticky.supported_protocols(),
        &[RebalanceProtocol::Cooperative, RebalanceProtocol::Eager]
    );
    assert_eq!(
        Roundrobin.supported_protocols(),
        &[RebalanceProtocol::Eager]
    );
}

#[test]
fn the_coordinator_picks_the_protocol_most_members_list_first() {
    use AssignorKind::*;
    // Two prefer cooperative-sticky, one prefers range; all support both.
    let votes = [
        vec![CooperativeSticky, Range],
        vec![CooperativeSticky, Range],
        vec![Range, CooperativeSticky],
    ];
    assert_eq!(select_group_protocol(&votes), Some(CooperativeSticky));
    // Only protocols every member supports are candidates: the member listing only range decides.
    assert_eq!(
        select_group_protocol(&[vec![CooperativeSticky, Range], vec![Range]]),
        Some(Range)
    );
    // Nothing in common.
    assert_eq!(select_group_protocol(&[vec![Sticky], vec![Range]]), None);
    assert_eq!(select_group_protocol(&[]), None);
}

#[test]
fn a_tied_vote_goes_to_the_protocol_first_in_javas_hashmap_order() {
    use AssignorKind::*;
    // votesByProtocol iterates sticky, range, roundrobin, cooperative-sticky (hash buckets
    // 8, 9, 10, 15) and Stream.max keeps the first of equal counts.
    let both =
        |first: AssignorKind, second: AssignorKind| vec![vec![first, second], vec![second, first]];
    assert_eq!(
        select_group_protocol(&both(CooperativeSticky, Range)),
        Some(Range)
    );
    assert_eq!(
        select_group_protocol(&both(Range, CooperativeSticky)),
        Some(Range)
    );
    assert_eq!(
        select_group_protocol(&both(Roundrobin, Sticky)),
        Some(Sticky)
    );
    assert_eq!(
        select_group_protocol(&both(CooperativeSticky, Roundrobin)),
        Some(Roundrobin)
    );
}

// ------------------------------------------------------------------------------------------
// Seeded property tests
// ------------------------------------------------------------------------------------------

mod common;
use common::assignor_data::load;
use common::rng::Rng;

struct Group {
    topics: BTreeMap<String, u32>,
    members: Vec<MemberSubscription>,
}

fn random_group(rng: &mut Rng, identical_subscriptions: bool) -> Group {
    let ntopics = 1 + rng.below(4);
    let topics: BTreeMap<String, u32> = (0..ntopics)
        .map(|i| (format!("t{i}"), 1 + rng.below(12) as u32))
        .collect();
    let names: Vec<String> = topics.keys().cloned().collect();
    let common = random_subscription(rng, &names);
    let members = (0..1 + rng.below(7))
        .map(|i| {
            // Distinct ids (a repeated id would replace the earlier member, as in Java's HashMap).
            let mut m = member(&format!("consumer-{}", rng.below(30) * 10 + i), &[]);
            m.topics = if identical_subscriptions {
                common.clone()
            } else {
                random_subscription(rng, &names)
            };
            if rng.percent(20) {
                m.group_instance_id = Some(format!("instance-{i}"));
            }
            m
        })
        .collect();
    Group { topics, members }
}

/// A non-empty random subset of `names` (see
/// `sticky_quirk_a_member_without_subscriptions_can_receive_partitions` for why non-empty).
fn random_subscription(rng: &mut Rng, names: &[String]) -> Vec<String> {
    let mut topics: Vec<String> = names.iter().filter(|_| rng.percent(60)).cloned().collect();
    if topics.is_empty() {
        topics.push(names[rng.below(names.len() as u64) as usize].clone());
    }
    topics
}

/// Random previous ownership, including conflicting claims and mixed generations.
fn scramble_ownership(rng: &mut Rng, group: &mut Group) {
    for m in &mut group.members {
        m.generation = if rng.percent(15) {
            None
        } else {
            Some(1 + rng.below(3) as i32)
        };
        m.owned = group
            .topics
            .iter()
            .flat_map(|(t, &n)| (0..n).map(move |p| TopicPartition::new(t.clone(), p)))
            .filter(|_| rng.percent(30))
            .collect();
    }
}

#[test]
fn every_assignor_produces_valid_complete_assignments_for_random_groups() {
    let mut rng = Rng::new(7);
    for round in 0..300 {
        let identical = rng.percent(50);
        let mut group = random_group(&mut rng, identical);
        if rng.percent(50) {
            scramble_ownership(&mut rng, &mut group);
        }
        for kind in AssignorKind::ALL {
            let Ok(out) = try_assign(kind, &group.topics, &group.members) else {
                continue;
            };
            check_valid_allowing_stale_owner_quirk(&group.topics, &group.members, &out)
                .unwrap_or_else(|e| panic!("round {round} {kind}: {e}"));
            if kind == AssignorKind::CooperativeSticky {
                check_cooperative_safe(&group.members, &out)
                    .unwrap_or_else(|e| panic!("round {round}: {e}"));
            } else {
                check_complete(&group.topics, &group.members, &out)
                    .unwrap_or_else(|e| panic!("round {round} {kind}: {e}"));
            }
        }
    }
}

#[test]
fn the_same_input_always_gives_the_same_output() {
    let mut rng = Rng::new(11);
    for _ in 0..100 {
        let identical = rng.percent(50);
        let mut group = random_group(&mut rng, identical);
        scramble_ownership(&mut rng, &mut group);
        for kind in AssignorKind::ALL {
            let first = try_assign(kind, &group.topics, &group.members);
            let copy = group.members.clone();
            assert_eq!(first, try_assign(kind, &group.topics, &copy), "{kind}");
        }
    }
}

#[test]
fn sticky_assignors_balance_identical_subscriptions_within_one_partition() {
    let mut rng = Rng::new(13);
    for _ in 0..200 {
        let mut group = random_group(&mut rng, true);
        if rng.percent(50) {
            scramble_ownership(&mut rng, &mut group);
        }
        let out = assign(AssignorKind::Sticky, &group.topics, &group.members);
        check_fully_balanced(&out).unwrap();
        check_kafka_balance(&out).unwrap();
    }
}

#[test]
fn sticky_keeps_the_most_owned_partitions_the_quotas_allow_when_members_join() {
    // With identical subscriptions and conflict-free ownership the constrained builder keeps
    // min(owned, minQuota) for everyone, plus one more for up to T % N members owning more.
    let mut rng = Rng::new(17);
    for _ in 0..200 {
        let group = random_group(&mut rng, true);
        let round1 = assign(AssignorKind::Sticky, &group.topics, &group.members);
        let mut members: Vec<MemberSubscription> = group
            .members
            .iter()
            .map(|m| MemberSubscription {
                owned: round1.assignment[&m.member_id].clone(),
                generation: Some(1),
                ..m.clone()
            })
            .collect();
        for j in 0..1 + rng.below(3) {
            let mut newcomer = members[0].clone();
            newcomer.member_id = format!("newcomer-{j}");
            newcomer.group_instance_id = None;
            newcomer.owned.clear();
            members.push(newcomer);
        }
        let total: usize = round1.assignment.values().map(Vec::len).sum();
        let n = members.len();
        let (min_quota, extra) = (total / n, total % n);
        let owned: Vec<usize> = members.iter().map(|m| m.owned.len()).collect();
        let best = owned.iter().map(|&o| o.min(min_quota)).sum::<usize>()
            + extra.min(owned.iter().filter(|&&o| o > min_quota).count());
        let round2 = assign(AssignorKind::Sticky, &group.topics, &members);
        let kept: usize = members
            .iter()
            .map(|m| {
                m.owned
                    .iter()
                    .filter(|p| round2.assignment[&m.member_id].contains(p))
                    .count()
            })
            .sum();
        assert_eq!(kept, best);
        check_fully_balanced(&round2).unwrap();
    }
}

#[test]
fn cooperative_sticky_never_gives_a_partition_to_a_new_owner_while_it_is_revoked() {
    // Simulate a group over several rebalances: members join, leave and change subscriptions;
    // everyone rejoins owning what it was assigned.
    let mut rng = Rng::new(19);
    for _ in 0..60 {
        let identical = rng.percent(50);
        let mut group = random_group(&mut rng, identical);
        let mut generation = 1;
        for _ in 0..6 {
            let out = assign(
                AssignorKind::CooperativeSticky,
                &group.topics,
                &group.members,
            );
            check_valid_allowing_stale_owner_quirk(&group.topics, &group.members, &out).unwrap();
            check_cooperative_safe(&group.members, &out).unwrap();
            generation += 1;
            for m in &mut group.members {
                m.owned = out.assignment[&m.member_id].clone();
                m.generation = Some(generation);
            }
            if group.members.len() > 1 && rng.percent(30) {
                let k = rng.below(group.members.len() as u64) as usize;
                group.members.remove(k);
            }
            if rng.percent(30) {
                let mut m = group.members[0].clone();
                m.member_id = format!("joiner-{generation}");
                m.owned.clear();
                m.generation = None;
                group.members.push(m);
            }
            if rng.percent(20) {
                let k = rng.below(group.members.len() as u64) as usize;
                let names: Vec<String> = group.topics.keys().cloned().collect();
                group.members[k].topics = random_subscription(&mut rng, &names);
            }
        }
        // Once membership stops changing the group converges: nobody revokes anything.
        let (_, settled) = cooperative_follow_ups(
            &group.topics,
            group.members.clone(),
            assign(
                AssignorKind::CooperativeSticky,
                &group.topics,
                &group.members,
            ),
        )
        .unwrap();
        check_kafka_balance(&settled).unwrap();
    }
}

// ------------------------------------------------------------------------------------------
// CLI
// ------------------------------------------------------------------------------------------

#[test]
fn cli_assign_prints_assignment_and_revocations_per_member() {
    let request = r#"{"strategy": "cooperative-sticky", "topics": {"t0": 4},
        "members": [
          {"member_id": "A", "group_instance_id": null, "subscriptions": ["t0"], "owned": {"t0": [0, 1, 2, 3]}, "generation": 1},
          {"member_id": "B", "subscriptions": ["t0"]}]}"#;
    let response = run(request).unwrap();
    assert_eq!(
        response,
        "{\n  \"assignment\": {\n    \"A\": {\"t0\": [0, 1]},\n    \"B\": {}\n  },\n  \
         \"revoked\": {\n    \"A\": {\"t0\": [2, 3]},\n    \"B\": {}\n  }\n}\n"
    );
    let parsed: Value = serde_json::from_str(&response).unwrap();
    assert_eq!(parsed["revoked"]["A"]["t0"], serde_json::json!([2, 3]));
}

#[test]
fn cli_assign_accepts_owned_partitions_of_deleted_topics() {
    let request = r#"{"strategy": "sticky", "topics": {"t": 1},
        "members": [{"member_id": "A", "subscriptions": ["t"], "owned": {"deleted": [5]}, "generation": 3}]}"#;
    let parsed: Value = serde_json::from_str(&run(request).unwrap()).unwrap();
    assert_eq!(parsed["assignment"]["A"], serde_json::json!({"t": [0]}));
    assert_eq!(parsed["revoked"]["A"], serde_json::json!({"deleted": [5]}));
}

fn cli_error(request: &str) -> String {
    run(request).expect_err("request should be rejected")
}

#[test]
fn cli_assign_rejects_malformed_requests_naming_the_field() {
    let ok_member = r#"{"member_id": "A", "subscriptions": ["t"]}"#;
    let with_members = |members: &str| {
        format!(r#"{{"strategy": "range", "topics": {{"t": 2}}, "members": [{members}]}}"#)
    };
    let cases: Vec<(String, &str)> = vec![
        ("{".into(), "invalid JSON"),
        ("[1]".into(), "request: expected a JSON object"),
        (
            r#"{"strategy": "foo", "topics": {}, "members": []}"#.into(),
            r#"unknown strategy "foo": expected one of range, roundrobin, sticky, cooperative-sticky"#,
        ),
        (
            r#"{"topics": {}, "members": []}"#.into(),
            "strategy: missing",
        ),
        (
            r#"{"strategy": 3, "topics": {}, "members": []}"#.into(),
            "strategy: expected a string",
        ),
        (
            r#"{"strategy": "range", "topics": [], "members": []}"#.into(),
            "topics: expected an object",
        ),
        (
            r#"{"strategy": "range", "topics": {"t": 0}, "members": []}"#.into(),
            r#"topics."t": partition count must be at least 1"#,
        ),
        (
            r#"{"strategy": "range", "topics": {"t": "3"}, "members": []}"#.into(),
            r#"topics."t": expected a partition count"#,
        ),
        (
            r#"{"strategy": "range", "topics": {"t": 1}, "members": {}}"#.into(),
            "members: expected an array",
        ),
        (
            r#"{"strategy": "range", "topics": {"t": 1}, "members": []}"#.into(),
            "members: a rebalance needs at least one member",
        ),
        (
            r#"{"strategy": "range", "topics": {"t": 1}, "members": [], "extra": 1}"#.into(),
            r#"request: unknown field "extra""#,
        ),
        (with_members("7"), "members[0]: expected an object"),
        (
            with_members(r#"{"subscriptions": ["t"]}"#),
            "members[0].member_id: missing",
        ),
        (
            with_members(&format!(r#"{ok_member}, {ok_member}"#)),
            r#"members[1].member_id: duplicate member id "A" (also members[0])"#,
        ),
        (
            with_members(
                r#"{"member_id": "A", "group_instance_id": "i", "subscriptions": ["t"]}, {"member_id": "B", "group_instance_id": "i", "subscriptions": ["t"]}"#,
            ),
            r#"members[1].group_instance_id: duplicate instance id "i""#,
        ),
        (
            with_members(r#"{"member_id": "A", "subscriptions": "t"}"#),
            "members[0].subscriptions: expected an array of topic names",
        ),
        (
            with_members(r#"{"member_id": "A", "subscriptions": [1]}"#),
            "members[0].subscriptions: expected an array of topic names",
        ),
        (
            with_members(r#"{"member_id": "A", "subscriptions": ["t", "t"]}"#),
            r#"members[0].subscriptions: topic "t" listed twice"#,
        ),
        (
            with_members(r#"{"member_id": "A"}"#),
            "members[0].subscriptions: missing",
        ),
        (
            with_members(r#"{"member_id": "A", "subscriptions": ["t"], "owned": [0]}"#),
            "members[0].owned: expected an object",
        ),
        (
            with_members(r#"{"member_id": "A", "subscriptions": ["t"], "owned": {"t": [2]}}"#),
            r#"members[0].owned."t": partition 2 is out of range; the topic has 2 partitions"#,
        ),
        (
            with_members(r#"{"member_id": "A", "subscriptions": ["t"], "owned": {"t": [1, 1]}}"#),
            r#"members[0].owned."t": partition 1 listed twice"#,
        ),
        (
            with_members(r#"{"member_id": "A", "subscriptions": ["t"], "owned": {"t": [-1]}}"#),
            r#"members[0].owned."t": expected an array of partition numbers"#,
        ),
        (
            with_members(r#"{"member_id": "A", "subscriptions": ["t"], "generation": "1"}"#),
            "members[0].generation: expected an integer >= -1 or null",
        ),
        (
            with_members(r#"{"member_id": "A", "subscriptions": ["t"], "generation": -5}"#),
            "members[0].generation: expected an integer >= -1 or null",
        ),
        (
            with_members(r#"{"member_id": "A", "subscriptions": ["t"], "rack": "r1"}"#),
            r#"members[0]: unknown field "rack""#,
        ),
    ];
    for (request, expected) in cases {
        let error = cli_error(&request);
        assert!(
            error.contains(expected),
            "request {request}\n  error {error:?}\n  should contain {expected:?}"
        );
    }
}

#[test]
fn cli_assign_reports_when_kafkas_assignor_would_throw() {
    let request = r#"{"strategy": "sticky", "topics": {"X": 1, "T": 4}, "members": [
        {"member_id": "p", "subscriptions": ["X"], "owned": {"X": [0], "T": [0]}, "generation": 1},
        {"member_id": "a", "subscriptions": ["T"], "owned": {"T": [0, 1, 2, 3]}, "generation": 2},
        {"member_id": "b", "subscriptions": ["T"], "generation": 2}]}"#;
    let error = cli_error(request);
    assert!(
        error.starts_with("sticky assignor: Kafka's assignor throws NullPointerException"),
        "{error}"
    );
}
