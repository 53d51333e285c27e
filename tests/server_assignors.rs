//! Tests for Kafka's server-side (KIP-848) assignors (`engine::assignor::server`) and their
//! use by `kafkascope assign` (`"strategy": "uniform"` / `"server-range"`).
//!
//! Three layers, like `tests/assignors.rs` for the client-side assignors:
//!
//! 1. `tests/data/assignors/server_kafka_tests.json` — Kafka's own unit tests
//!    (OptimizedUniformAssignmentBuilderTest, UniformHeterogeneousAssignmentBuilderTest and
//!    the group coordinator's RangeAssignorTest) transcribed as data, one case per test
//!    method, run through `assign_spec` on Kafka's `GroupSpec` shape.
//! 2. `tests/data/assignors/server_golden_java.json` — random groups whose expected target
//!    assignments come from Kafka's Java classes themselves, run through `server_assign`.
//!    Partition lists must match in *order* too (Java's `HashSet` iteration order, which
//!    is what the coordinator stores and reads back next time).
//!
//!    How it was produced (nothing of it is committed): the assignor sources of Kafka commit
//!    1eb7644349cb07139d6a3c1ad1986979647cac99 (`UniformAssignor`, both uniform builders,
//!    `RangeAssignor`, `RangeSet`, `AssignorHelpers`, `GroupSpecImpl`,
//!    `MemberAssignmentImpl`, `MemberSubscriptionAndAssignmentImpl`, the
//!    group-coordinator-api interfaces, `Uuid` and `TopicIdPartition`) were compiled in /tmp
//!    with stubs for slf4j, `ApiException`, `InterfaceStability` and `Assignment` (minus its
//!    record conversions), next to a small driver. The driver draws random groups from a
//!    seeded `SplittableRandom` — identical and different subscriptions, subscriptions to
//!    names with no topic, fresh groups, random previous targets (a few with a partition
//!    listed twice), and groups evolved over 1–3 runs of the assignor itself with members
//!    joining and leaving, static members rejoining under new ids, partitions and topics
//!    added and topics deleted — builds the `GroupSpec` the way `TargetAssignmentBuilder`
//!    does (a `HashMap` of members filled in list order, a `TopicIds`-like view over
//!    `new HashSet<>(names)`, each assignment read like `Assignment.fromRecord`, topic ids
//!    from a Java copy of `TopicUuid::for_name`), runs the assignor on Java 25 and prints
//!    the JSON. Java 25 because `new HashSet<>(collection)` sizes its table differently
//!    since JDK 19 (Kafka's official image runs Java 21); on Java 17 four of these cases
//!    come out differently.
//! 3. Behaviour tests: validity, balance, stickiness, determinism, the input handling of
//!    `server_assign`, and the CLI.

use std::collections::{BTreeMap, BTreeSet};

use kafkascope::cli::assign::run;
use kafkascope::engine::assignor::java_hashmap::JavaHashMap;
use kafkascope::engine::assignor::server::{
    assign_spec, server_assign, GroupSpec, MemberSpec, ServerAssignorKind, ServerMember,
    SubscriptionType, TargetAssignment, TopicUuid,
};
use serde_json::Value;

mod common;
use common::assignor_data::load;
use common::rng::Rng;

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

/// Kafka's `Uuid.fromString`: URL-safe base64 of 16 bytes (Java's decoder ignores the
/// unused low bits of the last character, so the tests' made-up ids decode).
fn parse_uuid(s: &str) -> TopicUuid {
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    assert_eq!(s.len(), 22, "{s}");
    let digit = |c: char| alphabet.find(c).expect("base64url") as u128;
    // 21 characters carry 126 bits; the last one adds its top 2.
    let head = s[..21].chars().fold(0u128, |v, c| v << 6 | digit(c));
    let v = head << 2 | digit(s.chars().last().unwrap()) >> 4;
    TopicUuid {
        msb: (v >> 64) as i64,
        lsb: v as i64,
    }
}

fn partitions(v: &Value) -> Vec<u32> {
    v.as_array()
        .expect("partition list")
        .iter()
        .map(|p| p.as_u64().expect("partition") as u32)
        .collect()
}

fn target_from_json(v: &Value) -> BTreeMap<String, Vec<u32>> {
    v.as_object()
        .expect("topic -> partitions")
        .iter()
        .map(|(t, ps)| (t.clone(), partitions(ps)))
        .collect()
}

fn topics_from_json(v: &Value) -> BTreeMap<String, u32> {
    v.as_object()
        .expect("topics object")
        .iter()
        .map(|(t, n)| (t.clone(), n.as_u64().expect("count") as u32))
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array of strings")
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

fn topics(list: &[(&str, u32)]) -> BTreeMap<String, u32> {
    list.iter().map(|(t, n)| (t.to_string(), *n)).collect()
}

fn member(id: &str, subscriptions: &[&str]) -> ServerMember {
    ServerMember {
        member_id: id.to_string(),
        subscribed_topics: subscriptions.iter().map(|s| s.to_string()).collect(),
        ..ServerMember::default()
    }
}

fn with_target(mut m: ServerMember, target: &[(&str, &[u32])]) -> ServerMember {
    m.assignment = target
        .iter()
        .map(|(t, ps)| (t.to_string(), ps.to_vec()))
        .collect();
    m
}

fn uniform(topics: &BTreeMap<String, u32>, members: &[ServerMember]) -> TargetAssignment {
    server_assign(ServerAssignorKind::Uniform, topics, members).expect("Kafka does not throw")
}

/// Feeds each member's new target back as its assignment (what the coordinator stores).
fn adopt(members: &mut [ServerMember], targets: &TargetAssignment) {
    for m in members {
        m.assignment = targets.get(&m.member_id).cloned().unwrap_or_default();
    }
}

fn size(target: &BTreeMap<String, Vec<u32>>) -> usize {
    target.values().map(Vec::len).sum()
}

/// (topic, partition) -> owner.
fn owners(targets: &TargetAssignment) -> BTreeMap<(String, u32), String> {
    let mut map = BTreeMap::new();
    for (m, target) in targets {
        for (t, ps) in target {
            for &p in ps {
                map.insert((t.clone(), p), m.clone());
            }
        }
    }
    map
}

/// How many partitions have a different owner (or none) in `after`.
fn moved(before: &TargetAssignment, after: &TargetAssignment) -> usize {
    let after = owners(after);
    owners(before)
        .iter()
        .filter(|(tp, m)| after.get(*tp) != Some(*m))
        .count()
}

// ------------------------------------------------------------------------------------------
// Properties (Kafka's checkValidityAndBalance)
// ------------------------------------------------------------------------------------------

/// Every partition of every subscribed, existing topic is assigned exactly once, to a member
/// that subscribes to its topic, and every member is in the result.
fn check_valid(
    topics: &BTreeMap<String, u32>,
    members: &[ServerMember],
    targets: &TargetAssignment,
) -> Result<(), String> {
    let mut seen: BTreeMap<(&String, u32), &String> = BTreeMap::new();
    for m in members {
        let target = targets
            .get(&m.member_id)
            .ok_or_else(|| format!("{} missing", m.member_id))?;
        for (t, ps) in target {
            if !m.subscribed_topics.contains(t) {
                return Err(format!(
                    "{} got {t} but does not subscribe to it",
                    m.member_id
                ));
            }
            for &p in ps {
                if topics.get(t).is_none_or(|&n| p >= n) {
                    return Err(format!("{} got nonexistent {t}-{p}", m.member_id));
                }
                if let Some(other) = seen.insert((t, p), &m.member_id) {
                    return Err(format!("{t}-{p} assigned to {other} and {}", m.member_id));
                }
            }
        }
    }
    let subscribed: BTreeSet<&String> = members.iter().flat_map(|m| &m.subscribed_topics).collect();
    let expected: u32 = subscribed.iter().filter_map(|t| topics.get(*t)).sum();
    if seen.len() as u32 != expected {
        return Err(format!(
            "{} partitions assigned, expected {expected}",
            seen.len()
        ));
    }
    Ok(())
}

/// Partition counts differ by at most one between any two members.
fn check_balanced(targets: &TargetAssignment) -> Result<(), String> {
    let sizes: Vec<usize> = targets.values().map(size).collect();
    let (min, max) = (
        sizes.iter().min().copied().unwrap_or(0),
        sizes.iter().max().copied().unwrap_or(0),
    );
    if max > min + 1 {
        return Err(format!("sizes range {min}..{max}"));
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------
// Kafka's own test suites, as data
// ------------------------------------------------------------------------------------------

/// `prefix{from..=to}` names, e.g. `["member", 1, 49]`.
fn generated_names(v: &Value) -> Vec<String> {
    let prefix = v[0].as_str().unwrap();
    (v[1].as_u64().unwrap()..=v[2].as_u64().unwrap())
        .map(|i| format!("{prefix}{i}"))
        .collect()
}

/// A member of a Kafka test, its assignment's entries as listed, and whether they were listed
/// with `mkOrderedAssignment`.
type KafkaMember = (ServerMember, Vec<(String, Vec<u32>)>, bool);

/// The members of one round as `ServerMember`s (for properties) and as Kafka's `GroupSpec`.
fn kafka_round(
    case: &Value,
    round: &Value,
    ids: &dyn Fn(&str) -> TopicUuid,
    topic_counts: &BTreeMap<String, u32>,
) -> (Vec<ServerMember>, GroupSpec) {
    let members: Vec<KafkaMember> = match case.get("generate") {
        Some(g) => {
            // Every member subscribes to every topic; TreeMap order of member ids.
            let topic_names = generated_names(&g["topics"]);
            let mut names = generated_names(&g["members"]);
            names.sort();
            names
                .iter()
                .map(|id| {
                    let names: Vec<&str> = topic_names.iter().map(String::as_str).collect();
                    (member(id, &names), Vec::new(), false)
                })
                .collect()
        }
        None => round["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let mut m = member(v["member_id"].as_str().unwrap(), &[]);
                m.subscribed_topics = strings(&v["subscriptions"]);
                m.instance_id = v
                    .get("instance_id")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                let (entries, ordered) = match (v.get("assignment"), v.get("ordered_assignment")) {
                    (Some(a), _) => (target_from_json(a).into_iter().collect(), false),
                    (_, Some(list)) => (
                        list.as_array()
                            .unwrap()
                            .iter()
                            .map(|e| (e[0].as_str().unwrap().to_string(), partitions(&e[1])))
                            .collect(),
                        true,
                    ),
                    _ => (Vec::new(), false),
                };
                m.assignment = entries.iter().cloned().collect();
                (m, entries, ordered)
            })
            .collect(),
    };
    let spec_members = members
        .iter()
        .map(|(m, entries, ordered)| {
            // mkAssignment is a HashMap (iterated in bucket order), mkOrderedAssignment a
            // LinkedHashMap (iterated as listed).
            let assignment = if *ordered {
                entries.iter().map(|(t, ps)| (ids(t), ps.clone())).collect()
            } else {
                let mut map: JavaHashMap<TopicUuid, Vec<u32>> = JavaHashMap::new();
                for (t, ps) in entries {
                    map.insert(ids(t), ps.clone());
                }
                map.iter().map(|(id, ps)| (*id, ps.clone())).collect()
            };
            MemberSpec {
                member_id: m.member_id.clone(),
                instance_id: m.instance_id.clone(),
                subscribed_topic_ids: m.subscribed_topics.iter().map(|t| Some(ids(t))).collect(),
                assignment,
            }
        })
        .collect();
    let spec = GroupSpec {
        members: spec_members,
        subscription_type: match round["subscription_type"].as_str().unwrap() {
            "homogeneous" => SubscriptionType::Homogeneous,
            _ => SubscriptionType::Heterogeneous,
        },
        partition_counts: topic_counts.iter().map(|(t, &n)| (ids(t), n)).collect(),
    };
    (members.into_iter().map(|(m, _, _)| m).collect(), spec)
}

fn run_kafka_case(case: &Value, constants: &Value) -> Result<(), String> {
    let kind = ServerAssignorKind::from_name(case["assignor"].as_str().unwrap()).unwrap();
    let random_ids = case.get("random_topic_ids").is_some();
    let ids = |name: &str| match constants.get(name).and_then(Value::as_str) {
        Some(id) if !random_ids => parse_uuid(id),
        _ => TopicUuid::for_name(name),
    };
    let topic_counts = match case.get("generate") {
        Some(g) => {
            let n = g["partitions"].as_u64().unwrap() as u32;
            generated_names(&g["topics"])
                .into_iter()
                .map(|t| (t, n))
                .collect()
        }
        None => topics_from_json(&case["topics"]),
    };
    let names: BTreeMap<TopicUuid, String> = topic_counts
        .keys()
        .chain(constants.as_object().unwrap().keys())
        .map(|t| (ids(t), t.clone()))
        .collect();

    let mut previous: Option<TargetAssignment> = None;
    for (r, round) in case["rounds"].as_array().unwrap().iter().enumerate() {
        let ctx = |msg: String| format!("round {r}: {msg}");
        let (members, spec) = kafka_round(case, round, &ids, &topic_counts);
        let result = assign_spec(kind, &spec);
        if let Some(exception) = round.get("expect_error") {
            return match result {
                Err(e) if e.java_exception == exception.as_str().unwrap() => Ok(()),
                other => Err(ctx(format!("expected {exception}, got {other:?}"))),
            };
        }
        let result = result.map_err(|e| ctx(e.to_string()))?;
        let targets: TargetAssignment = spec
            .members
            .iter()
            .zip(result)
            .map(|(m, target)| {
                let named = target.into_iter().map(|(id, ps)| (names[&id].clone(), ps));
                (m.member_id.clone(), named.collect())
            })
            .collect();
        // assertAssignment compares Map<Uuid, Set<Integer>>: order does not matter.
        let as_sets = |t: &BTreeMap<String, Vec<u32>>| -> BTreeMap<String, BTreeSet<u32>> {
            t.iter()
                .map(|(t, ps)| (t.clone(), ps.iter().copied().collect()))
                .collect()
        };
        if let Some(expected) = round.get("expect").and_then(Value::as_object) {
            for (m, want) in expected {
                let got = targets.get(m).ok_or_else(|| ctx(format!("{m} missing")))?;
                if as_sets(got) != as_sets(&target_from_json(want)) {
                    return Err(ctx(format!("{m}: expected {want}, got {got:?}")));
                }
            }
            if expected.len() != targets.len() {
                return Err(ctx(format!("expected {} members", expected.len())));
            }
        }
        if let Some(same) = round
            .get("expect_same_as_previous")
            .and_then(Value::as_object)
        {
            let before = previous.as_ref().unwrap();
            for (m, was) in same {
                if as_sets(&targets[m]) != as_sets(&before[was.as_str().unwrap()]) {
                    return Err(ctx(format!("{m} does not have what {was} had")));
                }
            }
        }
        for property in round
            .get("properties")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match property.as_str().unwrap() {
                "valid" => check_valid(&topic_counts, &members, &targets).map_err(ctx)?,
                "balanced" => check_balanced(&targets).map_err(ctx)?,
                other => panic!("unknown property {other}"),
            }
        }
        previous = Some(targets);
    }
    Ok(())
}

fn run_kafka_suite(prefix: &str) {
    common::assignor_data::run_kafka_suite("server_kafka_tests.json", prefix, &|case, data| {
        run_kafka_case(case, &data["topic_ids"])
    });
}

#[test]
fn uniform_homogeneous_builder_passes_kafkas_optimized_uniform_assignment_builder_test() {
    run_kafka_suite("OptimizedUniformAssignmentBuilderTest.");
}

#[test]
fn uniform_heterogeneous_builder_passes_kafkas_uniform_heterogeneous_assignment_builder_test() {
    run_kafka_suite("UniformHeterogeneousAssignmentBuilderTest.");
}

#[test]
fn server_range_assignor_passes_kafkas_range_assignor_test() {
    run_kafka_suite("RangeAssignorTest.");
}

#[test]
fn the_kafka_test_topic_ids_decode_like_kafkas_uuid_from_string() {
    // Uuid.fromString("T2-B4s3VTwiI5YHbPp6YUe").toString() drops the unused low bits.
    let id = parse_uuid("T2-B4s3VTwiI5YHbPp6YUe");
    assert_eq!(id.to_string(), "T2-B4s3VTwiI5YHbPp6YUQ");
    assert_eq!(
        (id.msb, id.lsb),
        (5_723_936_462_527_090_440, -8_582_310_736_236_210_095)
    );
}

// ------------------------------------------------------------------------------------------
// Golden outputs from Kafka's Java classes
// ------------------------------------------------------------------------------------------

fn golden_member(v: &Value) -> ServerMember {
    ServerMember {
        member_id: v["member_id"].as_str().unwrap().to_string(),
        instance_id: v
            .get("instance_id")
            .and_then(Value::as_str)
            .map(str::to_string),
        rack_id: None,
        subscribed_topics: strings(&v["subscriptions"]),
        assignment: v
            .get("assignment")
            .map(target_from_json)
            .unwrap_or_default(),
    }
}

#[test]
fn topic_ids_for_names_match_the_drivers_java_copy() {
    let data = load("server_golden_java.json");
    for (name, id) in data["topic_ids"].as_object().unwrap() {
        assert_eq!(
            TopicUuid::for_name(name).to_string(),
            id.as_str().unwrap(),
            "{name}"
        );
        assert_eq!(parse_uuid(id.as_str().unwrap()), TopicUuid::for_name(name));
    }
}

#[test]
fn server_assignors_reproduce_kafkas_java_output_on_random_groups() {
    let data = load("server_golden_java.json");
    let cases = data["cases"].as_array().unwrap();
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let kind = ServerAssignorKind::from_name(case["strategy"].as_str().unwrap()).unwrap();
        let members: Vec<ServerMember> = case["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(golden_member)
            .collect();
        let result = server_assign(kind, &topics_from_json(&case["topics"]), &members);
        match (result, case.get("expect")) {
            (Ok(got), Some(expected)) => {
                let want: TargetAssignment = expected
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(m, t)| (m.clone(), target_from_json(t)))
                    .collect();
                if got != want {
                    failures.push(format!("{name}:\n want {want:?}\n  got {got:?}"));
                }
            }
            (Err(e), None)
                if e.java_exception == case["expect_error"].as_str().unwrap()
                    && e.message == case["expect_message"].as_str().unwrap() => {}
            (other, _) => failures.push(format!("{name}: unexpected {other:?}")),
        }
    }
    assert!(cases.len() >= 200);
    assert!(
        failures.is_empty(),
        "{} of {} golden cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

// ------------------------------------------------------------------------------------------
// Behaviour
// ------------------------------------------------------------------------------------------

/// A random group, as the coordinator sees it after `runs` rebalances with one change each.
fn random_group(
    rng: &mut Rng,
    kind: ServerAssignorKind,
    identical: bool,
) -> (BTreeMap<String, u32>, Vec<ServerMember>) {
    let topic_counts: BTreeMap<String, u32> = (0..1 + rng.below(4))
        .map(|i| (format!("t{i}"), 1 + rng.below(40) as u32))
        .collect();
    let names: Vec<String> = topic_counts.keys().cloned().collect();
    let subscription = |rng: &mut Rng| -> Vec<String> {
        let s: Vec<String> = names.iter().filter(|_| rng.percent(60)).cloned().collect();
        if s.is_empty() {
            vec![names[0].clone()]
        } else {
            s
        }
    };
    let shared = subscription(rng);
    let new_member = |rng: &mut Rng, id: String| {
        let mut m = member(&id, &[]);
        m.subscribed_topics = if identical {
            shared.clone()
        } else {
            subscription(rng)
        };
        m
    };
    let mut members: Vec<ServerMember> = (0..1 + rng.below(12))
        .map(|i| {
            let id = format!("m{i}-{}", rng.below(1000));
            new_member(rng, id)
        })
        .collect();
    for _ in 0..rng.below(3) {
        let targets = server_assign(kind, &topic_counts, &members).unwrap();
        adopt(&mut members, &targets);
        if rng.percent(50) && members.len() > 1 {
            members.remove(rng.below(members.len()));
        } else {
            let id = format!("new-{}", rng.below(1000));
            members.push(new_member(rng, id));
        }
    }
    (topic_counts, members)
}

#[test]
fn every_subscribed_partition_is_assigned_exactly_once_in_random_groups() {
    let mut rng = Rng::new(848);
    for round in 0..400 {
        for kind in ServerAssignorKind::ALL {
            let (topic_counts, members) = random_group(&mut rng, kind, round % 2 == 0);
            let targets = server_assign(kind, &topic_counts, &members).unwrap();
            check_valid(&topic_counts, &members, &targets)
                .unwrap_or_else(|e| panic!("{kind} round {round}: {e}\n{members:?}"));
        }
    }
}

#[test]
fn uniform_balances_identical_subscriptions_within_one_partition() {
    let mut rng = Rng::new(49);
    for round in 0..300 {
        let (topic_counts, members) = random_group(&mut rng, ServerAssignorKind::Uniform, true);
        let targets = uniform(&topic_counts, &members);
        check_balanced(&targets).unwrap_or_else(|e| panic!("round {round}: {e}"));
    }
}

#[test]
fn uniform_balances_subscribers_of_a_topic_when_they_share_their_whole_subscription() {
    // A alone reads big (12 partitions); B, C and D all read t1 + t2: among those three the
    // counts differ by at most one, whatever A carries.
    let topic_counts = topics(&[("big", 12), ("t1", 5), ("t2", 3)]);
    let members = [
        member("A", &["big"]),
        member("B", &["t1", "t2"]),
        member("C", &["t1", "t2"]),
        member("D", &["t1", "t2"]),
    ];
    let targets = uniform(&topic_counts, &members);
    check_valid(&topic_counts, &members, &targets).unwrap();
    assert_eq!(size(&targets["A"]), 12);
    let sizes: BTreeSet<usize> = ["B", "C", "D"].iter().map(|m| size(&targets[*m])).collect();
    assert_eq!(sizes, BTreeSet::from([2, 3]));
}

#[test]
fn uniform_keeps_the_previous_target_when_nothing_changed() {
    let mut rng = Rng::new(5);
    for round in 0..200 {
        let (topic_counts, mut members) =
            random_group(&mut rng, ServerAssignorKind::Uniform, round % 2 == 0);
        let first = uniform(&topic_counts, &members);
        adopt(&mut members, &first);
        // The same partitions: the coordinator writes no new records. (A set the assignor
        // built may come back in another order, read back into a HashSet of another size;
        // from then on the order is stable too.)
        let second = uniform(&topic_counts, &members);
        let sets = |t: &TargetAssignment| -> BTreeMap<(String, u32), String> { owners(t) };
        assert_eq!(sets(&second), sets(&first), "round {round}");
        adopt(&mut members, &second);
        assert_eq!(uniform(&topic_counts, &members), second, "round {round}");
    }
}

#[test]
fn uniform_moves_only_what_the_new_member_takes_when_one_joins() {
    let topic_counts = topics(&[("orders", 60), ("payments", 37)]);
    let subs = ["orders", "payments"];
    let mut members: Vec<ServerMember> = (0..7)
        .map(|i| member(&format!("consumer-{i}"), &subs))
        .collect();
    let before = uniform(&topic_counts, &members);
    adopt(&mut members, &before);
    members.push(member("newcomer", &subs));
    let after = uniform(&topic_counts, &members);
    check_balanced(&after).unwrap();
    // Every partition that changed owner went to the newcomer, and it got its fair share:
    // 97 / 8 = 12, or 13 when it is the first member in the coordinator's HashMap (here it
    // is), which gets the one extra partition.
    assert_eq!(moved(&before, &after), size(&after["newcomer"]));
    assert_eq!(size(&after["newcomer"]), 13);
}

#[test]
fn uniform_only_hands_out_the_leaving_members_partitions_when_one_leaves() {
    let topic_counts = topics(&[("orders", 50)]);
    let mut members: Vec<ServerMember> = (0..6)
        .map(|i| member(&format!("consumer-{i}"), &["orders"]))
        .collect();
    let before = uniform(&topic_counts, &members);
    adopt(&mut members, &before);
    let gone = members.remove(2);
    let after = uniform(&topic_counts, &members);
    check_balanced(&after).unwrap();
    for m in &members {
        for (t, ps) in &before[&m.member_id] {
            assert!(
                ps.iter().all(|p| after[&m.member_id][t].contains(p)),
                "{} lost some",
                m.member_id
            );
        }
    }
    assert_eq!(moved(&before, &after), size(&before[&gone.member_id]));
}

#[test]
fn uniform_heterogeneous_keeps_the_partitions_of_topics_a_member_still_reads() {
    let topic_counts = topics(&[("a", 4), ("b", 4), ("c", 4)]);
    let mut members = vec![
        member("X", &["a", "b"]),
        member("Y", &["a", "b", "c"]),
        member("Z", &["c"]),
    ];
    let before = uniform(&topic_counts, &members);
    adopt(&mut members, &before);
    // X drops b: it keeps its partitions of a, and b's go to Y, the only other reader.
    members[0].subscribed_topics = vec!["a".into()];
    let after = uniform(&topic_counts, &members);
    check_valid(&topic_counts, &members, &after).unwrap();
    for p in &before["X"]["a"] {
        assert!(after["X"]["a"].contains(p));
    }
    assert_eq!(after["Y"]["b"].len(), 4);
}

#[test]
fn an_over_quota_member_gives_up_partitions_in_java_hash_set_order() {
    // A's stored target is 0..=8 and 17: ten partitions in a 16-bucket HashSet<Integer>,
    // which iterates 0, 1, 17, 2, ..., 8 (17 joins 1 in bucket 1). Its quota is 9, so it
    // keeps the first nine it meets and gives up 8 — not 17, the highest.
    let topic_counts = topics(&[("t", 18)]);
    let mut a = member("A", &["t"]);
    a.assignment
        .insert("t".into(), vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 17]);
    let members = [a, member("B", &["t"])];
    let targets = uniform(&topic_counts, &members);
    assert_eq!(targets["A"]["t"], [0, 1, 17, 2, 3, 4, 5, 6, 7]);
    // B takes the partitions nobody had (9..=16), then the one A gave up, into a new
    // 16-bucket set: 16 wraps around to bucket 0.
    assert_eq!(targets["B"]["t"], [16, 8, 9, 10, 11, 12, 13, 14, 15]);
}

#[test]
fn member_order_decides_only_between_member_ids_sharing_a_hash_bucket() {
    // "Aa" and "BB" have the same String.hashCode: whichever the coordinator put into its
    // HashMap first gets the extra partition. "A" and "B" sit in different buckets.
    let topic_counts = topics(&[("t", 3)]);
    let extra = |ids: [&str; 2]| -> String {
        let members = ids.map(|id| member(id, &["t"]));
        let targets = uniform(&topic_counts, &members);
        ids.iter()
            .find(|id| size(&targets[**id]) == 2)
            .unwrap()
            .to_string()
    };
    assert_eq!(extra(["Aa", "BB"]), "Aa");
    assert_eq!(extra(["BB", "Aa"]), "BB");
    assert_eq!(extra(["A", "B"]), "A");
    assert_eq!(extra(["B", "A"]), "A");
}

#[test]
fn the_same_input_always_gives_the_same_output() {
    let mut rng = Rng::new(11);
    for round in 0..100 {
        for kind in ServerAssignorKind::ALL {
            let (topic_counts, members) = random_group(&mut rng, kind, round % 3 == 0);
            let first = server_assign(kind, &topic_counts, &members);
            assert_eq!(server_assign(kind, &topic_counts, &members), first);
        }
    }
}

#[test]
fn server_range_ignores_the_previous_target() {
    let topic_counts = topics(&[("t", 7)]);
    let fresh = [member("A", &["t"]), member("B", &["t"])];
    let owned = [
        with_target(member("A", &["t"]), &[("t", &[4, 5, 6])]),
        with_target(member("B", &["t"]), &[("t", &[0, 1, 2, 3])]),
    ];
    let run =
        |m: &[ServerMember]| server_assign(ServerAssignorKind::Range, &topic_counts, m).unwrap();
    assert_eq!(run(&fresh), run(&owned));
    assert_eq!(run(&owned)["A"]["t"], [0, 1, 2, 3]);
}

#[test]
fn server_range_lines_up_co_partitioned_topics() {
    let topic_counts = topics(&[("clicks", 5), ("users", 5)]);
    let members: Vec<ServerMember> = ["c", "a", "b"]
        .iter()
        .map(|id| member(id, &["clicks", "users"]))
        .collect();
    let targets = server_assign(ServerAssignorKind::Range, &topic_counts, &members).unwrap();
    for (m, want) in [("a", vec![0, 1]), ("b", vec![2, 3]), ("c", vec![4])] {
        assert_eq!(targets[m]["clicks"], want);
        assert_eq!(targets[m]["users"], want);
    }
}

#[test]
fn subscribed_names_without_a_topic_are_ignored() {
    let topic_counts = topics(&[("t", 4)]);
    let members = [
        member("A", &["t", "not-yet-created"]),
        member("B", &["t", "not-yet-created"]),
    ];
    for kind in ServerAssignorKind::ALL {
        let targets = server_assign(kind, &topic_counts, &members).unwrap();
        assert_eq!(size(&targets["A"]) + size(&targets["B"]), 4, "{kind}");
    }
}

#[test]
fn a_deleted_topics_partitions_leave_the_target() {
    let topic_counts = topics(&[("t", 2)]);
    let members = [with_target(
        member("A", &["t", "gone"]),
        &[("gone", &[0, 1]), ("t", &[0])],
    )];
    let targets = uniform(&topic_counts, &members);
    assert_eq!(
        targets["A"],
        BTreeMap::from([("t".to_string(), vec![0, 1])])
    );
}

#[test]
fn partitions_beyond_a_topics_count_are_dropped_from_the_previous_target() {
    // Only a topic deleted and created again can shrink; Kafka gives it a new id.
    let topic_counts = topics(&[("t", 2)]);
    let members = [
        with_target(member("A", &["t"]), &[("t", &[5, 1])]),
        member("B", &["t"]),
    ];
    let targets = uniform(&topic_counts, &members);
    assert_eq!(
        (targets["A"]["t"].clone(), targets["B"]["t"].clone()),
        (vec![1], vec![0])
    );
}

#[test]
fn a_partition_in_two_members_targets_makes_kafka_throw_partitions_were_left_unassigned() {
    // Kafka never stores that; if it did, both would keep it and the quotas would not add up.
    let topic_counts = topics(&[("t", 2)]);
    let members = [
        with_target(member("A", &["t"]), &[("t", &[0])]),
        with_target(member("B", &["t"]), &[("t", &[0])]),
    ];
    let error = server_assign(ServerAssignorKind::Uniform, &topic_counts, &members).unwrap_err();
    assert_eq!(
        (error.java_exception, error.message.as_str()),
        (
            "PartitionAssignorException",
            "Partitions were left unassigned"
        )
    );
}

/// Kafka's input shape allows what the coordinator never builds — subscriptions to topics
/// without metadata, partitions out of range or held twice, repeated topics and member ids,
/// counts of zero. The ports answer like the Java (a result or Kafka's exception), never a
/// panic.
#[test]
fn assign_spec_never_panics_on_arbitrary_specs() {
    let mut rng = Rng::new(1848);
    let ids: Vec<TopicUuid> = (0..5)
        .map(|i| TopicUuid::for_name(&format!("t{i}")))
        .collect();
    for _ in 0..3000 {
        let mut partition_counts = BTreeMap::new();
        for &id in &ids {
            if rng.percent(70) {
                partition_counts.insert(id, rng.below(12u32));
            }
        }
        let mut members = Vec::new();
        for i in 0..rng.below(6) {
            let mut m = MemberSpec {
                member_id: format!("m{}", rng.below(i + 2)),
                instance_id: rng.percent(30).then(|| format!("i{}", rng.below(3))),
                subscribed_topic_ids: Vec::new(),
                assignment: Vec::new(),
            };
            for _ in 0..rng.below(4) {
                let id = ids[rng.below(ids.len())];
                m.subscribed_topic_ids.push(rng.percent(90).then_some(id));
            }
            for _ in 0..rng.below(3) {
                let id = ids[rng.below(ids.len())];
                let ps = (0..rng.below(5)).map(|_| rng.below(14u32)).collect();
                m.assignment.push((id, ps));
            }
            members.push(m);
        }
        for subscription_type in [
            SubscriptionType::Homogeneous,
            SubscriptionType::Heterogeneous,
        ] {
            let spec = GroupSpec {
                members: Vec::clone(&members),
                subscription_type,
                partition_counts: partition_counts.clone(),
            };
            for kind in ServerAssignorKind::ALL {
                if let Ok(targets) = assign_spec(kind, &spec) {
                    assert_eq!(targets.len(), spec.members.len());
                }
            }
        }
    }
}

#[test]
fn an_empty_group_gets_an_empty_target() {
    for kind in ServerAssignorKind::ALL {
        assert_eq!(
            server_assign(kind, &topics(&[("t", 3)]), &[]),
            Ok(TargetAssignment::new())
        );
    }
}

#[test]
fn server_assignor_names_are_kafkas() {
    for kind in ServerAssignorKind::ALL {
        assert_eq!(ServerAssignorKind::from_name(kind.name()), Some(kind));
        let json = serde_json::to_string(&kind).unwrap();
        assert_eq!(json, format!("\"{}\"", kind.name()));
    }
    assert_eq!(ServerAssignorKind::Uniform.name(), "uniform");
    assert_eq!(ServerAssignorKind::Range.name(), "range");
    assert_eq!(ServerAssignorKind::from_name("sticky"), None);
}

#[test]
fn topic_ids_sort_and_hash_like_kafkas_uuid() {
    // Uuid.compareTo compares the halves as signed longs.
    let high_bit = TopicUuid {
        msb: i64::MIN,
        lsb: 0,
    };
    assert!(high_bit < TopicUuid { msb: 0, lsb: 0 });
    assert!(TopicUuid { msb: 1, lsb: -1 } < TopicUuid { msb: 1, lsb: 0 });
    let ids: BTreeSet<TopicUuid> = (0..500)
        .map(|i| TopicUuid::for_name(&format!("t{i}")))
        .collect();
    assert_eq!(ids.len(), 500);
    assert!(
        !ids.contains(&TopicUuid { msb: 0, lsb: 0 })
            && !ids.contains(&TopicUuid { msb: 0, lsb: 1 })
    );
}

// ------------------------------------------------------------------------------------------
// CLI
// ------------------------------------------------------------------------------------------

#[test]
fn cli_assign_runs_the_uniform_assignor_with_owned_as_the_current_target() {
    let request = r#"{"strategy": "uniform", "topics": {"t0": 4},
        "members": [
          {"member_id": "A", "subscriptions": ["t0"], "owned": {"t0": [0, 1, 2, 3]}},
          {"member_id": "B", "subscriptions": ["t0"]}]}"#;
    let response = run(request).unwrap();
    assert_eq!(
        response,
        "{\n  \"assignment\": {\n    \"A\": {\"t0\": [0, 1]},\n    \"B\": {\"t0\": [2, 3]}\n  },\n  \
         \"revoked\": {\n    \"A\": {\"t0\": [2, 3]},\n    \"B\": {}\n  }\n}\n"
    );
}

#[test]
fn cli_assign_runs_the_server_range_assignor() {
    let request = r#"{"strategy": "server-range", "topics": {"t0": 3, "t1": 3},
        "members": [
          {"member_id": "B", "subscriptions": ["t0", "t1"], "owned": {"t0": [0]}},
          {"member_id": "A", "subscriptions": ["t0", "t1"]}]}"#;
    let parsed: Value = serde_json::from_str(&run(request).unwrap()).unwrap();
    assert_eq!(
        parsed["assignment"]["A"],
        serde_json::json!({"t0": [0, 1], "t1": [0, 1]})
    );
    assert_eq!(
        parsed["assignment"]["B"],
        serde_json::json!({"t0": [2], "t1": [2]})
    );
    assert_eq!(parsed["revoked"]["B"], serde_json::json!({"t0": [0]}));
}

fn listed_twice(case: &Value) -> bool {
    let mut seen = BTreeSet::new();
    case["members"].as_array().unwrap().iter().any(|m| {
        m.get("assignment").is_some_and(|a| {
            target_from_json(a)
                .into_iter()
                .any(|(t, ps)| ps.into_iter().any(|p| !seen.insert((t.clone(), p))))
        })
    })
}

/// The CLI and the library agree on every golden case (partitions sorted by the CLI).
#[test]
fn cli_reproduces_kafkas_java_output_for_the_server_assignors() {
    let data = load("server_golden_java.json");
    for case in data["cases"].as_array().unwrap() {
        let strategy = match case["strategy"].as_str().unwrap() {
            "range" => "server-range",
            other => other,
        };
        let members: Vec<Value> = case["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                serde_json::json!({"member_id": m["member_id"], "group_instance_id": m.get("instance_id"),
                    "subscriptions": m["subscriptions"], "owned": m.get("assignment")})
            })
            .collect();
        let request =
            serde_json::json!({"strategy": strategy, "topics": case["topics"], "members": members});
        match (run(&request.to_string()), case.get("expect")) {
            (Ok(text), Some(expected)) => {
                let response: Value = serde_json::from_str(&text).unwrap();
                for (m, target) in expected.as_object().unwrap() {
                    let mut want = target_from_json(target);
                    want.values_mut().for_each(|ps| ps.sort());
                    assert_eq!(
                        target_from_json(&response["assignment"][m]),
                        want,
                        "{}",
                        case["name"]
                    );
                }
            }
            // A partition listed for two members (Kafka then throws, or passes both on):
            // the CLI rejects that input.
            (Err(e), _) if listed_twice(case) => {
                assert!(e.contains("also owned by"), "{}: {e}", case["name"])
            }
            (other, _) => panic!("{}: unexpected {other:?}", case["name"]),
        }
    }
}

#[test]
fn cli_assign_rejects_a_partition_owned_by_two_members_for_the_server_assignors() {
    let request = r#"{"strategy": "uniform", "topics": {"t": 2},
        "members": [
          {"member_id": "A", "subscriptions": ["t"], "owned": {"t": [1]}},
          {"member_id": "B", "subscriptions": ["t"], "owned": {"t": [1]}}]}"#;
    let error = run(request).unwrap_err();
    assert!(
        error.starts_with("members[1].owned.\"t\": partition 1 is also owned by members[0]"),
        "{error}"
    );
    // The client-side assignors take conflicting claims (the sticky ones resolve them).
    assert!(run(&request.replace("uniform", "sticky")).is_ok());
}

#[test]
fn cli_assign_lists_the_server_strategies_when_the_name_is_unknown() {
    let error = run(r#"{"strategy": "consumer", "topics": {}, "members": []}"#).unwrap_err();
    assert!(error.contains("uniform, server-range"), "{error}");
}

/// A request written for a client-side assignor runs unchanged under the server-side ones
/// (`generation` is ignored there), so the two protocols can be compared on one group.
#[test]
fn cli_requests_run_unchanged_under_either_protocol() {
    let request = r#"{"strategy": "sticky", "topics": {"t0": 5, "t1": 4}, "members": [
        {"member_id": "A", "subscriptions": ["t0", "t1"], "owned": {"t0": [0, 1, 2]}, "generation": 1},
        {"member_id": "B", "subscriptions": ["t0", "t1"]},
        {"member_id": "C", "subscriptions": ["t0", "t1"]}]}"#;
    for strategy in ["sticky", "uniform", "server-range"] {
        let request = request.replace("\"sticky\"", &format!("\"{strategy}\""));
        let response: Value = serde_json::from_str(&run(&request).unwrap()).unwrap();
        let assigned: Vec<BTreeMap<String, Vec<u32>>> = ["A", "B", "C"]
            .iter()
            .map(|m| target_from_json(&response["assignment"][m]))
            .collect();
        assert_eq!(assigned.iter().map(size).sum::<usize>(), 9, "{strategy}");
        // The sticky ones keep A's three partitions; range recomputes from scratch.
        let kept = assigned[0]
            .get("t0")
            .is_some_and(|ps| ps.starts_with(&[0, 1, 2]));
        assert_eq!(kept, strategy != "server-range", "{strategy}: {response}");
    }
}
