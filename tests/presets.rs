//! Every preset demonstrates what it claims, judged by the delivery ledger
//! and the event trace.

use kafkascope::engine::event::{ErrorCode, EventKind, LeaveReason};
use kafkascope::engine::ids::*;
use kafkascope::engine::{Engine, Event, StepOutcome};
use kafkascope::narration::narrate;
use kafkascope::presets::{self, Expect};

fn run(cfg: kafkascope::engine::ScenarioConfig) -> (Engine, Vec<Event>, Vec<String>) {
    let mut e = Engine::new(cfg).expect("preset config is valid");
    let mut events = Vec::new();
    let mut story = Vec::new();
    for _ in 0..20_000 {
        let out = e.step();
        for ev in e.take_events() {
            if ev.kind.is_headline() {
                story.push(format!("t={} {}", ev.time_ms, narrate(&e, &ev).plain()));
            }
            events.push(ev);
        }
        e.check_invariants()
            .unwrap_or_else(|err| panic!("invariant: {err}\n{}", story.join("\n")));
        if out == StepOutcome::Idle {
            break;
        }
    }
    (e, events, story)
}

#[test]
fn every_preset_demonstrates_its_outcome() {
    for p in presets::all() {
        let (e, events, story) = run(p.config.clone());
        let s = e.delivery_summary(GroupIdx(0));
        let ctx = || format!("preset {}: summary {s:?}\n{}", p.id, story.join("\n"));
        match p.expect {
            Expect::AllProcessedOnce => {
                assert!(s.produced > 0 || p.id == "nine-stages", "{}", ctx());
                assert_eq!(s.processed_once, s.produced, "{}", ctx());
            }
            Expect::AckedRecordLost => {
                assert!(s.acked_then_lost >= 1, "{}", ctx());
                assert!(s.lost >= 1, "{}", ctx());
                assert!(events.iter().any(|ev| matches!(&ev.kind, EventKind::Truncated { removed, .. } if !removed.is_empty())), "{}", ctx());
            }
            Expect::NotEnoughReplicasThenDelivered => {
                assert!(
                    events.iter().any(|ev| matches!(
                        ev.kind,
                        EventKind::ProduceFailed {
                            error: ErrorCode::NotEnoughReplicas,
                            ..
                        }
                    )),
                    "{}",
                    ctx()
                );
                assert_eq!(s.processed_once, s.produced, "{}", ctx());
                assert!(s.produced >= 1);
            }
            Expect::OutageEpochBump => {
                let expired: usize = events
                    .iter()
                    .filter_map(|ev| match &ev.kind {
                        EventKind::ProduceFailed {
                            error: ErrorCode::DeliveryTimeout,
                            retry_in_ms: None,
                            records,
                            ..
                        } => Some(records.len()),
                        _ => None,
                    })
                    .sum();
                assert_eq!(expired, 2, "{}", ctx());
                assert!(
                    events.iter().any(|ev| matches!(
                        ev.kind,
                        EventKind::ProducerIdAssigned {
                            epoch: ProducerEpoch(1),
                            ..
                        }
                    )),
                    "the producer bumps its epoch: {}",
                    ctx()
                );
                assert!(
                    !events.iter().any(|ev| matches!(
                        ev.kind,
                        EventKind::ProduceFailed {
                            error: ErrorCode::OutOfOrderSequenceNumber,
                            ..
                        }
                    )),
                    "{}",
                    ctx()
                );
                assert_eq!(s.lost, 2, "only the expired records are lost: {}", ctx());
                assert_eq!(s.processed_once, s.produced - 2, "{}", ctx());
                assert_eq!(s.produced, 5, "{}", ctx());
            }
            Expect::DuplicateFromRetry => {
                assert_eq!(s.duplicate_writes, 1, "{}", ctx());
                assert_eq!(s.duplicated, 1, "{}", ctx());
            }
            Expect::DuplicateDropped => {
                assert!(
                    events
                        .iter()
                        .any(|ev| matches!(ev.kind, EventKind::DuplicateDropped { .. })),
                    "{}",
                    ctx()
                );
                assert_eq!(s.duplicate_writes, 0, "{}", ctx());
                assert_eq!(s.processed_once, 1, "{}", ctx());
            }
            Expect::ConsumersShareAllPartitions | Expect::SomeConsumerIdle => {
                assert_eq!(s.processed_once, s.produced, "{}", ctx());
                let owners: Vec<usize> = e.consumers().iter().map(|c| c.assignment.len()).collect();
                let partitions = e.topics()[0].partitions.len();
                assert_eq!(
                    owners.iter().sum::<usize>(),
                    partitions,
                    "every partition has exactly one owner: {owners:?}"
                );
                if p.expect == Expect::SomeConsumerIdle {
                    assert!(owners.contains(&0), "someone is idle: {owners:?}");
                } else {
                    assert!(
                        owners.iter().all(|n| *n >= 1) && owners.iter().any(|n| *n > 1),
                        "{owners:?}"
                    );
                }
            }
            Expect::GroupsIndependent => {
                for g in 0..e.groups().len() {
                    let sg = e.delivery_summary(GroupIdx(g as u16));
                    assert_eq!(
                        sg.processed_once,
                        sg.produced,
                        "group {g}: {sg:?}\n{}",
                        ctx()
                    );
                }
                assert_ne!(
                    e.groups()[0].offsets_tp,
                    e.groups()[1].offsets_tp,
                    "different coordinator partitions"
                );
            }
            Expect::RollingUpgrade => {
                assert_eq!(s.lost, 0, "{}", ctx());
                let converted: Vec<bool> = events
                    .iter()
                    .filter_map(|ev| match ev.kind {
                        EventKind::GroupConverted {
                            to_consumer_protocol,
                            ..
                        } => Some(to_consumer_protocol),
                        _ => None,
                    })
                    .collect();
                assert_eq!(converted, vec![true], "one upgrade\n{}", ctx());
                let cg = e.groups()[0].modern.as_ref().expect("a consumer group");
                assert_eq!(cg.members.len(), 3, "{}", ctx());
                assert!(cg.members.iter().all(|m| m.classic.is_none()), "{}", ctx());
                let owned: usize = e.consumers().iter().map(|c| c.assignment.len()).sum();
                assert_eq!(owned, 6, "{}", ctx());
            }
            Expect::JoinRebalances => {
                assert_eq!(s.processed_once, s.produced, "{}", ctx());
                let c = &e.consumers()[2];
                assert!(
                    !c.assignment.is_empty(),
                    "C owns partitions after the rebalance\n{}",
                    ctx()
                );
                let owned: usize = e.consumers().iter().map(|c| c.assignment.len()).sum();
                assert_eq!(owned, 4);
                let eager_revokes = events
                    .iter()
                    .filter(|ev| matches!(ev.kind, EventKind::Revoked { eager: true, .. }))
                    .count();
                let coop_revokes = events
                    .iter()
                    .filter(|ev| matches!(ev.kind, EventKind::Revoked { eager: false, .. }))
                    .count();
                let eager = kafkascope::engine::assignor::client_protocol(
                    &p.config.groups[0].partition_assignment_strategy,
                ) == Some(kafkascope::engine::assignor::RebalanceProtocol::Eager);
                let modern = p.config.groups[0].group_protocol
                    == kafkascope::engine::config::GroupProtocol::Consumer;
                if modern {
                    // KIP-848's uniform assignor: each of A and B gives one up.
                    assert_eq!(
                        (eager_revokes, coop_revokes),
                        (0, 2),
                        "A and B each revoke only a moving partition\n{}",
                        ctx()
                    );
                } else if eager {
                    assert_eq!(eager_revokes, 2, "A and B revoke everything\n{}", ctx());
                } else {
                    assert_eq!(
                        (eager_revokes, coop_revokes),
                        (0, 1),
                        "only the moving partition is revoked\n{}",
                        ctx()
                    );
                }
            }
            Expect::SessionTimeoutMovesPartitions => {
                assert!(
                    events.iter().any(|ev| matches!(
                        ev.kind,
                        EventKind::MemberRemoved {
                            reason: LeaveReason::SessionTimeout,
                            ..
                        }
                    )),
                    "{}",
                    ctx()
                );
                assert_eq!(
                    e.consumers()[0].assignment.len(),
                    4,
                    "A took every partition\n{}",
                    ctx()
                );
                assert_eq!(s.lost, 0, "{}", ctx());
                assert_eq!(s.in_flight, 0, "{}", ctx());
            }
            Expect::PollTimeoutDuplicates => {
                assert!(
                    events
                        .iter()
                        .any(|ev| matches!(ev.kind, EventKind::PollTimeoutExpired { .. })),
                    "{}",
                    ctx()
                );
                assert!(
                    events
                        .iter()
                        .any(|ev| matches!(ev.kind, EventKind::CommitFailed { .. })),
                    "{}",
                    ctx()
                );
                assert!(s.duplicated >= 1, "{}", ctx());
                assert_eq!(s.lost, 0, "{}", ctx());
            }
            Expect::Semantics { lost, duplicated } => {
                assert_eq!(s.lost >= 1, lost, "lost: {}", ctx());
                assert_eq!(s.duplicated >= 1, duplicated, "duplicated: {}", ctx());
                assert_eq!(s.in_flight, 0, "{}", ctx());
                if !lost && !duplicated {
                    assert_eq!(s.processed_once, s.produced, "{}", ctx());
                }
            }
            Expect::AbortedInvisibleToReadCommitted => {
                let rc = e.delivery_summary(GroupIdx(0));
                let ru = e.delivery_summary(GroupIdx(1));
                assert_eq!(
                    (rc.processed_once, rc.aborted, rc.lost),
                    (2, 3, 0),
                    "read_committed: {rc:?}\n{}",
                    ctx()
                );
                assert_eq!(
                    ru.processed_once,
                    5,
                    "read_uncommitted sees the aborted records too: {ru:?}\n{}",
                    ctx()
                );
                assert!(events.iter().any(|ev| matches!(
                    ev.kind,
                    EventKind::MarkerWritten {
                        control: kafkascope::engine::log::ControlType::Abort,
                        ..
                    }
                )));
            }
            Expect::ProducerBreaksConsumerPromise => {
                let least = e.delivery_summary(GroupIdx(0));
                let most = e.delivery_summary(GroupIdx(1));
                assert!(
                    least.lost == 1 && least.duplicated == 0 && least.acked_then_lost == 1,
                    "the at-least-once group loses the acknowledged record: {least:?}\n{}",
                    ctx()
                );
                assert!(
                    most.duplicated == 1 && most.lost == 0 && most.duplicate_writes == 1,
                    "the at-most-once group processes the retry's copy: {most:?}\n{}",
                    ctx()
                );
                assert_eq!(
                    most.processed_once, 1,
                    "the idempotent producer's record once: {most:?}"
                );
                assert!(
                    events
                        .iter()
                        .any(|ev| matches!(ev.kind, EventKind::DuplicateDropped { .. })),
                    "the broker drops the idempotent producer's retry: {}",
                    ctx()
                );
            }
            Expect::HangingTransactionHoldsLso => {
                let abort_ms = events
                    .iter()
                    .find(|ev| {
                        matches!(
                            ev.kind,
                            EventKind::MarkerWritten {
                                control: kafkascope::engine::log::ControlType::Abort,
                                ..
                            }
                        )
                    })
                    .map(|ev| ev.time_ms)
                    .unwrap_or_else(|| {
                        panic!(
                            "transaction.timeout.ms aborts the hanging transaction: {}",
                            ctx()
                        )
                    });
                let processed_before = |g: u16| {
                    events
                        .iter()
                        .filter(|ev| ev.time_ms < abort_ms && matches!(ev.kind, EventKind::Processed { group, .. } if group.0 == g))
                        .count()
                };
                assert_eq!(
                    processed_before(0),
                    0,
                    "read_committed waits at the LSO: {}",
                    ctx()
                );
                assert!(
                    processed_before(1) >= 3,
                    "read_uncommitted reads past it: {}",
                    ctx()
                );
                let fenced_ms = events
                    .iter()
                    .find(|ev| matches!(ev.kind, EventKind::ProducerFenced { producer, .. } if producer.0 == 0))
                    .map(|ev| ev.time_ms)
                    .unwrap_or_else(|| panic!("the late commit is fenced: {}", ctx()));
                assert!(fenced_ms > abort_ms, "{}", ctx());
                let rc = e.delivery_summary(GroupIdx(0));
                let ru = e.delivery_summary(GroupIdx(1));
                assert_eq!(
                    (rc.processed_once, rc.aborted, rc.lost),
                    (15, 2, 0),
                    "read_committed: {rc:?}\n{}",
                    ctx()
                );
                assert_eq!(ru.processed_once, 17, "read_uncommitted: {ru:?}\n{}", ctx());
            }
            Expect::ZombieFenced => {
                assert!(events.iter().any(|ev| matches!(ev.kind, EventKind::ProducerFenced { producer, .. } if producer.0 == 0)), "{}", ctx());
                assert!(
                    events.iter().any(|ev| matches!(
                        ev.kind,
                        EventKind::TxnStateChanged {
                            state: kafkascope::engine::event::TxnState::PrepareEpochFence,
                            ..
                        }
                    )),
                    "{}",
                    ctx()
                );
                assert_eq!(s.aborted, 2, "the zombie's records are aborted: {}", ctx());
                assert_eq!(
                    s.processed_once,
                    2,
                    "the new instance's records are read once: {}",
                    ctx()
                );
            }
            Expect::TwoTopicTransaction => {
                assert_eq!((s.processed_once, s.aborted), (2, 2), "{}", ctx());
                let markers: Vec<_> = events
                    .iter()
                    .filter_map(|ev| match &ev.kind {
                        EventKind::MarkerWritten { tp, control, .. }
                            if !e.topic(tp.topic).internal =>
                        {
                            Some((tp.topic, *control))
                        }
                        _ => None,
                    })
                    .collect();
                assert_eq!(
                    markers.len(),
                    4,
                    "a marker in topic1 and topic2, twice: {markers:?}"
                );
            }
            Expect::PreferredLeaderReturns => {
                let tp = Tp::new(TopicId(0), 0);
                let preferred = e.partition_meta(tp).replicas[0];
                let moves: Vec<_> = events
                    .iter()
                    .filter_map(|ev| match ev.kind {
                        EventKind::LeaderElected {
                            tp: t,
                            leader,
                            preferred,
                            ..
                        } if t == tp => Some((leader, preferred)),
                        _ => None,
                    })
                    .collect();
                assert_eq!(
                    moves.last(),
                    Some(&(Some(preferred), true)),
                    "{moves:?}\n{}",
                    ctx()
                );
                assert!(moves.len() >= 2, "a failover first: {moves:?}");
                assert_eq!(e.leader_of(tp), Some(preferred), "{}", ctx());
                assert_eq!(s.processed_once, s.produced, "{}", ctx());
            }
            Expect::MetadataRefreshFailover => {
                use kafkascope::engine::event::{MsgKind, Node};
                let tp = Tp::new(TopicId(0), 0);
                let preferred = e.partition_meta(tp).replicas[0];
                // The producer's story after the leadership returns: a
                // NOT_LEADER_OR_FOLLOWER, its own Metadata request, a cache
                // update naming the preferred replica, then a send there.
                let refused = events
                    .iter()
                    .position(|ev| {
                        matches!(
                            ev.kind,
                            EventKind::ProduceFailed {
                                error: ErrorCode::NotLeaderOrFollower,
                                ..
                            }
                        )
                    })
                    .unwrap_or_else(|| panic!("no NOT_LEADER_OR_FOLLOWER\n{}", ctx()));
                let after = &events[refused..];
                let asked = after
                    .iter()
                    .position(|ev| {
                        matches!(
                            ev.kind,
                            EventKind::Message {
                                kind: MsgKind::Metadata,
                                from: Node::Producer(_),
                                ..
                            }
                        )
                    })
                    .unwrap_or_else(|| panic!("no Metadata request after it\n{}", ctx()));
                let learned = after[asked..]
                    .iter()
                    .position(|ev| {
                        matches!(&ev.kind, EventKind::MetadataUpdated { client: Node::Producer(_), moved, .. }
                            if moved.iter().any(|m| m.0 == tp && m.2 == Some(preferred)))
                    })
                    .unwrap_or_else(|| panic!("the producer never learned the move\n{}", ctx()));
                assert!(
                    after[asked + learned..]
                        .iter()
                        .any(|ev| matches!(ev.kind, EventKind::Sent { broker, .. } if broker == preferred)),
                    "no resend to the preferred leader\n{}",
                    ctx()
                );
                // The consumer learns the moves the same way.
                assert!(
                    events.iter().any(|ev| matches!(
                        ev.kind,
                        EventKind::MetadataUpdated {
                            client: Node::Consumer(_),
                            ..
                        }
                    )),
                    "{}",
                    ctx()
                );
                assert_eq!(s.processed_once, s.produced, "{}", ctx());
            }
            Expect::LatencyOrderedByAcks => {
                let avg: Vec<f64> = e
                    .producers()
                    .iter()
                    .map(|pr| pr.total_ack_latency_ms as f64 / pr.acked_records.max(1) as f64)
                    .collect();
                assert!(
                    avg[0] < avg[1] && avg[1] < avg[2],
                    "latencies {avg:?}\n{}",
                    ctx()
                );
                assert_eq!(s.processed_once, s.produced, "{}", ctx());
            }
        }
    }
}

#[test]
fn side_by_side_lanes_differ_only_in_what_they_compare() {
    for p in presets::all().into_iter().filter(|p| !p.lanes.is_empty()) {
        assert_eq!(
            p.lanes[0].1, p.config,
            "{}: lane 0 is the preset's own scenario",
            p.id
        );
        for (label, cfg) in &p.lanes {
            assert_eq!(cfg.validate(), vec![], "{} / {label}", p.id);
            assert_eq!(cfg.seed, p.config.seed, "same seed in every lane");
            assert_eq!(
                cfg.script, p.config.script,
                "same fault schedule in every lane"
            );
            assert_eq!(
                cfg.producers, p.config.producers,
                "same records in every lane"
            );
            let (e, _, story) = run(cfg.clone());
            let s = e.delivery_summary(GroupIdx(0));
            let ctx = || format!("{} / {label}: {s:?}\n{}", p.id, story.join("\n"));
            assert_eq!(s.in_flight, 0, "{}", ctx());
            if label.contains("at-most") {
                assert!(s.lost >= 1 && s.duplicated == 0, "{}", ctx());
            } else if label.contains("at-least") {
                assert!(s.lost == 0 && s.duplicated >= 1, "{}", ctx());
            } else {
                assert_eq!(s.processed_once, s.produced, "{}", ctx());
            }
        }
    }
}

#[test]
fn preset_ids_are_unique_and_configs_valid() {
    let all = presets::all();
    for (i, p) in all.iter().enumerate() {
        assert!(
            all[..i].iter().all(|q| q.id != p.id),
            "duplicate id {}",
            p.id
        );
        assert_eq!(p.config.validate(), vec![], "{}", p.id);
        assert!(presets::by_id(p.id).is_some());
    }
}

/// The web build reads presets from `src/presets/table.rs` (v1 link strings);
/// they must decode to exactly what `src/presets/build.rs` builds. Run with
/// `UPDATE_PRESET_TABLE=1` after changing a preset to regenerate the table.
#[test]
fn the_preset_table_decodes_to_exactly_the_built_presets() {
    use kafkascope::presets::build;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/presets/table.rs");
    let source = build::table_source();
    let summaries_path = concat!(env!("CARGO_MANIFEST_DIR"), "/static/presets.txt");
    let summaries = build::summaries_source();
    if std::env::var("UPDATE_PRESET_TABLE").is_ok_and(|v| v == "1") {
        std::fs::write(path, &source).expect("write src/presets/table.rs");
        std::fs::write(summaries_path, &summaries).expect("write static/presets.txt");
    }
    let summaries_on_disk =
        std::fs::read_to_string(summaries_path).expect("read static/presets.txt");
    assert!(
        summaries_on_disk == summaries,
        "static/presets.txt is out of date with src/presets/build.rs: run UPDATE_PRESET_TABLE=1 cargo test --test presets"
    );
    for p in build::built() {
        assert_eq!(
            presets::summary_in(&summaries_on_disk, p.id),
            Some(p.summary),
            "the page reads preset {}'s summary from static/presets.txt",
            p.id
        );
        // Its title too: the page's table leaves titles out as well.
        assert_eq!(
            presets::summary_in(&summaries_on_disk, &format!("{}#t", p.id)),
            Some(p.title),
            "the page reads preset {}'s title from static/presets.txt",
            p.id
        );
    }
    assert_eq!(
        presets::summary_in(&summaries_on_disk, "no-such-preset"),
        None
    );
    // The page's build leaves the notes out of its table too: a script
    // says `¶id#N` for the table's note N, which the page reads from
    // presets.txt. Each reference must give back the note it stands for.
    presets::set_text(summaries_on_disk.as_str().into());
    for p in build::built() {
        let notes = build::notes_of(&p);
        for (i, note) in notes.iter().enumerate() {
            let reference = format!("{}{}#{i}", presets::NOTE_REF, p.id);
            assert_eq!(
                presets::note_text(&reference),
                *note,
                "the page reads note {i} of preset {} from static/presets.txt",
                p.id
            );
        }
        let past = format!("{}{}#{}", presets::NOTE_REF, p.id, notes.len());
        assert!(
            presets::note_text(&past).contains("could not be loaded"),
            "{} has no note {}",
            p.id,
            notes.len()
        );
    }
    assert_eq!(presets::note_text("a note of its own"), "a note of its own");
    // The page's table leaves the scenarios out as well: each preset read
    // from presets.txt alone is the preset the table gives (its notes then
    // stand as references the page resolves from the same file).
    for p in presets::all() {
        let from_text = presets::by_id_in(&summaries_on_disk, p.id)
            .unwrap_or_else(|| panic!("preset {} cannot be read from static/presets.txt", p.id));
        let resolve = |mut c: kafkascope::engine::config::ScenarioConfig| {
            for e in c.script.iter_mut() {
                if let kafkascope::engine::command::Command::Note { text } = &mut e.command {
                    *text = presets::note_text(text);
                }
            }
            c
        };
        assert_eq!(
            resolve(from_text.config),
            p.config,
            "preset {}: its scenario in static/presets.txt",
            p.id
        );
        assert_eq!(
            from_text.lanes.len(),
            p.lanes.len(),
            "preset {}: its lanes in static/presets.txt",
            p.id
        );
        for ((label, c), (want_label, want)) in from_text.lanes.into_iter().zip(p.lanes) {
            assert_eq!(
                (label, resolve(c)),
                (want_label, want),
                "preset {}: lane {label}",
                p.id
            );
        }
    }
    assert!(
        presets::by_id_in("", "acks1-failover-loss").is_none(),
        "no scenario without the file"
    );
    // Before the file arrives a note is empty; if it never comes, it says so.
    let reference = format!("{}acks1-failover-loss#0", presets::NOTE_REF);
    presets::set_text("".into());
    assert_eq!(presets::note_text(&reference), "");
    presets::set_text("\n".into());
    assert!(presets::note_text(&reference).contains("could not be loaded"));
    let on_disk = std::fs::read_to_string(path).expect("read src/presets/table.rs");
    assert!(
        on_disk == source,
        "src/presets/table.rs is out of date with src/presets/build.rs: run UPDATE_PRESET_TABLE=1 cargo test --test presets"
    );
    let built = build::built();
    let decoded = presets::all();
    assert_eq!(decoded.len(), built.len(), "a table row did not decode");
    for (d, b) in decoded.iter().zip(&built) {
        assert_eq!(
            d, b,
            "preset {} decodes differently from how it is built",
            b.id
        );
    }
    let menu: Vec<&str> = presets::menu().map(|(id, _)| id).collect();
    let ids: Vec<&str> = built.iter().map(|p| p.id).collect();
    assert_eq!(menu, ids);
}

/// What the page does when Play is pressed on a preset and left alone: it
/// stops by itself, and no step hands the picture an unbounded pile of
/// events (`zombie-fenced` once ran 37 simulated hours of background
/// traffic in one step, 630,000 events, and the tab died drawing them).
#[test]
fn playing_any_preset_stops_by_itself_with_bounded_steps() {
    use kafkascope::model::{Model, Msg};
    const MAX_TICKS: u32 = 5_000;
    const MAX_EVENTS_PER_STEP: usize = 2_000;
    for p in presets::all() {
        let mut m = Model::default();
        m.update(Msg::LoadPreset(p.id.to_string()));
        m.update(Msg::Play);
        let mut ticks = 0;
        while m.playing && ticks < MAX_TICKS {
            m.update(Msg::Tick);
            ticks += 1;
            let n = m.events.len() + m.lanes.iter().map(|l| l.events.len()).sum::<usize>();
            assert!(
                n <= MAX_EVENTS_PER_STEP,
                "preset {}: step {} carries {n} events",
                p.id,
                m.step
            );
        }
        assert!(
            !m.playing,
            "preset {}: still playing after {MAX_TICKS} ticks (step {})",
            p.id, m.step
        );
        // A free scenario sends one batch of records per press of Play.
        if m.auto_feed() {
            let data = |m: &Model| {
                m.engine
                    .records()
                    .iter()
                    .filter(|r| r.kind == kafkascope::engine::record::RecordKind::Data)
                    .count() as u32
            };
            let sent = data(&m);
            assert!(
                sent <= kafkascope::model::PLAY_RECORDS,
                "preset {}: one press of Play sent {sent} records",
                p.id
            );
            m.update(Msg::StepForward);
            assert_eq!(
                data(&m),
                sent + 1,
                "preset {}: Step forward after the end sends one more record",
                p.id
            );
        }
    }
}

/// When a step's news is a truncation (acks1-failover-loss: broker 2's log
/// loses the acknowledged order-1), the record in focus is the one it
/// removes: the audit found the Record in focus card still on order-2
/// while the narration told of order-1 vanishing.
#[test]
fn a_truncation_puts_the_record_it_removes_in_focus() {
    let mut m = kafkascope::model::Model::default();
    m.update(kafkascope::model::Msg::LoadPreset(
        "acks1-failover-loss".into(),
    ));
    for _ in 0..400 {
        m.update(kafkascope::model::Msg::StepForward);
        let removed = m.history.back().and_then(|(step, h)| match &h.kind {
            EventKind::Truncated { removed, .. } if *step == m.step => {
                removed.iter().find_map(|r| r.1)
            }
            _ => None,
        });
        if let Some(r) = removed {
            assert_eq!(
                m.focus,
                Some(r),
                "step {}: the focus is not the removed record",
                m.step
            );
            assert_eq!(m.engine.record(r).key_text().as_deref(), Some("order-1"));
            return;
        }
    }
    panic!("acks1-failover-loss never narrated a truncation");
}
