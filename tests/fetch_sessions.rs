//! A leader defers the fetch records of its followers' quiet partitions
//! (KIP-227 fetch sessions, `src/engine/fetch_session.rs`). That is a
//! speed-up only: played with sessions and without, every preset and every
//! sweep seed must give the same events at the same times, and once the
//! deferred records are settled, the leaders must know exactly the same of
//! their followers (fetch offsets, last caught-up times, last fetches).

mod common;

use kafkascope::engine::{Engine, ScenarioConfig, StepOutcome};

const MAX_STEPS: usize = 20_000;

/// Every event (time and `Debug` text) of playing `cfg` to the end, and
/// then every leader's view of its followers.
fn play(cfg: ScenarioConfig, sessions: bool) -> (Vec<String>, Vec<String>) {
    let mut e = Engine::new(cfg).expect("valid scenario");
    e.set_fetch_sessions(sessions);
    let mut events = Vec::new();
    for _ in 0..MAX_STEPS {
        let out = e.step();
        events.extend(
            e.take_events()
                .into_iter()
                .map(|ev| format!("{} {:?}", ev.time_ms, ev.kind)),
        );
        if out == StepOutcome::Idle {
            break;
        }
    }
    e.settle_fetch_sessions();
    let mut leaders = Vec::new();
    for b in e.brokers() {
        for (tp, rep) in &b.replicas {
            if let Some(l) = &rep.leader {
                leaders.push(format!("broker {} {tp:?}: {l:?}", b.id));
            }
        }
    }
    (events, leaders)
}

fn same_both_ways(cfg: ScenarioConfig) -> Result<(), String> {
    let (eager_events, eager_leaders) = play(cfg.clone(), false);
    let (events, leaders) = play(cfg, true);
    if let Some(i) =
        (0..eager_events.len().max(events.len())).find(|i| eager_events.get(*i) != events.get(*i))
    {
        return Err(format!(
            "event {i} differs: eager {:?}, with sessions {:?}",
            eager_events.get(i),
            events.get(i)
        ));
    }
    if let Some(i) = (0..eager_leaders.len().max(leaders.len()))
        .find(|i| eager_leaders.get(*i) != leaders.get(*i))
    {
        return Err(format!(
            "leader state differs: eager {:?}, with sessions {:?}",
            eager_leaders.get(i),
            leaders.get(i)
        ));
    }
    Ok(())
}

#[test]
fn fetch_sessions_change_nothing_in_any_preset() {
    for p in kafkascope::presets::all() {
        let lanes = if p.lanes.is_empty() {
            vec![(String::new(), p.config)]
        } else {
            p.lanes
                .into_iter()
                .map(|(l, c)| (l.to_string(), c))
                .collect()
        };
        for (label, cfg) in lanes {
            same_both_ways(cfg).unwrap_or_else(|e| panic!("preset {} {label}: {e}", p.id));
        }
    }
}

#[test]
fn fetch_sessions_change_nothing_under_faults() {
    // Crashes, restarts, stalls, slow brokers and leader moves: every way a
    // deferred record could be lost or applied to the wrong leader.
    common::sweep::sweep(40, |seed| {
        same_both_ways(common::sweep_scenario::scenario(seed))
    });
}

#[test]
fn fetch_sessions_change_nothing_for_groups() {
    common::sweep::sweep(25, |seed| {
        same_both_ways(common::group_scenario::group_scenario(seed))
    });
}

#[test]
fn fetch_sessions_change_nothing_for_transactions() {
    // Exactly-once: transaction markers and `__transaction_state` appends
    // are leader appends too.
    common::sweep::sweep(15, |seed| {
        same_both_ways(common::semantics_scenario::semantics_scenario(
            seed,
            kafkascope::engine::config::Semantics::ExactlyOnce,
        ))
    });
}
