//! Time travel (issue #6): seeking anywhere shows exactly what the live run
//! showed at that step; acting in the past forks history, with one undo.

use kafkascope::engine::command::Command;
use kafkascope::engine::event::CrashPoint;
use kafkascope::engine::ids::*;
use kafkascope::model::timeline::SNAPSHOT_EVERY_STEPS;
use kafkascope::model::{Model, Msg, Setting};

/// Everything the screen is drawn from, for one lane.
fn lane_picture(m: &Model) -> String {
    format!(
        "step={} now={} calls={} idle={} focus={:?} stages={:?} events={:?} last={:?} ledger={:?} brokers={:?} consumers={:?}",
        m.step,
        m.engine.now_ms(),
        m.engine.step_calls(),
        m.idle,
        m.focus,
        m.record_stage,
        m.events,
        m.history.back(),
        m.engine.delivery_summary(GroupIdx(0)),
        m.engine.brokers().iter().map(|b| b.alive).collect::<Vec<_>>(),
        m.engine
            .consumers()
            .iter()
            .map(|c| (c.alive, c.assignment.clone(), c.positions.clone()))
            .collect::<Vec<_>>(),
    )
}

/// The main lane and every side-by-side lane.
fn picture(m: &Model) -> String {
    let mut s = lane_picture(m);
    for l in &m.lanes {
        s.push_str(" | ");
        s.push_str(&lane_picture(l));
    }
    s
}

/// A small portable PRNG for choosing seek targets.
fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

/// Records the picture after every step of a live run driven by `drive`.
fn record(
    mut m: Model,
    steps: usize,
    mut drive: impl FnMut(&mut Model, usize),
) -> (Model, Vec<String>) {
    let mut pictures = vec![picture(&m)];
    for i in 0..steps {
        let before = m.step;
        drive(&mut m, i);
        if m.step != before {
            // A command's own step, then the ordinary one.
            while pictures.len() < m.step as usize {
                pictures.push(String::new());
            }
            pictures.push(picture(&m));
        }
        let before = m.step;
        m.update(Msg::Tick);
        if m.step != before {
            while pictures.len() < m.step as usize {
                pictures.push(String::new());
            }
            pictures.push(picture(&m));
        }
    }
    (m, pictures)
}

fn check_seeks(m: &mut Model, pictures: &[String], seeks: usize, seed: u64) {
    let end = m.last_step();
    assert_eq!(end as usize + 1, pictures.len(), "one picture per step");
    let mut x = seed;
    let mut targets: Vec<u64> = vec![0, end, end / 2, 1, end - 1];
    for _ in 0..seeks {
        targets.push(next(&mut x) % (end + 1));
    }
    for t in targets {
        m.update(Msg::Seek(t));
        assert_eq!(m.step, t);
        if !pictures[t as usize].is_empty() {
            assert_eq!(
                picture(m),
                pictures[t as usize],
                "seek to step {t} (seed {seed})"
            );
        }
    }
}

#[test]
fn seeking_anywhere_shows_what_the_live_run_showed() {
    let mut m = Model::default();
    m.update(Msg::Configure(Setting::Brokers(3)));
    m.update(Msg::Configure(Setting::ReplicationFactor(3)));
    m.update(Msg::Configure(Setting::Consumers(2)));
    m.update(Msg::Play);
    let (mut m, pictures) = record(m, 400, |m, i| {
        // Each press of Play sends a batch of records and stops when they
        // are through: press it again, as a student would.
        if !m.playing {
            m.update(Msg::Play);
        }
        if i == 90 {
            m.update(Msg::ToggleBroker(BrokerId(0)));
        }
        if i == 200 {
            m.update(Msg::ToggleBroker(BrokerId(0)));
        }
        if i == 250 {
            m.update(Msg::Apply(Command::CrashConsumer {
                consumer: ConsumerIdx(1),
                point: CrashPoint::Now,
            }));
        }
    });
    assert!(m.last_step() > 300);
    check_seeks(&mut m, &pictures, 60, 7);
}

#[test]
fn seeking_across_many_snapshots_is_exact() {
    // A workload long enough for several snapshots.
    let mut cfg = kafkascope::engine::ScenarioConfig::default();
    cfg.producers[0].workload.records = 800;
    cfg.producers[0].workload.interval_ms = 3;
    let mut m = Model::new(cfg).unwrap();
    m.update(Msg::Play);
    let (mut m, pictures) = record(m, 6000, |_, _| {});
    assert!(
        m.last_step() > 2 * SNAPSHOT_EVERY_STEPS,
        "{} steps",
        m.last_step()
    );
    check_seeks(&mut m, &pictures, 40, 11);
}

#[test]
fn side_by_side_lanes_travel_with_the_main_lane() {
    let mut m = Model::default();
    m.update(Msg::LoadPreset("semantics-side-by-side".into()));
    m.update(Msg::Play);
    let (mut m, pictures) = record(m, 150, |m, i| {
        if i == 40 {
            m.update(Msg::Apply(Command::CrashConsumer {
                consumer: ConsumerIdx(0),
                point: CrashPoint::Now,
            }));
        }
    });
    assert_eq!(m.lanes.len(), 2);
    check_seeks(&mut m, &pictures, 30, 3);
}

#[test]
fn stepping_forward_from_the_past_replays_the_same_future() {
    let mut m = Model::default();
    for _ in 0..30 {
        m.update(Msg::StepForward);
    }
    let at_30 = picture(&m);
    m.update(Msg::Seek(10));
    assert!(m.in_past());
    // Typing a different key does not change the recorded future.
    m.update(Msg::SetKey("someone-else".into()));
    for _ in 0..20 {
        m.update(Msg::StepForward);
    }
    assert_eq!(picture(&m), at_30);
    assert!(!m.in_past());
    assert!(m.timeline.fork.is_none(), "replaying is not forking");
}

#[test]
fn step_back_home_and_end() {
    let mut m = Model::default();
    for _ in 0..12 {
        m.update(Msg::StepForward);
    }
    m.update(Msg::StepBack);
    assert_eq!(m.step, 11);
    m.update(Msg::Seek(0));
    assert_eq!(m.step, 0);
    m.update(Msg::StepBack);
    assert_eq!(m.step, 0, "step back at the start stays at the start");
    m.update(Msg::SeekEnd);
    assert_eq!(m.step, 12);
    m.update(Msg::Seek(10_000));
    assert_eq!(m.step, 12, "a seek past the end stops at the end");
}

#[test]
fn acting_in_the_past_forks_history_and_undo_restores_it() {
    let mut m = Model::default();
    m.update(Msg::Configure(Setting::Brokers(3)));
    m.update(Msg::Configure(Setting::ReplicationFactor(3)));
    for _ in 0..40 {
        m.update(Msg::StepForward);
    }
    let at_40 = picture(&m);
    m.update(Msg::Seek(15));
    let at_15 = picture(&m);
    m.update(Msg::ToggleBroker(BrokerId(2)));
    let fork = m.timeline.fork.clone().expect("acting in the past forks");
    assert_eq!(fork.at_step, 15);
    assert_eq!(fork.replaced_steps, 25);
    assert!(fork.what.contains("broker 2"), "{}", fork.what);
    assert_eq!(m.last_step(), m.step, "the old future is gone");
    assert!(!m.engine.brokers()[2].alive);
    for _ in 0..10 {
        m.update(Msg::StepForward);
    }
    m.update(Msg::Undo);
    assert!(m.timeline.fork.is_none(), "one undo");
    assert_eq!(picture(&m), at_15, "back where the user acted");
    assert_eq!(m.last_step(), 40, "with the old future");
    m.update(Msg::SeekEnd);
    assert_eq!(picture(&m), at_40);
}

#[test]
fn acting_at_the_end_does_not_fork() {
    let mut m = Model::default();
    m.update(Msg::Configure(Setting::Brokers(3)));
    for _ in 0..5 {
        m.update(Msg::StepForward);
    }
    // Changing a setting restarts, and can be undone.
    assert!(m.timeline.fork.is_none());
    m.update(Msg::ToggleBroker(BrokerId(1)));
    assert!(m.timeline.fork.is_none());
}

#[test]
fn a_new_setting_replaces_the_run_and_undo_brings_it_back() {
    let mut m = Model::default();
    for _ in 0..20 {
        m.update(Msg::StepForward);
    }
    let before = picture(&m);
    m.update(Msg::Configure(Setting::Partitions(5)));
    assert_eq!(m.step, 0);
    let fork = m.timeline.fork.clone().expect("the old run is kept");
    assert!(fork.what.contains("num.partitions"), "{}", fork.what);
    m.update(Msg::Undo);
    assert_eq!(picture(&m), before);
    assert_eq!(m.config.topics[0].partitions, 3);
    assert_eq!(
        m.draft.topics[0].partitions, 3,
        "the settings panel shows the restored run"
    );
}

#[test]
fn playing_side_by_side_runs_every_lane_to_its_end() {
    let mut m = Model::default();
    m.update(Msg::LoadPreset("semantics-side-by-side".into()));
    m.update(Msg::Play);
    let mut ticks = 0;
    while m.playing && ticks < 20_000 {
        m.update(Msg::Tick);
        ticks += 1;
    }
    assert!(!m.playing, "playing stops by itself at the end");
    for (i, lane) in std::iter::once(&m).chain(m.lanes.iter()).enumerate() {
        let s = lane.engine.delivery_summary(GroupIdx(0));
        assert!(lane.engine.is_idle(), "lane {i} finished");
        assert_eq!(s.in_flight, 0, "lane {i}: {s:?}");
        assert_eq!(s.produced, 6, "lane {i}: {s:?}");
    }
    // And the whole of it can be travelled.
    let end = m.last_step();
    m.update(Msg::Seek(end / 2));
    m.update(Msg::SeekEnd);
    assert_eq!(m.step, end);
}

#[test]
fn plots_metrics_after_a_seek_equal_the_live_runs() {
    for (preset, steps) in [
        ("c-joins-cooperative-sticky", 160u64),
        ("session-timeout", 100),
        ("acks-latency", 300),
    ] {
        let mut m = Model::default();
        m.update(Msg::LoadPreset(preset.into()));
        let mut live = vec![m.metrics.clone()];
        for _ in 0..steps {
            m.update(Msg::StepForward);
            live.push(m.metrics.clone());
        }
        assert_eq!(m.step, steps, "{preset}");
        for target in [0, 1, steps / 3, steps / 2, steps - 1, steps, 7] {
            m.update(Msg::Seek(target));
            assert_eq!(m.step, target);
            assert!(
                m.metrics == live[target as usize],
                "{preset}: metrics at step {target} after a seek differ from the live run's"
            );
        }
    }
}

#[test]
fn plots_metrics_survive_seeks_across_snapshots() {
    use kafkascope::engine::config::ScenarioConfig;
    let mut c = ScenarioConfig::default();
    c.topics[0].partitions = 6;
    c.groups[0].consumers = 2;
    c.producers[0].workload.records = 600;
    c.producers[0].workload.interval_ms = 30;
    let mut m = Model::new(c).unwrap();
    let mut live = vec![m.metrics.clone()];
    let total = 3 * SNAPSHOT_EVERY_STEPS + 100;
    for i in 0..total {
        if i == 700 {
            m.update(Msg::Apply(Command::CrashConsumer {
                consumer: ConsumerIdx(1),
                point: CrashPoint::Now,
            }));
        } else if i == 1500 {
            m.update(Msg::Apply(Command::RestartConsumer {
                consumer: ConsumerIdx(1),
            }));
        } else {
            m.update(Msg::StepForward);
        }
        while live.len() <= m.step as usize {
            live.push(m.metrics.clone());
        }
    }
    let last = m.step;
    assert!(last > 3 * SNAPSHOT_EVERY_STEPS, "{last}");
    assert!(!m.metrics.groups[0].rebalances.is_empty());
    for target in [
        last - 1,
        5,
        1023,
        1024,
        1025,
        2047,
        2500,
        1,
        last,
        3000,
        700,
        1501,
    ] {
        m.update(Msg::Seek(target));
        assert_eq!(m.step, target);
        assert!(
            m.metrics == live[target as usize],
            "metrics at step {target} after a seek differ from the live run's"
        );
    }
}
