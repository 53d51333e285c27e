//! Kafka 4's online migration between the classic and the consumer group
//! protocol (`group.consumer.migration.policy`), on whole clusters: a rolling
//! bounce converts a group one way and the other, classic members live
//! inside a consumer group, and a forbidden conversion is refused with
//! Kafka's error code. The engine checks its group invariants after every
//! step (`Sim::step`): no partition has two owners at the coordinator or
//! among the live members.

use kafkascope::engine::assignor::AssignorKind;
use kafkascope::engine::config::{GroupProtocol, KeyMode, MigrationPolicy, ScenarioConfig};
use kafkascope::engine::consumer_group::MemberState;
use kafkascope::engine::event::{ErrorCode, EventKind, GroupState, MsgKind};
use kafkascope::engine::ids::*;
use kafkascope::engine::Command;

mod common;
use common::commands::*;
use common::sim::Sim;

const RECORDS: u32 = 60;

/// A classic group of 3 consumers on 6 partitions, a keyed producer, and the
/// given assignors (eager range, or cooperative-sticky).
fn classic(strategy: AssignorKind) -> ScenarioConfig {
    let mut c = ScenarioConfig::default();
    c.topics[0].partitions = 6;
    c.groups[0].consumers = 3;
    c.groups[0].partition_assignment_strategy = vec![strategy];
    c.groups[0].auto_offset_reset = kafkascope::engine::config::AutoOffsetReset::Earliest;
    let p = &mut c.producers[0];
    p.workload.records = RECORDS;
    p.workload.interval_ms = 200;
    p.workload.keys = KeyMode::EventId;
    c
}

fn bounce(ms: u64, consumer: u16, to: GroupProtocol) -> kafkascope::engine::command::ScriptEntry {
    at(
        ms,
        Command::RestartConsumerWith {
            consumer: ConsumerIdx(consumer),
            group_protocol: to,
        },
    )
}

fn every_record_processed(s: &Sim) {
    let mut seen = std::collections::BTreeSet::new();
    for e in &s.log {
        if let EventKind::Processed { record, .. } = &e.kind {
            seen.insert(*record);
        }
    }
    assert_eq!(seen.len() as u32, RECORDS, "records processed");
}

fn conversions(s: &Sim) -> Vec<bool> {
    s.log
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::GroupConverted {
                to_consumer_protocol,
                ..
            } => Some(*to_consumer_protocol),
            _ => None,
        })
        .collect()
}

#[test]
fn a_rolling_upgrade_converts_the_group_once_and_no_record_is_lost() {
    for strategy in [AssignorKind::Range, AssignorKind::CooperativeSticky] {
        let mut c = classic(strategy);
        c.script = vec![
            bounce(3_000, 0, GroupProtocol::Consumer),
            bounce(9_000, 1, GroupProtocol::Consumer),
            bounce(15_000, 2, GroupProtocol::Consumer),
        ];
        let mut s = Sim::new(c);
        s.drain();
        assert_eq!(conversions(&s), vec![true], "{strategy:?}: one upgrade");
        let cg = s.e.groups()[0].modern.as_ref().expect("a consumer group");
        assert_eq!(cg.members.len(), 3, "{strategy:?}");
        assert!(
            cg.members.iter().all(|m| m.classic.is_none()),
            "{strategy:?}: every member on the consumer protocol"
        );
        assert!(cg.members.iter().all(|m| m.state == MemberState::Stable));
        let owned: usize = cg.members.iter().map(|m| m.assigned.len()).sum();
        assert_eq!(owned, 6, "{strategy:?}: every partition owned");
        every_record_processed(&s);
    }
}

#[test]
fn the_upgrade_keeps_every_members_partitions_at_the_classic_generation() {
    let mut c = classic(AssignorKind::CooperativeSticky);
    c.script = vec![bounce(3_000, 0, GroupProtocol::Consumer)];
    let mut s = Sim::new(c);
    s.until("the group converts", |s| !conversions(s).is_empty());
    let generation = s
        .log
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::GroupConverted { epoch, .. } => Some(*epoch),
            _ => None,
        })
        .unwrap();
    let cg = s.e.groups()[0].modern.as_ref().unwrap();
    // A and B are still classic members, at the generation they had.
    let classic: Vec<_> = cg.members.iter().filter(|m| m.classic.is_some()).collect();
    assert_eq!(classic.len(), 2);
    for m in &classic {
        assert!(m.member_epoch <= cg.group_epoch);
        assert!(
            !m.assigned.is_empty(),
            "{} kept its partitions",
            m.member_id
        );
    }
    assert!(generation.0 > 0);
}

#[test]
fn a_classic_member_in_a_consumer_group_is_told_to_rejoin_and_reconciles() {
    let mut c = classic(AssignorKind::CooperativeSticky);
    c.script = vec![bounce(3_000, 0, GroupProtocol::Consumer)];
    let mut s = Sim::new(c);
    s.until("the group converts", |s| !conversions(s).is_empty());
    let from = s.log.len();
    s.drain();
    // After the conversion the classic members hear REBALANCE_IN_PROGRESS
    // on a Heartbeat and rejoin with JoinGroup.
    let told = s.log[from..].iter().any(|e| {
        matches!(
            &e.kind,
            EventKind::Message {
                kind: MsgKind::HeartbeatResponse,
                error: Some(ErrorCode::RebalanceInProgress),
                ..
            }
        )
    });
    assert!(told, "a classic member was told to rejoin");
    let cg = s.e.groups()[0].modern.as_ref().unwrap();
    for m in &cg.members {
        assert_eq!(m.state, MemberState::Stable, "{}", m.member_id);
        assert_eq!(m.member_epoch, cg.assignment_epoch, "{}", m.member_id);
    }
    // The consumers agree with the coordinator.
    for con in s.e.consumers().iter().filter(|c| c.alive) {
        let m = cg
            .member(con.member_id.as_deref().unwrap())
            .expect("a member");
        let mut theirs: Vec<u32> = con.assignment.iter().map(|tp| tp.partition.0).collect();
        theirs.sort();
        let ours: Vec<_> = m.assigned.iter().map(|tp| tp.partition).collect();
        assert_eq!(theirs, ours, "consumer {}", con.label);
    }
    every_record_processed(&s);
}

#[test]
fn the_last_consumer_protocol_member_leaving_turns_the_group_back_to_classic() {
    let mut c = classic(AssignorKind::Range);
    c.script = vec![
        bounce(3_000, 0, GroupProtocol::Consumer),
        bounce(12_000, 0, GroupProtocol::Classic),
    ];
    let mut s = Sim::new(c);
    s.drain();
    assert_eq!(conversions(&s), vec![true, false]);
    let g = &s.e.groups()[0];
    assert!(g.modern.is_none(), "a classic group again");
    assert_eq!(g.state, GroupState::Stable);
    assert_eq!(g.members.len(), 3);
    every_record_processed(&s);
}

#[test]
fn with_migration_disabled_a_consumer_protocol_member_gets_group_id_not_found() {
    let mut c = classic(AssignorKind::Range);
    c.cluster.group_consumer_migration_policy = MigrationPolicy::Disabled;
    c.script = vec![bounce(3_000, 0, GroupProtocol::Consumer)];
    let mut s = Sim::new(c);
    s.drain();
    assert!(conversions(&s).is_empty());
    assert!(s.e.groups()[0].modern.is_none());
    let refused = s.log.iter().any(|e| {
        matches!(
            &e.kind,
            EventKind::Message {
                error: Some(ErrorCode::GroupIdNotFound),
                ..
            }
        )
    });
    assert!(refused, "GROUP_ID_NOT_FOUND");
}

#[test]
fn with_upgrades_only_the_group_stays_a_consumer_group_when_the_new_member_leaves() {
    let mut c = classic(AssignorKind::Range);
    c.cluster.group_consumer_migration_policy = MigrationPolicy::Upgrade;
    c.script = vec![
        bounce(3_000, 0, GroupProtocol::Consumer),
        at(
            12_000,
            Command::StopConsumer {
                consumer: ConsumerIdx(0),
            },
        ),
    ];
    let mut s = Sim::new(c);
    s.drain();
    assert_eq!(conversions(&s), vec![true]);
    let cg = s.e.groups()[0]
        .modern
        .as_ref()
        .expect("still a consumer group");
    assert_eq!(cg.members.len(), 2);
    assert!(cg.members.iter().all(|m| m.classic.is_some()));
    let owned: usize = cg.members.iter().map(|m| m.assigned.len()).sum();
    assert_eq!(owned, 6, "the classic members took over its partitions");
}
