//! Many-seed sweep of the three delivery semantics under random consumer
//! crashes (after poll, after processing, after commit, or at once), checking
//! what each promises, judged by the delivery ledger:
//! - exactly-once: 0 lost and 0 duplicated;
//! - at-least-once: 0 lost;
//! - at-most-once: 0 duplicated;
//! and `log start ≤ LSO ≤ HW ≤ LEO` on every replica after every step;
//! where nothing may be lost, no message is ever shown as lost mid-run.
//! `SWEEP_SEEDS` sets the seed count (CI runs a few thousand; the full
//! 10,000-seed run is `SWEEP_SEEDS=10000 cargo test --release --test
//! semantics_sweep`); a failure prints the seed and `SWEEP_SEED=<n>` replays it.

mod common;
use common::semantics_scenario::semantics_scenario;
use common::sweep::sweep;

use kafkascope::engine::config::Semantics;
use kafkascope::engine::ids::GroupIdx;
use kafkascope::engine::{Engine, StepOutcome};
use std::cell::Cell;

fn check(seed: u64, sem: Semantics) -> Result<kafkascope::engine::ledger::Summary, String> {
    let mut e = Engine::new(semantics_scenario(seed, sem)).map_err(|e| format!("{e:?}"))?;
    for i in 0..400_000u32 {
        let out = e.step();
        e.clear_events();
        e.check_invariants()?;
        // A "lost" verdict is final, so it may never show mid-run where the
        // promise says nothing is lost (records still being processed, or
        // processed inside an open transaction, are in flight).
        if sem != Semantics::AtMostOnce && i % 8 == 0 {
            let s = e.delivery_summary(GroupIdx(0));
            if s.lost > 0 {
                return Err(format!(
                    "{} showed lost mid-run at step {i}: {s:?}",
                    sem.label()
                ));
            }
        }
        if out == StepOutcome::Idle {
            break;
        }
    }
    let s = e.delivery_summary(GroupIdx(0));
    if s.in_flight > 0 {
        return Err(format!("{} did not finish: {s:?}", sem.label()));
    }
    let broken = match sem {
        Semantics::ExactlyOnce => s.lost > 0 || s.duplicated > 0,
        Semantics::AtLeastOnce => s.lost > 0,
        Semantics::AtMostOnce => s.duplicated > 0,
    };
    if broken {
        return Err(format!("{} broke its promise: {s:?}", sem.label()));
    }
    Ok(s)
}

#[test]
fn each_semantics_keeps_its_promise_under_random_crashes() {
    let sems = [
        Semantics::AtMostOnce,
        Semantics::AtLeastOnce,
        Semantics::ExactlyOnce,
    ];
    let (lost, dup) = (Cell::new(0u64), Cell::new(0u64));
    sweep(2000, |seed| {
        for sem in sems {
            let s = check(seed, sem)?;
            match sem {
                Semantics::AtMostOnce => lost.set(lost.get() + s.lost),
                Semantics::AtLeastOnce => dup.set(dup.get() + s.duplicated),
                Semantics::ExactlyOnce => {}
            }
        }
        Ok(())
    });
    // Not vacuous: the crashes really do cost at-most-once records and give
    // at-least-once duplicates (over a sweep; one replayed seed may not).
    if !common::sweep::single_seed() {
        assert!(
            lost.get() > 0 && dup.get() > 0,
            "at-most-once lost {}, at-least-once duplicated {}",
            lost.get(),
            dup.get()
        );
    }
}

/// At-most-once commits before it processes, so the records of the last
/// poll() are passed by the committed offset while consumer A still holds
/// them: they are in flight until A dies, and lost only then (the ledger
/// used to count them lost the moment the offset was committed, so the
/// page said "4 lost" while A was still processing them).
#[test]
fn at_most_once_records_are_lost_when_the_holder_dies_not_when_the_offset_passes_them() {
    use kafkascope::engine::event::EventKind;
    let p = kafkascope::presets::by_id("at-most-once-loses").expect("preset");
    let mut e = Engine::new(p.config).expect("valid");
    let mut passed_but_held = false;
    for _ in 0..20_000 {
        let out = e.step();
        let crashed = e
            .take_events()
            .iter()
            .any(|ev| matches!(ev.kind, EventKind::ConsumerCrashed { .. }));
        let s = e.delivery_summary(GroupIdx(0));
        let everyone_alive = e.consumers().iter().all(|c| c.alive);
        if s.lost > 0 {
            assert!(
                crashed || !everyone_alive,
                "{} records counted lost at {} ms while every consumer is alive",
                s.lost,
                e.now_ms()
            );
            break;
        }
        passed_but_held |= s.in_flight > 0
            && e.consumers()
                .iter()
                .any(|c| c.current.len() > 1 && c.committed.values().any(|o| o.0 > 0));
        if out == StepOutcome::Idle {
            break;
        }
    }
    assert!(
        passed_but_held,
        "A never held polled records past its committed offset"
    );
    assert!(
        e.delivery_summary(GroupIdx(0)).lost > 0,
        "at-most-once lost nothing"
    );
}
