//! Kafka 4's consumer group protocol (KIP-848) in the engine: behaviour
//! tests named after the rules, on whole clusters (the coordinator's rules
//! alone are unit-tested in `src/engine/consumer_group.rs`).

use kafkascope::engine::config::{GroupProtocol, KeyMode, ScenarioConfig};
use kafkascope::engine::consumer_group::MemberState;
use kafkascope::engine::event::{ErrorCode, EventKind, MsgKind};
use kafkascope::engine::ids::*;
use kafkascope::engine::Command;

mod common;
use common::commands::*;
use common::sim::Sim;

/// 2 consumers on the consumer protocol, 4 partitions, a keyed producer.
fn scenario() -> ScenarioConfig {
    let mut c = ScenarioConfig::default();
    c.topics[0].partitions = 4;
    c.groups[0].consumers = 2;
    c.groups[0].group_protocol = GroupProtocol::Consumer;
    c.groups[0].auto_offset_reset = kafkascope::engine::config::AutoOffsetReset::Earliest;
    let p = &mut c.producers[0];
    p.workload.records = 40;
    p.workload.interval_ms = 150;
    p.workload.keys = KeyMode::EventId;
    c
}

fn processed_once(s: &Sim) -> Result<(), String> {
    let mut seen = std::collections::BTreeMap::new();
    for e in &s.log {
        if let EventKind::Processed { record, .. } = &e.kind {
            *seen.entry(*record).or_insert(0u32) += 1;
        }
    }
    if seen.len() != 40 {
        return Err(format!("{} of 40 records processed", seen.len()));
    }
    Ok(())
}

#[test]
fn members_join_with_one_heartbeat_and_get_the_whole_topic() {
    let mut s = Sim::new(scenario());
    s.drain();
    let cg = s.e.groups()[0].modern.as_ref().expect("a consumer group");
    assert_eq!(cg.members.len(), 2);
    assert!(cg.members.iter().all(|m| m.state == MemberState::Stable));
    let owned: usize = cg.members.iter().map(|m| m.assigned.len()).sum();
    assert_eq!(owned, 4);
    assert!(!s.has(|k| matches!(
        k,
        EventKind::Message {
            kind: MsgKind::JoinGroup,
            ..
        }
    )));
    processed_once(&s).unwrap();
    eprintln!(
        "epochs: group {} target {}",
        cg.group_epoch, cg.assignment_epoch
    );
}

/// (time, consumer, partitions) of every Revoked event.
fn revocations(s: &Sim) -> Vec<(u64, ConsumerIdx, Vec<u32>)> {
    s.log
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Revoked {
                consumer,
                partitions,
                ..
            } => Some((
                e.time_ms,
                *consumer,
                partitions.iter().map(|tp| tp.partition).collect(),
            )),
            _ => None,
        })
        .collect()
}

fn c_joins() -> Sim {
    let mut c = scenario();
    c.script = vec![at(700, Command::AddConsumer { group: GroupIdx(0) })];
    let mut s = Sim::new(c);
    s.drain();
    s
}

/// The partitions C was given, and when it got the last of them.
fn c_added(s: &Sim) -> (Vec<u32>, u64) {
    let mut added = Vec::new();
    let mut last = 0;
    for e in &s.log {
        if let EventKind::Assigned {
            consumer, added: a, ..
        } = &e.kind
        {
            if *consumer == ConsumerIdx(2) && !a.is_empty() {
                added.extend(a.iter().map(|tp| tp.partition));
                last = e.time_ms;
            }
        }
    }
    added.sort();
    (added, last)
}

#[test]
fn when_c_joins_only_the_moving_partitions_are_revoked_and_nobody_rejoins() {
    let s = c_joins();
    let cg = s.e.groups()[0].modern.as_ref().unwrap();
    assert_eq!(cg.members.len(), 3);
    let revoked = revocations(&s);
    let mut moved: Vec<u32> = revoked.iter().flat_map(|r| r.2.clone()).collect();
    moved.sort();
    let (added, got_at) = c_added(&s);
    assert_eq!(moved, added, "exactly what C receives was revoked");
    for (at, who, parts) in &revoked {
        assert!(got_at > *at, "C gets {parts:?} after {who:?} gave it up");
        // Each member keeps what it is not asked to give up.
        assert!(!s.e.consumers()[who.0 as usize].assignment.is_empty());
    }
    assert!(!s.has(|k| matches!(
        k,
        EventKind::Message {
            kind: MsgKind::JoinGroup | MsgKind::SyncGroup,
            ..
        }
    )));
    processed_once(&s).unwrap();
}

#[test]
fn no_member_waits_on_another_members_revocation() {
    let s = c_joins();
    let joined = s
        .log
        .iter()
        .find(|e| matches!(e.kind, EventKind::ConsumerStarted { .. }))
        .unwrap()
        .time_ms;
    let (_, done) = c_added(&s);
    // A and B go on processing the partitions they keep throughout.
    for member in [ConsumerIdx(0), ConsumerIdx(1)] {
        let busy = s.log.iter().any(|e| {
            e.time_ms > joined
                && e.time_ms < done
                && matches!(e.kind, EventKind::Processed { consumer, .. } if consumer == member)
        });
        assert!(
            busy,
            "{member:?} processed records while the group reconciled"
        );
    }
    // And each revoked on its own heartbeat, not all at one barrier: a
    // member's revocation is answered by its own acknowledgement.
    assert!(revocations(&s).iter().all(|(_, _, parts)| parts.len() == 1));
}

#[test]
fn only_the_moving_partition_goes_without_an_owner() {
    let s = c_joins();
    let unowned = s.e.unowned_partition_ms(GroupIdx(0));
    let hb = s.e.config().cluster.group_consumer_heartbeat_interval_ms as u64;
    // One partition, for at most one heartbeat interval of its new owner.
    assert!(
        unowned > 0 && unowned <= hb,
        "unowned {unowned} partition-ms"
    );
}

#[test]
fn a_static_member_that_comes_back_gets_its_partitions_without_a_new_group_epoch() {
    let mut c = scenario();
    c.groups[0].static_membership = true;
    c.script = vec![
        at(
            500,
            Command::StopConsumer {
                consumer: ConsumerIdx(0),
            },
        ),
        at(
            2_000,
            Command::RestartConsumer {
                consumer: ConsumerIdx(0),
            },
        ),
    ];
    let mut s = Sim::new(c);
    let before = {
        s.until("settled", |s| s.e.now_ms() > 0);
        s.e.groups()[0].modern.as_ref().unwrap().group_epoch
    };
    let owned_before: Vec<_> = s.e.consumers()[0].assignment.clone();
    s.drain();
    let cg = s.e.groups()[0].modern.as_ref().unwrap();
    assert_eq!(cg.group_epoch, before, "no rebalance");
    assert!(s.has(|k| matches!(
        k,
        EventKind::MemberLeft {
            static_leave: true,
            ..
        }
    )));
    assert_eq!(s.e.consumers()[0].assignment, owned_before);
    assert!(
        revocations(&s).is_empty(),
        "the other member gives nothing up: {:?}",
        revocations(&s)
    );
}

#[test]
fn a_crashed_member_is_fenced_when_its_broker_set_session_expires() {
    let mut c = scenario();
    c.cluster.group_consumer_session_timeout_ms = 10_000;
    c.groups[0].auto_offset_reset = kafkascope::engine::config::AutoOffsetReset::Earliest;
    c.script = vec![at(
        500,
        Command::CrashConsumer {
            consumer: ConsumerIdx(1),
            point: kafkascope::engine::event::CrashPoint::Now,
        },
    )];
    let mut s = Sim::new(c);
    s.drain();
    let fenced = s
        .events(|k| {
            matches!(
                k,
                EventKind::MemberLeft {
                    fenced: Some(ErrorCode::UnknownMemberId),
                    ..
                }
            )
        })
        .first()
        .map(|e| e.time_ms)
        .expect("fenced");
    let crashed = s.events(|k| matches!(k, EventKind::ConsumerCrashed { .. }))[0].time_ms;
    let waited = fenced - crashed;
    assert!(
        (5_000..=10_000).contains(&waited),
        "fenced {waited} ms after the crash"
    );
    assert_eq!(s.e.consumers()[0].assignment.len(), 4);
    processed_once(&s).unwrap();
}

#[test]
fn an_assignor_the_broker_does_not_offer_is_refused_with_unsupported_assignor() {
    let mut c = scenario();
    c.cluster.group_consumer_assignors =
        vec![kafkascope::engine::assignor::server::ServerAssignorKind::Uniform];
    c.groups[0].group_remote_assignor =
        Some(kafkascope::engine::assignor::server::ServerAssignorKind::Range);
    c.warm_start = false;
    let mut s = Sim::new(c);
    s.drain();
    assert!(s.has(|k| matches!(
        k,
        EventKind::Message {
            kind: MsgKind::ConsumerGroupHeartbeatResponse,
            error: Some(ErrorCode::UnsupportedAssignor),
            ..
        }
    )));
    assert!(
        s.e.consumers().iter().all(|c| !c.alive),
        "poll() throws: the consumers stop"
    );
}

/// The three-lane preset's point, as its cards show it: with busy members
/// (a second a record, a backlog from each poll), eager leaves partitions
/// without an owner while the group waits for the slowest member's next
/// poll(); cooperative and the consumer protocol pay only for the
/// partitions that move. Each lane is run to its end.
#[test]
fn with_busy_members_eager_leaves_partitions_unowned_longest() {
    let p = kafkascope::presets::build::c_joins_three_ways();
    let unowned: Vec<(String, u64)> = p
        .lanes
        .into_iter()
        .map(|(name, c)| {
            let mut s = Sim::new(c);
            s.drain();
            (name.to_string(), s.e.unowned_partition_ms(GroupIdx(0)))
        })
        .collect();
    let (eager, others) = (unowned[0].1, &unowned[1..]);
    for (name, ms) in others {
        assert!(
            *ms > 0 && eager > 3 * ms,
            "eager {eager} partition-ms vs {name} {ms}: {unowned:?}"
        );
    }
}
