//! Behaviour tests for the consumer-group rules of issue #4 (reference
//! sections 2, 3 and 7), one test per rule, each named after the behaviour
//! and asserting Kafka's exact outcome:
//!
//! - offsets: the committed offset is the next offset to read, and a new
//!   owner starts there; `auto.offset.reset` earliest / latest / none (none →
//!   `NoOffsetForPartitionException`);
//! - auto-commit commits the positions from inside a *later* `poll()` once
//!   `auto.commit.interval.ms` passed, never in the middle of processing;
//! - a consumer that exceeded `max.poll.interval.ms` leaves the group
//!   (LeaveGroup), its late commit fails with `CommitFailedException`, and
//!   the new owner processes its records again;
//! - `session.timeout.ms` expiry removes a crashed member and rebalances;
//! - static membership (`group.instance.id`): a restart within the session
//!   timeout gets the same partitions back with no rebalance;
//! - eager rebalancing revokes everything before rejoining; cooperative
//!   revokes only the moving partitions and needs a second round;
//! - the group's `__consumer_offsets` partition is
//!   `Utils.abs(groupId.hashCode()) % 50`, and its leader is the coordinator;
//! - an empty group's first rebalance waits `group.initial.rebalance.delay.ms`
//!   and waits again while new members keep arriving;
//! - an OffsetFetch while a transaction holds the group's offsets gets
//!   `UNSTABLE_OFFSET_COMMIT` and is retried, so a new owner never starts
//!   before those offsets are settled;
//! - offset-commit validation checks the member and its generation before
//!   the rebalance state;
//! - a consumer keeps the coordinator it found and, after its coordinator
//!   crashes, finds the new one with FindCoordinator.

use kafkascope::engine::assignor::{AssignorKind, TopicPartition};
use kafkascope::engine::command::{ScriptEntry, Trigger};
use kafkascope::engine::config::{AutoOffsetReset, CommitMode, KeyMode, ScenarioConfig};
use kafkascope::engine::event::{
    CrashPoint, ErrorCode, EventKind, GroupState, LeaveReason, MsgKind, Node,
};
use kafkascope::engine::ids::*;
use kafkascope::engine::{Command, Event};

// ---- harness ------------------------------------------------------------------

mod common;
use common::commands::*;
use common::sim::Sim;

impl Sim {
    /// (consumer, offset, times) of every Processed event.
    fn processed(&self) -> Vec<(ConsumerIdx, i64, u32)> {
        self.log
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::Processed {
                    consumer,
                    offset,
                    times,
                    ..
                } => Some((consumer, offset.0, times)),
                _ => None,
            })
            .collect()
    }

    /// The offset of every Committed event, in order.
    fn commits(&self) -> Vec<i64> {
        self.log
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::Committed { offset, .. } => Some(offset.0),
                _ => None,
            })
            .collect()
    }

    fn generation(&self) -> GenerationId {
        self.e.groups()[0].generation
    }

    fn assignment(&self, c: u16) -> Vec<u32> {
        let mut v: Vec<u32> = self.e.consumers()[c as usize]
            .assignment
            .iter()
            .map(|tp| tp.partition.0)
            .collect();
        v.sort();
        v
    }
}

const A: ConsumerIdx = ConsumerIdx(0);
const B: ConsumerIdx = ConsumerIdx(1);
const C: ConsumerIdx = ConsumerIdx(2);

fn send_to(partition: u32) -> Command {
    Command::Produce {
        producer: ProducerIdx(0),
        topic: None,
        key: None,
        value: None,
        partition: Some(partition),
    }
}

/// One broker, `partitions` partitions, one group of `consumers`, short timeouts.
fn group(partitions: u32, consumers: u16) -> ScenarioConfig {
    let mut c = ScenarioConfig::default();
    c.topics[0].partitions = partitions;
    let g = &mut c.groups[0];
    g.consumers = consumers;
    g.session_timeout_ms = 10_000;
    g.heartbeat_interval_ms = 1_000;
    g.max_poll_interval_ms = 20_000;
    g.auto_offset_reset = AutoOffsetReset::Earliest;
    g.commit_mode = CommitMode::AfterProcessing;
    g.processing_time_ms = 10;
    c.producers[0].linger_ms = 0;
    c.producers[0].workload.keys = KeyMode::EventId;
    c
}

fn committed(s: &Sim, p: u32) -> Option<Offset> {
    s.e.groups()[0]
        .committed
        .get(&Tp::new(TopicId(0), p))
        .copied()
}

// ---- offsets ------------------------------------------------------------------

#[test]
fn the_committed_offset_is_the_next_offset_to_read_and_a_new_owner_starts_there() {
    let mut cfg = group(1, 1);
    cfg.producers[0].workload.records = 5;
    cfg.producers[0].workload.interval_ms = 10;
    let mut s = Sim::new(cfg);
    s.drain();
    assert_eq!(s.processed(), (0..5).map(|o| (A, o, 1)).collect::<Vec<_>>());
    // After processing offset k the consumer commits k + 1.
    let commits = s.commits();
    assert_eq!(commits, vec![1, 2, 3, 4, 5]);
    assert_eq!(committed(&s, 0), Some(Offset(5)));
    // A clean leave; a newcomer fetches the committed offset and starts at
    // it: nothing is read twice.
    s.apply(Command::StopConsumer { consumer: A });
    s.apply(Command::AddConsumer { group: GroupIdx(0) });
    s.until("the newcomer has a position", |s| {
        s.has(|k| matches!(k, EventKind::PositionReset { consumer, .. } if *consumer == B))
    });
    let reset = s
        .events(|k| matches!(k, EventKind::PositionReset { consumer, .. } if *consumer == B))[0]
        .kind
        .clone();
    match reset {
        EventKind::PositionReset {
            position,
            committed,
            reset,
            ..
        } => {
            assert_eq!(position, Offset(5));
            assert_eq!(committed, Some(Offset(5)));
            assert_eq!(
                reset, None,
                "no auto.offset.reset: a committed offset exists"
            );
        }
        _ => unreachable!(),
    }
    s.apply(send("late"));
    s.drain();
    assert_eq!(s.processed().last(), Some(&(B, 5, 1)));
    assert_eq!(committed(&s, 0), Some(Offset(6)));
}

/// The course text's loop: `except Exception: print(...)` after a failed
/// `process_event()`. Nothing re-delivers the record ("Message will be
/// re-delivered on next poll" is false): the next commit moves past it.
#[test]
fn a_caught_processing_exception_is_not_a_retry_the_next_commit_skips_the_record() {
    let mut cfg = group(1, 1);
    cfg.producers[0].workload.records = 5;
    cfg.producers[0].workload.interval_ms = 0;
    cfg.script = vec![ScriptEntry {
        trigger: Trigger::AfterProcessed { count: 2 },
        command: Command::ProcessingRaises { consumer: A },
    }];
    let mut s = Sim::new(cfg);
    s.drain();
    let raised: Vec<i64> = s
        .log
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::ProcessingRaised { offset, .. } => Some(offset.0),
            _ => None,
        })
        .collect();
    assert_eq!(
        raised,
        vec![2],
        "process_event() raised on the third record"
    );
    assert_eq!(
        s.processed(),
        vec![(A, 0, 1), (A, 1, 1), (A, 3, 1), (A, 4, 1)],
        "offset 2 is never processed, and never polled again"
    );
    let commits = s.commits();
    assert_eq!(
        commits,
        vec![1, 2, 4, 5],
        "no commit for offset 2; the next one is 4"
    );
    let summary = s.e.delivery_summary(GroupIdx(0));
    assert_eq!(
        (summary.processed_once, summary.lost),
        (4, 1),
        "{summary:?}"
    );
}

/// Three records are written before the group's first consumer starts.
fn reset_case(reset: AutoOffsetReset) -> Sim {
    let mut cfg = group(1, 0);
    cfg.groups[0].auto_offset_reset = reset;
    cfg.producers[0].workload.records = 3;
    cfg.producers[0].workload.interval_ms = 10;
    let mut s = Sim::new(cfg);
    s.until("three records acknowledged", |s| {
        s.e.producers()[0].acked_records == 3
    });
    s.apply(Command::AddConsumer { group: GroupIdx(0) });
    s.drain();
    s
}

fn resets(s: &Sim) -> Vec<(Offset, Option<Offset>, Option<AutoOffsetReset>)> {
    s.log
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::PositionReset {
                position,
                committed,
                reset,
                ..
            } => Some((position, committed, reset)),
            _ => None,
        })
        .collect()
}

#[test]
fn auto_offset_reset_earliest_starts_a_group_without_commits_at_the_log_start() {
    let s = reset_case(AutoOffsetReset::Earliest);
    assert_eq!(
        resets(&s),
        vec![(Offset(0), None, Some(AutoOffsetReset::Earliest))]
    );
    assert_eq!(s.processed(), vec![(A, 0, 1), (A, 1, 1), (A, 2, 1)]);
}

#[test]
fn auto_offset_reset_latest_starts_a_group_without_commits_at_the_high_watermark() {
    let mut s = reset_case(AutoOffsetReset::Latest);
    assert_eq!(
        resets(&s),
        vec![(Offset(3), None, Some(AutoOffsetReset::Latest))]
    );
    assert!(
        s.processed().is_empty(),
        "the three earlier records are skipped"
    );
    s.apply(send("after"));
    s.drain();
    assert_eq!(s.processed(), vec![(A, 3, 1)]);
}

#[test]
fn auto_offset_reset_none_fails_with_no_offset_for_partition() {
    let s = reset_case(AutoOffsetReset::None);
    let errors: Vec<(ConsumerIdx, Tp, ErrorCode)> = s
        .log
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::ConsumerError {
                consumer,
                tp,
                error,
            } => Some((consumer, tp, error)),
            _ => None,
        })
        .collect();
    assert_eq!(
        errors,
        vec![(A, Tp::new(TopicId(0), 0), ErrorCode::NoOffsetForPartition)]
    );
    assert!(resets(&s).is_empty(), "no position is invented");
    assert!(s.processed().is_empty());
    assert!(
        !s.e.consumers()[0].alive,
        "poll() threw: the application stops"
    );
}

// ---- auto-commit --------------------------------------------------------------------

#[test]
fn auto_commit_commits_from_inside_a_later_poll_once_the_interval_passed_not_during_processing() {
    let mut cfg = group(1, 1);
    cfg.groups[0].commit_mode = CommitMode::Auto;
    cfg.groups[0].auto_commit_interval_ms = 5_000;
    cfg.groups[0].processing_time_ms = 8_000;
    cfg.groups[0].max_poll_interval_ms = 60_000;
    cfg.script = vec![at(100, send("k"))];
    let mut s = Sim::new(cfg);
    s.drain();
    let polled = s.events(|k| matches!(k, EventKind::Polled { .. }))[0].time_ms;
    let processed = s.events(|k| matches!(k, EventKind::Processed { .. }))[0].time_ms;
    assert_eq!(processed, polled + 8_000);
    let commit_requests: Vec<u64> = s
        .events(|k| {
            matches!(
                k,
                EventKind::Message {
                    from: Node::Consumer(_),
                    kind: MsgKind::OffsetCommit,
                    ..
                }
            )
        })
        .iter()
        .map(|e| e.time_ms)
        .collect();
    // The interval ran out while the record was being processed (8 s > 5 s),
    // yet nothing is committed until the application polls again, which it
    // does right after processing.
    assert!(
        !commit_requests
            .iter()
            .any(|t| *t > polled && *t < processed),
        "committed during processing: {commit_requests:?} (poll {polled}, done {processed})"
    );
    assert!(
        commit_requests.contains(&processed),
        "the next poll commits: {commit_requests:?}"
    );
    let auto: Vec<(u64, Offset, bool)> = s
        .log
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Committed { offset, auto, .. } => Some((e.time_ms, offset, auto)),
            _ => None,
        })
        .collect();
    let last = *auto.last().unwrap();
    assert_eq!(last.1, Offset(1), "the position just past the record");
    assert!(last.2, "an auto-commit");
    assert!(last.0 > processed);
}

// ---- failures and timeouts -------------------------------------------------------------

#[test]
fn a_member_that_exceeds_max_poll_interval_ms_leaves_the_group_and_its_late_commit_fails_while_the_new_owner_reprocesses(
) {
    let mut cfg = group(1, 2);
    cfg.groups[0].max_poll_interval_ms = 10_000;
    cfg.groups[0].session_timeout_ms = 30_000;
    let mut s = Sim::new(cfg);
    let owner = if s.assignment(0) == vec![0] { A } else { B };
    let other = if owner == A { B } else { A };
    assert_eq!(
        s.assignment(other.0),
        Vec::<u32>::new(),
        "one partition, one owner"
    );
    let generation = s.generation();
    s.apply(Command::SetProcessingTime {
        consumer: owner,
        processing_time_ms: 15_000,
    });
    s.apply(send("slow"));
    s.drain();
    let polled = s
        .events(|k| matches!(k, EventKind::Polled { consumer, .. } if *consumer == owner))[0]
        .time_ms;
    let expired =
        s.events(|k| matches!(k, EventKind::PollTimeoutExpired { consumer } if *consumer == owner));
    assert_eq!(expired.len(), 1);
    let hb = s.e.config().groups[0].heartbeat_interval_ms as u64;
    assert!(
        expired[0].time_ms > polled + 10_000 && expired[0].time_ms <= polled + 10_000 + hb,
        "poll at {polled}, expired at {}",
        expired[0].time_ms
    );
    // A dynamic member sends LeaveGroup; the coordinator removes it at once.
    assert!(s.has(|k| matches!(k, EventKind::Message { from: Node::Consumer(c), kind: MsgKind::LeaveGroup, .. } if *c == owner)));
    let removed = s.events(|k| {
        matches!(k, EventKind::MemberRemoved { consumer, reason: LeaveReason::PollTimeout, .. } if *consumer == owner)
    });
    assert_eq!(removed.len(), 1);
    assert!(s.generation().0 >= generation.0 + 1, "the group rebalanced");
    let took_over = s.log.iter().find_map(|e| match &e.kind {
        EventKind::Assigned {
            consumer, assigned, ..
        } if *consumer == other && e.time_ms >= removed[0].time_ms => Some(parts(assigned)),
        _ => None,
    });
    assert_eq!(took_over, Some(vec![0]), "the other member took over");
    // The slow consumer finishes and its commit fails: it is no longer in
    // an active generation (CommitFailedException).
    let failed: Vec<ErrorCode> = s
        .log
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::CommitFailed {
                consumer, error, ..
            } if consumer == owner => Some(error),
            _ => None,
        })
        .collect();
    assert_eq!(failed, vec![ErrorCode::CommitFailed]);
    // The record is processed twice: once by the slow owner, once by the new one.
    let mut who: Vec<(ConsumerIdx, i64)> = s.processed().iter().map(|p| (p.0, p.1)).collect();
    who.sort();
    let mut want = vec![(owner, 0), (other, 0)];
    want.sort();
    assert_eq!(who, want);
    assert_eq!(
        s.processed().iter().map(|p| p.2).max(),
        Some(2),
        "a duplicate"
    );
    assert_eq!(committed(&s, 0), Some(Offset(1)), "by the new owner");
}

#[test]
fn session_timeout_expiry_removes_a_crashed_member_and_triggers_a_rebalance() {
    let mut s = Sim::new(group(2, 2));
    assert_eq!(s.assignment(0).len() + s.assignment(1).len(), 2);
    let generation = s.generation();
    let t_crash = s.e.now_ms();
    s.apply(Command::CrashConsumer {
        consumer: B,
        point: CrashPoint::Now,
    });
    s.drain();
    let removed = s.events(|k| matches!(k, EventKind::MemberRemoved { .. }));
    assert_eq!(removed.len(), 1);
    let (consumer, reason) = match removed[0].kind {
        EventKind::MemberRemoved {
            consumer, reason, ..
        } => (consumer, reason),
        _ => unreachable!(),
    };
    assert_eq!((consumer, reason), (B, LeaveReason::SessionTimeout));
    // Last heard from within one heartbeat interval before the crash.
    let (session, hb) = (10_000u64, 1_000u64);
    let t = removed[0].time_ms;
    assert!(
        t <= t_crash + session && t + hb >= t_crash + session,
        "crash at {t_crash}, removed at {t}"
    );
    let rebalance = s.events(|k| matches!(k, EventKind::RebalanceStarted { .. }));
    assert_eq!(rebalance.len(), 1);
    assert_eq!(rebalance[0].time_ms, t);
    assert_eq!(s.generation(), GenerationId(generation.0 + 1));
    assert_eq!(s.assignment(0), vec![0, 1], "the survivor owns everything");
}

#[test]
fn a_static_member_that_restarts_within_the_session_timeout_gets_its_partitions_back_without_a_rebalance(
) {
    let mut cfg = group(2, 2);
    cfg.groups[0].static_membership = true;
    cfg.script = vec![
        at(
            1_000,
            Command::CrashConsumer {
                consumer: B,
                point: CrashPoint::Now,
            },
        ),
        at(4_000, Command::RestartConsumer { consumer: B }),
        at(6_000, send_to(0)),
        at(6_000, send_to(1)),
    ];
    let mut s = Sim::new(cfg);
    let generation = s.generation();
    let before_b = s.assignment(1);
    assert_eq!(before_b.len(), 1);
    s.drain();
    assert!(
        !s.has(|k| matches!(k, EventKind::RebalanceStarted { .. })),
        "no rebalance: {:?}",
        s.events(|k| matches!(k, EventKind::RebalanceStarted { .. }))
    );
    assert!(!s.has(|k| matches!(k, EventKind::MemberRemoved { .. })));
    assert_eq!(s.generation(), generation);
    assert_eq!(
        s.assignment(1),
        before_b,
        "same partitions as before the crash"
    );
    assert!(s.e.consumers()[1].alive);
    // And it consumes its partition again, from where it was.
    let b_part = before_b[0] as i64;
    let b_processed: Vec<(ConsumerIdx, i64, u32)> =
        s.processed().into_iter().filter(|p| p.0 == B).collect();
    assert_eq!(b_processed, vec![(B, 0, 1)], "partition {b_part}");
}

// ---- eager vs cooperative ----------------------------------------------------------------

fn join_c(strategy: Vec<AssignorKind>) -> (Sim, GenerationId) {
    let mut cfg = group(6, 2);
    cfg.groups[0].partition_assignment_strategy = strategy;
    let mut s = Sim::new(cfg);
    let g0 = s.generation();
    s.apply(Command::AddConsumer { group: GroupIdx(0) });
    s.drain();
    (s, g0)
}

fn revoked(s: &Sim, c: ConsumerIdx) -> Vec<(u64, Vec<u32>, bool)> {
    s.log
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Revoked {
                consumer,
                partitions,
                eager,
                ..
            } if *consumer == c => Some((e.time_ms, parts(partitions), *eager)),
            _ => None,
        })
        .collect()
}

fn parts(v: &[TopicPartition]) -> Vec<u32> {
    let mut p: Vec<u32> = v.iter().map(|t| t.partition).collect();
    p.sort();
    p
}

#[test]
fn eager_rebalancing_revokes_every_partition_before_rejoining() {
    let mut cfg = group(6, 2);
    cfg.groups[0].partition_assignment_strategy = vec![AssignorKind::Range];
    let mut s = Sim::new(cfg);
    let g0 = s.generation();
    let before = [s.assignment(0), s.assignment(1)];
    assert_eq!(before[0].len() + before[1].len(), 6);
    s.apply(Command::AddConsumer { group: GroupIdx(0) });
    s.drain();
    for (i, c) in [A, B].into_iter().enumerate() {
        let r = revoked(&s, c);
        assert_eq!(r.len(), 1, "{c:?}: {r:?}");
        assert_eq!(r[0].1, before[i], "everything it owned");
        assert!(r[0].2, "eager");
        let join = s
            .log
            .iter()
            .find(|e| matches!(e.kind, EventKind::Message { from: Node::Consumer(x), kind: MsgKind::JoinGroup, .. } if x == c))
            .unwrap()
            .time_ms;
        assert!(r[0].0 <= join, "revoked before JoinGroup");
    }
    // One round: range gives 2 + 2 + 2.
    assert_eq!(s.generation(), GenerationId(g0.0 + 1));
    let sizes: Vec<usize> = (0..3).map(|c| s.assignment(c).len()).collect();
    assert_eq!(sizes, vec![2, 2, 2]);
}

#[test]
fn cooperative_rebalancing_revokes_only_the_moving_partitions_and_needs_a_second_round() {
    let (s, g0) = join_c(vec![AssignorKind::CooperativeSticky]);
    let before = |c: ConsumerIdx| -> Vec<u32> {
        s.log
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Assigned {
                    consumer,
                    generation,
                    assigned,
                    ..
                } if *consumer == c && *generation == g0 => Some(parts(assigned)),
                _ => None,
            })
            .last()
            .unwrap_or_else(|| s.assignment(c.0))
    };
    let _ = before;
    // Round 1 (generation g0 + 1): C gets nothing that someone else owns yet;
    // A and B give up exactly the partitions that move.
    let round = |c: ConsumerIdx, g: i32| -> Option<(Vec<u32>, Vec<u32>, Vec<u32>)> {
        s.log.iter().find_map(|e| match &e.kind {
            EventKind::Assigned {
                consumer,
                generation,
                assigned,
                added,
                revoked,
                ..
            } if *consumer == c && generation.0 == g => {
                Some((parts(assigned), parts(added), parts(revoked)))
            }
            _ => None,
        })
    };
    let g1 = g0.0 + 1;
    let g2 = g0.0 + 2;
    let (c1, _, _) = round(C, g1).expect("C in round 1");
    assert!(
        c1.is_empty(),
        "all partitions are owned: C waits for round 2"
    );
    let mut moving = Vec::new();
    for c in [A, B] {
        let (kept, added, gave) = round(c, g1).expect("round 1");
        assert!(added.is_empty());
        assert_eq!(kept.len(), 2, "{c:?} keeps its quota");
        assert_eq!(gave.len(), 1, "{c:?} revokes only its surplus");
        // Only the revoked partition is revoked (after SyncGroup, not eagerly).
        assert_eq!(
            revoked(&s, c),
            vec![(revoked(&s, c)[0].0, gave.clone(), false)]
        );
        moving.extend(gave);
    }
    moving.sort();
    // Round 2: C gets exactly the moved partitions; A and B keep theirs.
    let (c2, c2_added, _) = round(C, g2).expect("C in round 2");
    assert_eq!(c2, moving);
    assert_eq!(c2_added, moving);
    for c in [A, B] {
        let (kept, added, gave) = round(c, g2).expect("round 2");
        assert_eq!((kept.len(), added.len(), gave.len()), (2, 0, 0));
    }
    assert_eq!(s.generation(), GenerationId(g2), "two rounds, no more");
    assert!(revoked(&s, C).is_empty());
}

// ---- the offsets topic ----------------------------------------------------------------

#[test]
fn the_groups_consumer_offsets_partition_is_abs_hash_code_mod_50_and_its_leader_is_the_coordinator()
{
    // Java String.hashCode values computed independently: "analytics" hashes
    // negative (-1693017210), "polygenelubricants" to Integer.MIN_VALUE,
    // which Utils.abs maps to 0 (Math.abs would stay negative).
    for (group_id, want) in [
        ("my-consumer-group", 13u32),
        ("analytics", 10),
        ("polygenelubricants", 0),
        ("orders-service", 17),
    ] {
        let mut cfg = group(1, 1);
        cfg.cluster.brokers = 3;
        cfg.groups[0].group_id = group_id.into();
        cfg.script = vec![at(10, send("k"))];
        let mut s = Sim::new(cfg);
        let otp = s.e.groups()[0].offsets_tp;
        assert_eq!(s.e.topic(otp.topic).name, "__consumer_offsets");
        assert_eq!(s.e.topic(otp.topic).partitions.len(), 50);
        assert_eq!(otp.partition.0, want, "{group_id}");
        let coordinator = s.e.leader_of(otp).unwrap();
        s.drain();
        // The commit goes to that partition's leader and is written there.
        assert!(s.has(|k| matches!(k,
            EventKind::Message { from: Node::Consumer(_), to: Node::Broker(b), kind: MsgKind::OffsetCommit, .. } if *b == coordinator)));
        let written: Vec<(BrokerId, Tp)> = s
            .log
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::InternalAppended { broker, tp, .. } => Some((broker, tp)),
                _ => None,
            })
            .collect();
        assert!(!written.is_empty());
        assert!(
            written.iter().all(|w| *w == (coordinator, otp)),
            "{group_id}: {written:?}"
        );
    }
}

/// `AbstractCoordinator`: the consumer keeps the coordinator it found. It
/// learns that the coordinator died only from a closed connection, marks it
/// unknown, and asks a broker with FindCoordinator; the answer is the new
/// leader of the group's `__consumer_offsets` partition, and the next commit
/// goes there. Nothing tells it which brokers are alive.
#[test]
fn a_consumer_whose_coordinator_crashes_finds_the_new_one_with_find_coordinator_and_commits_there()
{
    let mut cfg = group(1, 1);
    cfg.cluster.brokers = 3;
    cfg.topics[0].replication_factor = 3;
    cfg.script = vec![at(10, send("k"))];
    let mut s = Sim::new(cfg);
    s.drain();
    let otp = s.e.groups()[0].offsets_tp;
    let old = s.e.leader_of(otp).unwrap();
    assert_eq!(committed(&s, 0), Some(Offset(1)));
    let crashed_at = s.log.len();
    s.apply(Command::CrashBroker { broker: old });
    s.apply(send("k"));
    s.until("committed again", |s| committed(s, 0) == Some(Offset(2)));
    let new = s.e.leader_of(otp).unwrap();
    assert_ne!(new, old);
    let after = &s.log[crashed_at..];
    let to_coordinator = |e: &&Event| {
        matches!(&e.kind, EventKind::Message { from: Node::Consumer(_), kind, .. }
            if matches!(kind, MsgKind::Heartbeat | MsgKind::OffsetCommit))
    };
    let first = after.iter().find(to_coordinator).unwrap();
    assert!(
        matches!(first.kind, EventKind::Message { to: Node::Broker(b), .. } if b == old),
        "it does not know its coordinator died: {first:?}"
    );
    let found: Vec<(BrokerId, Option<ErrorCode>)> = after
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::CoordinatorFound {
                coordinator, after, ..
            } => Some((coordinator, after)),
            _ => None,
        })
        .collect();
    assert_eq!(
        found.last(),
        Some(&(new, None)),
        "found after the old one's connection closed: {found:?}"
    );
    let lookups = after
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Message {
                    kind: MsgKind::FindCoordinator,
                    ..
                }
            )
        })
        .count();
    assert!(lookups >= 1);
    let found_at = after
        .iter()
        .position(|e| matches!(e.kind, EventKind::CoordinatorFound { coordinator, .. } if coordinator == new))
        .unwrap();
    let commit = after[found_at..]
        .iter()
        .find(|e| {
            matches!(
                e.kind,
                EventKind::Message {
                    kind: MsgKind::OffsetCommit,
                    ..
                }
            )
        })
        .unwrap();
    assert!(
        matches!(commit.kind, EventKind::Message { to: Node::Broker(b), .. } if b == new),
        "{commit:?}"
    );
    assert_eq!(s.processed().len(), 2, "each record processed once");
}

// ---- the initial rebalance ------------------------------------------------------------

/// (start, completion) of each join phase: RebalanceStarted, then the group
/// entering CompletingRebalance.
fn join_phases(s: &Sim) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut start = None;
    for e in &s.log {
        match e.kind {
            EventKind::RebalanceStarted { .. } => start = Some(e.time_ms),
            EventKind::GroupStateChanged {
                state: GroupState::CompletingRebalance,
                ..
            } => out.push((start.take().expect("a started rebalance"), e.time_ms)),
            _ => {}
        }
    }
    out
}

/// `GroupMetadataManager.tryCompleteInitialRebalanceElseSchedule`: the first
/// timer fires after `group.initial.rebalance.delay.ms` (3000); the other
/// two consumers joined meanwhile, so it is re-armed for min(3000,
/// remaining) and the join completes after 6 s, in one generation. A
/// consumer that joins during the extension extends it once more; a lone
/// consumer waits 3 s.
#[test]
fn the_initial_rebalance_delay_is_extended_while_new_members_join_so_three_consumers_starting_together_wait_6_s(
) {
    let delay = ScenarioConfig::default()
        .cluster
        .group_initial_rebalance_delay_ms as u64;
    assert_eq!(delay, 3_000);

    // No warm start: the first rebalance is part of the run.
    let cold = |partitions, consumers| {
        let mut c = group(partitions, consumers);
        c.warm_start = false;
        Sim::new(c)
    };
    // The engine's defaults (Kafka's): 3 partitions, max.poll.interval.ms
    // 300000 as the rebalance timeout.
    let mut cfg = ScenarioConfig::default();
    cfg.groups[0].consumers = 3;
    cfg.warm_start = false;
    let mut s = Sim::new(cfg);
    s.until("each consumer has its partition", |s| {
        (0..3).all(|c| s.assignment(c).len() == 1)
    });
    let joins = s.events(|k| matches!(k, EventKind::MemberJoined { .. }));
    assert_eq!(joins.len(), 3);
    assert!(
        joins.iter().all(|j| j.time_ms == joins[0].time_ms),
        "together"
    );
    let phases = join_phases(&s);
    assert_eq!(phases.len(), 1, "one rebalance for three consumers");
    assert_eq!(phases[0].0, joins[0].time_ms);
    assert_eq!(phases[0].1 - phases[0].0, 2 * delay);
    assert_eq!(s.generation(), GenerationId(1));

    // A fourth consumer arriving 4 s in (during the extension) extends it
    // once more: 9 s.
    let mut cfg = group(4, 3);
    cfg.warm_start = false;
    cfg.script = vec![at(4_000, Command::AddConsumer { group: GroupIdx(0) })];
    let mut s = Sim::new(cfg);
    s.until("four members", |s| s.e.groups()[0].members.len() == 4);
    let t0 = s.events(|k| matches!(k, EventKind::RebalanceStarted { .. }))[0].time_ms;
    let fourth = s.events(|k| matches!(k, EventKind::MemberJoined { .. }))[3].time_ms;
    assert!(
        fourth > t0 + delay && fourth < t0 + 2 * delay,
        "{t0} {fourth}"
    );
    s.until("stable", |s| s.e.groups()[0].state == GroupState::Stable);
    let phases = join_phases(&s);
    assert_eq!(phases.len(), 1);
    assert_eq!(phases[0].1 - phases[0].0, 3 * delay);
    assert_eq!(s.e.groups()[0].members.len(), 4);

    // Alone: nobody new when the timer fires.
    let mut s = cold(1, 1);
    s.until("stable", |s| s.e.groups()[0].state == GroupState::Stable);
    let phases = join_phases(&s);
    assert_eq!(phases.len(), 1);
    assert_eq!(phases[0].1 - phases[0].0, delay);
}

// ---- exactly-once offsets --------------------------------------------------------------

/// KIP-447: the Java consumer's OffsetFetch always sets `require_stable`
/// (`ConsumerCoordinator.sendOffsetFetchRequest`), and the group
/// coordinator answers `UNSTABLE_OFFSET_COMMIT` for a partition whose
/// offset is pending in an unfinished transaction
/// (`hasPendingOffsetCommitsForTopicPartition`); the consumer retries after
/// `retry.backoff.ms`, exponentially with ±20 % jitter. Consumer A commits
/// its offsets of events-0 and events-1 in a transaction while B joins; the
/// transaction coordinator is slow, so the rebalance completes after the
/// COMMIT marker reached `__consumer_offsets` but before it was replicated
/// (`onTransactionCompleted`). Both owners wait, then start at the offsets
/// A's transaction committed: nothing is processed twice.
#[test]
fn an_offset_fetch_during_an_exactly_once_commit_gets_unstable_offset_commit_and_retries_so_the_new_owner_does_not_reprocess(
) {
    use kafkascope::engine::config::{IsolationLevel, TopicConfig};
    let mut cfg = ScenarioConfig::default();
    cfg.cluster.brokers = 3;
    cfg.topics = vec![
        TopicConfig {
            name: "events".into(),
            partitions: 2,
            ..TopicConfig::default()
        },
        TopicConfig {
            name: "events-processed".into(),
            partitions: 1,
            ..TopicConfig::default()
        },
    ];
    cfg.producers[0].workload.records = 4;
    cfg.producers[0].workload.interval_ms = 0;
    cfg.producers[0].workload.keys = KeyMode::EventId;
    let g = &mut cfg.groups[0];
    g.commit_mode = CommitMode::Transactional;
    g.isolation_level = IsolationLevel::ReadCommitted;
    g.output_topic = Some("events-processed".into());
    g.auto_offset_reset = AutoOffsetReset::Earliest;
    g.processing_time_ms = 100;
    g.heartbeat_interval_ms = 100;
    g.session_timeout_ms = 6_000;
    let probe = Sim::new(cfg.clone());
    let group_coordinator = probe.e.leader_of(probe.e.groups()[0].offsets_tp).unwrap();
    let txn_coordinator = probe
        .e
        .leader_of(probe.e.txn_partition("my-consumer-group-A").unwrap())
        .unwrap();
    assert_ne!(group_coordinator, txn_coordinator);
    // A has processed all four records and is about to commit: B joins, and
    // the transaction coordinator's links slow down.
    cfg.script = vec![
        ScriptEntry {
            trigger: Trigger::AfterProcessed { count: 4 },
            command: Command::AddConsumer { group: GroupIdx(0) },
        },
        ScriptEntry {
            trigger: Trigger::AfterProcessed { count: 4 },
            command: Command::SlowBroker {
                broker: txn_coordinator,
                extra_ms: 300,
            },
        },
    ];
    let mut s = Sim::new(cfg);
    s.drain();

    let fetch_answers = |c: ConsumerIdx| -> Vec<(u64, Option<ErrorCode>)> {
        s.log
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::Message {
                    to: Node::Consumer(to),
                    kind: MsgKind::OffsetFetchResponse,
                    arrive_ms,
                    error,
                    ..
                } if to == c => Some((arrive_ms, error)),
                _ => None,
            })
            .collect()
    };
    let settled = s
        .events(|k| {
            matches!(
                k,
                EventKind::Committed {
                    transactional: true,
                    ..
                }
            )
        })
        .iter()
        .map(|e| e.time_ms)
        .max()
        .expect("A's transaction committed its offsets");
    for c in [A, B] {
        let answers = fetch_answers(c);
        let (unstable, stable): (Vec<&(u64, Option<ErrorCode>)>, Vec<_>) = answers
            .iter()
            .partition(|a| a.1 == Some(ErrorCode::UnstableOffsetCommit));
        assert!(!unstable.is_empty(), "consumer {c:?}: {answers:?}");
        assert!(
            unstable.iter().all(|a| a.0 <= settled),
            "unstable only while the transaction's offsets are pending"
        );
        assert_eq!(stable.len(), 1, "consumer {c:?}: {answers:?}");
        assert!(stable[0].0 > settled && stable[0].1.is_none());
        // The retries back off: 100 ms, 200 ms, 400 ms … each ±20 %.
        let sends: Vec<u64> = s
            .log
            .iter()
            .filter(|e| {
                matches!(e.kind, EventKind::Message { from: Node::Consumer(f), kind: MsgKind::OffsetFetch, .. } if f == c)
            })
            .map(|e| e.time_ms)
            .collect();
        assert_eq!(sends.len(), answers.len());
        for (i, w) in sends.windows(2).enumerate() {
            let wait = w[1] - answers[i].0;
            let base = (100u64 << i).min(1_000);
            assert!(
                wait >= base * 8 / 10 && wait <= (base * 12 / 10).min(1_000),
                "retry {i} of {c:?} after {wait} ms"
            );
        }
    }
    // Each owner starts where A's transaction left its partition.
    for (c, p) in [(A, 0), (B, 1)] {
        let reset = s
            .log
            .iter()
            .rev()
            .find_map(|e| match e.kind {
                EventKind::PositionReset {
                    consumer,
                    tp,
                    position,
                    committed,
                    ..
                } if consumer == c => Some((tp.partition.0, position, committed)),
                _ => None,
            })
            .unwrap();
        assert_eq!(reset, (p, Offset(2), Some(Offset(2))), "consumer {c:?}");
    }
    assert_eq!(s.processed().len(), 4);
    assert!(
        s.processed().iter().all(|p| p.2 == 1),
        "nothing processed twice: {:?}",
        s.processed()
    );
}

// ---- offset-commit validation ------------------------------------------------------------

/// A: two consumers, C joins; once the rebalance started, A polls a record
/// that takes it `processing_ms`; the coordinator drops A at the rebalance
/// timeout and completes the join without it. Returns the run and the
/// arrival of A's commit, if it arrived while the group was in
/// CompletingRebalance (strictly inside, so the order within a
/// millisecond does not matter).
fn late_commit_run(processing_ms: Option<u32>) -> (Sim, u64, Option<u64>) {
    let mut cfg = group(2, 2);
    cfg.groups[0].max_poll_interval_ms = 20_000;
    cfg.groups[0].session_timeout_ms = 30_000;
    cfg.groups[0].heartbeat_interval_ms = 9_000;
    let mut s = Sim::new(cfg);
    assert_eq!(s.assignment(0), vec![0]);
    s.apply(Command::AddConsumer { group: GroupIdx(0) });
    s.until("the rebalance started", |s| {
        s.has(|k| matches!(k, EventKind::RebalanceStarted { .. }))
    });
    let started = s.e.now_ms();
    s.apply(Command::SetProcessingTime {
        consumer: A,
        processing_time_ms: processing_ms.unwrap_or(25_000),
    });
    s.apply(send_to(0));
    s.drain();
    let polled =
        s.events(|k| matches!(k, EventKind::Polled { consumer, .. } if *consumer == A))[0].time_ms;
    assert!(polled > started, "A polls after the rebalance started");
    let completing: Vec<(u64, u64)> = {
        let mut out = Vec::new();
        let mut from = None;
        for e in &s.log {
            if let EventKind::GroupStateChanged { state, .. } = e.kind {
                match state {
                    GroupState::CompletingRebalance => from = Some(e.time_ms),
                    _ => {
                        if let Some(f) = from.take() {
                            out.push((f, e.time_ms));
                        }
                    }
                }
            }
        }
        out
    };
    let arrival = s.log.iter().find_map(|e| match e.kind {
        EventKind::Message {
            from: Node::Consumer(c),
            kind: MsgKind::OffsetCommit,
            arrive_ms,
            ..
        } if c == A && e.time_ms > polled => Some(arrive_ms),
        _ => None,
    });
    let inside = arrival.filter(|t| completing.iter().any(|(a, b)| a < t && t < b));
    (s, polled, inside)
}

/// `ClassicGroup.validateOffsetCommit` checks the member and its generation
/// before the group state: a commit from a member the coordinator dropped
/// at the rebalance timeout, arriving while the group completes the
/// rebalance without it, is refused with UNKNOWN_MEMBER_ID (a stale member
/// still in the group gets ILLEGAL_GENERATION; see the unit tests in
/// group_coordinator.rs), not REBALANCE_IN_PROGRESS, which only a current
/// member committing between JoinGroup and SyncGroup gets.
#[test]
fn a_dropped_member_committing_while_the_group_completes_its_rebalance_gets_unknown_member_id_not_rebalance_in_progress(
) {
    // Aim A's commit at the rebalance timeout: the join completes then.
    let (probe, polled, _) = late_commit_run(None);
    let started = probe.events(|k| matches!(k, EventKind::RebalanceStarted { .. }))[0].time_ms;
    let deadline = started + 20_000;
    let aim = (deadline - polled) as u32;
    let hit = (aim.saturating_sub(4)..aim + 4)
        .find_map(|p| {
            let (s, _, inside) = late_commit_run(Some(p));
            inside.map(|_| s)
        })
        .expect("a run whose late commit lands while the group is CompletingRebalance");
    assert!(hit.has(|k| matches!(k,
        EventKind::MemberRemoved { consumer, reason: LeaveReason::RebalanceTimeout, .. } if *consumer == A)));
    let answer = hit.log.iter().find_map(|e| match e.kind {
        EventKind::Message {
            to: Node::Consumer(c),
            kind: MsgKind::OffsetCommitResponse,
            error,
            ..
        } if c == A => error,
        _ => None,
    });
    assert_eq!(answer, Some(ErrorCode::UnknownMemberId));
    assert!(hit.has(|k| matches!(k,
        EventKind::CommitFailed { consumer, error: ErrorCode::UnknownMemberId, .. } if *consumer == A)));
}
