//! The stage: an SVG scene of the cluster. Producers on the left, brokers in
//! the middle (each holding its partition replicas as horizontal logs of
//! offset cells), consumer groups on the right. Records are tokens that keep
//! one colour and label everywhere; a token *travels* from the sender to the
//! receiver when a step moves it (under reduced motion it simply jumps).
//!
//! Shape cues, never colour alone: a leader replica has a filled badge, a
//! follower a hollow one; an out-of-sync replica's row is dashed; cells at or
//! above the high watermark are hatched (written, not yet readable); a crashed
//! broker is crossed out; the next free offset is a dashed empty cell.

use crate::engine::event::{EventKind, GroupState, Stage as RecordStage};
use crate::engine::ids::*;
use crate::engine::sim::Engine;
use crate::engine::vecmap::VecMap;
use crate::model::Msg;
use crate::ui::ModelRef;
use yew::prelude::*;

#[derive(Clone, PartialEq)]
pub struct Props {
    pub model: ModelRef,
    pub on: Callback<Msg>,
}

const W: f64 = 720.0;
const PRODUCER_X: f64 = 8.0;
const PRODUCER_W: f64 = 124.0;
const BROKERS_X: f64 = 146.0;
const BROKERS_W: f64 = 398.0;
const CONSUMERS_X: f64 = 558.0;
const CONSUMERS_W: f64 = 156.0;
const TOP: f64 = 8.0;
const BROKER_HEADER: f64 = 28.0;
/// Space above a row's cells (HW label) and below them (consumer carets).
const BAND_TOP: f64 = 13.0;
const BAND_BOTTOM: f64 = 11.0;

#[derive(Clone, Copy, Debug, PartialEq)]
struct Pt {
    x: f64,
    y: f64,
}

#[derive(Clone, Debug)]
struct Row {
    tp: Tp,
    broker: BrokerId,
    /// Top of the cells.
    y: f64,
    /// Height of the cells.
    h: f64,
    /// Left edge of the row's label area and of the first cell.
    label_x: f64,
    x0: f64,
    cell_w: f64,
    slots: usize,
    /// First offset shown.
    start: i64,
    internal: bool,
    short_label: bool,
}

impl Row {
    fn cell_x(&self, offset: i64) -> Option<f64> {
        let i = offset - self.start;
        (i >= 0 && (i as usize) < self.slots).then(|| self.x0 + i as f64 * self.cell_w)
    }
    fn cell_center(&self, offset: i64) -> Pt {
        let i = (offset - self.start).clamp(0, self.slots as i64 - 1);
        Pt {
            x: self.x0 + i as f64 * self.cell_w + self.cell_w / 2.0,
            y: self.y + self.h / 2.0,
        }
    }
    fn entry(&self) -> Pt {
        Pt {
            x: self.x0 - 4.0,
            y: self.y + self.h / 2.0,
        }
    }
    fn right(&self) -> f64 {
        self.x0 + self.slots as f64 * self.cell_w
    }
}

struct Layout {
    h: f64,
    producers: Vec<(ProducerIdx, f64, f64)>,
    brokers: Vec<(BrokerId, f64, f64, f64, f64)>,
    rows: Vec<Row>,
    /// (broker, y) of the caption above each broker's internal rows.
    captions: Vec<(BrokerId, f64)>,
    groups: Vec<(GroupIdx, f64, f64)>,
    consumers: Vec<(ConsumerIdx, f64, f64)>,
}

impl Layout {
    fn row(&self, broker: BrokerId, tp: Tp) -> Option<&Row> {
        self.rows.iter().find(|r| r.broker == broker && r.tp == tp)
    }
    fn leader_row(&self, e: &Engine, tp: Tp) -> Option<&Row> {
        let l = e.leader_of(tp)?;
        self.row(l, tp)
    }
    fn producer_center(&self, p: ProducerIdx) -> Pt {
        self.producers
            .iter()
            .find(|x| x.0 == p)
            .map(|(_, y, h)| Pt {
                x: PRODUCER_X + PRODUCER_W - 18.0,
                y: y + h / 2.0,
            })
            .unwrap_or(Pt { x: 70.0, y: 100.0 })
    }
    fn consumer_anchor(&self, c: ConsumerIdx) -> Pt {
        self.consumers
            .iter()
            .find(|x| x.0 == c)
            .map(|(_, y, h)| Pt {
                x: CONSUMERS_X + 32.0,
                y: y + h / 2.0 + 6.0,
            })
            .unwrap_or(Pt { x: 640.0, y: 100.0 })
    }
}

fn layout(e: &Engine) -> Layout {
    let user_tps: Vec<Tp> = e
        .all_partitions()
        .into_iter()
        .filter(|tp| !e.topic(tp.topic).internal)
        .collect();
    // Internal rows: the groups' __consumer_offsets partitions.
    let offsets_tps: Vec<Tp> = {
        let mut v: Vec<Tp> = e.groups().iter().map(|g| g.offsets_tp).collect();
        v.sort();
        v.dedup();
        v
    };
    // Brokers are stacked, each a full-width box holding only its own replicas.
    let hosted: Vec<(Vec<Tp>, Vec<Tp>)> = e
        .brokers()
        .iter()
        .map(|b| {
            let user = user_tps
                .iter()
                .copied()
                .filter(|tp| b.replica(*tp).is_some())
                .collect();
            // Only the coordinator's copy of the offsets partition is drawn:
            // that is where commits land; followers' copies are noise here.
            let internal = offsets_tps
                .iter()
                .copied()
                .filter(|tp| {
                    b.replica(*tp).is_some()
                        && (e.leader_of(*tp) == Some(b.id) || e.brokers().len() == 1)
                })
                .collect();
            (user, internal)
        })
        .collect();
    let total_rows: usize = hosted.iter().map(|(u, i)| u.len() + i.len()).sum();
    let budget = if e.brokers().len() == 1 { 380.0 } else { 520.0 };
    let row_pitch = (budget / total_rows.max(1) as f64).clamp(BAND_TOP + BAND_BOTTOM + 12.0, 64.0);
    let caption_h = 16.0;
    let label_w = 80.0;
    let x = BROKERS_X;
    let label_x = x + 8.0;
    let x0 = label_x + label_w;
    let avail = BROKERS_W - label_w - 16.0;
    let cell_w = (avail / 7.0).clamp(20.0, 42.0);
    let slots = ((avail / cell_w).floor() as usize).max(2);
    let mut rows = Vec::new();
    let mut brokers = Vec::new();
    let mut captions = Vec::new();
    let mut y = TOP;
    for (b, (user, internal)) in e.brokers().iter().zip(hosted.iter()) {
        let h = BROKER_HEADER
            + (user.len() + internal.len()) as f64 * row_pitch
            + if internal.is_empty() { 0.0 } else { caption_h }
            + 6.0;
        brokers.push((b.id, x, y, BROKERS_W, h));
        let mut ry = y + BROKER_HEADER;
        for (k, tp) in user.iter().chain(internal.iter()).enumerate() {
            let is_internal = k >= user.len();
            if k == user.len() && is_internal {
                captions.push((b.id, ry + 11.0));
                ry += caption_h;
            }
            let rep = b.replica(*tp).expect("hosted");
            let leo = rep.log.leo().0;
            let start = (leo + 1 - slots as i64).max(rep.log.log_start().0);
            rows.push(Row {
                tp: *tp,
                broker: b.id,
                y: ry + BAND_TOP,
                h: row_pitch - BAND_TOP - BAND_BOTTOM,
                label_x,
                x0,
                cell_w,
                slots,
                start,
                internal: is_internal,
                short_label: false,
            });
            ry += row_pitch;
        }
        y += h + 10.0;
    }
    let brokers_bottom = y - 10.0;
    let brokers_h = brokers_bottom - TOP;
    // Producers: stacked in the left column, centred on the brokers.
    let np = e.producers().len().max(1) as f64;
    let ph = ((brokers_h - 10.0 * (np - 1.0)) / np).clamp(90.0, 150.0);
    let p_top = TOP + ((brokers_h - ph * np - 10.0 * (np - 1.0)) / 2.0).max(0.0);
    let producers = e
        .producers()
        .iter()
        .enumerate()
        .map(|(i, p)| (p.idx, p_top + i as f64 * (ph + 10.0), ph))
        .collect();
    // Groups and their consumers: stacked on the right.
    let mut groups = Vec::new();
    let mut consumers = Vec::new();
    let mut gy = TOP;
    for g in e.groups() {
        let members: Vec<&crate::engine::consumer::Consumer> =
            e.consumers().iter().filter(|c| c.group == g.idx).collect();
        let ch = 66.0;
        let gh = 48.0 + members.len() as f64 * (ch + 6.0) + 16.0;
        groups.push((g.idx, gy, gh));
        for (j, c) in members.iter().enumerate() {
            consumers.push((c.idx, gy + 48.0 + j as f64 * (ch + 6.0), ch));
        }
        gy += gh + 10.0;
    }
    let p_bottom = p_top + np * (ph + 10.0);
    Layout {
        h: brokers_bottom.max(gy).max(p_bottom) + TOP,
        producers,
        brokers,
        rows,
        captions,
        groups,
        consumers,
    }
}

/// Rounds a coordinate to 0.1 px (SVG needs no more, and the shortest
/// float formatting keeps the bundle small).
/// A short label for a record token: its key, or `#event`.
fn token_label(e: &Engine, r: RecordId) -> String {
    let rec = e.record(r);
    let s = rec
        .key_text()
        .unwrap_or_else(|| format!("#{}", rec.event_id.0));
    // Keys usually differ at the end (order-1, order-2): keep the tail.
    let chars: Vec<char> = s.chars().collect();
    if chars.len() > 7 {
        let tail: String = chars[chars.len() - 6..].iter().collect();
        format!("…{tail}")
    } else {
        s
    }
}

/// Error names fit a token: `NOT_ENOUGH_REPLICAS` → `NOT_ENOUGH_REPL…`.
fn short_error(name: &str) -> String {
    if name.chars().count() > 16 {
        let t: String = name.chars().take(15).collect();
        format!("{t}…")
    } else {
        name.to_string()
    }
}

fn color_class(r: RecordId) -> String {
    format!("rec-{}", r.0 % 8)
}

/// An element that travels from `from` to `to` during this step.
fn traveller(key: String, from: Pt, to: Pt, dur_ms: u32, inner: Html) -> Html {
    let style = format!(
        "--fx:{}px;--fy:{}px;--dur:{dur_ms}ms",
        px(from.x - to.x),
        px(from.y - to.y)
    );
    html! {
        <g transform={format!("translate({} {})", px(to.x), px(to.y))}>
            <g class="travel" style={style} key={key}>{inner}</g>
        </g>
    }
}

fn token(e: &Engine, r: RecordId, focus: bool, extra: Option<&'static str>) -> Html {
    let label = token_label(e, r);
    html! {
        <g class={classes!("token", color_class(r), focus.then_some("focus"), extra)}>
            <rect x="-24" y="-11" width="48" height="22" rx="11" />
            <text x="0" y="4" text-anchor="middle">{label}</text>
        </g>
    }
}

/// A view function rather than a `#[component]`: it holds no state, and
/// each component costs the bundle a few kilobytes (see `crate::ui`).
pub fn view(props: &Props) -> Html {
    let m = &props.model;
    let e = &m.engine;
    let lay = layout(e);
    let step = m.step;
    let dur = |latency_ms: u64| -> u32 {
        let base = (250 + latency_ms * 120).min(1100) as u32;
        if m.playing {
            base.min(m.tick_ms() * 9 / 10)
        } else {
            base
        }
    };

    // Consumer positions and committed offsets, for carets under the rows.
    let mut positions: VecMap<Tp, Vec<(String, i64)>> = VecMap::new();
    for c in e.consumers().iter().filter(|c| c.alive) {
        for (tp, p) in &c.positions {
            positions.entry_or_default(*tp).push((c.label.clone(), p.0));
        }
    }

    // ---- brokers and their logs ----
    let brokers_svg = lay.brokers.iter().map(|(id, x, y, w, h)| {
        let b = &e.brokers()[id.0 as usize];
        let down = !b.alive;
        let caption = lay.captions.iter().find(|(b, _)| b == id).map(|(_, y)| *y);
        let is_coordinator = e.groups().iter().any(|g| g.coordinator(e) == Some(*id));
        let bid = *id;
        let onclick = props.on.reform(move |_: MouseEvent| Msg::ToggleBroker(bid));
        let onkeydown = {
            let on = props.on.clone();
            Callback::from(move |ev: KeyboardEvent| {
                if ev.key() == "Enter" {
                    ev.prevent_default();
                    ev.stop_propagation();
                    on.emit(Msg::ToggleBroker(bid));
                }
            })
        };
        let label = if down {
            format!("Broker {id}, crashed. Press Enter to restart it.")
        } else {
            format!("Broker {id}, running. Press Enter to crash it.")
        };
        html! {
            <g class={classes!("broker", down.then_some("down"))} key={format!("b{id}")}>
                <rect class="broker-box" x={px(x)} y={px(y)} width={px(w)} height={px(h)} rx="10" />
                <g class="broker-handle" tabindex="0" role="button" aria-label={label} {onclick} {onkeydown}>
                    <rect class="handle-bg" x={px(x + 4.0)} y={px(y + 3.0)} width="150" height="22" rx="6" />
                    <text class="broker-title" x={px(x + 12.0)} y={px(y + 19.0)}>{format!("Broker {id}")}</text>
                    <text class="broker-action" x={px(x + 80.0)} y={px(y + 19.0)}>{ if down { "▶ restart" } else { "✕ crash" } }</text>
                </g>
                if is_coordinator && !down {
                    <text class="coord-tag" x={px(x + w - 10.0)} y={px(y + 19.0)} text-anchor="end">{"group coordinator"}</text>
                }
                if let Some(cy) = caption {
                    <text class="internal-caption" x={px(x + 12.0)} y={px(cy)}>{"__consumer_offsets"}</text>
                }
                if down {
                    <line class="cross" x1={px(x)} y1={px(y)} x2={px(x + w)} y2={px(y + h)} />
                    <line class="cross" x1={px(x + w)} y1={px(y)} x2={px(x)} y2={px(y + h)} />
                    <text class="down-label" x={px(x + w - 12.0)} y={px(y + 19.0)} text-anchor="end">{"crashed"}</text>
                }
            </g>
        }
    });

    let rows_svg = lay.rows.iter().map(|row| {
        let inspect_key = (row.broker, row.tp);
        let b = &e.brokers()[row.broker.0 as usize];
        let rep = b.replica(row.tp).expect("row exists for hosted replicas");
        let meta = e.partition_meta(row.tp);
        let is_leader = meta.leader == Some(row.broker);
        let in_isr = meta.isr.contains(&row.broker);
        let log = &rep.log;
        let hw = log.hw().0;
        let leo = log.leo().0;
        let name = &e.topic(row.tp.topic).name;
        let label = match (row.internal, row.short_label) {
            (true, _) => format!("__c_o-{}", row.tp.partition),
            (false, true) => format!("P{}", row.tp.partition),
            (false, false) => fit_label(name, row.tp.partition),
        };
        let lso = log.lso().0;
        let aborted = log.aborted_txns(Offset(row.start), Offset(leo));
        let open_txn_first = log.producer_state().first_unstable_offset().map(|o| o.0);
        let cells = (row.start..leo).filter_map(|off| {
            let x = row.cell_x(off)?;
            let entry = log.entry(Offset(off))?;
            let above_hw = off >= hw;
            let (class, text) = match (entry.record, entry.control) {
                (Some(r), _) if !row.internal => (color_class(r), token_label(e, r)),
                (Some(_), _) => ("internal".to_string(), "commit".to_string()),
                (None, Some(crate::engine::log::ControlType::Commit)) => ("marker commit".to_string(), "COMMIT".to_string()),
                (None, _) => ("marker abort".to_string(), "ABORT".to_string()),
            };
            let in_aborted = entry.record.is_some()
                && entry.producer.is_some_and(|p| aborted.iter().any(|a| a.producer_id == p.producer_id && a.first_offset.0 <= off && off <= a.last_offset.0));
            let in_open_txn = entry.transactional && entry.record.is_some() && !in_aborted && open_txn_first.is_some_and(|f| off >= f) && off >= lso;
            let lost = !row.internal
                && entry.record.is_some_and(|r| {
                    let rec = e.record(r);
                    rec.kind == crate::engine::record::RecordKind::Data
                        && !e.groups().is_empty()
                        && e.verdict_of(rec.event_id, crate::engine::ids::GroupIdx(0)) == Some(crate::engine::ledger::Verdict::Lost)
                });
            let focus = entry.record.is_some() && entry.record == m.focus && !row.internal;
            let cw = row.cell_w - 3.0;
            Some(html! {
                <g class={classes!("cell", class, above_hw.then_some("uncommitted"), focus.then_some("focus"),
                                   in_aborted.then_some("aborted"), in_open_txn.then_some("txn-open"), lost.then_some("lost"))} key={format!("c{off}")}>
                    <rect x={px(x + 1.5)} y={px(row.y)} width={px(cw)} height={px(row.h)} rx="4" />
                    if above_hw {
                        <rect class="hatch" x={px(x + 1.5)} y={px(row.y)} width={px(cw)} height={px(row.h)} rx="4" />
                    }
                    <text class="cell-offset" x={px(x + 4.0)} y={px(row.y + 9.0)}>{off}</text>
                    if row.h >= 24.0 && row.cell_w >= 30.0 {
                        <text class="cell-label" x={px(x + row.cell_w / 2.0)} y={px(row.y + row.h - 5.0)} text-anchor="middle">{text}</text>
                    }
                    if in_aborted || lost {
                        <line class="strike" x1={px(x + 3.0)} y1={px(row.y + 2.0)} x2={px(x + cw)} y2={px(row.y + row.h - 2.0)} />
                    }
                    if lost {
                        <text class="lost-tag" x={px(x + row.cell_w / 2.0)} y={px(row.y - 2.0)} text-anchor="middle">{"lost"}</text>
                    }
                    <title>{
                        if in_aborted { format!("offset {off}: written in a transaction that aborted; read_committed consumers skip it") }
                        else if in_open_txn { format!("offset {off}: in an open transaction, above the last stable offset {lso}") }
                        else if lost { format!("offset {off}: this message will never be processed by {}", e.groups()[0].group_id) }
                        else if entry.control.is_some() { format!("offset {off}: a transaction marker (control record)") }
                        else { format!("offset {off}") }
                    }</title>
                </g>
            })
        });
        let next_x = row.cell_x(leo);
        let hw_x = row.cell_x(hw).or_else(|| (hw >= row.start + row.slots as i64).then_some(row.x0 + row.slots as f64 * row.cell_w));
        let carets = if row.internal || !is_leader {
            Vec::new()
        } else {
            positions.get(&row.tp).cloned().unwrap_or_default()
        };
        html! {
            <g class={classes!("row", is_leader.then_some("leader"), (!in_isr).then_some("out-of-sync"), row.internal.then_some("internal-row"),
                               (m.inspect == Some((row.broker, row.tp))).then_some("inspected"))}
               key={format!("r{}-{}-{}", row.broker, row.tp.topic, row.tp.partition)}
               tabindex={(!row.internal).then_some("0")}
               aria-label={format!("{label} on broker {}: {}, high watermark {hw}, log end offset {leo}", row.broker,
                    if is_leader { "leader" } else if in_isr { "in-sync follower" } else { "out-of-sync follower" })}
               onmouseenter={props.on.reform(move |_: MouseEvent| Msg::Inspect(Some(inspect_key)))}
               onmouseleave={props.on.reform(|_: MouseEvent| Msg::Inspect(None))}
               onfocus={props.on.reform(move |_: FocusEvent| Msg::Inspect(Some(inspect_key)))}
               onblur={props.on.reform(|_: FocusEvent| Msg::Inspect(None))}>
                <rect class="row-bg" x={px(row.label_x - 4.0)} y={px(row.y - 3.0)}
                      width={px(row.right() - row.label_x + 8.0)} height={px(row.h + 6.0)} rx="6" />
                <circle class={classes!("role-badge", if is_leader { "filled" } else { "hollow" })}
                        cx={px(row.label_x + 5.0)} cy={px(row.y + row.h / 2.0)} r="5">
                    <title>{ if is_leader { "Leader replica" } else if in_isr { "Follower (in sync)" } else { "Follower (out of sync)" } }</title>
                </circle>
                <text class="row-label" x={px(row.label_x + 14.0)} y={px(row.y + row.h / 2.0 + 4.0)}>{label}<title>{format!("{name}-{}", row.tp.partition)}</title></text>
                { for cells }
                if let Some(x) = next_x {
                    <g class="next-slot">
                        <rect x={px(x + 1.5)} y={px(row.y)} width={px(row.cell_w - 3.0)} height={px(row.h)} rx="4" />
                        <text x={px(x + row.cell_w / 2.0)} y={px(row.y + row.h / 2.0 + 3.0)} text-anchor="middle">{"LEO"}</text>
                    </g>
                }
                if let (true, Some(x)) = (lso < hw, row.cell_x(lso)) {
                    <g class="lso-marker">
                        <line x1={px(x)} y1={px(row.y - 4.0)} x2={px(x)} y2={px(row.y + row.h + 4.0)} />
                        <text x={px(x - 2.0)} y={px(row.y - 4.0)} text-anchor="end">{format!("LSO {lso}")}</text>
                        <title>{format!("Last stable offset {lso}: read_committed consumers stop here until the open transaction ends.")}</title>
                    </g>
                }
                if let Some(x) = hw_x {
                    <g class="hw-marker">
                        <line x1={px(x)} y1={px(row.y - 4.0)} x2={px(x)} y2={px(row.y + row.h + 4.0)} />
                        // With an LSO below it, the LSO label takes the left side.
                        if lso < hw {
                            <text x={px(x + 2.0)} y={px(row.y - 4.0)}>{format!("HW {hw}")}</text>
                        } else {
                            <text x={px(x - 2.0)} y={px(row.y - 4.0)} text-anchor="end">{format!("HW {hw}")}</text>
                        }
                        <title>{format!("High watermark {hw}: offsets below it are on every in-sync replica and may be read by consumers. Offsets {hw}–{} are written but not yet readable.", (leo - 1).max(hw))}</title>
                    </g>
                }
                { for carets.iter().filter_map(|(label, pos)| {
                    let x = row.cell_x(*pos).or(next_x)? + row.cell_w / 2.0;
                    let y = row.y + row.h + 2.0;
                    Some(html! {
                        <g class="caret" key={format!("p{label}")}>
                            <path d={format!("M{} {} l-5 7 h10 z", px(x), px(y))} />
                            <text class="caret-label" x={px(x + 7.0)} y={px(y + 7.5)}>{label.clone()}</text>
                            <title>{format!("Consumer {label}'s position: offset {pos}")}</title>
                        </g>
                    })
                }) }
            </g>
        }
    });

    // ---- producers ----
    let staged: Vec<(RecordId, RecordStage)> = m
        .record_stage
        .iter()
        .filter(|(_, s)| **s <= RecordStage::Partition)
        .map(|(r, s)| (*r, *s))
        .collect();
    let producers_svg = lay.producers.iter().map(|(p, y, h)| {
        let pr = &e.producers()[p.0 as usize];
        let pc = &e.config().producers[p.0 as usize];
        let x = PRODUCER_X;
        html! {
            <g class={classes!("producer", (!pr.alive || pr.txn.fenced).then_some("down"))} key={format!("p{p}")}>
                <rect class="producer-box" x={px(x)} y={px(y)} width={px(PRODUCER_W)} height={px(h)} rx="10" />
                <text class="box-title" x={px(x + 12.0)} y={px(y + 21.0)}>{ if pr.owner_consumer.is_some() { "Processor" } else { "Producer" } }</text>
                if !pr.alive || pr.txn.fenced {
                    <line class="cross" x1={px(x)} y1={px(y)} x2={px(x + PRODUCER_W)} y2={px(y + h)} />
                    <text class="down-label" x={px(x + PRODUCER_W - 8.0)} y={px(y + 21.0)} text-anchor="end">{ if pr.txn.fenced { "fenced" } else { "crashed" } }</text>
                }
                if pr.txn.open {
                    <text class="box-sub txn-tag" x={px(x + 12.0)} y={px(y + h - 8.0)}>{"transaction open"}</text>
                }
                <text class="box-sub" x={px(x + 12.0)} y={px(y + 38.0)}>{pr.client_id.clone()}</text>
                <text class="box-sub" x={px(x + 12.0)} y={px(y + 54.0)}>{format!("acks={}", pc.acks.label())}</text>
                <text class="box-sub" x={px(x + 12.0)} y={px(y + 70.0)}>{format!("{} unacked", pr.unacked_records())}</text>
                if pr.acked_records > 0 {
                    <text class="box-sub" x={px(x + 12.0)} y={px(y + 86.0)}>
                        {format!("ack ≈{} ms", pr.total_ack_latency_ms / pr.acked_records)}
                    </text>
                }
            </g>
        }
    });
    let staged_tokens = staged.iter().enumerate().map(|(i, (r, s))| {
        let (py, ph) = lay.producers.first().map(|(_, y, h)| (*y, *h)).unwrap_or((100.0, 120.0));
        let at = Pt {
            x: PRODUCER_X + 36.0 + (i % 2) as f64 * 56.0,
            y: py + ph - 22.0 - (i / 2) as f64 * 30.0,
        };
        let tag = match s {
            RecordStage::Serialize => Some("bytes"),
            RecordStage::Partition => Some("routed"),
            _ => None,
        };
        let part = e.record(*r).partition.filter(|_| *s == RecordStage::Partition);
        html! {
            <g transform={format!("translate({} {})", px(at.x), px(at.y))} key={format!("s{}", r.0)}>
                { token(e, *r, m.focus == Some(*r), tag) }
                if let Some(p) = part {
                    <text class="route-tag" x="0" y="-15" text-anchor="middle">{format!("→ P{p}")}</text>
                }
            </g>
        }
    });

    // ---- groups and consumers ----
    let groups_svg = lay.groups.iter().map(|(g, y, h)| {
        let grp = &e.groups()[g.0 as usize];
        let (shape, cls) = match grp.state {
            GroupState::Stable => ("●", "stable"),
            GroupState::PreparingRebalance => ("◐", "preparing"),
            GroupState::CompletingRebalance => ("◑", "completing"),
            GroupState::Empty => ("○", "empty"),
            GroupState::Dead => ("✕", "dead"),
        };
        let coord = grp.coordinator(e).map(|b| format!("coordinator: broker {b}")).unwrap_or_else(|| "no coordinator".into());
        let gid = *g;
        let add_key = {
            let on = props.on.clone();
            Callback::from(move |ev: KeyboardEvent| {
                if ev.key() == "Enter" {
                    ev.prevent_default();
                    ev.stop_propagation();
                    on.emit(Msg::Apply(crate::engine::Command::AddConsumer { group: gid }));
                }
            })
        };
        html! {
            <g class="group" key={format!("g{g}")}>
                <rect class="group-box" x={px(CONSUMERS_X)} y={px(y)} width={px(CONSUMERS_W)} height={px(h)} rx="10" />
                <text class="box-title group-id" x={px(CONSUMERS_X + 10.0)} y={px(y + 18.0)}>{grp.group_id.clone()}</text>
                <text class={classes!("state-badge", cls)} x={px(CONSUMERS_X + 10.0)} y={px(y + 37.0)}>
                    {format!("{shape} {} · gen {}", grp.state.name(), grp.generation.0)}
                </text>
                <text class="box-sub coord" x={px(CONSUMERS_X + 10.0)} y={px(y + h - 6.0)}>{coord.clone()}</text>
                <g class="add-consumer" tabindex="0" role="button" aria-label={format!("Add a consumer to {}", grp.group_id)}
                   onclick={props.on.reform(move |_: MouseEvent| Msg::Apply(crate::engine::Command::AddConsumer { group: gid }))}
                   onkeydown={add_key}>
                    <rect x={px(CONSUMERS_X + CONSUMERS_W - 30.0)} y={px(y + h - 22.0)} width="24" height="18" rx="6" />
                    <text x={px(CONSUMERS_X + CONSUMERS_W - 18.0)} y={px(y + h - 8.0)} text-anchor="middle">{"+"}</text>
                    <title>{"Add a consumer"}</title>
                </g>
                <title>{coord}</title>
            </g>
        }
    });
    let consumers_svg = lay.consumers.iter().map(|(c, y, h)| {
        let con = &e.consumers()[c.0 as usize];
        let rebalancing = con.alive && con.membership != crate::engine::consumer::Membership::Stable;
        let status = if !con.alive {
            if con.member_id.is_some() && e.groups()[con.group.0 as usize].members.values().any(|m| m.meta.consumer == *c) {
                "crashed (session alive)".to_string()
            } else {
                "down".to_string()
            }
        } else if rebalancing {
            "rebalancing…".to_string()
        } else if con.assignment.is_empty() {
            "idle (no partitions)".to_string()
        } else {
            match con.app {
                crate::engine::consumer::AppState::Processing => "processing".into(),
                crate::engine::consumer::AppState::Committing { .. } => "committing".into(),
                _ => "polling".into(),
            }
        };
        let parts: Vec<String> = con
            .assignment
            .iter()
            .map(|tp| match con.positions.get(tp) {
                Some(p) => format!("P{}@{}", tp.partition, p.0),
                None => format!("P{}", tp.partition),
            })
            .collect();
        let cid = *c;
        let selected = m.selected_consumer == Some(cid);
        let onclick = props.on.reform(move |_: MouseEvent| Msg::SelectConsumer(if selected { None } else { Some(cid) }));
        let onkeydown = {
            let on = props.on.clone();
            Callback::from(move |ev: KeyboardEvent| {
                if ev.key() == "Enter" {
                    ev.prevent_default();
                    ev.stop_propagation();
                    on.emit(Msg::SelectConsumer(if selected { None } else { Some(cid) }));
                }
            })
        };
        html! {
            <g class={classes!("consumer", (!con.alive).then_some("down"), con.assignment.is_empty().then_some("idle"),
                               rebalancing.then_some("rebalancing"), selected.then_some("selected"))}
               key={format!("c{c}")} tabindex="0" role="button"
               aria-label={format!("Consumer {}, {status}. Press Enter for actions (crash, leave, slow down).", con.label)}
               aria-pressed={selected.to_string()} {onclick} {onkeydown}>
                <rect class="consumer-box" x={px(CONSUMERS_X + 6.0)} y={px(y)} width={px(CONSUMERS_W - 12.0)} height={px(h)} rx="8" />
                <text class="box-title" x={px(CONSUMERS_X + 14.0)} y={px(y + 18.0)}>{format!("Consumer {}", con.label)}</text>
                <text class="box-sub status" x={px(CONSUMERS_X + 14.0)} y={px(y + 34.0)}>{status}</text>
                { for parts.chunks(3).take(2).enumerate().map(|(k, chunk)| html! {
                    <text class="box-sub" x={px(CONSUMERS_X + 14.0)} y={px(y + 49.0 + k as f64 * 12.5)}>{chunk.join(" ")}</text>
                }) }
                if parts.is_empty() && con.alive {
                    <text class="box-sub" x={px(CONSUMERS_X + 14.0)} y={px(y + 49.0)}>{"no partitions"}</text>
                }
                if parts.len() > 6 {
                    <text class="box-sub" x={px(CONSUMERS_X + CONSUMERS_W - 12.0)} y={px(y + 18.0)} text-anchor="end">{format!("+{}", parts.len() - 6)}</text>
                }
                if !con.alive {
                    <line class="cross" x1={px(CONSUMERS_X + 8.0)} y1={px(y + 2.0)} x2={px(CONSUMERS_X + CONSUMERS_W - 8.0)} y2={px(y + h - 2.0)} />
                }
                <title>{format!("{} (client.id {}) — P<n>@<offset> is the position: the next offset it will read", con.member_id.clone().unwrap_or_else(|| "not a member yet".into()), con.client_id)}</title>
            </g>
        }
    });

    // ---- what moves this step ----
    let mut movers: Vec<Html> = Vec::new();
    for (i, ev) in m.events.iter().enumerate() {
        let latency = |arrive: u64| arrive.saturating_sub(ev.time_ms);
        match &ev.kind {
            EventKind::Sent {
                producer,
                tp,
                records,
                arrive_ms,
                ..
            } => {
                let Some(row) = lay.leader_row(e, *tp) else {
                    continue;
                };
                let r = records[0];
                let from = lay.producer_center(*producer);
                let leo = e.brokers()[row.broker.0 as usize]
                    .replica(*tp)
                    .map(|x| x.log.leo().0)
                    .unwrap_or(0);
                let to = if row.cell_x(leo).is_some() {
                    row.cell_center(leo)
                } else {
                    row.entry()
                };
                let mut inner = token(e, r, m.focus == Some(r), None);
                if records.len() > 1 {
                    inner = html! { <>{inner}<text class="count" x="26" y="-8">{format!("×{}", records.len())}</text></> };
                }
                movers.push(traveller(
                    format!("m{step}-{i}"),
                    from,
                    to,
                    dur(latency(*arrive_ms)),
                    inner,
                ));
            }
            EventKind::Acked {
                producer,
                tp,
                first,
                acks_zero,
                ..
            } if !acks_zero => {
                let Some(row) = lay.leader_row(e, *tp) else {
                    continue;
                };
                let from = first.map(|o| row.cell_center(o.0)).unwrap_or(row.entry());
                let to = lay.producer_center(*producer);
                let inner = html! {
                    <g class="ack"><rect x="-20" y="-10" width="40" height="20" rx="4" /><text x="0" y="4" text-anchor="middle">{"ack ✓"}</text></g>
                };
                movers.push(traveller(format!("m{step}-{i}"), from, to, dur(2), inner));
            }
            EventKind::Polled {
                consumer,
                tp,
                records,
                ..
            } => {
                let Some(row) = lay.leader_row(e, *tp) else {
                    continue;
                };
                let (r, off) = records[0];
                let from = row.cell_center(off.0);
                let to = lay.consumer_anchor(*consumer);
                let mut inner = token(e, r, m.focus == Some(r), None);
                if records.len() > 1 {
                    inner = html! { <>{inner}<text class="count" x="26" y="-8">{format!("×{}", records.len())}</text></> };
                }
                movers.push(traveller(format!("m{step}-{i}"), from, to, dur(2), inner));
            }
            EventKind::Replicated {
                broker,
                tp,
                first,
                count,
                ..
            } => {
                let (Some(from_row), Some(to_row)) =
                    (lay.leader_row(e, *tp), lay.row(*broker, *tp))
                else {
                    continue;
                };
                let from = from_row.cell_center(first.0);
                let to = to_row.cell_center(first.0);
                let inner = html! {
                    <g class="fetch-token"><rect x="-22" y="-9" width="44" height="18" rx="9" />
                        <text x="0" y="4" text-anchor="middle">{format!("+{count}")}</text></g>
                };
                movers.push(traveller(format!("m{step}-{i}"), from, to, dur(2), inner));
            }
            EventKind::Truncated {
                broker,
                tp,
                removed,
                ..
            } => {
                let Some(row) = lay.row(*broker, *tp) else {
                    continue;
                };
                for (k, (off, r, _)) in removed.iter().enumerate().take(6) {
                    let x = row.x0
                        + ((off.0 - row.start).max(0) as f64 + 0.5).min(row.slots as f64 - 0.5)
                            * row.cell_w;
                    let y = row.y + row.h / 2.0;
                    let label = r.map(|r| token_label(e, r)).unwrap_or_else(|| "ctl".into());
                    let cls = r.map(color_class).unwrap_or_default();
                    movers.push(html! {
                        <g key={format!("v{step}-{i}-{k}")} class={classes!("vanished", cls)} transform={format!("translate({} {})", px(x), px(y))}>
                            <rect x="-20" y="-11" width="40" height="22" rx="4" />
                            <text x="0" y="4" text-anchor="middle">{label}</text>
                            <line x1="-22" y1="-12" x2="22" y2="12" />
                            <line x1="22" y1="-12" x2="-22" y2="12" />
                            <text class="lost-label" x="0" y="-15" text-anchor="middle">{"lost"}</text>
                        </g>
                    });
                }
            }
            EventKind::Message {
                from: crate::engine::event::Node::Broker(b),
                to: crate::engine::event::Node::Producer(p),
                error: Some(err),
                arrive_ms,
                ..
            } => {
                let Some(from) = lay
                    .brokers
                    .iter()
                    .find(|x| x.0 == *b)
                    .map(|(_, x, y, _, _)| Pt {
                        x: x + 20.0,
                        y: y + 14.0,
                    })
                else {
                    continue;
                };
                let to = lay.producer_center(*p);
                let inner = html! {
                    <g class="error-token"><rect x="-56" y="-10" width="112" height="20" rx="4" />
                        <text x="0" y="4" text-anchor="middle">{format!("✕ {}", short_error(err.name()))}</text></g>
                };
                movers.push(traveller(
                    format!("m{step}-{i}"),
                    from,
                    to,
                    dur(latency(*arrive_ms)),
                    inner,
                ));
            }
            EventKind::Committed {
                group,
                consumer,
                offset,
                ..
            } => {
                let grp = &e.groups()[group.0 as usize];
                let Some(row) = lay.leader_row(e, grp.offsets_tp) else {
                    continue;
                };
                let from = consumer.map(|c| lay.consumer_anchor(c)).unwrap_or(Pt {
                    x: CONSUMERS_X,
                    y: 40.0,
                });
                let to = row.entry();
                let inner = html! {
                    <g class="commit-token"><rect x="-30" y="-10" width="60" height="20" rx="4" /><text x="0" y="4" text-anchor="middle">{format!("commit {}", offset.0)}</text></g>
                };
                movers.push(traveller(format!("m{step}-{i}"), from, to, dur(2), inner));
            }
            _ => {}
        }
    }
    // Records being processed sit on their consumer.
    let at_consumers = e.consumers().iter().filter(|c| c.alive).filter_map(|c| {
        let (_, r, _) = c.current.front()?;
        let to = lay.consumer_anchor(c.idx);
        let polled_now = m.events.iter().any(|ev| matches!(&ev.kind, EventKind::Polled { consumer, .. } if *consumer == c.idx));
        if polled_now {
            return None;
        }
        let times = e.ledger().times_processed(e.record(*r).event_id, c.group);
        Some(html! {
            <g transform={format!("translate({} {})", px(to.x), px(to.y))} key={format!("cur{}", c.idx)}>
                if times >= 1 {
                    <g class="dup-shadow" transform="translate(4 -4)">{ token(e, *r, false, None) }</g>
                }
                { token(e, *r, m.focus == Some(*r), (c.app == crate::engine::consumer::AppState::Processing).then_some("processing")) }
                if times >= 1 {
                    <text class="dup-tag" x="28" y="-8">{format!("×{}", times + 1)}</text>
                }
            </g>
        })
    });

    let h = lay.h;
    html! {
        <svg class="stage" viewBox={format!("0 0 {W} {}", h.round())} role="img"
             aria-label="The cluster: producer, brokers with partition logs, and consumer groups" preserveAspectRatio="xMidYMin meet">
            <defs>
                <pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                    <line x1="0" y1="0" x2="0" y2="6" class="hatch-line" />
                </pattern>
            </defs>
            <g class="wires">
                { for lay.producers.iter().map(|(p, y, h)| html! {
                    <line key={format!("pw{p}")} class="wire producer-wire" x1={px(PRODUCER_X + PRODUCER_W)} y1={px(y + h / 2.0)} x2={px(BROKERS_X)} y2={px(y + h / 2.0)} />
                }) }
                { for lay.consumers.iter().map(|(c, y, h)| html! {
                    <line key={format!("cw{c}")} class="wire consumer-wire" x1={px(BROKERS_X + BROKERS_W)} y1={px(y + h / 2.0)} x2={px(CONSUMERS_X + 6.0)} y2={px(y + h / 2.0)} />
                }) }
            </g>
            { for brokers_svg }
            { for rows_svg }
            { for producers_svg }
            { for staged_tokens }
            { for groups_svg }
            { for consumers_svg }
            { for at_consumers }
            <g class="movers">{ for movers }</g>
        </svg>
    }
}

/// `topic-partition`, shortened with an ellipsis to fit the row's label
/// column (the full name is in the row's tooltip and the Topic table).
fn fit_label(topic: &str, partition: impl std::fmt::Display) -> String {
    const MAX_CHARS: usize = 12;
    let suffix = format!("-{partition}");
    if topic.chars().count() + suffix.len() <= MAX_CHARS {
        return format!("{topic}{suffix}");
    }
    let keep = MAX_CHARS.saturating_sub(suffix.len() + 1);
    let head: String = topic.chars().take(keep).collect();
    format!("{head}…{suffix}")
}

/// An SVG coordinate with one decimal, formatted without the float
/// formatter (which costs ~5 KB of the gzipped bundle).
pub fn px(x: impl std::borrow::Borrow<f64>) -> String {
    let t = (*x.borrow() * 10.0).round() as i64;
    let (sign, t) = if t < 0 { ("-", -t) } else { ("", t) };
    if t % 10 == 0 {
        format!("{sign}{}", t / 10)
    } else {
        format!("{sign}{}.{}", t / 10, t % 10)
    }
}
