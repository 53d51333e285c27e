//! The stage fills the box the page gives it, at a scale that reads from the
//! back of a room, for every preset at every viewport the project promises:
//! nothing overflows, text is large enough, and no two boxes of the
//! picture (producers, brokers, groups, consumers, log rows) overlap.

use kafkascope::model::{Model, Msg};
use kafkascope::stage_layout::{layout, Layout, Rect, MIN_FONT};

/// The stage's box (CSS px) at each viewport, as the page lays it out,
/// with the smallest text the viewport promises.
const VIEWPORTS: [(&str, f64, f64, f64); 3] = [
    // 1280×800: the stage beside a 345 px column, under the top bar.
    ("1280x800", 890.0, 610.0, 12.0),
    // 1920×1080 (a projector).
    ("1920x1080", 1480.0, 900.0, 16.0),
    // 800×500 embedded: beside a 232 px column, between the bars.
    ("800x500 embedded", 530.0, 390.0, 11.0),
];

fn boxes(lay: &Layout) -> Vec<(String, Rect)> {
    let mut v: Vec<(String, Rect)> = Vec::new();
    v.extend(
        lay.producers
            .iter()
            .map(|(p, r)| (format!("producer {p}"), *r)),
    );
    v.extend(lay.brokers.iter().map(|(b, r)| (format!("broker {b}"), *r)));
    v.extend(lay.groups.iter().map(|(g, r)| (format!("group {g}"), *r)));
    v
}

fn check(what: &str, lay: &Layout, min_px: f64) -> Result<(), String> {
    let smallest = MIN_FONT * lay.scale;
    if smallest + 1e-6 < min_px {
        return Err(format!(
            "{what}: smallest text {smallest:.1} px < {min_px} px (scale {:.2})",
            lay.scale
        ));
    }
    if lay.overflow {
        return Err(format!("{what}: the cluster does not fit its box"));
    }
    let b = boxes(lay);
    for (i, (na, a)) in b.iter().enumerate() {
        if a.x < -0.5 || a.y < -0.5 || a.right() > lay.w + 0.5 || a.bottom() > lay.h + 0.5 {
            return Err(format!(
                "{what}: {na} {a:?} leaves the stage {}x{}",
                lay.w, lay.h
            ));
        }
        for (nb, bb) in b.iter().skip(i + 1) {
            if a.overlaps(bb) {
                return Err(format!("{what}: {na} {a:?} overlaps {nb} {bb:?}"));
            }
        }
    }
    // Consumers sit inside their group and never on each other.
    for (i, (c, a)) in lay.consumers.iter().enumerate() {
        for (d, bb) in lay.consumers.iter().skip(i + 1) {
            if a.overlaps(bb) {
                return Err(format!("{what}: consumer {c} overlaps consumer {d}"));
            }
        }
    }
    // Log rows stay inside their broker and apart from each other.
    for (i, r) in lay.rows.iter().enumerate() {
        let broker = lay.broker(r.broker).expect("row's broker");
        let half = if r.dots {
            kafkascope::stage_layout::DOT_W
        } else {
            kafkascope::stage_layout::CHIP_W
        } / 2.0;
        let right = r
            .followers
            .last()
            .map(|f| f.1 + half)
            .unwrap_or(r.right())
            .max(r.right());
        if r.label_x < broker.x || right > broker.right() + 0.5 || r.y + r.h > broker.bottom() {
            return Err(format!(
                "{what}: a row of broker {} leaves its box",
                r.broker
            ));
        }
        for o in lay.rows.iter().skip(i + 1) {
            let a = Rect {
                x: r.label_x,
                y: r.y,
                w: right - r.label_x,
                h: r.h,
            };
            let b = Rect {
                x: o.label_x,
                y: o.y,
                w: o.right() - o.label_x,
                h: o.h,
            };
            if a.overlaps(&b) {
                return Err(format!("{what}: two log rows overlap"));
            }
        }
    }
    Ok(())
}

/// Plays every preset and checks its layout at the desktop and projector
/// viewports every few steps.
#[test]
fn every_preset_fits_a_laptop_and_a_projector_with_readable_text() {
    every_preset_fits(&VIEWPORTS[..2]);
}

/// The same in an 800×500 embed (the stage beside the lesson column).
#[test]
fn every_preset_fits_an_800x500_embed() {
    every_preset_fits(&VIEWPORTS[2..]);
}

fn every_preset_fits(viewports: &[(&str, f64, f64, f64)]) {
    let mut failures = Vec::new();
    for p in kafkascope::presets::all() {
        let mut m = Model::default();
        m.update(Msg::LoadPreset(p.id.to_string()));
        for step in 0..120 {
            if step % 10 == 0 {
                let models = std::iter::once(&m).chain(m.lanes.iter());
                for lane in models {
                    for &(name, w, h, min_px) in viewports {
                        let lay = layout(&lane.engine, w, h, 2.0);
                        if let Err(e) =
                            check(&format!("{} at {name}, step {step}", p.id), &lay, min_px)
                        {
                            failures.push(e);
                        }
                    }
                }
            }
            m.update(Msg::StepForward);
        }
    }
    failures.dedup();
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Big clusters fit one screen: 3 brokers × 12 partitions, and 5 brokers.
#[test]
fn big_clusters_fit_one_screen() {
    use kafkascope::engine::ScenarioConfig;
    let mut failures = Vec::new();
    for (brokers, partitions, rf, consumers) in
        [(3u16, 12u32, 3u16, 3u16), (5, 6, 3, 2), (5, 12, 3, 4)]
    {
        let mut cfg = ScenarioConfig::default();
        cfg.cluster.brokers = brokers;
        cfg.topics[0].partitions = partitions;
        cfg.topics[0].replication_factor = rf;
        cfg.groups[0].consumers = consumers;
        cfg.producers[0].workload.records = 40;
        cfg.producers[0].workload.interval_ms = 20;
        let mut m = Model::new(cfg).expect("valid");
        for _ in 0..60 {
            m.update(Msg::StepForward);
        }
        for (name, w, h, min_px) in VIEWPORTS.iter().take(2) {
            let lay = layout(&m.engine, *w, *h, 2.0);
            if let Err(e) = check(
                &format!("{brokers} brokers × {partitions} partitions at {name}"),
                &lay,
                *min_px,
            ) {
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The scale follows the box: a projector gets larger text than a laptop,
/// and presentation mode larger still.
#[test]
fn the_drawing_scales_with_its_box() {
    let m = Model::default();
    let laptop = layout(&m.engine, 890.0, 610.0, 2.0);
    let projector = layout(&m.engine, 1480.0, 900.0, 2.0);
    let presenting = layout(&m.engine, 1480.0, 900.0, 3.0);
    assert!(
        projector.scale > laptop.scale * 1.15,
        "{} vs {}",
        projector.scale,
        laptop.scale
    );
    assert!(
        projector.scale * MIN_FONT >= 16.0,
        "projector text {}",
        projector.scale * MIN_FONT
    );
    assert!(presenting.scale >= projector.scale);
    // The viewBox is the box at that scale: one unit is `scale` px.
    assert!((laptop.w * laptop.scale - 890.0).abs() < 1.0);
    assert!((laptop.h * laptop.scale - 610.0).abs() < 1.0);
}

/// No box is too small to draw in: a phone or a narrow iframe gets a
/// scrolling stage, never a panic (a 375 px page once crashed on every
/// 3-broker preset: "the narrowest plan always builds").
#[test]
fn any_box_gets_a_layout_without_panicking() {
    for p in kafkascope::presets::all() {
        let mut m = Model::default();
        m.update(Msg::LoadPreset(p.id.to_string()));
        for _ in 0..20 {
            m.update(Msg::StepForward);
        }
        for (w, h) in [
            (200.0, 150.0),
            (300.0, 250.0),
            (344.0, 360.0),
            (480.0, 300.0),
            (600.0, 200.0),
        ] {
            let lay = layout(&m.engine, w, h, 2.0);
            assert!(
                !lay.brokers.is_empty(),
                "{} in a {w}x{h} box: no brokers placed",
                p.id
            );
        }
    }
}

/// Every lesson's scenario, at each of its stops, fits a laptop, a
/// projector and an 800×500 embed without scrolling (the consumer-groups
/// lesson has two groups and five consumers: its groups go mini in the
/// embed rather than off the bottom of the frame).
#[test]
fn every_lesson_fits_every_viewport_at_every_stop() {
    let mut failures = Vec::new();
    for l in kafkascope::lesson::built_in() {
        let mut m = Model::default();
        m.start_lesson(l.clone());
        for beat in &l.beats {
            step_to(&mut m, beat.step);
            let models = std::iter::once(&m).chain(m.lanes.iter());
            for lane in models {
                for &(name, w, h, min_px) in &VIEWPORTS {
                    let lay = layout(&lane.engine, w, h, 2.0);
                    if let Err(e) = check(
                        &format!("lesson {} at {name}, step {}", l.id, m.step),
                        &lay,
                        min_px,
                    ) {
                        failures.push(e);
                    }
                }
            }
        }
    }
    failures.dedup();
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// On a laptop and a projector a log row is wide enough for the keys the
/// scenario sends ("order-1", "user-12") and still shows five offsets:
/// growing the drawing stops before it would cut a key or shrink the log
/// (it once drew three 44-unit cells reading "…r-1" at 16 px).
#[test]
fn log_rows_hold_whole_keys_and_five_offsets_on_a_laptop_and_a_projector() {
    use kafkascope::stage_layout::KEY_CHAR_W;
    let mut failures = Vec::new();
    for id in [
        "acks1-failover-loss",
        "at-least-once-duplicates",
        "nine-stages",
    ] {
        let mut m = Model::default();
        m.update(Msg::LoadPreset(id.to_string()));
        for _ in 0..80 {
            m.update(Msg::StepForward);
        }
        let longest = m
            .engine
            .records()
            .iter()
            .filter(|r| r.kind == kafkascope::engine::record::RecordKind::Data)
            .filter_map(|r| r.key_text())
            .map(|k| k.len())
            .max()
            .unwrap_or(0);
        assert!(longest >= 6, "{id}: no long key was sent in 80 steps");
        for &(name, w, h, _) in &VIEWPORTS[..2] {
            let lay = layout(&m.engine, w, h, 2.0);
            for row in lay.rows.iter().filter(|r| !r.internal && !r.compact) {
                let need = 8.0 + longest as f64 * KEY_CHAR_W;
                if row.cell_w + 0.01 < need || row.slots < 5 {
                    failures.push(format!(
                        "{id} at {name}: a row of {} cells {:.1} units wide (a {longest}-character key needs {need:.1}) at scale {:.2}",
                        row.slots, row.cell_w, lay.scale
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// On a phone (the stage about 355 px wide) a lone producer is a band
/// across the top, its tray beside its counters: the brokers start right
/// under its three counter lines, not under an empty tray (it was a
/// 114-unit box, 220 wide, mostly empty, and a phone lesson's stage showed
/// little more than it).
#[test]
fn a_lone_producer_on_a_phone_is_a_band_that_leaves_the_height_to_the_brokers() {
    for id in [
        "nine-stages",
        "acks1-failover-loss",
        "at-least-once-duplicates",
    ] {
        let mut m = Model::default();
        m.update(Msg::LoadPreset(id.into()));
        let lay = layout(&m.engine, 355.0, 260.0, 2.0);
        let (_, p) = lay.producers[0];
        assert_eq!(lay.producers.len(), 1, "{id}");
        assert!(
            p.h <= kafkascope::stage_layout::WIDE_PRODUCER_H && p.w >= 300.0,
            "{id}: the producer is {:.0}×{:.0} units on a phone",
            p.w,
            p.h
        );
        let broker_top = lay.brokers.iter().map(|b| b.1.y).fold(f64::MAX, f64::min);
        assert!(
            broker_top < p.bottom() + 30.0,
            "{id}: the first broker starts {:.0} units under the producer",
            broker_top - p.bottom()
        );
    }
}

/// On a projector, end-to-end-semantics laid out as large as the box
/// allows put its brokers in two columns and cut "orders-0" to "or…-0"
/// and keys to "…er-4". A slightly smaller drawing in one column names
/// them whole, and still reads from the back of the room.
#[test]
fn a_projector_names_partitions_and_keys_whole_when_a_little_smaller_allows_it() {
    let m = stepped("end-to-end-semantics", 30);
    let lay = layout(&m.engine, 1400.0, 860.0, 2.0);
    assert_eq!(lay.cut, 0, "names or keys cut at scale {:.3}", lay.scale);
    check("end-to-end-semantics on a projector", &lay, 16.0).unwrap();
}

/// Two topics in a narrow broker column (end-to-end-semantics at 1280×800
/// and in the 800×500 embed: orders and payments on three brokers in two
/// columns) drew "or…-0" beside "pa…-0". Each topic's name is now a caption
/// over its rows, whole, and the rows say P0 as the internal ones do.
#[test]
fn several_topics_too_long_for_their_rows_are_named_by_captions_over_them() {
    let m = stepped("end-to-end-semantics", 40);
    let e = &m.engine;
    let mut narrow = 0;
    for (what, w, h, _) in VIEWPORTS {
        let lay = layout(e, w, h, 2.0);
        for (b, r) in &lay.brokers {
            // The user topics this broker draws rows for, in order.
            let mut topics: Vec<_> = lay
                .rows
                .iter()
                .filter(|row| row.broker == *b && !row.internal)
                .map(|row| row.tp.topic)
                .collect();
            topics.dedup();
            let captioned: Vec<_> = lay
                .captions
                .iter()
                .filter(|c| c.0 == *b && !e.topic(c.2).internal)
                .map(|c| c.2)
                .collect();
            if !names_fit(e, &lay, Some(*b)) {
                narrow += 1;
                assert_eq!(
                    captioned, topics,
                    "{what}: broker {b} rows' topics and captions"
                );
                for (_, y, _) in lay.captions.iter().filter(|c| c.0 == *b) {
                    assert!(
                        *y > r.y && *y < r.bottom(),
                        "{what}: caption outside broker {b}"
                    );
                }
            }
        }
        if names_fit(e, &lay, None) {
            assert!(
                lay.captions.iter().all(|c| e.topic(c.2).internal),
                "{what}: captions where names fit"
            );
        }
    }
    // 1280×800 and the embed are the narrow cases.
    assert!(
        narrow >= 2,
        "only {narrow} brokers too narrow for the names"
    );
}

/// Whether every user row (of `broker`, or of every broker) shows its
/// topic-partition name whole ("orders-0": the name and two characters).
fn names_fit(
    e: &kafkascope::engine::sim::Engine,
    lay: &Layout,
    broker: Option<kafkascope::engine::ids::BrokerId>,
) -> bool {
    lay.rows
        .iter()
        .filter(|row| !row.internal && broker.is_none_or(|b| row.broker == b))
        .all(|row| e.topic(row.tp.topic).name.chars().count() + 2 <= row.label_chars)
}

/// A model with `preset` loaded and stepped `steps` times.
/// Steps `m` forward to `step` (or until it stops moving).
fn step_to(m: &mut Model, step: u64) {
    while m.step < step {
        let before = m.step;
        m.update(Msg::StepForward);
        if m.step == before {
            break;
        }
    }
}

fn stepped(preset: &str, steps: usize) -> Model {
    let mut m = Model::default();
    m.update(Msg::LoadPreset(preset.into()));
    for _ in 0..steps {
        m.update(Msg::StepForward);
    }
    m
}

/// A projector drew end-to-end-semantics at step 0 with narrow cells in
/// two broker columns, then, once "payment-42" was in a log, widened the
/// cells and stacked the brokers: the picture jumped under the class. The
/// cells are now sized from the keys the scenario will send as well, so
/// the arrangement holds from the first step to the last.
#[test]
fn a_projector_keeps_its_arrangement_as_the_scripted_keys_arrive() {
    let shape = |steps: usize| {
        let m = stepped("end-to-end-semantics", steps);
        let lay = layout(&m.engine, 1400.0, 860.0, 2.0);
        let mut columns: Vec<i64> = lay.rows.iter().map(|r| r.x0.round() as i64).collect();
        columns.dedup();
        columns.sort();
        columns.dedup();
        (columns.len(), lay.rows[0].cell_w)
    };
    let first = shape(0);
    for steps in [10, 30, 60, 90] {
        assert_eq!(
            shape(steps),
            first,
            "(broker columns, cell width) at step {steps} vs step 0"
        );
    }
}

/// In an 800x500 embed a one-topic scenario's rows say `P0`: the topic's
/// name did not fit beside them and was nowhere on the stage, while the
/// narration said "events-0". A caption over each column of brokers now
/// names it wherever the height allows it, and then `__consumer_offsets`
/// is named over its rows too (an audit read P10 and P15 as the topic's).
#[test]
fn one_topic_cut_from_its_rows_is_named_over_each_broker_column() {
    let mut named = 0;
    for p in kafkascope::presets::all() {
        let m = stepped(p.id, 0);
        let e = &m.engine;
        let mut topics = e.topics().iter().enumerate().filter(|(_, t)| !t.internal);
        let (Some((t, topic)), None) = (topics.next(), topics.next()) else {
            continue;
        };
        for &(name, w, h, _) in &VIEWPORTS {
            let lay = layout(e, w, h, 2.0);
            let cut = lay
                .rows
                .iter()
                .any(|r| !r.internal && topic.name.chars().count() + 2 > r.label_chars);
            let columns: std::collections::BTreeSet<i64> = lay
                .brokers
                .iter()
                .map(|(_, r)| r.x.round() as i64)
                .collect();
            let captions = lay
                .captions
                .iter()
                .filter(|c| c.2 == kafkascope::engine::ids::TopicId(t as u16))
                .count();
            if cut && captions == 0 {
                // Only where the brokers' column has no room for a caption
                // line (18 units): two presets' embeds, 14..376 of 390.
                let bottom = lay
                    .brokers
                    .iter()
                    .map(|(_, r)| r.y + r.h)
                    .fold(0.0, f64::max);
                assert!(
                    bottom + 18.0 + 8.0 > h / lay.scale,
                    "{} at {name}: the topic's name is nowhere, with room for its caption",
                    p.id
                );
            } else if cut {
                assert_eq!(
                    captions,
                    columns.len(),
                    "{} at {name}: one caption per broker column",
                    p.id
                );
                named += 1;
                // Under the topic's caption, unnamed pink rows would pass
                // for that topic's partitions: __consumer_offsets is named.
                for row in lay.rows.iter().filter(|r| r.internal) {
                    assert!(
                        lay.captions
                            .iter()
                            .any(|c| c.0 == row.broker && e.topic(c.2).internal),
                        "{} at {name}: broker {}'s __consumer_offsets rows have no caption",
                        p.id,
                        row.broker
                    );
                }
            } else {
                assert_eq!(
                    captions, 0,
                    "{} at {name}: rows name the topic, no caption",
                    p.id
                );
            }
        }
    }
    assert!(
        named > 10,
        "only {named} cut layouts: the test checks little"
    );
}

/// In an 800x500 embed the three-protocol lanes drew three members in a
/// row of four 124-unit chip slots, so each state read "B · unr…". Mini
/// chip slots are now 155 units, so three members fill that row (no empty
/// slot, each state whole), and the chips keep their width when the
/// scripted consumer joins.
#[test]
fn a_group_s_members_fill_their_row_and_keep_their_width_as_one_joins() {
    let mut checked = 0;
    for p in kafkascope::presets::all() {
        let start = stepped(p.id, 0);
        let adds = start
            .engine
            .config()
            .script
            .iter()
            .filter(|s| {
                matches!(
                    s.command,
                    kafkascope::engine::command::Command::AddConsumer { .. }
                )
            })
            .count();
        if adds == 0 {
            continue;
        }
        let end = stepped(p.id, 400);
        let (n0, n1) = (start.engine.consumers().len(), end.engine.consumers().len());
        assert!(
            n1 > n0,
            "{}: the scripted consumer joined by step 400 ({n0} -> {n1})",
            p.id
        );
        // (And the stage of an 800x500 embed under three lane cards.)
        let lanes = [("800x500 embedded, lanes", 530.0, 270.0, 11.0)];
        for &(name, w, h, _) in VIEWPORTS.iter().chain(&lanes) {
            let (a, b) = (
                layout(&start.engine, w, h, 2.0),
                layout(&end.engine, w, h, 2.0),
            );
            let width = |l: &Layout| l.consumers.first().map(|(_, r)| r.w.round() as i64);
            // (A new group, at the end, had no chips before.)
            if width(&a).is_some() {
                assert_eq!(
                    width(&a),
                    width(&b),
                    "{} at {name}: a member's chip width before and after the join",
                    p.id
                );
            }
            // With every member on one line, the last one ends at the box's edge.
            let (_, g) = b.groups[0];
            let row: Vec<&Rect> = b
                .consumers
                .iter()
                .map(|(_, r)| r)
                .filter(|r| (r.y - b.consumers[0].1.y).abs() < 1.0)
                .collect();
            if row.len() == b.consumers.len() && row.len() > 1 && row[1].x > row[0].x {
                let right = row.iter().map(|r| r.x + r.w).fold(0.0, f64::max);
                assert!(
                    right >= g.x + g.w - 7.0 || row[0].w >= 2.0 * 124.0 - 0.5,
                    "{} at {name}: the members end at {right:.0}, the group box at {:.0}: an empty slot",
                    p.id,
                    g.x + g.w
                );
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 3,
        "presets with a scripted join checked: {checked}"
    );
}

/// A lesson reads a log row from left to right ("0 and 1 aborted, 2 the
/// ABORT marker, 3 to 8 committed outputs"), so on a laptop and a
/// projector the rows show the offsets the width allows rather than
/// growing the text until four cells are left beside an empty stage (the
/// exactly-once lesson drew offsets 6 to 9 of its ten at 16 px text).
/// The fewest offsets a row shows at any stop, per lesson: each was 5
/// (6 for two of them) before.
#[test]
fn a_lesson_s_rows_show_the_offsets_it_reads_on_a_laptop_and_a_projector() {
    let want: &[(&str, usize)] = &[
        ("producer-consumer-model", 7),
        ("nine-stages", 6),
        ("at-most-once", 8),
        ("at-least-once", 8),
        ("exactly-once", 8),
        ("consumer-offsets", 7),
        ("new-group-at-the-end", 6),
        ("consumer-groups", 7),
        ("rebalancing", 7),
        ("too-slow-for-the-group", 7),
        ("producer-acks", 6),
        ("semantics-summary", 8),
        ("caught-exception", 7),
    ];
    let mut failures = Vec::new();
    for l in kafkascope::lesson::built_in() {
        let Some(&(_, min_slots)) = want.iter().find(|(id, _)| *id == l.id) else {
            continue;
        };
        let mut m = Model::default();
        m.start_lesson(l.clone());
        for beat in &l.beats {
            step_to(&mut m, beat.step);
            for &(name, w, h, min_px) in &VIEWPORTS[..2] {
                let lay = layout(&m.engine, w, h, 2.0);
                if lay.slots < min_slots || lay.scale * MIN_FONT < min_px - 1e-6 {
                    failures.push(format!(
                        "lesson {} at {name}, step {}: {} offsets a row (want {min_slots}), text {:.1} px",
                        l.id,
                        m.step,
                        lay.slots,
                        lay.scale * MIN_FONT
                    ));
                }
            }
        }
    }
    failures.dedup();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A short row keeps a slot for the log end offset only while that hides
/// no record: a log that fills it exactly is drawn whole (an 800x500 embed
/// drew two of broker 2's three records while producer-acks' stop said
/// "the three records"). A longer row keeps its LEO slot.
#[test]
fn a_log_that_fills_a_short_row_is_drawn_whole() {
    let mut failures = Vec::new();
    let mut whole_and_full = 0;
    for p in kafkascope::presets::all() {
        let mut m = Model::default();
        m.update(Msg::LoadPreset(p.id.to_string()));
        for step in 0..60 {
            for &(name, w, h, _) in &VIEWPORTS {
                let lay = layout(&m.engine, w, h, 2.0);
                for row in &lay.rows {
                    let Some(rep) = m.engine.brokers()[row.broker.0 as usize].replica(row.tp)
                    else {
                        continue;
                    };
                    let (first, leo) = (rep.log.log_start().0, rep.log.leo().0);
                    let short = row.slots <= kafkascope::stage_layout::SHORT_ROW_SLOTS;
                    if leo - first < row.slots as i64 && row.start != first
                        || short && leo - first == row.slots as i64 && row.start != first
                        || !short && leo - first == row.slots as i64 && row.start == first
                    {
                        failures.push(format!(
                            "{} step {step} at {name}: {:?} on broker {} holds offsets {first}..{leo} in {} slots and starts at {}",
                            p.id, row.tp, row.broker, row.slots, row.start
                        ));
                    }
                    whole_and_full += (short && leo - first == row.slots as i64) as usize;
                }
            }
            m.update(Msg::StepForward);
        }
    }
    failures.dedup();
    assert!(
        whole_and_full > 0,
        "no row was ever exactly full: the test saw nothing"
    );
    assert!(
        failures.is_empty(),
        "{} rows drawn wrong:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
}
