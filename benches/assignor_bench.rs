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
//! Plain `harness = false` binary: `cargo bench --bench assignor_bench`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

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

fn main() {
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
}
