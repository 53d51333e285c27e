//! Many-seed sweep over consumer groups with random joins, clean leaves,
//! crashes (with and without restart), slow processing and both rebalance
//! protocols. Checks after every step that no partition has two owners in
//! one generation and that committed offsets never pass the high watermark;
//! at the end, that at-least-once processing lost nothing. The failing seed
//! is printed; `SWEEP_SEED=<n>` replays it, `SWEEP_SEEDS=<n>` sets the count.

use kafkascope::engine::ids::*;
use kafkascope::engine::{Engine, StepOutcome};
mod common;
use common::sweep::sweep;

use common::group_scenario::*;
use group_scenario as scenario;

fn check(seed: u64) -> Result<(), String> {
    check_config(scenario(seed))
}

/// The same scenarios on Kafka 4's consumer group protocol (KIP-848).
fn check_consumer_protocol(seed: u64) -> Result<(), String> {
    let mut c = scenario(seed);
    c.groups[0].group_protocol = kafkascope::engine::config::GroupProtocol::Consumer;
    check_config(c)
}

/// The same scenarios with a rolling bounce mixed in: consumers restarted
/// with the other `group.protocol` at random times, so the group converts
/// online between classic and consumer group (Kafka 4's migration, both
/// ways) while members join, leave and crash.
fn check_mixed_protocols(seed: u64) -> Result<(), String> {
    check_config(mixed_scenario(seed))
}

fn mixed_scenario(seed: u64) -> kafkascope::engine::ScenarioConfig {
    use kafkascope::engine::command::{Command, ScriptEntry, Trigger};
    use kafkascope::engine::config::GroupProtocol;
    let mut c = scenario(seed);
    let mut r = kafkascope::engine::rng::Pcg32::new(seed, 848);
    let consumers = c.groups[0].consumers as u32;
    for _ in 0..(1 + r.below(4)) {
        c.script.push(ScriptEntry {
            trigger: Trigger::AtMs {
                ms: r.below(30_000) as u64,
            },
            command: Command::RestartConsumerWith {
                consumer: ConsumerIdx(r.below(consumers) as u16),
                group_protocol: if r.chance(1, 2) {
                    GroupProtocol::Consumer
                } else {
                    GroupProtocol::Classic
                },
            },
        });
    }
    c.script.sort_by_key(|s| match s.trigger {
        Trigger::AtMs { ms } => ms,
        _ => 0,
    });
    c
}

fn check_config(cfg: kafkascope::engine::ScenarioConfig) -> Result<(), String> {
    let mut e = Engine::new(cfg).map_err(|e| format!("{e:?}"))?;
    for _ in 0..300_000 {
        let out = e.step();
        e.clear_events();
        e.check_invariants()?;
        if out == StepOutcome::Idle {
            break;
        }
    }
    let s = e.delivery_summary(GroupIdx(0));
    if s.lost > 0 || s.in_flight > 0 {
        return Err(format!("at-least-once left messages unprocessed: {s:?}"));
    }
    Ok(())
}

#[test]
fn no_partition_has_two_owners_in_a_generation_and_nothing_is_lost() {
    sweep(500, check);
}

/// Under the consumer protocol: a partition is never owned by two members at
/// once (at the coordinator, or by two live members), and nothing is lost.
#[test]
fn the_consumer_protocol_never_gives_a_partition_two_owners_and_loses_nothing() {
    sweep(200, check_consumer_protocol);
}

/// Mixed groups: whatever the order of bounces between the protocols, no
/// partition has two owners and nothing is lost.
#[test]
fn a_rolling_bounce_between_protocols_never_gives_a_partition_two_owners_and_loses_nothing() {
    sweep(200, check_mixed_protocols);
}

/// The mixed sweep is not vacuous: groups convert both ways and classic
/// members inside consumer groups are told to rejoin.
#[test]
fn the_mixed_sweep_converts_groups_both_ways() {
    use kafkascope::engine::event::{ErrorCode, MsgKind};
    use kafkascope::engine::EventKind;
    let (mut up, mut down, mut told) = (0, 0, 0);
    for seed in 0..60 {
        let mut e = Engine::new(mixed_scenario(seed)).unwrap();
        for _ in 0..300_000 {
            let out = e.step();
            for ev in e.take_events() {
                match ev.kind {
                    EventKind::GroupConverted {
                        to_consumer_protocol,
                        ..
                    } => {
                        *(if to_consumer_protocol {
                            &mut up
                        } else {
                            &mut down
                        }) += 1
                    }
                    EventKind::Message {
                        kind: MsgKind::HeartbeatResponse,
                        error: Some(ErrorCode::RebalanceInProgress),
                        ..
                    } => told += 1,
                    _ => {}
                }
            }
            if out == StepOutcome::Idle {
                break;
            }
        }
    }
    eprintln!("60 seeds: {up} upgrades, {down} downgrades, {told} REBALANCE_IN_PROGRESS");
    assert!(up > 10 && down > 3 && told > 50, "{up} {down} {told}");
}

/// The sweep is not vacuous: across seeds, rebalances happen, members crash
/// and are expired, and records get processed more than once.
#[test]
fn the_sweep_exercises_rebalances_crashes_and_duplicates() {
    let (mut rebalances, mut expired, mut duplicated, mut processed) = (0u64, 0u64, 0u64, 0u64);
    for seed in 0..100 {
        let mut e = Engine::new(scenario(seed)).unwrap();
        for _ in 0..300_000 {
            let out = e.step();
            for ev in e.take_events() {
                if let kafkascope::engine::EventKind::MemberRemoved {
                    reason: kafkascope::engine::event::LeaveReason::SessionTimeout,
                    ..
                } = ev.kind
                {
                    expired += 1;
                }
            }
            if out == StepOutcome::Idle {
                break;
            }
        }
        rebalances += e.groups()[0].rebalances as u64;
        let s = e.delivery_summary(GroupIdx(0));
        duplicated += s.duplicated;
        processed += s.processed_once + s.duplicated;
    }
    assert!(rebalances > 100, "rebalances {rebalances}");
    assert!(expired > 5, "session expiries {expired}");
    assert!(duplicated > 0, "duplicates {duplicated}");
    assert!(processed > 2_000, "processed {processed}");
}
