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
