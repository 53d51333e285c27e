//! Wall-clock benchmark of the sticky assignors at a realistic "big group" size:
//! 1,000 members and 10,000 partitions (10 topics x 1,000 partitions).
//!
//! Each scenario is three rebalances, as a group leader would run them: a fresh group (nobody
//! owns anything); every member reports what it got and one member has left; then a new
//! member joins. The last two are the cases stickiness exists for ("moved" counts owned
//! partitions taken away from their owner; for cooperative-sticky those are revoked now and
//! handed out in the follow-up rebalance).
//!
//! * identical subscriptions exercise `ConstrainedAssignmentBuilder` (the fast path);
//! * mixed subscriptions (every fourth member reads only half the topics) exercise
//!   `GeneralAssignmentBuilder`, whose balancing loop is much more expensive.
//!
//! The last section compares the two protocols on one topic of 10,000 partitions read by
//! 1,000 members: the leader's `sticky` assignor (members report their previous assignment
//! as owned partitions) against the group coordinator's `uniform` assignor (KIP-848; its
//! input is the previous target assignment), when one member joins and when one leaves,
//! each starting from the assignor's own balanced assignment. "changed owner" counts the
//! partitions whose owner differs before and after (a departed member's partitions count);
//! times are the best of five runs.
//!
//! Plain `harness = false` binary: `cargo bench --bench assignor_bench` (append
//! `-- one-topic` for the last section alone).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kafkascope::engine::assignor::server::{server_assign, ServerAssignorKind, ServerMember};
use kafkascope::engine::assignor::{assign, AssignmentOutcome, AssignorKind, MemberSubscription};

const MEMBERS: usize = 1_000;
const TOPICS: usize = 10;
const PARTITIONS_PER_TOPIC: u32 = 1_000;

fn topics() -> BTreeMap<String, u32> {
    (0..TOPICS)
        .map(|t| (format!("topic-{t}"), PARTITIONS_PER_TOPIC))
        .collect()
}

fn members(mixed: bool) -> Vec<MemberSubscription> {
    let all: Vec<String> = (0..TOPICS).map(|t| format!("topic-{t}")).collect();
    (0..MEMBERS)
        .map(|i| MemberSubscription {
            member_id: format!(
                "consumer-{i}-{:08x}",
                (i as u64).wrapping_mul(0x9E37_79B9) as u32
            ),
            group_instance_id: None,
            topics: if mixed && i % 4 == 0 {
                all[..TOPICS / 2].to_vec()
            } else {
                all.clone()
            },
            owned: Vec::new(),
            generation: None,
        })
        .collect()
}

fn timed(f: impl FnOnce() -> AssignmentOutcome) -> (AssignmentOutcome, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

fn scenario(kind: AssignorKind, mixed: bool) {
    let topics = topics();
    let mut group = members(mixed);
    let (first, fresh) = timed(|| assign(kind, &topics, &group));

    // Round two: everyone rejoins owning what it got; member 500 has left.
    for m in &mut group {
        m.owned = first.assignment[&m.member_id].clone();
        m.generation = Some(1);
    }
    group.remove(MEMBERS / 2);
    let (second, rejoin) = timed(|| assign(kind, &topics, &group));

    let moved = moved_from_owners(&group, &second);

    // Round three: a new member joins; partitions have to move to it.
    for m in &mut group {
        m.owned = second.assignment[&m.member_id].clone();
        m.generation = Some(2);
    }
    let mut joiner = group[1].clone();
    joiner.member_id = "consumer-joiner".into();
    joiner.owned.clear();
    joiner.generation = None;
    group.push(joiner);
    let (third, join) = timed(|| assign(kind, &topics, &group));
    let moved_on_join = moved_from_owners(&group, &third);

    println!(
        "{:<19} {:<9}  fresh {:>7.1} ms | one left {:>7.1} ms, {:>3} moved | one joined {:>7.1} ms, {:>3} moved",
        kind.name(),
        if mixed { "mixed" } else { "identical" },
        fresh.as_secs_f64() * 1e3,
        rejoin.as_secs_f64() * 1e3,
        moved,
        join.as_secs_f64() * 1e3,
        moved_on_join,
    );
}

/// Previously owned partitions that are not in their owner's new assignment.
fn moved_from_owners(group: &[MemberSubscription], out: &AssignmentOutcome) -> usize {
    group
        .iter()
        .map(|m| {
            m.owned
                .iter()
                .filter(|p| !out.assignment[&m.member_id].contains(p))
                .count()
        })
        .sum()
}

/// (topic, partition) -> owner, from either protocol's result.
type Owners = BTreeMap<(String, u32), String>;

fn sticky_owners(out: &AssignmentOutcome) -> Owners {
    let mut owners = Owners::new();
    for (m, list) in &out.assignment {
        for tp in list {
            owners.insert((tp.topic.clone(), tp.partition), m.clone());
        }
    }
    owners
}

fn uniform_owners(out: &BTreeMap<String, BTreeMap<String, Vec<u32>>>) -> Owners {
    let mut owners = Owners::new();
    for (m, target) in out {
        for (t, ps) in target {
            for &p in ps {
                owners.insert((t.clone(), p), m.clone());
            }
        }
    }
    owners
}

fn changed_owner(before: &Owners, after: &Owners) -> usize {
    before
        .iter()
        .filter(|(tp, m)| after.get(*tp) != Some(*m))
        .count()
}

/// The client's sticky assignor against the coordinator's uniform assignor on one topic.
fn one_topic_sticky_vs_uniform() {
    let topics: BTreeMap<String, u32> = BTreeMap::from([("orders".to_string(), 10_000)]);
    let mut group = members(false);
    for m in &mut group {
        m.topics = vec!["orders".to_string()];
    }
    let joiner = |m: &MemberSubscription| MemberSubscription {
        member_id: "consumer-joiner".into(),
        owned: Vec::new(),
        generation: None,
        ..m.clone()
    };
    println!("one topic x 10,000 partitions, {MEMBERS} members, identical subscriptions");

    // Sticky: the leader runs it; members report what they own (generation 1).
    let (base, _) = timed(|| assign(AssignorKind::Sticky, &topics, &group));
    for m in &mut group {
        m.owned = base.assignment[&m.member_id].clone();
        m.generation = Some(1);
    }
    let mut joined = group.clone();
    joined.push(joiner(&group[0]));
    let (join, join_time) = best_of_5(|| assign(AssignorKind::Sticky, &topics, &joined));
    let mut left = group.clone();
    left.remove(MEMBERS / 2);
    let (leave, leave_time) = best_of_5(|| assign(AssignorKind::Sticky, &topics, &left));
    let before = sticky_owners(&base);
    report(
        "sticky (client)",
        (changed_owner(&before, &sticky_owners(&join)), join_time),
        (changed_owner(&before, &sticky_owners(&leave)), leave_time),
    );

    // Uniform: the coordinator runs it on the previous target assignment. The joiner comes
    // last, as TargetAssignmentBuilder adds the member whose heartbeat triggered the run.
    let mut group: Vec<ServerMember> = group
        .iter()
        .map(|m| ServerMember {
            member_id: m.member_id.clone(),
            subscribed_topics: m.topics.clone(),
            ..ServerMember::default()
        })
        .collect();
    let time = |g: &[ServerMember]| {
        best_of_5(|| {
            server_assign(ServerAssignorKind::Uniform, &topics, g)
                .expect("uniform never throws on a valid target")
        })
    };
    let (base, _) = time(&group);
    for m in &mut group {
        m.assignment = base[&m.member_id].clone();
    }
    let mut joined = group.clone();
    joined.push(ServerMember {
        member_id: "consumer-joiner".into(),
        subscribed_topics: vec!["orders".into()],
        ..ServerMember::default()
    });
    let (join, join_time) = time(&joined);
    let mut left = group.clone();
    left.remove(MEMBERS / 2);
    let (leave, leave_time) = time(&left);
    let before = uniform_owners(&base);
    report(
        "uniform (server)",
        (changed_owner(&before, &uniform_owners(&join)), join_time),
        (changed_owner(&before, &uniform_owners(&leave)), leave_time),
    );
}

/// The result and the shortest of five runs (the machine may be busy with other work).
fn best_of_5<T>(f: impl Fn() -> T) -> (T, Duration) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..5 {
        let start = Instant::now();
        out = Some(f());
        best = best.min(start.elapsed());
    }
    (out.expect("ran five times"), best)
}

fn report(name: &str, join: (usize, Duration), leave: (usize, Duration)) {
    println!(
        "{name:<19} one joined {:>7.1} ms, {:>3} changed owner | one left {:>7.1} ms, {:>3} changed owner",
        join.1.as_secs_f64() * 1e3,
        join.0,
        leave.1.as_secs_f64() * 1e3,
        leave.0,
    );
}

fn main() {
    if std::env::args().any(|a| a == "one-topic") {
        return one_topic_sticky_vs_uniform();
    }
    println!("{MEMBERS} members, {TOPICS} topics x {PARTITIONS_PER_TOPIC} partitions");
    for kind in [AssignorKind::Sticky, AssignorKind::CooperativeSticky] {
        scenario(kind, false);
    }
    for kind in [AssignorKind::Sticky, AssignorKind::CooperativeSticky] {
        scenario(kind, true);
    }
    for kind in [AssignorKind::Range, AssignorKind::Roundrobin] {
        let topics = topics();
        let group = members(false);
        let (_, t) = timed(|| assign(kind, &topics, &group));
        println!(
            "{:<19} identical fresh {:>9.1} ms",
            kind.name(),
            t.as_secs_f64() * 1e3
        );
    }
    one_topic_sticky_vs_uniform();
}
