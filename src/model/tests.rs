//! The model's own tests: what a step, a seek, a preset, a lane and a
//! skip do to the run, through `Model::update` as the page drives it.

use super::*;

#[test]
fn nine_steps_walk_one_record_through_all_stages_in_order() {
    let mut m = Model::default();
    let mut seen = Vec::new();
    for _ in 0..9 {
        m.update(Msg::StepForward);
        seen.push(m.headline().and_then(|e| e.kind.stage()));
    }
    let expected: Vec<Option<Stage>> = Stage::ALL.iter().map(|s| Some(*s)).collect();
    assert_eq!(seen, expected);
    assert_eq!(m.step, 9);
    assert_eq!(m.focus_stage(), Some(Stage::Commit));
}

/// Whether the headline of each step from `m.step` down to 2 is a
/// change, by stepping back.
fn headlines_back_to_start(m: &Model) -> Vec<(u64, bool)> {
    let mut back = m.clone();
    let mut out = Vec::new();
    while back.step > 1 {
        let changed = back.headline().is_some_and(|h| h.kind.is_change());
        out.push((back.step, changed));
        back.update(Msg::StepBack);
    }
    out
}

#[test]
fn next_change_skips_a_records_routine_stages_to_the_join() {
    let mut m = Model::default();
    assert!(m.load_preset("c-joins-eager-range"));
    // Step 1 is the preset's own note (a change).
    m.update(Msg::StepForward);
    m.update(Msg::SkipToChange);
    let first = m.step;
    assert!(
        first > 9,
        "records moved before the first change: step {first}"
    );
    let h = m.headline().expect("a headline").kind.clone();
    assert!(h.is_change(), "stopped on a routine stage: {h:?}");
    // Every step skipped was routine: stepping back shows only stages.
    let steps = headlines_back_to_start(&m);
    assert_eq!(steps.first(), Some(&(first, true)));
    assert!(steps[1..].iter().all(|(_, c)| !c), "{steps:?}");
    // The next press reaches a later change (the rebalance goes on).
    m.update(Msg::SkipToChange);
    assert!(m.step > first);
    assert!(m.headline().is_some_and(|h| h.kind.is_change()));
}

/// With a lane picked to watch, Next change stops at that lane's news: on
/// the three-protocol page it once stopped for the classic lanes' news six
/// times while the watched consumer-protocol lane's picture did not move.
#[test]
fn next_change_with_a_lane_picked_stops_at_that_lanes_news() {
    let mut m = Model::default();
    assert!(m.load_preset("c-joins-side-by-side"));
    m.update(Msg::ShowLane(1));
    let mut stops = 0;
    while stops < 40 && !m.lanes[0].engine.is_idle() {
        let watched = m.lanes[0].changes;
        m.update(Msg::SkipToChange);
        assert!(
            m.lanes[0].changes > watched || m.lanes[0].engine.is_idle(),
            "a skip stopped at step {} with no news in the watched lane",
            m.step
        );
        stops += 1;
    }
    assert!(stops > 1, "the watched lane had news to stop at");
}

#[test]
fn next_change_counts_the_other_lanes_changes() {
    let mut m = Model::default();
    assert!(m.load_preset("c-joins-side-by-side"));
    let mut stops = 0;
    while stops < 40 && !m.idle {
        let lanes_before: u64 = m.lanes.iter().map(|l| l.changes).sum();
        let main_before = m.changes;
        m.update(Msg::SkipToChange);
        let lanes_after: u64 = m.lanes.iter().map(|l| l.changes).sum();
        assert!(
            m.changes > main_before || lanes_after > lanes_before || m.idle,
            "a skip that found no change in any lane stopped at step {}",
            m.step
        );
        stops += 1;
    }
    assert!(
        m.lanes.iter().all(|l| l.changes > 0),
        "every lane had its rebalance"
    );
}

#[test]
fn side_by_side_stage_shows_each_lane_at_the_step_of_its_news() {
    // The three-protocol comparison: eager's rebalance is over before
    // the consumer protocol's starts, and the stage must show that one
    // too, not only the cooperative lane that is still waiting.
    for id in ["c-joins-side-by-side", "c-joins-three-protocols"] {
        let mut m = Model::default();
        assert!(m.load_preset(id));
        let mut shown_news = vec![0; m.lanes.len() + 1];
        for _ in 0..400 {
            let main_before = m.changes;
            let before: Vec<u64> = m.lanes.iter().map(|l| l.changes).collect();
            m.update(Msg::StepForward);
            if m.changes != main_before {
                assert_eq!(
                    m.shown_lane(),
                    0,
                    "{id} step {}: the first lane's news",
                    m.step
                );
                shown_news[0] += 1;
            } else if let Some(i) = m
                .lanes
                .iter()
                .zip(&before)
                .position(|(l, b)| l.changes != *b)
            {
                assert_eq!(
                    m.shown_lane(),
                    i + 1,
                    "{id} step {}: lane {} has news ({:?})",
                    m.step,
                    i + 2,
                    m.lanes[i].headline().map(|h| &h.kind)
                );
                shown_news[i + 1] += 1;
            }
        }
        assert!(
            shown_news.iter().all(|&n| n > 0),
            "{id}: news shown per lane {shown_news:?}"
        );
    }
}

#[test]
fn side_by_side_lanes_never_run_ahead_of_the_moment_shown() {
    // A lane's next news can be seconds away (a heartbeat): following
    // the main lane, it stops at the main lane's moment, not at its news.
    for id in [
        "c-joins-side-by-side",
        "semantics-side-by-side",
        "c-joins-three-protocols",
    ] {
        let mut m = Model::default();
        assert!(m.load_preset(id));
        // Once the main lane has finished, the others go on alone.
        let mut main_done = false;
        for _ in 0..200 {
            m.update(Msg::StepForward);
            main_done |= m.engine.is_idle();
            let main_since = m.engine.now_ms() - m.engine.start_ms();
            let moment = m.moment_ms() - m.engine.start_ms();
            for (i, l) in m.lanes.iter().enumerate() {
                let since = l.engine.now_ms() - l.engine.start_ms();
                assert!(
                    since <= moment,
                    "{id} step {}: lane {} is at {since} ms, the moment shown is {moment} ms",
                    m.step,
                    i + 2
                );
                if !main_done {
                    assert!(
                        since <= main_since,
                        "{id} step {}: lane {} ran ahead",
                        m.step,
                        i + 2
                    );
                }
            }
        }
    }
}

#[test]
fn next_change_never_sends_records_by_itself() {
    // A free scenario that has drained: the skip stops rather than send
    // record after record from the Key field.
    let mut m = Model::default();
    for _ in 0..9 {
        m.update(Msg::StepForward);
    }
    let records = m.engine.records().len();
    m.update(Msg::SkipToChange);
    assert_eq!(m.engine.records().len(), records);
    assert_eq!(m.step, 9);
}

#[test]
fn replaying_the_command_log_reproduces_the_run() {
    let mut m = Model::default();
    m.update(Msg::Configure(Setting::Brokers(3)));
    m.update(Msg::Configure(Setting::ReplicationFactor(3)));
    for i in 0..40 {
        if i == 12 {
            m.update(Msg::ToggleBroker(BrokerId(1)));
        }
        m.update(Msg::StepForward);
    }
    let replayed = replay(&m.config, &m.commands.to_vec(), m.engine.step_calls()).unwrap();
    assert_eq!(replayed.now_ms(), m.engine.now_ms());
    assert_eq!(replayed.steps_taken(), m.engine.steps_taken());
    assert_eq!(replayed.ledger(), m.engine.ledger());
    assert_eq!(replayed.records().len(), m.engine.records().len());
}

#[test]
fn side_by_side_lanes_step_together_and_share_faults() {
    let mut m = Model::default();
    m.update(Msg::LoadPreset("c-joins-side-by-side".into()));
    assert_eq!(m.lanes.len(), 1);
    assert_eq!(m.lane_labels.len(), 2);
    for _ in 0..5 {
        m.update(Msg::StepForward);
    }
    assert!(
        m.lanes[0].engine.now_ms() >= m.engine.now_ms(),
        "lanes are aligned on simulated time"
    );
    m.update(Msg::Apply(Command::CrashConsumer {
        consumer: ConsumerIdx(0),
        point: crate::engine::event::CrashPoint::Now,
    }));
    assert!(!m.engine.consumers()[0].alive);
    assert!(
        !m.lanes[0].engine.consumers()[0].alive,
        "the fault reached the other lane"
    );
    m.update(Msg::Configure(Setting::Partitions(6)));
    assert!(m.lanes.is_empty(), "a custom scenario has one lane");
}

#[test]
fn next_key_increments_numbered_keys_only() {
    assert_eq!(next_key("user-1"), "user-2");
    assert_eq!(next_key("user-9"), "user-10");
    assert_eq!(next_key("alice"), "alice");
    assert_eq!(next_key(""), "");
}

#[test]
fn impossible_partition_count_keeps_the_scenario_and_says_why() {
    let mut m = Model::default();
    m.update(Msg::StepForward);
    m.update(Msg::SetPartitions(99));
    assert_eq!(m.draft_errors.len(), 1);
    assert_eq!(m.draft_errors[0].field, "topics[0].partitions");
    assert_eq!(m.step, 1, "the user's run is not lost");
}

#[test]
fn replication_factor_above_brokers_is_explained_inline_and_fixable() {
    let mut m = Model::default();
    m.update(Msg::Configure(Setting::ReplicationFactor(3)));
    assert!(m.draft_errors[0]
        .message
        .contains("larger than the number of brokers"));
    assert_eq!(
        m.config.topics[0].replication_factor, 1,
        "the running scenario is untouched"
    );
    m.update(Msg::Configure(Setting::Brokers(3)));
    assert!(m.draft_errors.is_empty(), "{:?}", m.draft_errors);
    assert_eq!(m.config.cluster.brokers, 3);
    assert_eq!(m.config.topics[0].replication_factor, 3);
}

#[test]
fn a_view_message_keeps_the_run_and_a_step_makes_a_new_one() {
    // The page's reducer clones the model for every message; the stage
    // skips its render when the run is the same pointer, so only a
    // change to the run may make a new one.
    let before = Model::default();
    let mut typed = before.clone();
    typed.update(Msg::SetKey("user-9".into()));
    typed.update(Msg::Inspect(None));
    typed.update(Msg::ToggleHelp);
    assert!(
        typed.same_run(&before),
        "typing, hovering and a dialog leave the run alone"
    );
    let mut stepped = before.clone();
    stepped.update(Msg::StepForward);
    assert!(!stepped.same_run(&before), "a step makes a new run");
    assert_eq!(before.step, 0, "the older model still shows its own run");
}

#[test]
fn crashing_a_broker_is_logged_for_replay() {
    let mut m = Model::default();
    m.update(Msg::Configure(Setting::Brokers(3)));
    m.update(Msg::ToggleBroker(BrokerId(1)));
    assert!(!m.engine.brokers()[1].alive);
    assert_eq!(
        m.commands.last().map(|c| &c.1),
        Some(&Command::CrashBroker {
            broker: BrokerId(1)
        })
    );
    m.update(Msg::ToggleBroker(BrokerId(1)));
    assert!(m.engine.brokers()[1].alive);
}

#[test]
fn loading_a_preset_replaces_the_scenario() {
    let mut m = Model::default();
    m.update(Msg::LoadPreset("acks1-failover-loss".into()));
    assert_eq!(m.preset.as_deref(), Some("acks1-failover-loss"));
    assert_eq!(m.config.cluster.brokers, 3);
    assert!(!m.auto_feed(), "a scripted preset is not fed by the UI");
    m.update(Msg::LoadPreset("no-such".into()));
    assert!(m.error.is_some());
    assert_eq!(m.preset.as_deref(), Some("acks1-failover-loss"));
}

#[test]
fn a_page_whose_address_names_no_such_preset_says_so_and_still_sends_on_step_forward() {
    // The message about the address is news, not a refused send: the first
    // press of Step forward on the default run behind it sends its first
    // record (it had spent an idle step and said "Nothing left to do").
    let mut m = Model::open_page("", "?preset=no-such");
    assert!(
        m.error.as_deref().is_some_and(|e| e.contains("no-such")),
        "{:?}",
        m.error
    );
    m.update(Msg::StepForward);
    assert!(
        m.commands
            .iter()
            .any(|c| matches!(c.1, Command::Produce { .. })),
        "Step forward sent nothing: {:?}",
        m.commands
    );
}

#[test]
fn reset_starts_over_with_the_same_seed() {
    let mut a = Model::default();
    for _ in 0..5 {
        a.update(Msg::StepForward);
    }
    let first = a.events.clone();
    a.update(Msg::Reset);
    assert_eq!(a.step, 0);
    let mut b = Model::default();
    for _ in 0..5 {
        a.update(Msg::StepForward);
        b.update(Msg::StepForward);
    }
    assert_eq!(a.events, b.events);
    assert_eq!(a.events, first);
}

#[test]
fn playing_keeps_several_records_in_flight() {
    let mut m = Model::default();
    m.update(Msg::Play);
    let mut max_in_flight = 0;
    for _ in 0..60 {
        m.update(Msg::Tick);
        max_in_flight = max_in_flight.max(m.records_in_flight());
    }
    assert!(max_in_flight >= 2, "max in flight {max_in_flight}");
    assert!(m.step >= 55);
}
